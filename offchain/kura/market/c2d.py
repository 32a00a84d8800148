"""Compute-to-data with the ``dp_cohort_aggregate`` module: its noise seed, its input, and the buyer's check.

Pure code, three steps of one job:

1. :func:`noise_seed`: the compute nodes derive the module's noise seed from the dataset key they
   hold and the job's id. The buyer never holds the dataset key, so cannot know the seed or
   subtract the noise; every node derives the same seed, so auditors reproduce the output bit for bit.
2. :func:`build_input`: from the de-identified rows (plus each patient's pseudonym) and the set of
   consenting pseudonyms, the module's input bytes, the same on every node: records are sorted.
3. :func:`check_output`: the buyer's client checks what it received: canonical JSON in the
   published schema, within the byte cap, no count under the minimum, means inside the bounds.

A row is a mapping with the de-identified table's columns (``age``, ``sex``, ``diagnosis``,
``hba1c_pct``, ``systolic_mmhg``, ``diastolic_mmhg``, as :mod:`kura.market.deid` writes them) and
``pseudonym``, the patient's pseudonym the consent filter is checked against.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from eth_utils import to_canonical_address

from kura.chain.address import checksum
from kura.compute.tasks.dp_cohort_format import (
    MAX_VALUE,
    MEAN_FACTOR,
    MEASURES,
    NO_CONDITION,
    OUTPUT_CAP,
    OUTPUT_SCHEMA,
    SEXES,
    CohortParams,
    CohortRecord,
    encode_input,
    is_category,
)
from kura.compute.tasks.reference import canonical_json
from kura.errors import ComputeToDataError

TASK = "dp_cohort_aggregate"
"""The shipped task (:data:`kura.compute.tasks.TASKS`) these functions feed and check."""
DATASET_KEY_SIZE = 32
"""Bytes of a dataset key."""
OPEN_AGE = 90
"""Safe Harbor's top age band starts here; the open band of any banding contains it."""
OPEN_END = 255
"""``age_max`` of an open-ended band (``90+``) and of an unknown age."""
ROW_FIELDS = ("pseudonym", "age", "sex", "diagnosis", "hba1c_pct", "systolic_mmhg", "diastolic_mmhg")
"""The columns a row must have."""

_NOISE_DOMAIN = b"kura/c2d/noise-seed/v1"
_UNKNOWN = frozenset({"", "*"})
_AGE = re.compile(r"(\d{1,3})(?:-(\d{1,3})|(\+))?")
_MEASURE_COLUMNS = {"diastolic": "diastolic_mmhg", "hba1c": "hba1c_pct", "systolic": "systolic_mmhg"}
_MEASURE_SCALE = {"diastolic": 1, "hba1c": 10, "systolic": 1}


def noise_seed(dataset_key: bytes, job_id: int, *, market: str) -> bytes:
    """The 32-byte noise seed of one job: HMAC-SHA256 under the dataset key of a domain tag, the market and the job id.

    The market's address binds the seed to one deployment, so job 1 of another market over the
    same dataset does not reuse the noise. Running the same job again gives the same seed, hence
    the same output: a re-run (after a slashed node, say) reveals nothing new.

    Args:
        dataset_key: The dataset's 32-byte key, which the compute nodes receive sealed to them.
        job_id: The job's number in that market (a ``uint256``).
        market: The address of the contract that numbers the jobs.

    Returns:
        The seed for the module's header.

    Raises:
        ComputeToDataError: if the key is not 32 bytes or the job id is not a ``uint256``.
        AddressError: if ``market`` is not an address.
    """
    if len(dataset_key) != DATASET_KEY_SIZE:
        raise ComputeToDataError(f"a dataset key is {DATASET_KEY_SIZE} bytes, got {len(dataset_key)}")
    if not 0 <= job_id < 2**256:
        raise ComputeToDataError(f"job id {job_id} is not a uint256")
    message = _NOISE_DOMAIN + to_canonical_address(checksum(market)) + job_id.to_bytes(32, "big")
    return hmac.new(dataset_key, message, hashlib.sha256).digest()


