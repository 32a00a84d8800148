"""How every ``kura`` command prints: rich text for people, ``--json`` for scripts.

With ``--json`` stdout carries exactly one JSON document; warnings, progress and logs go to stderr.
Output that is not a terminal (a pipe, a log file) is never wrapped: one log line stays one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape

from kura.results import jsonable

console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
err_console = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())


def emit(data: Any, *, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON when asked, else ``text`` (or a readable form of ``data``)."""
    if as_json:
        sys.stdout.write(json.dumps(jsonable(data), indent=2, sort_keys=True) + "\n")
    elif text is not None:
        console.print(text)
    else:
        console.print(data)


def progress(as_json: bool) -> Callable[[str], None]:
    """A sink for progress lines: printed for people, dropped with ``--json`` (stdout stays one document)."""
    if as_json:
        return lambda _: None
    return lambda line: console.print(f"[dim]…[/] {escape(line)}")


def log_line(prefix: str) -> Callable[[str], None]:
    """A log sink printing ``prefix line`` on stderr, one line per call."""
    return lambda line: err_console.print(f"[dim]{escape(prefix)}[/] {escape(line)}")


def warn(message: str) -> None:
    """Print one ``warning:`` line on stderr."""
    err_console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Print one ``error:`` line on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)
