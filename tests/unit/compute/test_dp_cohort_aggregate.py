"""dp_cohort_aggregate: the module against its Python reference, its disclosure control, its noise, its traps
and its fuel."""

from __future__ import annotations

import json
import math
import random
import struct
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.compute import tasks
from kura.compute.limits import DEFAULT_FUEL
from kura.compute.sandbox import Sandbox, SandboxLimits, TaskStatus
from kura.compute.tasks.dp_cohort_format import (
    HEADER,
    MAX_CONDITIONS,
    MAX_EPSILON_TERM,
    OUTPUT_CAP,
    SEXES,
    Bounds,
    CohortParams,
    CohortRecord,
    decode_input,
    encode_input,
)
from kura.compute.tasks.dp_cohort_reference import dp_cohort_aggregate
from kura.errors import ComputeToDataError

NAME = "dp_cohort_aggregate"
MODULE = tasks.load(NAME)
SEED = bytes(range(32))
EXACT = CohortParams(epsilon=Fraction(MAX_EPSILON_TERM), min_count=5)
"""So much epsilon that every noise sample is 0 (the largest scale is 2800/2^20): outputs are the true values."""


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(SandboxLimits(fuel=DEFAULT_FUEL, output_bytes=4 * OUTPUT_CAP))


def run(sandbox: Sandbox, data: bytes) -> bytes:
    outcome = sandbox.run(MODULE, data)
    assert outcome.status is TaskStatus.OK, outcome.detail
    return outcome.output


def released(sandbox: Sandbox, data: bytes) -> dict[str, Any]:
    output = run(sandbox, data)
    assert output == dp_cohort_aggregate(data)
    document: dict[str, Any] = json.loads(output)
    return document


def patient(
    age: int = 40,
    sex: str = "female",
    conditions: tuple[str, ...] = ("E11",),
    diastolic: int | None = 80,
    hba1c: int | None = 70,
    systolic: int | None = 130,
) -> CohortRecord:
    return CohortRecord(age, age + 9, sex, conditions, diastolic, hba1c, systolic)


def in_order(params: CohortParams, seed: bytes, records: list[CohortRecord]) -> bytes:
    """An input with the records in the given order (encode_input sorts them)."""
    header = encode_input(params, seed, [])
    return header[:-4] + struct.pack("<I", len(records)) + b"".join(r.encode() for r in records)


# --- the module is its reference ----------------------------------------------------------------

CONDITIONS = ["A00", "E11", "I10", "Z9Z"]


TERM = st.one_of(st.integers(1, 16), st.integers(1, MAX_EPSILON_TERM))
WEIGHT = st.one_of(st.integers(1, 3), st.integers(1, 255))


@st.composite
def params(draw: st.DrawFn) -> CohortParams:
    def bounds() -> Bounds:
        low = draw(st.one_of(st.integers(0, 200), st.integers(0, 65533)))
        return Bounds(low, draw(st.integers(low + 1, min(low + draw(st.sampled_from([1, 50, 400, 65534])), 65534))))

    return CohortParams(
        epsilon=Fraction(draw(TERM), draw(TERM)),
        min_count=draw(st.integers(1, 6)),
        dominance_n=draw(st.integers(1, 4)),
        dominance_percent=draw(st.integers(1, 100)),
        weights=tuple(draw(WEIGHT) for _ in range(7)),
        bounds=(bounds(), bounds(), bounds()),
        max_conditions=draw(st.integers(1, MAX_CONDITIONS)),
    )


VALUE = st.one_of(st.none(), st.integers(0, 300), st.integers(0, 65534))


@st.composite
def records(draw: st.DrawFn, max_conditions: int) -> CohortRecord:
    age = draw(st.sampled_from([40, 90]))
    conditions = draw(st.lists(st.sampled_from(CONDITIONS), max_size=max_conditions, unique=True))
    return CohortRecord(
        age,
        255 if age == 90 else age + 9,
        draw(st.sampled_from(["female", "male", "unknown"])),
        tuple(sorted(conditions)),
        draw(VALUE),
        draw(VALUE),
        draw(VALUE),
    )


