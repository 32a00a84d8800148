"""Generalisation hierarchies of the quasi-identifiers: age, sex, ZIP-3 and the date of diagnosis.

Each hierarchy maps a Safe Harbor value (level 0) to coarser values, up to
``*`` (suppressed) at its top level. Every level is a coarsening of the one
below it (two values equal at level ``h`` stay equal at ``h + 1``), so the
levels form a lattice in which generalising never splits an equivalence class:

======================  ===========================================================
age                     years (``"47"``, ``"90+"``) → 5-year bands (``"45-49"``) →
                        10-year bands (``"40-49"``) → 20-year bands (``"40-59"``,
                        ``"80+"``) → ``*``
sex                     as recorded → ``*``
zip3                    ZIP-3 (``"031"``, ``"000"``) → ZIP region, the first digit
                        (``"0**"``; ``"000"`` stays ``"000"``) → ``*``
diagnosis_date          [month (``"2021-03"``) →] year (``"2021"``) → 5 years
                        (``"2020-2024"``) → decade (``"2020-2029"``) → ``*``
======================  ===========================================================

A missing value (``""``) stays missing up to the top level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kura.errors import DeidentificationError
from kura.market.safe_harbor import OLDEST_BAND, RESTRICTED_ZIP, UNKNOWN, DatePrecision

SUPPRESSED = "*"


@dataclass(frozen=True)
class Hierarchy:
    """The generalisation levels of one quasi-identifier column.

    Attributes:
        column: The column it generalises.
        levels: A name for each level, level 0 (the Safe Harbor value) first, ``"suppressed"`` last.
    """

    column: str
    levels: tuple[str, ...]
    rule: Callable[[str, int], str]

    @property
    def top(self) -> int:
        """The most general level, where every value is ``*``."""
        return len(self.levels) - 1

    def generalise(self, value: str, level: int) -> str:
        """``value`` (a level-0 value) at ``level``.

        Raises:
            DeidentificationError: if ``level`` is not one of this hierarchy's levels.
        """
        if not 0 <= level <= self.top:
            raise DeidentificationError(f"{self.column} has levels 0 to {self.top}, not {level}")
        if level == self.top:
            return SUPPRESSED
        return value if level == 0 or value == UNKNOWN else self.rule(value, level)


def _band(low: int, width: int) -> str:
    return f"{low}-{low + width - 1}"


def _age(value: str, level: int) -> str:
    width = (5, 10, 20)[level - 1]
    if value == OLDEST_BAND:
        return "80+" if width == 20 else OLDEST_BAND
    low = int(value) // width * width
    return "80+" if width == 20 and low >= 80 else _band(low, width)


def _as_recorded(value: str, level: int) -> str:
    """The rule of a hierarchy with no level between the value and ``*``."""
    return value


def _zip3(value: str, level: int) -> str:
    return value if value == RESTRICTED_ZIP else value[0] + "**"


def _year(year: int, level: int) -> str:
    """Year generalised ``level`` steps: 0 the year, 1 its 5-year span, 2 its decade."""
    if level == 0:
        return str(year)
    width = 5 if level == 1 else 10
    return _band(year // width * width, width)


def _date(precision: DatePrecision) -> Callable[[str, int], str]:
    shift = 1 if precision == "month" else 0

    def rule(value: str, level: int) -> str:
        return _year(int(value[:4]), level - shift)

    return rule


def hierarchies(precision: DatePrecision) -> tuple[Hierarchy, ...]:
    """The hierarchies of the quasi-identifier columns, in column order."""
    date_levels = ("year", "5 years", "decade", "suppressed")
    return (
        Hierarchy("age", ("years", "5-year bands", "10-year bands", "20-year bands", "suppressed"), _age),
        Hierarchy("sex", ("as recorded", "suppressed"), _as_recorded),
        Hierarchy("zip3", ("ZIP-3", "ZIP region", "suppressed"), _zip3),
        Hierarchy("diagnosis_date", (("month",) if precision == "month" else ()) + date_levels, _date(precision)),
    )
