"""``kura setup``: the parts of set-up that kura itself performs (called by ``make setup``)."""

from __future__ import annotations

from kura.chain.build import build
from kura.cli._output import console
from kura.crypto import merkle_native
from kura.devnet.kubo_install import KUBO_VERSION, ensure_kubo


def _log(line: str) -> None:
    console.print(f"[cyan]\\[setup][/] {line}")


def setup() -> None:
    """Build Kubo if it is not cached yet, build the native Merkle kernel, and compile changed contracts."""
    binary = ensure_kubo(log=_log)
    _log(f"Kubo {KUBO_VERSION}: {binary}")
    _log(f"native Merkle kernel: {merkle_native.build(log=_log)}")
    result = build()
    state = "compiled" if result.compiled else "up to date"
    _log(f"contracts {state}: {', '.join(result.contracts)}")
