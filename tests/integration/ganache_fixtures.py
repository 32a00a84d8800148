"""A Ganache node (npm ``ganache``) on a free loopback port, as a module-scoped fixture (registered for every test
by ``tests/conftest.py``), with the two dev keys its mnemonic gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kura.config import DEV_MNEMONIC
from kura.devnet.processes import ProcessRecord, free_port, is_listening, spawn, wait_until
from kura.paths import node_bin

DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
)


@pytest.fixture(scope="module")
def ganache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = Path(tmp_path_factory.mktemp("ganache")) / "ganache.log"
    process: ProcessRecord = spawn(
        "ganache",
        [
            str(node_bin("ganache")),
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--wallet.mnemonic",
            DEV_MNEMONIC,
            "--logging.quiet",
            "--miner.instamine",
            "eager",
        ],
        log=log,
    )
    try:
        wait_until(lambda: is_listening(port), timeout=60, what="waiting for ganache", process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()
