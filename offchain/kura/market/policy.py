"""The de-identification policy: k, l, date precision, suppression limit and generalisation caps."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from kura.errors import DeidentificationError
from kura.market.hierarchy import Hierarchy, hierarchies
from kura.market.safe_harbor import DatePrecision


@dataclass(frozen=True)
class DeidPolicy:
    """How far de-identification must go and how far it may generalise.

    Attributes:
        k_anonymity: Every equivalence class must have at least this many rows.
        l_diversity: Every class must hold at least this many distinct diagnoses.
        date_precision: ``"year"`` (Safe Harbor) or ``"month"`` (needs an expert determination).
        max_suppression: The share of records that may be dropped to reach k and l, from 0 up to
            (not including) 1.
        max_levels: The most general level allowed per quasi-identifier, as ``(column, level)``
            pairs; columns not named may go up to ``*``. The default keeps age in at most 20-year
            bands and sex as recorded, the covariates nearly every clinical study needs: without
            caps the cheapest lattice node for a few thousand patients often drops age entirely.

    Raises:
        DeidentificationError: if a setting is out of range or names an unknown column or level.
    """

    k_anonymity: int = 5
    l_diversity: int = 2
    date_precision: DatePrecision = "year"
    max_suppression: float = 0.02
    max_levels: tuple[tuple[str, int], ...] = (("age", 3), ("sex", 0))

    def __post_init__(self) -> None:
        if self.k_anonymity < 1 or self.l_diversity < 1:
            raise DeidentificationError(f"k and l must be at least 1, got k={self.k_anonymity}, l={self.l_diversity}")
        if self.date_precision not in ("year", "month"):
            raise DeidentificationError(f"date precision must be 'year' or 'month', got {self.date_precision!r}")
        if not 0 <= self.max_suppression < 1:
            raise DeidentificationError(f"max_suppression is a share in [0, 1), got {self.max_suppression}")
        known = {h.column: h for h in self.hierarchies()}
        for column, level in self.max_levels:
            if column not in known:
                raise DeidentificationError(f"max_levels names {column!r}, not a quasi-identifier ({', '.join(known)})")
            if not 0 <= level <= known[column].top:
                raise DeidentificationError(f"{column} has levels 0 to {known[column].top}, not {level}")

    @property
    def safe_harbor(self) -> bool:
        """Whether output under this policy meets Safe Harbor (dates to the year only)."""
        return self.date_precision == "year"

    def hierarchies(self) -> tuple[Hierarchy, ...]:
        """The quasi-identifier hierarchies this policy's date precision gives."""
        return hierarchies(self.date_precision)

    def caps(self) -> tuple[int, ...]:
        """The most general level allowed for each quasi-identifier, in hierarchy order."""
        capped = dict(self.max_levels)
        return tuple(capped.get(h.column, h.top) for h in self.hierarchies())

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data."""
        data = asdict(self)
        data["max_levels"] = [list(pair) for pair in self.max_levels]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeidPolicy:
        """A policy from :meth:`to_dict` data.

        Raises:
            DeidentificationError: if a field is missing, unknown or out of range.
        """
        try:
            fields = dict(data)
            fields["max_levels"] = tuple((str(column), int(level)) for column, level in fields.get("max_levels", ()))
            return cls(**fields)
        except DeidentificationError:
            raise
        except (TypeError, ValueError) as error:
            raise DeidentificationError(f"malformed de-identification policy {data!r}: {error}") from error
