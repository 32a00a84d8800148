"""``kura setup``: the parts of set-up that kura itself performs (called by ``make setup``)."""

from __future__ import annotations

from kura.cli._output import console


def _log(line: str) -> None:
    console.print(f"[cyan]\\[setup][/] {line}")


def setup() -> None:
    """Build Kubo if it is not cached yet, build the native Merkle kernel, compile changed contracts, and vendor the
    dashboard's htmx from node_modules."""
    from kura.devtools import native
    from kura.devtools.contracts import build
    from kura.devtools.frontend import vendor_htmx
    from kura.devtools.kubo_install import KUBO_VERSION, ensure_kubo

    binary = ensure_kubo(log=_log)
    _log(f"Kubo {KUBO_VERSION}: {binary}")
    _log(f"native Merkle kernel: {native.build(log=_log)}")
    result = build()
    state = "compiled" if result.compiled else "up to date"
    _log(f"contracts {state}: {', '.join(result.contracts)}")
    _log(f"dashboard assets: {vendor_htmx(log=_log)}")
