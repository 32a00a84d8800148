"""Client side of ``PullPayments``: every kura contract that owes ETH credits it, and payees pull it."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.errors import ChainValueError


class PullPaymentsClient:
    """Mix-in for clients of contracts built on ``PullPayments`` (needs ``chain`` and ``contract``)."""

    chain: Chain
    contract: Contract

    def payments(self, payee: str) -> int:
        """Wei credited to ``payee`` and not yet withdrawn."""
        return int(self.chain.call(self.contract.functions.payments(payee)))

    def withdraw_payments(self, *, payee: LocalAccount) -> TxReceipt:
        """Send ``payee`` everything credited to it.

        Raises:
            ContractRevertError: ``NothingToWithdraw`` if nothing is credited.
        """
        return self.chain.transact(self.contract.functions.withdrawPayments(), sender=payee)


def reason_bytes(reason: str) -> bytes:
    """A short ASCII reason (``"AUDIT_TIMEOUT"``) as the ``bytes32`` the contracts record.

    Raises:
        ChainValueError: if it is not ASCII or longer than 32 bytes.
    """
    if not reason.isascii():
        raise ChainValueError(f"reason {reason!r} is not ASCII; on-chain reasons are short ASCII tags")
    raw = reason.encode("ascii")
    if len(raw) > 32:
        raise ChainValueError(f"reason {reason!r} is {len(raw)} bytes; a bytes32 reason holds at most 32")
    return raw.ljust(32, b"\0")


def reason_text(reason: bytes) -> str:
    """The text of a ``bytes32`` reason recorded on chain."""
    return bytes(reason).rstrip(b"\0").decode("ascii", errors="replace")
