"""What the contract tests expect of a transaction: a revert with a given custom error, or the events it emitted."""

from __future__ import annotations

import pytest
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.errors import ContractRevertError


def reverts(name: str) -> pytest.RaisesExc:
    """A ``pytest.raises`` that passes only for a revert with the custom error ``name`` (any arguments)."""
    return pytest.raises(ContractRevertError, match=rf"^reverted with {name}\(")


def events(contract: Contract, name: str, receipt: TxReceipt) -> list[dict[str, object]]:
    """The arguments of every ``name`` event ``contract`` emitted in ``receipt``, in log order."""
    return [dict(e.args) for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)]