@st.composite
def inputs(draw: st.DrawFn) -> bytes:
    job = draw(params())
    # a few kinds of patient, each several times, so that many cells reach the minimum count
    kinds = draw(st.lists(st.tuples(records(job.max_conditions), st.integers(1, 25)), max_size=12))
    cohort = [record for record, times in kinds for _ in range(times)]
    return encode_input(job, draw(st.binary(min_size=32, max_size=32)), cohort)


@settings(max_examples=80, deadline=None)
@given(data=inputs())
def test_the_module_and_the_reference_give_the_same_bytes(sandbox: Sandbox, data: bytes) -> None:
    assert run(sandbox, data) == dp_cohort_aggregate(data)


@settings(max_examples=150, deadline=None)
@given(data=inputs(), where=st.integers(0, 2**32), value=st.integers(0, 255), cut=st.integers(0, 40))
def test_the_module_traps_exactly_where_the_reference_refuses(
    sandbox: Sandbox, data: bytes, where: int, value: int, cut: int
) -> None:
    changed = bytearray(data)
    changed[where % len(changed)] = value
    for candidate in (bytes(changed), data[: len(data) - cut], data + bytes(cut)):
        outcome = sandbox.run(MODULE, candidate)
        try:
            expected = dp_cohort_aggregate(candidate)
        except ComputeToDataError:
            assert (outcome.status, outcome.code) == (TaskStatus.TRAP, "UNREACHABLE")
        else:
            assert outcome.status is TaskStatus.OK and outcome.output == expected


@settings(max_examples=30, deadline=None)
@given(data=inputs(), order=st.randoms(use_true_random=False))
def test_the_output_does_not_depend_on_the_order_of_records(
    sandbox: Sandbox, data: bytes, order: random.Random
) -> None:
    job = decode_input(data)
    shuffled = list(job.records)
    order.shuffle(shuffled)
    assert run(sandbox, in_order(job.params, job.seed, shuffled)) == run(sandbox, data)


# --- known answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 5])
def test_a_cell_under_the_minimum_count_is_left_out_and_counted(sandbox: Sandbox, size: int) -> None:
    result = released(sandbox, encode_input(EXACT, SEED, [patient()] * size))
    assert result["suppressed_cells"] == (1 if size < 5 else 0)
    assert [cell["count"] for cell in result["cells"]] == ([] if size < 5 else [5])


def test_exact_means_with_clamping_rounding_and_missing_values(sandbox: Sandbox) -> None:
    # systolic 300 is clamped to 220; one HbA1c is missing; diastolic measured in only 4 (< 5) patients
    cohort = [
        patient(hba1c=h, systolic=s, diastolic=d)
        for h, s, d in [(70, 120, 80), (71, 125, 81), (75, 300, 90), (80, 140, None), (64, 131, 70), (None, 129, None)]
    ]
    cell = released(sandbox, encode_input(EXACT, SEED, cohort))["cells"][0]
    assert cell == {
        "age_max": 49,
        "age_min": 40,
        "condition": "E11",
        "count": 6,
        "sex": "female",
        "diastolic": None,
        "hba1c": {"mean_x100": 720, "n": 5},  # (7.0 + 7.1 + 7.5 + 8.0 + 6.4) / 5 = 7.20 %
        "systolic": {"mean_x100": 14417, "n": 6},  # (120 + 125 + 220 + 140 + 131 + 129) / 6 = 144.1666... mmHg
    }


def test_the_dominance_rule_withholds_a_measure_one_record_dominates(sandbox: Sandbox) -> None:
    # HbA1c above its lower bound 4.0 %: eleven patients at 4.0 %, one at 12.0 %, so one record is all of it
    dominated = [patient(hba1c=40)] * 11 + [patient(hba1c=120)]
    spread = [patient(hba1c=40 + 5 * i) for i in range(12)]
    result = released(sandbox, encode_input(EXACT, SEED, dominated))
    assert result["cells"][0]["hba1c"] is None and result["suppressed_measures"] == 1
    assert result["cells"][0]["systolic"] == {"mean_x100": 13000, "n": 12}
    assert released(sandbox, encode_input(EXACT, SEED, spread))["cells"][0]["hba1c"] == {"mean_x100": 675, "n": 12}


