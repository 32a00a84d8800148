"""Vendoring the dashboard's front-end assets: htmx comes from npm (``package.json``) and is copied into the
package's static folder, so the dashboard serves it itself (no CDN) and a wheel built after set-up ships it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from kura.errors import SetupError
from kura.paths import project_root

HTMX_SOURCE = Path("node_modules") / "htmx.org" / "dist" / "htmx.min.js"
"""Where npm puts htmx, relative to the checkout."""


def vendored_htmx() -> Path:
    """Where the dashboard serves htmx from (``kura/dashboard/static/vendor/htmx.min.js``)."""
    return Path(__file__).resolve().parents[1] / "dashboard" / "static" / "vendor" / "htmx.min.js"


def vendor_htmx(log: Callable[[str], None] = print) -> Path:
    """Copy htmx from ``node_modules`` into the dashboard's static folder when it is missing or differs.

    Returns:
        The vendored file.

    Raises:
        SetupError: if npm has not installed htmx (run ``make setup``, which runs ``npm install`` first).
    """
    source = project_root() / HTMX_SOURCE
    if not source.is_file():
        raise SetupError(f"htmx is not installed ({source} is missing): run `make setup` (npm install)")
    target = vendored_htmx()
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    log(f"vendored htmx into {target}")
    return target