@dataclass(frozen=True)
class CohortQuery:
    """What a buyer asks of ``dp_cohort_aggregate``: the module's parameters and how rows become records.

    Attributes:
        params: The module's public parameters (epsilon, minimum count, dominance rule, bounds, ...).
        age_band_years: Width of the age bands; ages at or above the band holding 90 form one open band.
        conditions: The ICD-10 categories to report (``"none"`` for patients with no condition), or
            None for all. A patient counts in at most ``params.max_conditions`` of them: the first in
            sorted order.

    Raises:
        ComputeToDataError: if the band width is not 1 to 90 or a condition is neither a category nor ``"none"``.
    """

    params: CohortParams
    age_band_years: int = 10
    conditions: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.age_band_years <= OPEN_AGE:
            raise ComputeToDataError(f"age_band_years={self.age_band_years}: use 1 to {OPEN_AGE}")
        odd = sorted(c for c in self.conditions or () if c != NO_CONDITION and not is_category(c))
        if odd:
            raise ComputeToDataError(f"conditions {odd}: use ICD-10 categories such as E11, or {NO_CONDITION!r}")


def age_band(value: str, width: int) -> tuple[int, int]:
    """The band ``(age_min, age_max)`` of a de-identified age, at ``width`` years where the value allows.

    ``"47"`` → (40, 49) at width 10; a band coarser than ``width`` (``"40-59"``) is kept; every age from
    ``90 // width * width`` up is the open band ending at 255 (``"90+"`` → (90, 255)); an unknown or
    suppressed age (``""``, ``"*"``) is (0, 255).

    Raises:
        ComputeToDataError: if ``value`` is not an age, a band ``a-b`` or ``a+``.
    """
    if value in _UNKNOWN:
        return 0, OPEN_END
    match = _AGE.fullmatch(value)
    if match is None or not int(match[1]) <= int(match[2] or match[1]) <= OPEN_END:
        raise ComputeToDataError(f"age {value!r}: expected years (47), a band (45-49) or an open band (90+)")
    low = int(match[1])
    high = OPEN_END if match[3] else int(match[2] or low)
    open_from = OPEN_AGE // width * width
    if low >= open_from:
        return open_from, OPEN_END
    if high != OPEN_END and low // width == high // width:
        return low // width * width, low // width * width + width - 1
    return low, high


def _sex(value: str) -> str:
    if value in _UNKNOWN:
        return "unknown"
    if value not in SEXES:
        raise ComputeToDataError(f"sex {value!r}: expected one of {', '.join(SEXES)}")
    return value


def _categories(value: str) -> tuple[str, ...]:
    if value == NO_CONDITION:
        return ()
    categories = tuple(sorted(set(value.split("+"))))
    if not all(map(is_category, categories)):
        raise ComputeToDataError(
            f"diagnosis {value!r}: expected {NO_CONDITION!r} or ICD-10 categories joined by +, like E11+I10"
        )
    return categories