@pytest.mark.parametrize(("n", "percent", "withheld"), [(1, 40, False), (1, 39, True), (2, 70, False), (2, 69, True)])
def test_the_dominance_rule_uses_the_n_largest_contributions(
    sandbox: Sandbox, n: int, percent: int, withheld: bool
) -> None:
    # contributions above 4.0 %: 40, 30, 20, 10 and six zeros; the top 1 is 40 %, the top 2 are 70 % of the
    # total 100: withheld exactly when they are more than p %
    cohort = [patient(hba1c=40 + c) for c in (40, 30, 20, 10, 0, 0, 0, 0, 0, 0)]
    job = CohortParams(epsilon=EXACT.epsilon, min_count=5, dominance_n=n, dominance_percent=percent)
    cell = released(sandbox, encode_input(job, SEED, cohort))["cells"][0]
    assert (cell["hba1c"] is None) is withheld


def test_cells_by_age_band_sex_and_condition_with_none_first(sandbox: Sandbox) -> None:
    cohort = (
        [patient(sex="male", conditions=("E11", "I10"))] * 5
        + [patient(conditions=())] * 5
        + [patient(age=30, conditions=("I10",))] * 5
        + [patient(conditions=("E11",))] * 5
    )
    cells = released(sandbox, encode_input(EXACT, SEED, cohort))["cells"]
    assert [(c["age_min"], c["sex"], c["condition"], c["count"]) for c in cells] == [
        (30, "female", "I10", 5),
        (40, "female", "none", 5),
        (40, "female", "E11", 5),
        (40, "male", "E11", 5),
        (40, "male", "I10", 5),
    ]


def test_same_seed_same_output_and_another_seed_other_noise(sandbox: Sandbox) -> None:
    job = CohortParams(epsilon=Fraction(1), min_count=5)
    cohort = [patient(hba1c=60 + i % 30, systolic=110 + i % 50) for i in range(400)]
    first = run(sandbox, encode_input(job, SEED, cohort))
    assert run(sandbox, encode_input(job, SEED, cohort)) == first
    others = {run(sandbox, encode_input(job, bytes([i]) * 32, cohort)) for i in range(8)}
    assert first not in others and len(others) == 8


def test_cells_under_the_minimum_draw_no_noise(sandbox: Sandbox) -> None:
    job = CohortParams(epsilon=Fraction(1, 2), min_count=5)
    large = [patient(conditions=("E11",))] * 300
    small = [patient(conditions=("A00",))] * 4 + [patient(age=0, conditions=("Z9Z",))]
    alone, together = (json.loads(run(sandbox, encode_input(job, SEED, cohort))) for cohort in (large, large + small))
    assert together["cells"] == alone["cells"]
    assert together["suppressed_cells"] == alone["suppressed_cells"] + 2


