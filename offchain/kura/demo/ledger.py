"""What the demo measured: one entry per step (who, what, gas from the chain's receipts, seconds), and facts."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kura.chain.client import Chain


@dataclass
class StepRecord:
    """One step of the story.

    Attributes:
        title: What happened.
        actor: Who did it.
        gas: Gas of every transaction the actors sent during the step (read from the receipts).
        transactions: How many transactions that was.
        seconds: Wall-clock seconds the step took.
    """

    title: str
    actor: str
    gas: int = 0
    transactions: int = 0
    seconds: float = 0.0


@dataclass
class Ledger:
    """The steps, in order, and the facts the report shows (all read from the chain or the files)."""

    chain: Chain
    steps: list[StepRecord] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def step(self, title: str, actor: str, senders: Sequence[str]) -> Iterator[StepRecord]:
        """Time a step and add up the gas of the transactions ``senders`` sent while it ran."""
        record = StepRecord(title, actor)
        first = self.chain.w3.eth.block_number + 1
        started = time.monotonic()
        yield record
        record.seconds = round(time.monotonic() - started, 2)
        record.gas, record.transactions = self.gas_between(first, self.chain.w3.eth.block_number, senders)
        self.steps.append(record)

    def gas_between(self, first: int, last: int, senders: Sequence[str]) -> tuple[int, int]:
        """Gas used and transactions sent by ``senders`` in blocks ``first`` to ``last``."""
        wanted = {s.lower() for s in senders}
        gas = count = 0
        eth = self.chain.w3.eth
        for number in range(first, last + 1):
            for tx in eth.get_block(number, full_transactions=True)["transactions"]:
                sent: dict[str, Any] = dict(tx)  # type: ignore[arg-type]  # full transactions, not hashes
                if str(sent["from"]).lower() in wanted:
                    gas += int(eth.get_transaction_receipt(sent["hash"])["gasUsed"])
                    count += 1
        return gas, count
