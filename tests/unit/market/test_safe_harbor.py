"""Safe Harbor known answers: the restricted ZIP-3 list, ZIP reduction, 90+, dates, and the hierarchies' lattice."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kura.errors import DeidentificationError
from kura.market.hierarchy import SUPPRESSED, hierarchies
from kura.market.safe_harbor import IDENTIFIERS, RESTRICTED_ZIP3, age, reduced_date, zip3

HHS_RESTRICTED = [
    "036",
    "059",
    "063",
    "102",
    "203",
    "556",
    "692",
    "790",
    "821",
    "823",
    "830",
    "831",
    "878",
    "879",
    "884",
    "890",
    "893",
]


def test_the_restricted_list_is_the_17_hhs_prefixes() -> None:
    assert sorted(RESTRICTED_ZIP3) == HHS_RESTRICTED


def test_all_18_identifiers_are_covered() -> None:
    assert len(IDENTIFIERS) == 18 and len({name for name, _ in IDENTIFIERS}) == 18


@pytest.mark.parametrize("prefix", HHS_RESTRICTED)
def test_restricted_prefixes_become_000(prefix: str) -> None:
    assert zip3(prefix + "42") == "000"
    assert zip3(f"{prefix}42-1234") == "000"


@pytest.mark.parametrize(
    ("postal", "expected"),
    [
        ("03101", "031"),
        ("03101-4321", "031"),
        ("031014321", "031"),
        (" 89101 ", "891"),
        ("03701", "037"),
        ("00501", "005"),
        ("1234", ""),
        ("ABCDE", ""),
        ("K1A 0B1", ""),
        ("", ""),
        (None, ""),
        ("031011", ""),
    ],
)
def test_zip3_known_answers(postal: str | None, expected: str) -> None:
    assert zip3(postal) == expected


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(1935, 1, 2), date(2025, 1, 1), "89"),
        (date(1935, 1, 1), date(2025, 1, 1), "90+"),
        (date(1910, 6, 1), date(2025, 1, 1), "90+"),
        (date(2000, 2, 29), date(2025, 2, 28), "24"),
        (date(2000, 2, 29), date(2025, 3, 1), "25"),
        (date(2024, 12, 31), date(2025, 1, 1), "0"),
        (date(2025, 1, 2), date(2025, 1, 1), ""),
    ],
)
def test_age_known_answers(born: date, on: date, expected: str) -> None:
    assert age(born, on) == expected


def test_dates_keep_the_year_or_the_month() -> None:
    assert reduced_date(date(2021, 3, 9), "year") == "2021"
    assert reduced_date(date(2021, 3, 9), "month") == "2021-03"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("age", "47", ("47", "45-49", "40-49", "40-59", "*")),
        ("age", "89", ("89", "85-89", "80-89", "80+", "*")),
        ("age", "90+", ("90+", "90+", "90+", "80+", "*")),
        ("age", "", ("", "", "", "", "*")),
        ("sex", "female", ("female", "*")),
        ("zip3", "031", ("031", "0**", "*")),
        ("zip3", "000", ("000", "000", "*")),
        ("diagnosis_date", "2021", ("2021", "2020-2024", "2020-2029", "*")),
    ],
)
def test_hierarchy_known_answers(column: str, value: str, expected: tuple[str, ...]) -> None:
    hierarchy = next(h for h in hierarchies("year") if h.column == column)
    assert tuple(hierarchy.generalise(value, level) for level in range(hierarchy.top + 1)) == expected


def test_month_precision_adds_a_level_below_the_year() -> None:
    dates = next(h for h in hierarchies("month") if h.column == "diagnosis_date")
    assert [dates.generalise("2019-06", level) for level in range(5)] == [
        "2019-06",
        "2019",
        "2015-2019",
        "2010-2019",
        SUPPRESSED,
    ]
    with pytest.raises(DeidentificationError, match="levels 0 to 4, not 5"):
        dates.generalise("2019-06", 5)


values_by_column = {
    "age": st.one_of(st.integers(0, 89).map(str), st.just("90+"), st.just("")),
    "sex": st.sampled_from(["male", "female", "other", "unknown"]),
    "zip3": st.one_of(
        st.integers(0, 999).map(lambda n: f"{n:03d}").filter(lambda z: z not in RESTRICTED_ZIP3),
        st.just("000"),
        st.just(""),
    ),
    "diagnosis_date": st.one_of(st.integers(1900, 2100).map(str), st.just("")),
}


@given(st.data())
def test_every_level_coarsens_the_one_below(data: st.DataObject) -> None:
    for precision in ("year", "month"):
        for hierarchy in hierarchies(precision):
            strategy = values_by_column[hierarchy.column]
            if precision == "month" and hierarchy.column == "diagnosis_date":
                strategy = st.tuples(st.integers(1900, 2100), st.integers(1, 12)).map(lambda ym: f"{ym[0]}-{ym[1]:02d}")
            a, b = data.draw(strategy), data.draw(strategy)
            for level in range(hierarchy.top):
                if hierarchy.generalise(a, level) == hierarchy.generalise(b, level):
                    assert hierarchy.generalise(a, level + 1) == hierarchy.generalise(b, level + 1)
