"""The chain's time: deadlines on chain are block timestamps, so "how long is left" is measured against the
latest block, not the local clock (a devnet's clock may be moved on, a remote node's may differ)."""

from __future__ import annotations

import threading

from kura.chain.client import Chain


class ChainClock:
    """The latest block's time, and the times of mined blocks (remembered: a mined block's time never changes).

    Args:
        chain: The chain connection.
    """

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self._times: dict[int, int] = {}
        self._lock = threading.Lock()

    def now(self) -> int:
        """The latest block's timestamp, in seconds."""
        return int(self._chain.w3.eth.get_block("latest")["timestamp"])

    def time_of(self, block: int) -> int:
        """The timestamp of mined block ``block``, in seconds.

        Raises:
            ChainError, web3's BlockNotFound: if the block is not mined.
        """
        with self._lock:
            known = self._times.get(block)
        if known is None:
            known = int(self._chain.w3.eth.get_block(block)["timestamp"])
            with self._lock:
                self._times[block] = known
        return known
