"""A throwaway chain: a fresh Anvil with the development accounts, for benchmarks and one-off tools."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kura.chain.client import AccountSource, Chain, lean_web3
from kura.config import DEV_MNEMONIC
from kura.devnet.anvil import start_anvil
from kura.devnet.processes import LOOPBACK, free_port
from kura.devtools.contracts import build


@contextmanager
def scratch_chain(*, block_time: float | None = None) -> Iterator[Chain]:
    """Build the contracts if needed, start a private Anvil on a free port, and stop it on exit.

    Args:
        block_time: Seconds between blocks besides one per transaction; None (the default) mines only on
            transactions and ``anvil_mine``, for callers that drive the clock by hand.
    """
    build()
    with tempfile.TemporaryDirectory(prefix="kura-scratch-") as folder:
        port = free_port()
        anvil = start_anvil(port, Path(folder), block_time=block_time)
        url = f"http://{LOOPBACK}:{port}"
        try:
            yield Chain(lean_web3(url), AccountSource(mnemonic=DEV_MNEMONIC), rpc_url=url)
        finally:
            anvil.stop()
