"""How figures read on the pages: ether, ε, fractions, times, durations and hashes (Jinja filters).

Amounts go through :mod:`kura.units` (exact decimals, never floats); only the text is made here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from kura.chain.consent_registry import purpose_id
from kura.units import EPSILON_ONE, format_units, from_wad, plain


def ether(wei: int) -> str:
    """``wei`` as ether: ``0.5 ETH``."""
    return f"{format_units(wei)} ETH"


def epsilon(fixed: int) -> str:
    """An ε in the market's fixed point (``EPSILON_ONE``) as a decimal: ``0.5``."""
    return plain(Decimal(fixed) / EPSILON_ONE)


def fraction(wad: int) -> str:
    """A WAD fraction (10^18 = 1) as a decimal: ``0.99``."""
    return plain(from_wad(wad))


def when(timestamp: int) -> str:
    """A chain timestamp in UTC: ``2025-01-01 12:00:05 UTC`` (``—`` for 0, no time)."""
    if not timestamp:
        return "—"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(timestamp: int) -> str:
    """A chain timestamp as an HTML ``datetime`` value: ``2025-01-01T12:00:05Z``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(timestamp: float) -> str:
    """A chain timestamp as a short date and time for chart axes: ``01-31 12:00``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%m-%d %H:%M")


def duration(seconds: int) -> str:
    """``seconds`` in words, in its largest unit and the next one down if not zero: ``2 d 3 h``, ``4 min 10 s``,
    ``3 d``, ``0 s`` (never more than the time there is: the rest is cut, not rounded)."""
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    rest = max(0, seconds)
    first = next(i for i, (_, size) in enumerate(units) if rest >= size or size == 1)
    name, size = units[first]
    parts = [f"{rest // size} {name}"]
    if first + 1 < len(units):
        below, below_size = units[first + 1]
        if (rest % size) // below_size:
            parts.append(f"{(rest % size) // below_size} {below}")
    return " ".join(parts)


def short(value: bytes | str, keep: int = 6) -> str:
    """A hash or address shortened for a table: ``0x1234ab…cdef01`` (the full value goes in a title)."""
    text = "0x" + value.hex() if isinstance(value, bytes) else value
    return text if len(text) <= 2 * keep + 3 else f"{text[: keep + 2]}…{text[-keep:]}"


def hexed(value: bytes) -> str:
    """Bytes as ``0x`` hex."""
    return "0x" + value.hex()


def purpose_names(codes: Iterable[str]) -> dict[bytes, str]:
    """The on-chain ids of purpose-of-use ``codes``, so pages can name a purpose by its code."""
    return {purpose_id(code): code for code in codes}
