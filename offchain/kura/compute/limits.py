"""Limits every compute task runs under (no dependencies, so the command line can show them cheaply)."""

from __future__ import annotations

DEFAULT_FUEL = 1_000_000_000
"""About one unit per executed instruction: roughly a second of work on one core."""
