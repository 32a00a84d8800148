"""k and l of a table, cross-checked with pycanon; the lattice search's optimum and its refusal."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity as pycanon

from kura.errors import AnonymityError, CertificateError, DeidentificationError
from kura.market.anonymity import measure, search
from kura.market.hierarchy import hierarchies
from kura.market.table import DeidTable

QI = ("age", "sex")


def table(rows: list[tuple[str, str, str]]) -> DeidTable:
    return DeidTable.of(("age", "sex", "diagnosis"), rows)


def test_measure_known_answer() -> None:
    rows = [("40", "f", "E11"), ("40", "f", "I10"), ("40", "f", "E11"), ("50", "m", "J45"), ("50", "m", "J45")]
    achieved = measure(table(rows), QI, "diagnosis")
    assert (achieved.k, achieved.l) == (2, 1)
    assert [(c.values, c.size, c.distinct) for c in achieved.classes] == [(("40", "f"), 3, 2), (("50", "m"), 2, 1)]
    assert (measure(table([]), QI, "diagnosis").k, measure(table([]), QI, "diagnosis").l) == (0, 0)


def test_measure_names_a_missing_column() -> None:
    with pytest.raises(CertificateError, match="no column 'zip3'"):
        measure(table([("40", "f", "E11")]), ("zip3",), "diagnosis")


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["30", "40", "50", ""]), st.sampled_from(["f", "m"]), st.sampled_from(["E11", "I10", "J45"])
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows_strategy)
def test_measure_agrees_with_pycanon(rows: list[tuple[str, str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["age", "sex", "diagnosis"], dtype=str)
    achieved = measure(table(rows), QI, "diagnosis")
    assert achieved.k == pycanon.k_anonymity(frame, list(QI))
    assert achieved.l == pycanon.l_diversity(frame, list(QI), ["diagnosis"])


def _search_rows(ages: list[str]) -> list[tuple[str, str, str, str]]:
    return [(age, "female", "031", "2020") for age in ages]


def test_search_takes_the_least_generalisation() -> None:
    levels = hierarchies("year")
    ages = ["41", "42", "43", "44", "46", "47", "48", "49"]
    sensitive = ["E11", "I10"] * 4
    exact = search(_search_rows(ages), sensitive, levels, (4, 1, 2, 3), k=1, l=1, max_suppressed=0)
    assert exact.levels == (0, 0, 0, 0) and exact.suppressed == 0
    banded = search(_search_rows(ages), sensitive, levels, (4, 1, 2, 3), k=4, l=2, max_suppressed=0)
    assert banded.levels == (1, 0, 0, 0)
    assert {key[0] for key in banded.generalised} == {"40-44", "45-49"}


def test_search_suppresses_an_outlier_instead_of_generalising_everyone() -> None:
    ages = ["41"] * 6 + ["88"]
    sensitive = ["E11", "I10"] * 3 + ["E11"]
    chosen = search(_search_rows(ages), sensitive, hierarchies("year"), (4, 1, 2, 3), k=5, l=2, max_suppressed=1)
    assert chosen.levels == (0, 0, 0, 0) and chosen.suppressed == 1 and chosen.keep == (True,) * 6 + (False,)
    strict = search(_search_rows(ages), sensitive, hierarchies("year"), (4, 1, 2, 3), k=5, l=2, max_suppressed=0)
    assert strict.suppressed == 0 and strict.levels[0] == 4


def test_refusal_lists_the_classes_too_small_at_the_caps() -> None:
    rows = [*_search_rows(["41"] * 6), ("88", "male", "031", "2020"), ("87", "male", "031", "2020")]
    sensitive = ["E11", "I10"] * 3 + ["E11", "E11"]
    with pytest.raises(AnonymityError, match="cannot reach k=5 and l=2") as refused:
        search(rows, sensitive, hierarchies("year"), (3, 0, 0, 0), k=5, l=2, max_suppressed=1)
    assert refused.value.classes == ((("80+", "male", "031", "2020"), 2, 1),)
    assert "(80+, male, 031, 2020): 2 rows, 1 distinct" in str(refused.value)


def test_search_needs_rows() -> None:
    with pytest.raises(DeidentificationError, match="no records"):
        search([], [], hierarchies("year"), (4, 1, 2, 3), k=5, l=2, max_suppressed=0)
