"""Options and inputs shared by the commands that read an institution's FHIR records."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import typer

from kura.errors import ConfigError

RECORDS = typer.Argument(
    ...,
    exists=True,
    dir_okay=False,
    readable=True,
    help="The institution's FHIR R4 records: a Bundle (JSON) or NDJSON, one resource per line.",
)
AS_OF = typer.Option(
    None, "--as-of", help="Extraction day, YYYY-MM-DD (ages and consent periods are evaluated for it; default: today)."
)
PURPOSE = typer.Option(
    "HRESCH", "--purpose", help="PurposeOfUse code the data is for (v3 PurposeOfUse, e.g. HRESCH for health research)."
)
SALT_FILE = typer.Option(
    None,
    "--salt-file",
    exists=True,
    dir_okay=False,
    readable=True,
    help="File holding the institution's secret pseudonym salt (default: the hex in KURA_PSEUDONYM_SALT).",
)


def records(path: Path) -> list[Mapping[str, Any]]:
    """The FHIR resources in ``path``.

    Raises:
        FhirError: if it holds neither a Bundle nor NDJSON.
    """
    from kura.market._fhir import parse_records

    return parse_records(path.read_text())


def as_of(text: str | None) -> date:
    """The extraction day from ``--as-of`` (today without it).

    Raises:
        ConfigError: if it is not YYYY-MM-DD.
    """
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--as-of {text!r} is not a day (write YYYY-MM-DD)") from None


def salt(path: Path | None) -> bytes:
    """The institution's pseudonym salt, from ``--salt-file`` or ``KURA_PSEUDONYM_SALT`` (hex).

    Raises:
        ConfigError: if neither gives one.
    """
    if path is not None:
        return path.read_bytes()
    value = os.environ.get("KURA_PSEUDONYM_SALT", "")
    try:
        return bytes.fromhex(value.removeprefix("0x")) if value else b""
    except ValueError:
        raise ConfigError("KURA_PSEUDONYM_SALT is not hex") from None
