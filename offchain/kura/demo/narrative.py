"""The demo's narrative on the terminal: who did what, one line each, with the gas and the time it took."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from kura.demo.ledger import Ledger, StepRecord
from kura.units import from_wei

Say = Callable[[str, str], None]
"""Tell the story: ``say(actor, what they did)``."""

_COLOURS = {"consortium": "magenta", "network": "cyan", "institute": "green", "patient": "yellow"}


def narrator(console: Console) -> Say:
    """A :data:`Say` that prints ``actor ▸ text`` lines (hospitals in blue, nodes in dim)."""

    def say(actor: str, text: str) -> None:
        colour = next((c for key, c in _COLOURS.items() if key in actor.lower()), "blue")
        console.print(f"[bold {colour}]{actor}[/] [dim]▸[/] {text}")

    return say


def silent(actor: str, text: str) -> None:
    """A :data:`Say` that prints nothing (``--json``)."""


def ether(wei: int, *, signed: bool = False) -> str:
    """``wei`` in ether to 4 decimals (with its sign if asked): balances after gas do not need 18."""
    text = f"{from_wei(abs(wei)):,.4f}"
    return (("-" if wei < 0 else "+") if signed else ("-" if wei < 0 else "")) + text


def done(record: StepRecord) -> str:
    """The gas and time of a finished step, as a short suffix."""
    gas = f"{record.gas:,} gas in {record.transactions} tx" if record.transactions else "no transaction"
    return f"[dim]({gas}, {record.seconds:.1f} s)[/]"


def summary(console: Console, ledger: Ledger, balances: dict[str, tuple[int, int]]) -> None:
    """The closing tables: gas per step, and every party's balance before and after."""
    steps = Table(title="Gas and time per step", show_lines=False)
    for column in ("step", "by", "tx", "gas", "seconds"):
        steps.add_column(column, justify="right" if column in {"tx", "gas", "seconds"} else "left")
    for record in ledger.steps:
        steps.add_row(record.title, record.actor, str(record.transactions), f"{record.gas:,}", f"{record.seconds:.1f}")
    console.print(steps)
    money = Table(title="Balances (ETH)")
    for column in ("party", "before", "after", "change"):
        money.add_column(column, justify="left" if column == "party" else "right")
    for party, (before, after) in balances.items():
        money.add_row(party, ether(before), ether(after), ether(after - before, signed=True))
    console.print(money)
