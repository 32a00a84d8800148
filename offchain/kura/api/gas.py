"""The gas an operation spent: every transaction sent from this thread while a measurement is open.

Operations of the API return what they did, not the transactions they needed to do it (a listing commits a
consent snapshot, registers a file and lists it). :func:`metered` counts them all, whatever the operation::

    with metered(kura.chain) as meter:
        kura.market.buy(3)
    print(meter.used().gas)

It watches the connection's ``eth_sendRawTransaction`` answers, per thread, so transactions another thread
sends through the same connection are not counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_typing import HexStr
from web3 import Web3
from web3.middleware import Web3Middleware
from web3.types import RPCEndpoint, RPCResponse

from kura.chain.client import Chain
from kura.results import Result

_SEND = RPCEndpoint("eth_sendRawTransaction")
_MIDDLEWARE = "kura_gas_meter"
_open = threading.local()
_installing = threading.Lock()


@dataclass(frozen=True)
class GasUsed(Result):
    """What an operation's transactions cost.

    Attributes:
        transactions: Hashes of the transactions sent, in order (``0x`` hex).
        gas: Gas they used together.
        fee: Wei they paid together (gas used times each one's effective gas price).
    """

    transactions: tuple[str, ...]
    gas: int
    fee: int


@dataclass
class Meter:
    """The transactions sent while one measurement is open; :meth:`used` reads their receipts."""

    chain: Chain
    hashes: list[str] = field(default_factory=list)

    def used(self) -> GasUsed:
        """Gas and fees of the transactions sent so far (one receipt read each).

        Raises:
            ChainError: if a receipt cannot be read.
        """
        receipts = [self.chain.w3.eth.get_transaction_receipt(HexStr(tx)) for tx in self.hashes]
        return GasUsed(
            tuple(self.hashes),
            sum(int(r["gasUsed"]) for r in receipts),
            sum(int(r["gasUsed"]) * int(r["effectiveGasPrice"]) for r in receipts),
        )


class _SentTransactions(Web3Middleware):
    """Hands the hash of each transaction this thread sends to the measurements open in this thread."""

    def response_processor(self, method: RPCEndpoint, response: RPCResponse) -> RPCResponse:
        if method == _SEND and response.get("result"):
            for meter in getattr(_open, "meters", ()):
                meter.hashes.append(_hex(response["result"]))
        return response


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else Web3.to_hex(value)


@contextmanager
def metered(chain: Chain) -> Iterator[Meter]:
    """Count the transactions this thread sends through ``chain`` inside the block (measurements may nest).

    Yields:
        The meter; call :meth:`Meter.used` once the block is done.
    """
    onion = chain.w3.middleware_onion
    with _installing:
        if _MIDDLEWARE not in onion:
            onion.add(_SentTransactions, name=_MIDDLEWARE)
    meter = Meter(chain)
    meters: list[Meter] = getattr(_open, "meters", [])
    _open.meters = [*meters, meter]
    try:
        yield meter
    finally:
        _open.meters = meters
