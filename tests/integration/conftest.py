"""Fixtures for integration tests: a real SOCKS5 proxy (pproxy) on loopback that logs every connection, a private
deployment of kura on the session devnet, and the storage nodes serving their repair duties over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kura.chain.client import AccountSource
from kura.config import DEV_MNEMONIC
from kura.devnet.processes import ProcessRecord, free_port, is_listening, spawn, wait_until


@dataclass(frozen=True)
class SocksProxy:
    """A running SOCKS5 proxy and the log of the connections it relayed."""

    url: str
    log: Path
    process: ProcessRecord

    def relayed_to(self, port: int) -> int:
        """How many connections the proxy opened to ``127.0.0.1:port``."""
        return sum(1 for line in self.log.read_text().splitlines() if line.endswith(f"-> 127.0.0.1:{port}"))


@pytest.fixture
def socks_proxy(tmp_path: Path) -> Iterator[SocksProxy]:
    port = free_port()
    log = tmp_path / "pproxy.log"
    pproxy = Path(sys.executable).parent / "pproxy"
    process = spawn(
        "pproxy", [str(pproxy), "-l", f"socks5://127.0.0.1:{port}", "-v"], log=log, env={"PYTHONUNBUFFERED": "1"}
    )
    try:
        wait_until(lambda: is_listening(port), timeout=30, what="waiting for the SOCKS5 proxy", process=process)
        yield SocksProxy(f"socks5://127.0.0.1:{port}", log, process)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def fresh_network(devnet: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for `kura` subprocesses on the session devnet but with freshly deployed contracts.

    The session deployment's NodeRegistry collects nodes registered by other tests (compute agents register
    their Kubo node too), and `kura store` places on registered nodes once there are any; a private
    deployment keeps a test's placement independent of test order.
    """
    return deployed_env(devnet, tmp_path_factory)


def deployed_env(devnet: Any, tmp_path_factory: pytest.TempPathFactory, *options: str) -> dict[str, str]:
    """Environment for `kura` subprocesses on the session devnet, with contracts `kura deploy *options` deployed and
    recorded in a state folder of their own."""
    env = {
        "KURA_STATE": str(tmp_path_factory.mktemp("state")),
        "KURA_RPC_URL": devnet.chain.rpc_url,
        "KURA_IPFS_APIS": ",".join(node.api_url for node in devnet.kubo),
        "KURA_PRIVATE_KEYS": ",".join(AccountSource(mnemonic=DEV_MNEMONIC).get(i).key.to_0x_hex() for i in range(30)),
    }
    done = subprocess.run(
        [sys.executable, "-m", "kura", "deploy", *options, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return env


@contextmanager
def private_deployment(
    tmp_path_factory: pytest.TempPathFactory,
    founders: dict[int, str] | None = None,
    genesis_compute: tuple[int, ...] = (),
    sampled: bool = False,
) -> Iterator[Any]:
    """The session devnet's endpoints with a kura deployment of their own (recorded in a state folder of their own),
    as a ``kura.NetworkConfig``; ``founders`` seed the consortium (account index → name), ``genesis_compute`` are
    the account indices named as the first compute nodes, ``sampled`` deploys a market that audits only a sample of
    tasks."""
    import kura
    from kura.config import resolve_network

    devnet_network = resolve_network("devnet")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("KURA_STATE", str(tmp_path_factory.mktemp("private-state")))
    try:
        kura.deploy(devnet_network, founders=founders, genesis_compute=genesis_compute, sampled=sampled).close()
        yield devnet_network
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def sample_market(devnet: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """kura.devtools.sample_market on a private deployment: three institutions, two listings, an accepted sale and a
    waiting one, compute terms and two compute jobs bought, a task, a registered node."""
    from kura.devtools import sample_market as sample

    with private_deployment(tmp_path_factory, founders=sample.NAMES) as network:
        yield sample.fill(network)


@pytest.fixture
def net(chain: Any, devnet: Any) -> Iterator[Any]:
    """The devnet's storage nodes serving their repair duties over HTTP, each behind a wiretap counting the bytes
    (a :class:`tests.integration.storage_network.Network`)."""
    from tests.integration.storage_network import network

    served = network(chain, devnet, serve=True)
    try:
        yield served
    finally:
        served.close()
