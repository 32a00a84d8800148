"""Live updates from chain events: a revision number that moves when a kura contract emits an event.

Each open page polls ``/live`` with the revision it was drawn at (htmx, every two seconds). While nothing
happened the answer is an empty ``204`` (htmx leaves the page alone); once a kura contract has emitted an
event the answer carries the new revision and an ``HX-Trigger: chain`` header, and every panel of the page
reloads itself. Blocks without kura events (a devnet that mines every second, other contracts' traffic) change
nothing.

Why polling rather than server-sent events: a poll is one short request that works through any proxy and
needs no htmx extension or open connection per tab (which a server has to drain on shutdown), the answer is
usually an empty ``204``, and however many tabs poll, the chain is asked at most once per
:data:`MIN_INTERVAL` (one ``eth_blockNumber``, plus one ``eth_getLogs`` over the new blocks).
"""

from __future__ import annotations

import threading
import time

from eth_typing import ChecksumAddress
from web3 import Web3

from kura.chain.client import Chain
from kura.chain.deployments import Deployment

MIN_INTERVAL = 0.5
"""Seconds during which a revision, once read, is answered from memory."""


class ChainWatch:
    """The revision of the kura contracts' state as this dashboard has seen it.

    Args:
        chain: The chain connection.
        deployment: The kura contracts whose events count.
    """

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self._chain = chain
        self._addresses: list[ChecksumAddress] = [
            Web3.to_checksum_address(contract.address) for contract in deployment.contracts.values()
        ]
        self._cursor = int(chain.w3.eth.block_number)
        self._revision = self._cursor
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def revision(self) -> int:
        """The block of the latest kura event seen (the block the dashboard started at, before any).

        Raises:
            ChainError, OSError: if the node cannot be asked.
        """
        with self._lock:
            if time.monotonic() - self._checked < MIN_INTERVAL:
                return self._revision
            latest = int(self._chain.w3.eth.block_number)
            if latest > self._cursor:
                logs = self._chain.w3.eth.get_logs(
                    {"address": self._addresses, "fromBlock": self._cursor + 1, "toBlock": latest}
                )
                if logs:
                    self._revision = max(int(log["blockNumber"]) for log in logs)
                self._cursor = latest
            self._checked = time.monotonic()
            return self._revision
