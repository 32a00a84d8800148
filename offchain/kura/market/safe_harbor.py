"""HIPAA Safe Harbor (45 CFR 164.514(b)(2)): the 18 identifiers and the few values it lets through.

A de-identified row is built from an allow-list (:mod:`kura.market.deid` copies
only age, sex, ZIP-3, the date of diagnosis, diagnosis codes and lab values
into it), so nothing reaches the output unless a rule below lets it. What
happens to each of the 18 identifiers is :data:`IDENTIFIERS`; the values that
survive in reduced form are computed here:

- ZIP codes keep their first three digits, except the 17 three-digit areas
  with 20,000 people or fewer in the 2000 census listed by HHS
  (:data:`RESTRICTED_ZIP3`), which become ``000``.
- Ages are whole years up to 89; every age over 89 is the one band ``90+``.
- Dates keep their year. Keeping the month too (``date_precision="month"``)
  is outside Safe Harbor and needs an expert determination (164.514(b)(1)).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from kura.market._fhir import years_between

DatePrecision = Literal["year", "month"]

RESTRICTED_ZIP3 = frozenset(
    {
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
    }
)
"""Three-digit ZIP areas with 20,000 people or fewer (2000 census, HHS de-identification guidance)."""
RESTRICTED_ZIP = "000"
OLDEST_AGE = 89
"""Ages up to this are kept in years; older ones become :data:`OLDEST_BAND`."""
OLDEST_BAND = "90+"
UNKNOWN = ""
"""The value of a field the record does not have (or that cannot be read safely)."""

IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("names", "removed: Patient.name is not copied"),
    (
        "geographic subdivisions smaller than a state",
        (
            "street, city and county removed; ZIP code to its first 3 digits, "
            "000 for the 17 restricted three-digit areas"
        ),
    ),
    (
        "dates (except year) and ages over 89",
        (
            "birth date replaced by age in years, ages over 89 as 90+; other dates to the year (or month per policy); "
            "times removed"
        ),
    ),
    ("telephone numbers", "removed: Patient.telecom is not copied"),
    ("fax numbers", "removed: Patient.telecom is not copied"),
    ("e-mail addresses", "removed: Patient.telecom is not copied"),
    ("social security numbers", "removed: Patient.identifier is not copied"),
    ("medical record numbers", "removed: Patient.identifier and resource ids are not copied"),
    ("health plan beneficiary numbers", "removed: Patient.identifier and Coverage are not copied"),
    ("account numbers", "removed: no account or encounter identifier is copied"),
    ("certificate/license numbers", "removed: no identifier is copied"),
    ("vehicle identifiers and serial numbers", "removed: no identifier is copied"),
    ("device identifiers and serial numbers", "removed: Device and UDI are not copied"),
    ("web URLs", "removed: no URL or reference is copied"),
    ("IP addresses", "removed: no network address is copied"),
    ("biometric identifiers", "removed: no biometric data is copied"),
    ("full-face photographs and comparable images", "removed: Patient.photo and attachments are not copied"),
    (
        "any other unique identifying number, characteristic or code",
        (
            "removed: rows carry no id, pseudonym or free text, "
            "and are sorted so their order says nothing about the source"
        ),
    ),
)
"""The 18 Safe Harbor identifiers, 164.514(b)(2)(i)(A)-(R), and what de-identification does with each."""

_US_ZIP = re.compile(r"^(\d{3})\d{2}(?:-?\d{4})?$")


def zip3(postal_code: str | None) -> str:
    """The Safe Harbor ZIP-3 of a US postal code: ``"03101"`` gives ``"031"``, ``"03601"`` gives ``"000"``.

    A code that is not a 5- or 9-digit US ZIP code gives :data:`UNKNOWN`.
    """
    match = _US_ZIP.match((postal_code or "").strip())
    if match is None:
        return UNKNOWN
    return RESTRICTED_ZIP if match[1] in RESTRICTED_ZIP3 else match[1]


def age(born: date, on: date) -> str:
    """Age in whole years on ``on`` as Safe Harbor allows it: ``"0"`` to ``"89"``, or ``"90+"``.

    A birth after ``on`` gives :data:`UNKNOWN`.
    """
    years = years_between(born, on)
    if years < 0:
        return UNKNOWN
    return OLDEST_BAND if years > OLDEST_AGE else str(years)


def reduced_date(day: date, precision: DatePrecision) -> str:
    """A date reduced to ``"2021"`` (Safe Harbor) or ``"2021-03"`` (month precision, outside Safe Harbor)."""
    return str(day.year) if precision == "year" else f"{day.year}-{day.month:02d}"
