"""Reading FHIR JSON: partial dates as intervals, periods, and patient references."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kura.errors import FhirError
from kura.market._fhir import parse_date, parse_instant, patient_id, period_covers, years_between


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2024", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2024-02", datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2023-02-28", datetime(2023, 2, 28, tzinfo=UTC), datetime(2023, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2024-05-01T10:00:00+02:00", datetime(2024, 5, 1, 8, tzinfo=UTC), datetime(2024, 5, 1, 8, tzinfo=UTC)),
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC), datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ],
)
def test_partial_dates_are_intervals(value: str, first: datetime, last: datetime) -> None:
    assert parse_instant(value) == first
    assert parse_instant(value, upper=True) == last


@pytest.mark.parametrize("value", ["2024-13", "2023-02-29", "yesterday", "05/01/2024", ""])
def test_bad_dates_are_refused(value: str) -> None:
    with pytest.raises(FhirError):
        parse_instant(value)


@given(st.dates(date(1, 1, 1), date(9999, 12, 30)))
def test_a_full_date_is_its_own_first_and_last_day(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_instant(day.isoformat(), upper=True) + timedelta(microseconds=1) == parse_instant(
        (day + timedelta(days=1)).isoformat()
    )


def test_periods_are_inclusive_and_open_ended() -> None:
    at = datetime(2025, 3, 31, 23, 0, tzinfo=UTC)
    assert period_covers(None, at) and period_covers({}, at)
    assert period_covers({"start": "2025-03", "end": "2025-03"}, at)
    assert not period_covers({"end": "2025-03-30"}, at)
    assert not period_covers({"start": "2025-04"}, at)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Patient/abc", "abc"),
        ("https://fhir.example/r4/Patient/abc", "abc"),
        ("Patient/abc/_history/3", "abc"),
        ("urn:uuid:5d0c1f7e-0000-4000-8000-000000000001", "5d0c1f7e-0000-4000-8000-000000000001"),
        ("Group/abc", None),
        ("Patient/", None),
        ("urn:uuid:", None),
        ("xPatient/abc", None),
    ],
)
def test_patient_references(reference: str, expected: str | None) -> None:
    assert patient_id({"reference": reference}) == expected
    assert patient_id(None) is None and patient_id({}) is None


def test_age_in_whole_years() -> None:
    assert years_between(date(2000, 6, 15), date(2025, 6, 14)) == 24
    assert years_between(date(2000, 6, 15), date(2025, 6, 15)) == 25
