"""Fixtures for integration tests: a real SOCKS5 proxy (pproxy) on loopback that logs every connection."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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
    process = spawn("pproxy", [str(pproxy), "-l", f"socks5://127.0.0.1:{port}", "-v"], log=log,
                    env={"PYTHONUNBUFFERED": "1"})
    try:
        wait_until(lambda: is_listening(port), timeout=30, what="waiting for the SOCKS5 proxy", process=process)
        yield SocksProxy(f"socks5://127.0.0.1:{port}", log, process)
    finally:
        process.stop()