def test_every_released_count_is_at_least_the_minimum(sandbox: Sandbox) -> None:
    # epsilon 1/8 spread over 4 conditions and 7 statistics: scale 320 on counts of 20, so many noisy counts fall low
    job = CohortParams(epsilon=Fraction(1, 8), min_count=11)
    cohort = [patient(age=10 * (i % 9), conditions=(("E11", "I10", "E78")[i // 9 % 3],)) for i in range(540)]
    result = released(sandbox, encode_input(job, SEED, cohort))
    assert 0 < len(result["cells"]) < 27 and result["suppressed_cells"] == 27 - len(result["cells"])
    for cell in result["cells"]:
        assert cell["count"] >= 11
        assert all(cell[m] is None or cell[m]["n"] >= 11 for m in ("diastolic", "hba1c", "systolic"))


def test_the_output_reports_the_epsilon_spent_and_the_schema(sandbox: Sandbox) -> None:
    job = CohortParams(epsilon=Fraction(3, 7), min_count=3)
    assert run(sandbox, encode_input(job, SEED, [])) == (
        b'{"cells":[],"epsilon_den":7,"epsilon_num":3,"min_count":3,"schema":1,'
        b'"suppressed_cells":0,"suppressed_measures":0}'
    )


# --- noise seen through the module ---------------------------------------------------------------


def test_the_modules_count_noise_has_the_discrete_laplace_variance(sandbox: Sandbox) -> None:
    # epsilon 7/10, L = 1, seven weights of 1: the count's scale is 1 * 1 * 7 * 10 / (7 * 1) = 10
    job = CohortParams(epsilon=Fraction(7, 10), min_count=1, weights=(1,) * 7, max_conditions=1)
    cohort = [
        patient(age=a, sex=s, conditions=(c,))
        for a in range(0, 100, 10)
        for s in SEXES
        for c in ("A00", "E11", "I10", "Z9Z", "B20")
        for _ in range(200)
    ]
    noise = []
    for i in range(20):
        for cell in json.loads(run(sandbox, encode_input(job, i.to_bytes(32, "big"), cohort)))["cells"]:
            noise.append(cell["count"] - 200)
    n = len(noise)
    assert n == 20 * 200
    q = math.exp(-1 / 10)
    variance = 2 * q / (1 - q) ** 2
    fourth = sum(z**4 * (1 - q) / (1 + q) * q ** abs(z) for z in range(-3000, 3001))
    assert abs(sum(noise) / n) <= 5 * math.sqrt(variance / n)
    assert abs(sum(z * z for z in noise) / n - variance) <= 5 * math.sqrt((fourth - variance**2) / n)


# --- traps --------------------------------------------------------------------------------------


def header_with(**fields: int) -> bytes:
    names = [
        "version",
        "seed",
        "eps_num",
        "eps_den",
        *[f"w{i}" for i in range(7)],
        "max_conditions",
        "min_count",
        "dominance_n",
        "dominance_pct",
        *[f"b{i}" for i in range(6)],
        "count",
    ]
    values = dict(zip(names, HEADER.unpack(encode_input(EXACT, SEED, [])), strict=True)) | fields
    return HEADER.pack(*values.values())


BAD_HEADERS = {
    "version 2": header_with(version=2),
    "epsilon 0": header_with(eps_num=0),
    "epsilon denominator 0": header_with(eps_den=0),
    "epsilon not in lowest terms": header_with(eps_num=2, eps_den=4),
    "epsilon over 2^20": header_with(eps_num=MAX_EPSILON_TERM + 1),
    "a weight of 0": header_with(w4=0),
    "L = 0": header_with(max_conditions=0),
    "L = 9": header_with(max_conditions=MAX_CONDITIONS + 1),
    "minimum count 0": header_with(min_count=0),
    "dominance n = 0": header_with(dominance_n=0),
    "dominance n = 5": header_with(dominance_n=5),
    "dominance p = 0": header_with(dominance_pct=0),
    "dominance p = 101": header_with(dominance_pct=101),
    "low = high": header_with(b2=60, b3=60),
    "low > high": header_with(b0=90, b1=80),
    "high = 65535": header_with(b5=65535),
    "short header": encode_input(EXACT, SEED, [])[:-1],
}
GOOD = patient(conditions=("E11", "I10")).encode()
BAD_RECORDS = {
    "age_min > age_max": bytes([50, 49]) + GOOD[2:],
    "sex code 4": GOOD[:2] + bytes([4]) + GOOD[3:],
    "more conditions than L": GOOD[:3] + bytes([5]) + GOOD[4:] + b"J45K20Z99",
    "conditions out of order": GOOD[:10] + b"I10E11",
    "a condition twice": GOOD[:10] + b"E11E11",
    "lower-case category": GOOD[:10] + b"e11I10",
    "category letter in the middle": GOOD[:10] + b"EA1I10",
    "category not ASCII": GOOD[:10] + b"E1\xb1I10",
    "truncated conditions": GOOD[:-1],
    "truncated record": GOOD[:9],
}


@pytest.mark.parametrize("data", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_bad_header_traps(sandbox: Sandbox, data: bytes) -> None:
    assert (sandbox.run(MODULE, data).status, sandbox.run(MODULE, data).code) == (TaskStatus.TRAP, "UNREACHABLE")
    with pytest.raises(ComputeToDataError):
        dp_cohort_aggregate(data)


@pytest.mark.parametrize("record", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_a_bad_record_traps(sandbox: Sandbox, record: bytes) -> None:
    job = CohortParams(epsilon=Fraction(1), max_conditions=4)
    data = in_order(job, SEED, [])[:-4] + struct.pack("<I", 2) + patient().encode() + record
    outcome = sandbox.run(MODULE, data)
    assert (outcome.status, outcome.code) == (TaskStatus.TRAP, "UNREACHABLE")
    with pytest.raises(ComputeToDataError):
        dp_cohort_aggregate(data)


@pytest.mark.parametrize("change", ["fewer records than announced", "more records than announced"])
def test_the_record_count_must_match(sandbox: Sandbox, change: str) -> None:
    data = bytearray(encode_input(EXACT, SEED, [patient()] * 3))
    data[72] += 1 if change.startswith("fewer") else -1
    assert sandbox.run(MODULE, bytes(data)).code == "UNREACHABLE"
    with pytest.raises(ComputeToDataError):
        dp_cohort_aggregate(bytes(data))


def test_the_module_traps_rather_than_exceed_its_byte_cap(sandbox: Sandbox) -> None:
    job = CohortParams(epsilon=EXACT.epsilon, min_count=1, max_conditions=MAX_CONDITIONS)
    codes = [f"{letter}{digit}0" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for digit in "0123456789"]
    # values at the lower bounds contribute 0 above them, so the dominance rule lets a cell of one through
    cohort = [
        CohortRecord(age, age, sex, tuple(codes[i : i + 8]), 40, 40, 80)
        for age in range(110)
        for sex in SEXES
        for i in range(0, 16, 8)
    ]
    data = encode_input(job, SEED, cohort)  # 880 patients in 7040 cells of one: about 1.2 MB of JSON
    outcome = sandbox.run(MODULE, data)
    assert (outcome.status, outcome.code) == (TaskStatus.TRAP, "UNREACHABLE")
    with pytest.raises(ComputeToDataError, match="cap"):
        dp_cohort_aggregate(data)
    assert sandbox.run(MODULE, encode_input(job, SEED, cohort[:400])).status is TaskStatus.OK


# --- determinism and fuel -------------------------------------------------------------------------


def synthetic_cohort(size: int, seed: int) -> list[CohortRecord]:
    """Patients like a clinic's: 10-year bands, a few common conditions, HbA1c mostly for diabetics."""
    rng = random.Random(seed)
    common = ["E11", "I10", "E78", "E66", "N18", "I25", "J45", "F32", "K21", "M54"]
    cohort = []
    for _ in range(size):
        conditions = tuple(sorted(rng.sample(common, rng.choice([0, 1, 1, 2, 2, 3]))))
        diabetic = "E11" in conditions
        cohort.append(
            CohortRecord(
                age := rng.choice(range(0, 90, 10)),
                age + 9,
                rng.choice(SEXES[:2]) if rng.random() < 0.98 else "unknown",
                conditions,
                rng.randint(60, 95),
                rng.randint(60, 110) if diabetic or rng.random() < 0.3 else None,
                rng.randint(100, 170),
            )
        )
    return cohort


def test_the_module_is_deterministic_across_engines() -> None:
    data = encode_input(CohortParams(epsilon=Fraction(2)), SEED, synthetic_cohort(2000, 1))
    runs = [Sandbox().run(MODULE, data) for _ in range(3)]
    assert runs[0].status is TaskStatus.OK
    assert runs[0] == runs[1] == runs[2]


def test_the_module_runs_out_of_fuel_identically() -> None:
    data = encode_input(CohortParams(epsilon=Fraction(2)), SEED, synthetic_cohort(2000, 2))
    full = Sandbox().run(MODULE, data).fuel_used
    short = [Sandbox().run(MODULE, data, fuel=full // 2) for _ in range(2)]
    assert short[0].status is TaskStatus.OUT_OF_FUEL
    assert short[0].commitment_bytes() == short[1].commitment_bytes()
    assert Sandbox().run(MODULE, data, fuel=full).status is TaskStatus.OK


@pytest.mark.parametrize("size", [5000, 20000])
def test_fuel_for_a_clinic_sized_cohort_fits_the_default_with_room(
    sandbox: Sandbox, size: int, capsys: pytest.CaptureFixture[str]
) -> None:
    data = encode_input(CohortParams(epsilon=Fraction(1), min_count=11), SEED, synthetic_cohort(size, size))
    outcome = sandbox.run(MODULE, data)
    assert outcome.status is TaskStatus.OK
    cells = len(json.loads(outcome.output)["cells"])
    with capsys.disabled():
        print(
            f"\n  {NAME}: {size} records, {len(data)} input bytes, {cells} cells released, "
            f"{len(outcome.output)} output bytes, fuel {outcome.fuel_used:,}"
        )
    assert outcome.fuel_used < DEFAULT_FUEL // 10