def _measurement(value: str, scale: int, column: str) -> int | None:
    """A decimal measurement in the module's unit (``scale`` per clinical unit), rounded half up; None if empty."""
    if value == "":
        return None
    try:
        number = (Decimal(value) * scale).to_integral_value(rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ComputeToDataError(f"{column}={value!r} is not a decimal number") from exc
    if not number.is_finite() or not 0 <= number <= MAX_VALUE:
        raise ComputeToDataError(f"{column}={value!r} is outside 0 to {MAX_VALUE} in the module's unit")
    return int(number)


def _require_columns(row: Mapping[str, str]) -> None:
    missing = [name for name in ROW_FIELDS if name not in row]
    if missing:
        raise ComputeToDataError(f"row lacks the column(s) {', '.join(missing)}; a row needs {', '.join(ROW_FIELDS)}")


def cohort_record(row: Mapping[str, str], query: CohortQuery) -> CohortRecord | None:
    """One de-identified row as the module's record, or None if none of its conditions is asked for.

    Raises:
        ComputeToDataError: if a column is missing or a value cannot be read (the message names it).
    """
    _require_columns(row)
    categories = _categories(row["diagnosis"])
    wanted = query.conditions
    if not categories:
        if wanted is not None and NO_CONDITION not in wanted:
            return None
    else:
        categories = tuple(c for c in categories if wanted is None or c in wanted)[: query.params.max_conditions]
        if not categories:
            return None
    age_min, age_max = age_band(row["age"], query.age_band_years)
    values = {
        name: _measurement(row[_MEASURE_COLUMNS[name]], _MEASURE_SCALE[name], _MEASURE_COLUMNS[name])
        for name in MEASURES
    }
    return CohortRecord(age_min, age_max, _sex(row["sex"]), categories, **values)


def build_input(
    rows: Iterable[Mapping[str, str]], query: CohortQuery, seed: bytes, consented: Collection[str]
) -> bytes:
    """The module's input: one record per consenting patient with an asked-for condition, sorted.

    Args:
        rows: De-identified rows, each with the patient's ``pseudonym``.
        query: The buyer's query.
        seed: The job's noise seed (:func:`noise_seed`).
        consented: The pseudonyms whose consent covers this use; other rows are left out.

    Returns:
        The input bytes; every node building from the same rows gets the same bytes, whatever their order.

    Raises:
        ComputeToDataError: if a row is malformed, a consenting pseudonym appears twice (one patient must
            be one record for the privacy guarantee), or the seed is not 32 bytes.
    """
    records = []
    seen: set[str] = set()
    for row in rows:
        _require_columns(row)
        pseudonym = row["pseudonym"]
        if pseudonym not in consented:
            continue
        if pseudonym in seen:
            raise ComputeToDataError(f"pseudonym {pseudonym!r} has two rows; one patient must be one record")
        seen.add(pseudonym)
        record = cohort_record(row, query)
        if record is not None:
            records.append(record)
    return encode_input(query.params, seed, records)


@dataclass(frozen=True)
class MeasureResult:
    """A released measure of a cell.

    Attributes:
        mean_x100: The noisy mean in hundredths of the clinical unit (% for HbA1c, mmHg for pressures).
        n: The noisy number of measured patients.
    """

    mean_x100: int
    n: int


@dataclass(frozen=True)
class CohortCell:
    """A released cell: noisy count and the released measures (None where withheld)."""

    age_min: int
    age_max: int
    sex: str
    condition: str
    count: int
    diastolic: MeasureResult | None
    hba1c: MeasureResult | None
    systolic: MeasureResult | None


@dataclass(frozen=True)
class CohortResult:
    """A checked output of ``dp_cohort_aggregate``.

    Attributes:
        cells: The released cells, in the module's order.
        epsilon: The privacy loss the job spent.
        min_count: The minimum count applied.
        suppressed_cells: Cells withheld (true or noisy count under the minimum).
        suppressed_measures: Measures withheld within released cells.
    """

    cells: tuple[CohortCell, ...]
    epsilon: Fraction
    min_count: int
    suppressed_cells: int
    suppressed_measures: int


_TOP_KEYS = {"cells", "epsilon_den", "epsilon_num", "min_count", "schema", "suppressed_cells", "suppressed_measures"}
_CELL_KEYS = {"age_max", "age_min", "condition", "count", "sex", *MEASURES}


def _integer(value: Any, what: str, low: int, high: int | None = None) -> int:
    if type(value) is not int or value < low or (high is not None and value > high):
        span = f"from {low}" + ("" if high is None else f" to {high}")
        raise ComputeToDataError(f"{what} is {value!r}; the schema wants an integer {span}")
    return value


def _keys(value: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        found = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ComputeToDataError(f"{what} has {found}; the schema wants exactly {sorted(keys)}")
    return value


def _measure(value: Any, m: int, params: CohortParams, where: str) -> MeasureResult | None:
    if value is None:
        return None
    fields = _keys(value, {"mean_x100", "n"}, f"{where}.{MEASURES[m]}")
    bounds, factor = params.bounds[m], MEAN_FACTOR[m]
    return MeasureResult(
        _integer(fields["mean_x100"], f"{where}.{MEASURES[m]}.mean_x100", factor * bounds.low, factor * bounds.high),
        _integer(fields["n"], f"{where}.{MEASURES[m]}.n (the minimum count is {params.min_count})", params.min_count),
    )


def _cell(value: Any, index: int, params: CohortParams) -> CohortCell:
    where = f"cells[{index}]"
    fields = _keys(value, _CELL_KEYS, where)
    age_min = _integer(fields["age_min"], f"{where}.age_min", 0, OPEN_END)
    age_max = _integer(fields["age_max"], f"{where}.age_max", age_min, OPEN_END)
    sex, condition = fields["sex"], fields["condition"]
    if sex not in SEXES:
        raise ComputeToDataError(f"{where}.sex is {sex!r}; the schema wants one of {', '.join(SEXES)}")
    if condition != NO_CONDITION and not (isinstance(condition, str) and is_category(condition)):
        raise ComputeToDataError(f"{where}.condition is {condition!r}; the schema wants a category or {NO_CONDITION!r}")
    count = _integer(fields["count"], f"{where}.count (the minimum count is {params.min_count})", params.min_count)
    diastolic, hba1c, systolic = (_measure(fields[name], m, params, where) for m, name in enumerate(MEASURES))
    return CohortCell(age_min, age_max, sex, condition, count, diastolic, hba1c, systolic)


def _order(cell: CohortCell) -> tuple[int, int, int, str]:
    return cell.age_min, cell.age_max, SEXES.index(cell.sex), "" if cell.condition == NO_CONDITION else cell.condition


def check_output(output: bytes, params: CohortParams) -> CohortResult:
    """Check a ``dp_cohort_aggregate`` output against its schema and the job's parameters; return it typed.

    Args:
        output: The bytes the buyer received (opened from the sealed output).
        params: The parameters the buyer asked for.

    Returns:
        The result.

    Raises:
        ComputeToDataError: naming the first breach: over :data:`OUTPUT_CAP` bytes, not canonical JSON,
            another schema version, epsilon or minimum count, a missing or extra key, a count under
            the minimum, a mean outside the bounds, or cells out of order.
    """
    if len(output) > OUTPUT_CAP:
        raise ComputeToDataError(f"output of {len(output)} bytes is over the module's cap of {OUTPUT_CAP}")
    try:
        document = json.loads(output)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ComputeToDataError(f"output is not JSON: {exc}") from exc
    if canonical_json(document) != output:
        raise ComputeToDataError("output is not canonical JSON (sorted keys, no spaces, ASCII)")
    top = _keys(document, _TOP_KEYS, "the output")
    _integer(top["schema"], "schema", OUTPUT_SCHEMA, OUTPUT_SCHEMA)
    epsilon = Fraction(_integer(top["epsilon_num"], "epsilon_num", 1), _integer(top["epsilon_den"], "epsilon_den", 1))
    if (top["epsilon_num"], top["epsilon_den"]) != (params.epsilon.numerator, params.epsilon.denominator):
        raise ComputeToDataError(
            f"the output spent epsilon {top['epsilon_num']}/{top['epsilon_den']}, the job asked for {params.epsilon}"
        )
    _integer(top["min_count"], "min_count", params.min_count, params.min_count)
    if not isinstance(top["cells"], list):
        raise ComputeToDataError("cells is not a list")
    cells = tuple(_cell(value, i, params) for i, value in enumerate(top["cells"]))
    for i in range(1, len(cells)):
        if _order(cells[i - 1]) >= _order(cells[i]):
            raise ComputeToDataError(f"cells[{i}] is not after cells[{i - 1}] in (age, sex, condition) order")
    return CohortResult(
        cells,
        epsilon,
        params.min_count,
        _integer(top["suppressed_cells"], "suppressed_cells", 0),
        _integer(top["suppressed_measures"], "suppressed_measures", 0),
    )


__all__ = [
    "DATASET_KEY_SIZE",
    "OPEN_AGE",
    "OPEN_END",
    "ROW_FIELDS",
    "TASK",
    "CohortCell",
    "CohortQuery",
    "CohortResult",
    "MeasureResult",
    "age_band",
    "build_input",
    "check_output",
    "cohort_record",
    "noise_seed",
]
