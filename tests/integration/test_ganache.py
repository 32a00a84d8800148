"""The same chain layer works on Ganache (npm `ganache`), reached only through RPC settings."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.file_registry import FileRegistryClient
from kura.config import resolve_network
from kura.devnet.anvil import DEV_MNEMONIC
from kura.devnet.processes import ProcessRecord, free_port, is_listening, spawn, wait_until
from kura.errors import ContractRevertError
from kura.paths import node_bin

DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
)


@pytest.fixture(scope="module")
def ganache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = Path(tmp_path_factory.mktemp("ganache")) / "ganache.log"
    process: ProcessRecord = spawn("ganache", [
        str(node_bin("ganache")), "--server.host", "127.0.0.1", "--server.port", str(port),
        "--wallet.mnemonic", DEV_MNEMONIC, "--logging.quiet", "--miner.instamine", "eager",
    ], log=log)
    try:
        wait_until(lambda: is_listening(port), timeout=60, what="waiting for ganache", process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


def test_deploy_and_call_on_ganache(ganache: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KURA_STATE", str(tmp_path))
    monkeypatch.setenv("KURA_RPC_URL", ganache)
    monkeypatch.setenv("KURA_PRIVATE_KEYS", ",".join(DEV_KEYS))
    chain = Chain.connect(resolve_network())
    assert chain.chain_id == 1337
    deployment = deploy_all(chain, chain.account(0))
    registry = FileRegistryClient(chain, deployment)
    file_id, digest, root = (secrets.token_bytes(32) for _ in range(3))
    registry.register(file_id, digest, root, owner=chain.account(0))
    assert registry.file_of(file_id).manifest_digest == digest
    with pytest.raises(ContractRevertError) as caught:
        registry.rotate(file_id, 1, secrets.token_bytes(32), owner=chain.account(1))
    assert caught.value.error_name == "NotFileOwner"
