"""How every ``kura`` command prints: rich text for people, ``--json`` for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def emit(data: Any, *, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON when asked, else ``text`` (or a readable form of ``data``)."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    elif text is not None:
        console.print(text)
    else:
        console.print(data)


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Print one ``error:`` line on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)
