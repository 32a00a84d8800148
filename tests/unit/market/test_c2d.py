"""kura.market.c2d: the noise seed, rows to the module's input under a consent filter, and the buyer's check."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.compute import tasks
from kura.compute.sandbox import Sandbox, TaskStatus
from kura.compute.tasks.dp_cohort_format import (
    MAX_EPSILON_TERM,
    OUTPUT_CAP,
    CohortParams,
    CohortRecord,
    decode_input,
)
from kura.compute.tasks.reference import canonical_json
from kura.errors import AddressError, ComputeToDataError
from kura.market.c2d import (
    ROW_FIELDS,
    TASK,
    CohortQuery,
    age_band,
    build_input,
    check_output,
    cohort_record,
    noise_seed,
)

MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY = bytes(range(32))
PARAMS = CohortParams(epsilon=Fraction(2), min_count=5)
QUERY = CohortQuery(PARAMS)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def row(
    pseudonym: str = "p1",
    age: str = "47",
    sex: str = "female",
    diagnosis: str = "E11+I10",
    hba1c_pct: str = "7.1",
    systolic_mmhg: str = "131",
    diastolic_mmhg: str = "82",
) -> dict[str, str]:
    return {
        "pseudonym": pseudonym,
        "age": age,
        "sex": sex,
        "zip3": "021",
        "diagnosis_date": "2021",
        "diagnosis": diagnosis,
        "hba1c_pct": hba1c_pct,
        "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg,
    }


# --- the noise seed ----------------------------------------------------------------------------


def test_noise_seed_known_answer() -> None:
    # HMAC-SHA256(key, "kura/c2d/noise-seed/v1" || market (20 bytes) || job id (32 bytes, big-endian))
    assert noise_seed(KEY, 7, market=MARKET).hex() == (
        "536d3c181a29486d9444f930ee68c58ec1bf6ac3bf86cac9ce38055ea626862d"
    )


def test_noise_seed_differs_by_job_key_and_market_and_not_by_address_case() -> None:
    seeds = {noise_seed(KEY, job, market=MARKET) for job in range(50)}
    seeds |= {noise_seed(bytes(32), 7, market=MARKET), noise_seed(KEY, 7, market="0x" + "11" * 20)}
    assert len(seeds) == 52
    assert noise_seed(KEY, 7, market=MARKET.lower()) == noise_seed(KEY, 7, market=MARKET)


@pytest.mark.parametrize(("key", "job"), [(bytes(31), 1), (bytes(33), 1), (KEY, -1), (KEY, 2**256)])
def test_noise_seed_refuses_a_bad_key_or_job_id(key: bytes, job: int) -> None:
    with pytest.raises(ComputeToDataError):
        noise_seed(key, job, market=MARKET)


def test_noise_seed_refuses_a_bad_market_address() -> None:
    with pytest.raises(AddressError):
        noise_seed(KEY, 1, market="0x1234")


# --- age bands ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "width", "band"),
    [
        ("47", 10, (40, 49)),
        ("47", 5, (45, 49)),
        ("45-49", 10, (40, 49)),
        ("40-59", 10, (40, 59)),
        ("0", 10, (0, 9)),
        ("89", 10, (80, 89)),
        ("90+", 10, (90, 255)),
        ("90+", 20, (80, 255)),
        ("85", 20, (80, 255)),
        ("80+", 20, (80, 255)),
        ("", 10, (0, 255)),
        ("*", 10, (0, 255)),
        ("47", 1, (47, 47)),
    ],
)
def test_age_bands(value: str, width: int, band: tuple[int, int]) -> None:
    assert age_band(value, width) == band


@pytest.mark.parametrize("value", ["abc", "50-40", "300", "4 7", "-5", "47.5", "40-"])
def test_an_unreadable_age_is_refused(value: str) -> None:
    with pytest.raises(ComputeToDataError, match="age"):
        age_band(value, 10)


@given(width=st.integers(1, 90), ages=st.lists(st.integers(0, 89), min_size=2, max_size=2))
def test_bands_of_one_width_contain_their_age_and_never_overlap(width: int, ages: list[int]) -> None:
    first, second = (age_band(str(age), width) for age in ages)
    assert first[0] <= ages[0] <= first[1] and second[0] <= ages[1] <= second[1]
    assert first == second or first[1] < second[0] or second[1] < first[0]
    top = age_band("90+", width)
    assert first == top or first[1] < top[0]


# --- rows to records ---------------------------------------------------------------------------


def test_a_deidentified_row_becomes_a_record() -> None:
    assert cohort_record(row(), QUERY) == CohortRecord(40, 49, "female", ("E11", "I10"), 82, 71, 131)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("hba1c_pct", "6.45", {"hba1c": 65}),
        ("hba1c_pct", "6.44", {"hba1c": 64}),
        ("hba1c_pct", "", {"hba1c": None}),
        ("systolic_mmhg", "129.5", {"systolic": 130}),
        ("diastolic_mmhg", "", {"diastolic": None}),
        ("sex", "", {"sex": "unknown"}),
        ("sex", "*", {"sex": "unknown"}),
        ("sex", "other", {"sex": "other"}),
        ("diagnosis", "none", {"conditions": ()}),
        ("diagnosis", "I10+E11+E11", {"conditions": ("E11", "I10")}),
    ],
)
def test_row_values_are_read_exactly(field: str, value: str, expected: dict[str, Any]) -> None:
    record = cohort_record(row(**{field: value}), QUERY)
    assert record is not None
    assert all(getattr(record, name) == wanted for name, wanted in expected.items())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hba1c_pct", "high"),
        ("hba1c_pct", "-1"),
        ("hba1c_pct", "NaN"),
        ("systolic_mmhg", "70000"),
        ("systolic_mmhg", "Infinity"),
        ("sex", "F"),
        ("diagnosis", "e11"),
        ("diagnosis", "E11.9"),
        ("diagnosis", ""),
    ],
)
def test_an_unreadable_value_is_refused(field: str, value: str) -> None:
    with pytest.raises(ComputeToDataError, match=field.split("_")[0]):
        cohort_record(row(**{field: value}), QUERY)


def test_a_missing_column_is_named() -> None:
    incomplete = row()
    del incomplete["diastolic_mmhg"]
    with pytest.raises(ComputeToDataError, match="diastolic_mmhg"):
        cohort_record(incomplete, QUERY)
    assert set(ROW_FIELDS) <= set(row())


def conditions_of(diagnosis: str, query: CohortQuery) -> tuple[str, ...] | None:
    record = cohort_record(row(diagnosis=diagnosis), query)
    return None if record is None else record.conditions


def test_the_condition_filter_and_the_per_patient_limit() -> None:
    only_diabetes = CohortQuery(PARAMS, conditions=frozenset({"E11"}))
    assert conditions_of("E11+I10", only_diabetes) == ("E11",)
    assert conditions_of("I10", only_diabetes) is None
    assert conditions_of("none", only_diabetes) is None
    with_none = CohortQuery(PARAMS, conditions=frozenset({"E11", "none"}))
    assert conditions_of("none", with_none) == ()
    assert conditions_of("I10", with_none) is None  # has a condition, just not an asked-for one
    assert conditions_of("N18+E11+I10", CohortQuery(CohortParams(epsilon=Fraction(1), max_conditions=2))) == (
        "E11",
        "I10",
    )


@pytest.mark.parametrize("bad", [{"age_band_years": 0}, {"age_band_years": 91}, {"conditions": frozenset({"E11.9"})}])
def test_a_bad_query_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ComputeToDataError):
        CohortQuery(PARAMS, **bad)


# --- building the input ------------------------------------------------------------------------


def clinic(size: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(size):
        conditions = sorted(rng.sample(["E11", "I10", "E78", "N18"], rng.choice([0, 1, 1, 2])))
        rows.append(
            row(
                pseudonym=f"p{i}",
                age=str(rng.randint(20, 95)) if rng.random() < 0.97 else "90+",
                sex=rng.choice(["female", "male"]),
                diagnosis="+".join(conditions) or "none",
                hba1c_pct=f"{rng.randint(48, 110) / 10:.1f}" if "E11" in conditions or rng.random() < 0.2 else "",
                systolic_mmhg=str(rng.randint(100, 175)),
                diastolic_mmhg=str(rng.randint(60, 100)),
            )
        )
    return rows


def test_only_consenting_patients_enter_the_input() -> None:
    rows = clinic(200, 1)
    consented = {f"p{i}" for i in range(0, 200, 3)}
    job = decode_input(build_input(rows, QUERY, KEY, consented))
    assert len(job.records) == len(consented)
    chosen = [cohort_record(r, QUERY) for r in rows if r["pseudonym"] in consented]
    expected = sorted(record.encode() for record in chosen if record is not None)
    assert [record.encode() for record in job.records] == expected
    assert job.seed == KEY and job.params == PARAMS
    assert decode_input(build_input(rows, QUERY, KEY, set())).records == ()


def test_every_node_builds_the_same_bytes_whatever_the_row_order() -> None:
    rows = clinic(300, 2)
    consented = {r["pseudonym"] for r in rows}
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert build_input(shuffled, QUERY, KEY, consented) == build_input(rows, QUERY, KEY, consented)


def test_one_patient_is_one_record() -> None:
    rows = [row(pseudonym="p1"), row(pseudonym="p1", age="60")]
    with pytest.raises(ComputeToDataError, match="one patient must be one record"):
        build_input(rows, QUERY, KEY, {"p1"})
    assert decode_input(build_input(rows, QUERY, KEY, {"p2"})).records == ()


def test_a_row_without_pseudonym_is_refused_even_without_consent() -> None:
    anonymous = row()
    del anonymous["pseudonym"]
    with pytest.raises(ComputeToDataError, match="pseudonym"):
        build_input([anonymous], QUERY, KEY, set())


# --- the buyer's check -------------------------------------------------------------------------


def run_job(sandbox: Sandbox, rows: list[dict[str, str]], query: CohortQuery, job_id: int) -> bytes:
    data = build_input(rows, query, noise_seed(KEY, job_id, market=MARKET), {r["pseudonym"] for r in rows})
    outcome = sandbox.run(tasks.load(TASK), data)
    assert outcome.status is TaskStatus.OK, outcome.detail
    return outcome.output


def test_a_whole_job_from_rows_to_a_checked_result(sandbox: Sandbox) -> None:
    rows = clinic(3000, 4)
    output = run_job(sandbox, rows, QUERY, 1)
    result = check_output(output, PARAMS)
    assert result.epsilon == Fraction(2) and result.min_count == 5
    assert len(result.cells) > 20
    assert result.cells[0].age_min == 20 and result.cells[-1].age_max == 255
    diabetic_men = [c for c in result.cells if (c.age_min, c.sex, c.condition) == (60, "male", "E11")]
    assert diabetic_men and diabetic_men[0].hba1c is not None and 480 <= diabetic_men[0].hba1c.mean_x100 <= 1100
    assert run_job(sandbox, rows, QUERY, 1) == output
    assert run_job(sandbox, rows, QUERY, 2) != output


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(0, 400),
    seed=st.integers(0, 2**32),
    job=st.integers(0, 2**256 - 1),
    epsilon=st.fractions(min_value=Fraction(1, 64), max_value=64, max_denominator=64),
    k=st.integers(1, 11),
    width=st.sampled_from([5, 10, 20]),
)
def test_every_module_output_passes_the_buyers_check(
    sandbox: Sandbox, size: int, seed: int, job: int, epsilon: Fraction, k: int, width: int
) -> None:
    params = CohortParams(epsilon=epsilon, min_count=k)
    result = check_output(run_job(sandbox, clinic(size, seed), CohortQuery(params, age_band_years=width), job), params)
    assert all(cell.count >= k for cell in result.cells)


Edit = Callable[[dict[str, Any]], None]


def put(*path: str | int, value: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def drop(*path: str | int) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


def reverse_cells(document: dict[str, Any]) -> None:
    document["cells"].reverse()


def repeat_last_cell(document: dict[str, Any]) -> None:
    document["cells"].append(dict(document["cells"][-1]))


def output_with(edit: Edit | None = None) -> bytes:
    cell: dict[str, Any] = {
        "age_max": 49,
        "age_min": 40,
        "condition": "E11",
        "count": 12,
        "diastolic": {"mean_x100": 8000, "n": 11},
        "hba1c": None,
        "sex": "female",
        "systolic": {"mean_x100": 13000, "n": 12},
    }
    document: dict[str, Any] = {
        "cells": [cell, dict(cell, condition="I10")],
        "epsilon_den": 1,
        "epsilon_num": 2,
        "min_count": 5,
        "schema": 1,
        "suppressed_cells": 3,
        "suppressed_measures": 1,
    }
    if edit is not None:
        edit(document)
    return canonical_json(document)


def test_the_untampered_output_passes() -> None:
    result = check_output(output_with(), PARAMS)
    assert [c.condition for c in result.cells] == ["E11", "I10"]
    assert result.cells[0].hba1c is None and result.cells[0].systolic is not None
    assert (result.suppressed_cells, result.suppressed_measures) == (3, 1)


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (put("cells", 0, "count", value=4), "count"),
        (put("cells", 0, "systolic", "n", value=4), "systolic.n"),
        (put("cells", 0, "systolic", "mean_x100", value=22001), "mean_x100"),
        (put("cells", 0, "systolic", "mean_x100", value=7999), "mean_x100"),
        (put("cells", 0, "hba1c", value={"mean_x100": 700}), "hba1c"),
        (put("cells", 0, "count", value=12.0), "count"),
        (put("cells", 0, "count", value=True), "count"),
        (put("cells", 0, "sex", value="F"), "sex"),
        (put("cells", 0, "condition", value="E11.9"), "condition"),
        (put("cells", 0, "age_max", value=39), "age_max"),
        (put("cells", 0, "extra", value=1), "cells\\[0\\]"),
        (drop("cells", 0, "hba1c"), "cells\\[0\\]"),
        (reverse_cells, "order"),
        (repeat_last_cell, "order"),
        (put("epsilon_num", value=3), "epsilon"),
        (put("min_count", value=3), "min_count"),
        (put("schema", value=2), "schema"),
        (put("suppressed_cells", value=-1), "suppressed_cells"),
        (put("note", value="hi"), "the output"),
        (put("cells", value={}), "cells"),
    ],
)
def test_the_buyers_check_names_what_is_wrong(edit: Edit, complaint: str) -> None:
    with pytest.raises(ComputeToDataError, match=complaint):
        check_output(output_with(edit), PARAMS)


@pytest.mark.parametrize(
    ("output", "complaint"),
    [
        (b"not json", "not JSON"),
        (b"\xff", "not JSON"),
        (json.dumps({"cells": []}).encode(), "canonical"),
        (b" " * (OUTPUT_CAP + 1), "cap"),
    ],
)
def test_the_buyers_check_refuses_what_is_not_the_schema(output: bytes, complaint: str) -> None:
    with pytest.raises(ComputeToDataError, match=complaint):
        check_output(output, PARAMS)


def test_the_check_wants_the_epsilon_the_job_asked_for() -> None:
    with pytest.raises(ComputeToDataError, match="epsilon"):
        check_output(output_with(), CohortParams(epsilon=Fraction(MAX_EPSILON_TERM), min_count=5))
