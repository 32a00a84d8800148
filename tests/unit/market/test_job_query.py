"""A compute-to-data job's public parameters: canonical bytes that round-trip, and the chain's fixed-point ε."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kura.compute.tasks.dp_cohort_format import Bounds, CohortParams
from kura.errors import ComputeToDataError
from kura.market.c2d import CohortQuery
from kura.market.job_query import decode_query, encode_query, fixed_epsilon

CONDITIONS = st.sampled_from(["E11", "I10", "J45", "C50", "N18", "none"])


@st.composite
def queries(draw: st.DrawFn) -> CohortQuery:
    low = draw(st.integers(0, 1000))
    params = CohortParams(
        Fraction(draw(st.integers(1, 2**20)), draw(st.integers(1, 2**20))),
        min_count=draw(st.integers(1, 50)),
        dominance_n=draw(st.integers(1, 4)),
        dominance_percent=draw(st.integers(1, 100)),
        weights=tuple(draw(st.lists(st.integers(1, 255), min_size=7, max_size=7))),
        bounds=(Bounds(low, low + draw(st.integers(1, 500))), Bounds(40, 150), Bounds(80, 220)),
        max_conditions=draw(st.integers(1, 8)),
    )
    conditions = draw(st.none() | st.frozensets(CONDITIONS, min_size=1))
    return CohortQuery(params, draw(st.integers(1, 90)), conditions)


@given(queries())
def test_a_query_round_trips_through_its_canonical_bytes(query: CohortQuery) -> None:
    data = encode_query(query)
    assert decode_query(data) == query
    assert encode_query(decode_query(data)) == data


def test_a_reordered_or_respaced_document_is_refused() -> None:
    data = encode_query(CohortQuery(CohortParams(Fraction(1, 4))))
    loose = json.dumps(json.loads(data), indent=1).encode()
    with pytest.raises(ComputeToDataError, match="canonical"):
        decode_query(loose)


@pytest.mark.parametrize(
    "change",
    [
        {"format": "other/v1"},
        {"task": "textstats"},
        {"epsilon": [1, 0]},
        {"epsilon": [-1, 4]},
        {"bounds": [[5, 1], [40, 150], [80, 220]]},
        {"weights": "abc"},
    ],
)
def test_a_malformed_document_is_refused_with_a_reason(change: dict[str, object]) -> None:
    document = json.loads(encode_query(CohortQuery(CohortParams(Fraction(1, 4)))))
    document.update(change)
    with pytest.raises(ComputeToDataError):
        decode_query(json.dumps(document, sort_keys=True, separators=(",", ":")).encode())


def test_not_json_is_refused() -> None:
    with pytest.raises(ComputeToDataError, match="JSON"):
        decode_query(b"\xff")


@pytest.mark.parametrize(
    ("epsilon", "fixed"),
    [(Fraction(1, 4), 250_000), (Fraction(3, 10), 300_000), (Fraction(2), 2_000_000), (Fraction(1, 10**6), 1)],
)
def test_fixed_epsilon(epsilon: Fraction, fixed: int) -> None:
    assert fixed_epsilon(epsilon) == fixed


@pytest.mark.parametrize("epsilon", [Fraction(1, 3), Fraction(1, 10**7), Fraction(0), Fraction(-1, 2)])
def test_an_epsilon_the_ledger_cannot_debit_exactly_is_refused(epsilon: Fraction) -> None:
    with pytest.raises(ComputeToDataError, match="millionths"):
        fixed_epsilon(epsilon)
