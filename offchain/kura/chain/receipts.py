"""Reading what a transaction emitted: the arguments of one event kind in a receipt."""

from __future__ import annotations

from typing import Any

from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.errors import ChainError


def emitted(contract: Contract, event: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    """The arguments of every ``event`` that ``contract`` emitted in ``receipt``, in log order."""
    return [dict(log.args) for log in getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)]


def first_emitted(contract: Contract, event: str, receipt: TxReceipt) -> dict[str, Any]:
    """The arguments of the first ``event`` that ``contract`` emitted in ``receipt``.

    Raises:
        ChainError: if the transaction emitted none (it did something other than expected).
    """
    found = emitted(contract, event, receipt)
    if not found:
        raise ChainError(f"transaction {receipt['transactionHash'].to_0x_hex()} emitted no {event} event")
    return found[0]
