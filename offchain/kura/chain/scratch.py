"""A throwaway chain: a fresh Anvil with the development accounts, for benchmarks and one-off tools."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kura.chain.build import build
from kura.chain.client import AccountSource, Chain, lean_web3
from kura.devnet.anvil import DEV_MNEMONIC, start_anvil
from kura.devnet.processes import LOOPBACK, free_port


@contextmanager
def scratch_chain() -> Iterator[Chain]:
    """Build the contracts if needed, start a private Anvil on a free port, and stop it on exit."""
    build()
    with tempfile.TemporaryDirectory(prefix="kura-scratch-") as folder:
        port = free_port()
        anvil = start_anvil(port, Path(folder))
        url = f"http://{LOOPBACK}:{port}"
        try:
            yield Chain(lean_web3(url), AccountSource(mnemonic=DEV_MNEMONIC), rpc_url=url)
        finally:
            anvil.stop()
