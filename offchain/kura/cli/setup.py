"""``kura setup``: the parts of set-up that kura itself performs (called by ``make setup``)."""

from __future__ import annotations

from kura.chain.build import build
from kura.cli._output import console
from kura.devnet.kubo_install import KUBO_VERSION, ensure_kubo


def setup() -> None:
    """Build Kubo if it is not cached yet, and compile the contracts if a source changed."""
    binary = ensure_kubo(log=lambda line: console.print(f"[cyan]\\[setup][/] {line}"))
    console.print(f"[cyan]\\[setup][/] Kubo {KUBO_VERSION}: {binary}")
    result = build()
    state = "compiled" if result.compiled else "up to date"
    console.print(f"[cyan]\\[setup][/] contracts {state}: {', '.join(result.contracts)}")
