"""The input and output formats of the ``dp_cohort_aggregate`` task, defined once.

The byte layout is documented in the header of ``dp_cohort_aggregate.wat``; this module encodes and
decodes it (the builder in :mod:`kura.market.c2d` encodes, the reference in
:mod:`kura.compute.tasks.dp_cohort_reference` decodes). :func:`decode_input` accepts exactly the
inputs the module accepts: whatever it refuses with :class:`~kura.errors.ComputeToDataError`, the
module refuses with a trap.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from kura.compute.tasks.dp_noise import SEED_SIZE
from kura.errors import ComputeToDataError

FORMAT_VERSION = 1
"""The input format version the module reads (the header's first word)."""
OUTPUT_SCHEMA = 1
"""The output schema version the module writes (its ``"schema"`` key)."""
OUTPUT_CAP = 2**20
"""The module never returns more bytes than this (it traps instead); equal to the sandbox's default output limit."""

MEASURES = ("diastolic", "hba1c", "systolic")
"""The measurements, in the order of every per-measure field of the input and of the output's keys."""
MEASURE_UNITS = ("mmHg", "0.1 %", "mmHg")
"""The unit of each measurement's input value and clamping bounds."""
MEAN_FACTOR = (100, 10, 100)
"""Input unit to hundredths of the clinical unit: an output ``mean_x100`` is the mean times this."""
STATISTICS = ("count", "diastolic_n", "diastolic_sum", "hba1c_n", "hba1c_sum", "systolic_n", "systolic_sum")
"""The noisy statistics of a cell, in the order of the header's weights and of the noise draws."""
SEXES = ("female", "male", "other", "unknown")
"""Sex by its code (0 to 3), as FHIR's administrative gender."""
NO_CONDITION = "none"
"""The condition of the cell of patients with no recorded condition."""

MISSING = 0xFFFF
"""A measurement value that means "never measured"."""
MAX_VALUE = MISSING - 1
MAX_CONDITIONS = 8
"""Upper limit of the header's per-patient condition count L."""
MAX_DOMINANCE_N = 4
"""Upper limit of n in the (n, p) dominance rule."""
MAX_EPSILON_TERM = 2**20
"""Upper limit of the numerator and denominator of epsilon (keeps every scale below 2^49)."""

HEADER = struct.Struct("<I32sII7BBIHH6HI")
"""version, seed, eps_num, eps_den, weights[7], max_conditions, min_count, dominance_n, dominance_pct,
bounds[6] (low, high per measure), record_count."""
RECORD = struct.Struct("<BBBB3H")
"""age_min, age_max, sex, condition count, then one value per measure; the conditions follow."""
CONDITION_SIZE = 3

_CATEGORY = re.compile(r"[A-Z][0-9][0-9A-Z]")


def is_category(condition: str) -> bool:
    """Whether ``condition`` is an ICD-10 category as the module takes it: a letter, a digit, a digit or letter."""
    return _CATEGORY.fullmatch(condition) is not None


@dataclass(frozen=True)
class Bounds:
    """The public clamping range of one measurement, in its input unit.

    Attributes:
        low: Smallest value; lower values are raised to it.
        high: Largest value, above ``low`` and at most 65534; higher values are lowered to it.

    Raises:
        ComputeToDataError: if not ``0 <= low < high <= 65534``.
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        if not 0 <= self.low < self.high <= MAX_VALUE:
            raise ComputeToDataError(f"clamping bounds [{self.low}, {self.high}]: need 0 <= low < high <= {MAX_VALUE}")

    @property
    def center(self) -> int:
        """``c = low + floor((high - low) / 2)``: sums are of ``x - c``."""
        return self.low + (self.high - self.low) // 2

    @property
    def sensitivity(self) -> int:
        """``high - c = ceil((high - low) / 2)``: the most one clamped, centred value can move a sum."""
        return self.high - self.center


DEFAULT_BOUNDS = (Bounds(40, 130), Bounds(40, 150), Bounds(80, 220))
"""Diastolic 40-130 mmHg, HbA1c 4.0-15.0 %, systolic 80-220 mmHg."""
DEFAULT_WEIGHTS = (1, 1, 2, 1, 2, 1, 2)
"""Twice as much epsilon for each sum as for the count and each measured count."""


@dataclass(frozen=True)
class CohortParams:
    """The public parameters of one job (everything in the header but the seed and the record count).

    Attributes:
        epsilon: The job's total privacy loss, the amount the on-chain ledger debits.
        min_count: Cells, and measures within a cell, with fewer patients (true or noisy) are withheld.
        dominance_n: n of the (n, p) dominance rule.
        dominance_percent: p of the rule: a measure whose n largest contributions exceed p % of its
            total above the lower bound is withheld.
        weights: Share of the per-cell epsilon of each of :data:`STATISTICS`, as positive integers.
        bounds: The clamping bounds of each of :data:`MEASURES`.
        max_conditions: L, the most conditions (so cells) one patient may count in.

    Raises:
        ComputeToDataError: if a parameter is out of its range (the message names it).
    """

    epsilon: Fraction
    min_count: int = 11
    dominance_n: int = 1
    dominance_percent: int = 50
    weights: tuple[int, ...] = DEFAULT_WEIGHTS
    bounds: tuple[Bounds, ...] = DEFAULT_BOUNDS
    max_conditions: int = 4

    def __post_init__(self) -> None:
        epsilon = self.epsilon
        if not isinstance(epsilon, Fraction) or epsilon <= 0:
            raise ComputeToDataError(f"epsilon={epsilon!r}: give a positive fractions.Fraction (no floats)")
        if epsilon.numerator > MAX_EPSILON_TERM or epsilon.denominator > MAX_EPSILON_TERM:
            raise ComputeToDataError(
                f"epsilon={epsilon}: numerator and denominator must be at most {MAX_EPSILON_TERM} in lowest terms"
            )
        if not 1 <= self.min_count < 2**32:
            raise ComputeToDataError(f"min_count={self.min_count}: need 1 <= min_count < 2^32")
        if not 1 <= self.dominance_n <= MAX_DOMINANCE_N or not 1 <= self.dominance_percent <= 100:
            raise ComputeToDataError(
                f"dominance rule ({self.dominance_n}, {self.dominance_percent} %): need 1 <= n <= "
                f"{MAX_DOMINANCE_N} and 1 <= p <= 100"
            )
        if len(self.weights) != len(STATISTICS) or not all(1 <= w <= 255 for w in self.weights):
            raise ComputeToDataError(
                f"weights={self.weights}: need {len(STATISTICS)} integers from 1 to 255, for {', '.join(STATISTICS)}"
            )
        if len(self.bounds) != len(MEASURES) or not all(isinstance(b, Bounds) for b in self.bounds):
            raise ComputeToDataError(f"bounds: need one Bounds for each of {', '.join(MEASURES)}")
        if not 1 <= self.max_conditions <= MAX_CONDITIONS:
            raise ComputeToDataError(f"max_conditions={self.max_conditions}: need 1 to {MAX_CONDITIONS}")

    def sensitivity(self, statistic: int) -> int:
        """How much adding or removing one patient can move statistic ``statistic`` of one cell."""
        is_sum = statistic > 0 and statistic % 2 == 0
        return self.bounds[(statistic - 1) // 2].sensitivity if is_sum else 1

    def statistic_epsilon(self, statistic: int) -> Fraction:
        """The epsilon statistic ``statistic`` of a cell gets: ``epsilon * w_i / (L * sum(w))``."""
        return self.epsilon * self.weights[statistic] / (self.max_conditions * sum(self.weights))

    def scale(self, statistic: int) -> tuple[int, int]:
        """The discrete Laplace scale ``t/s = sensitivity / epsilon_i`` of statistic ``statistic``, as ``(t, s)``.

        ``t = sensitivity * L * sum(w) * eps_den`` and ``s = eps_num * w_i``: the module computes them the same way.
        """
        t = self.sensitivity(statistic) * self.max_conditions * sum(self.weights) * self.epsilon.denominator
        return t, self.epsilon.numerator * self.weights[statistic]


@dataclass(frozen=True)
class CohortRecord:
    """One patient as the module reads them.

    Attributes:
        age_min: Lower end of the age band, in years (0-255).
        age_max: Upper end, at least ``age_min`` (255 for an open band such as 90+).
        sex: One of :data:`SEXES`.
        conditions: Distinct ICD-10 categories in increasing order, at most ``MAX_CONDITIONS``; empty
            puts the patient in the ``"none"`` cell.
        diastolic: Latest diastolic pressure in mmHg, or None.
        hba1c: Latest HbA1c in tenths of a percent, or None.
        systolic: Latest systolic pressure in mmHg, or None.

    Raises:
        ComputeToDataError: if a field cannot be encoded.
    """

    age_min: int
    age_max: int
    sex: str
    conditions: tuple[str, ...] = ()
    diastolic: int | None = None
    hba1c: int | None = None
    systolic: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.age_min <= self.age_max <= 255:
            raise ComputeToDataError(f"age band {self.age_min}-{self.age_max}: need 0 <= min <= max <= 255")
        if self.sex not in SEXES:
            raise ComputeToDataError(f"sex {self.sex!r}: use one of {', '.join(SEXES)}")
        if len(self.conditions) > MAX_CONDITIONS or not all(map(is_category, self.conditions)):
            raise ComputeToDataError(
                f"conditions {self.conditions}: at most {MAX_CONDITIONS} ICD-10 categories such as E11"
            )
        if list(self.conditions) != sorted(set(self.conditions)):
            raise ComputeToDataError(f"conditions {self.conditions}: list each once, in increasing order")
        for name, value in zip(MEASURES, self.values, strict=True):
            if value is not None and not 0 <= value <= MAX_VALUE:
                raise ComputeToDataError(f"{name}={value}: a measurement is None or 0 to {MAX_VALUE}")

    @property
    def values(self) -> tuple[int | None, ...]:
        """The measurements in :data:`MEASURES` order."""
        return self.diastolic, self.hba1c, self.systolic

    def encode(self) -> bytes:
        """The record's bytes (layout in the module's header)."""
        values = (MISSING if value is None else value for value in self.values)
        fixed = RECORD.pack(self.age_min, self.age_max, SEXES.index(self.sex), len(self.conditions), *values)
        return fixed + "".join(self.conditions).encode("ascii")


@dataclass(frozen=True)
class CohortInput:
    """A decoded module input.

    Attributes:
        params: The job's public parameters.
        seed: The 32-byte noise seed.
        records: The patients, in input order.
    """

    params: CohortParams
    seed: bytes
    records: tuple[CohortRecord, ...]


def encode_input(params: CohortParams, seed: bytes, records: Iterable[CohortRecord]) -> bytes:
    """The module's input: the header, then the records sorted by their bytes (one canonical input per set).

    Raises:
        ComputeToDataError: if ``seed`` is not 32 bytes, or a record has more conditions than
            ``params.max_conditions``.
    """
    if len(seed) != SEED_SIZE:
        raise ComputeToDataError(f"a noise seed is {SEED_SIZE} bytes, got {len(seed)}")
    encoded = []
    for record in records:
        if len(record.conditions) > params.max_conditions:
            raise ComputeToDataError(
                f"a record lists {len(record.conditions)} conditions; this job allows {params.max_conditions}"
            )
        encoded.append(record.encode())
    encoded.sort()
    bounds = [value for b in params.bounds for value in (b.low, b.high)]
    header = HEADER.pack(
        FORMAT_VERSION,
        seed,
        params.epsilon.numerator,
        params.epsilon.denominator,
        *params.weights,
        params.max_conditions,
        params.min_count,
        params.dominance_n,
        params.dominance_percent,
        *bounds,
        len(encoded),
    )
    return header + b"".join(encoded)


def decode_input(data: bytes) -> CohortInput:
    """Read a module input, refusing everything the module traps on.

    Raises:
        ComputeToDataError: naming the first problem: short or over-long input, another version, a
            parameter out of range, epsilon not in lowest terms, or a malformed record.
    """
    if len(data) < HEADER.size:
        raise ComputeToDataError(f"input of {len(data)} bytes is shorter than the {HEADER.size}-byte header")
    version, seed, num, den, *rest = HEADER.unpack_from(data)
    weights, (max_conditions, min_count, dominance_n, dominance_pct), bounds, (count,) = (
        tuple(rest[:7]),
        rest[7:11],
        rest[11:17],
        rest[17:],
    )
    if version != FORMAT_VERSION:
        raise ComputeToDataError(f"input format version {version}; this module reads {FORMAT_VERSION}")
    if num == 0 or den == 0 or gcd(num, den) != 1:
        raise ComputeToDataError(f"epsilon {num}/{den} must be positive and in lowest terms")
    params = CohortParams(
        epsilon=Fraction(num, den),
        min_count=min_count,
        dominance_n=dominance_n,
        dominance_percent=dominance_pct,
        weights=weights,
        bounds=tuple(Bounds(bounds[i], bounds[i + 1]) for i in range(0, 6, 2)),
        max_conditions=max_conditions,
    )
    records: list[CohortRecord] = []
    offset = HEADER.size
    for _ in range(count):
        if offset + RECORD.size > len(data):
            raise ComputeToDataError(f"the input ends inside record {len(records) + 1} of {count}")
        age_min, age_max, sex, conditions, *values = RECORD.unpack_from(data, offset)
        offset += RECORD.size
        end = offset + CONDITION_SIZE * conditions
        if conditions > max_conditions or end > len(data):
            raise ComputeToDataError(
                f"record {len(records) + 1} lists {conditions} conditions (the job allows "
                f"{max_conditions}) or ends past the input"
            )
        if sex >= len(SEXES):
            raise ComputeToDataError(f"record {len(records) + 1} has sex code {sex}")
        codes = data[offset:end]
        offset = end
        try:
            text = codes.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ComputeToDataError(f"record {len(records) + 1} has a condition that is not ASCII") from exc
        records.append(
            CohortRecord(
                age_min,
                age_max,
                SEXES[sex],
                tuple(text[i : i + CONDITION_SIZE] for i in range(0, len(text), 3)),
                *(None if value == MISSING else value for value in values),
            )
        )
    if offset != len(data):
        raise ComputeToDataError(f"{len(data) - offset} bytes follow the {count} records")
    return CohortInput(params, seed, tuple(records))
