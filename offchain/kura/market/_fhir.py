"""Reading FHIR R4 JSON: partial dates, periods, codings and patient references.

FHIR resources reach :mod:`kura.market` as plain JSON objects (``dict``), the way
a FHIR server or a bulk NDJSON export hands them over; these helpers read the few
data types the consent and de-identification rules need.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from kura.errors import FhirError

Resource = Mapping[str, Any]
"""A FHIR resource as its JSON object."""

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_instant(value: str, *, upper: bool = False) -> datetime:
    """A FHIR ``date`` or ``dateTime`` as an aware UTC instant.

    A partial value stands for an interval: ``"2024"`` is all of 2024. ``upper``
    picks its last microsecond instead of its first, which is how a period's end
    is read (``end: "2024"`` covers 31 December 2024). A date without a time zone
    is read as UTC.

    Raises:
        FhirError: if ``value`` is not a FHIR date or dateTime.
    """
    match = _PARTIAL.match(value)
    if match is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as error:
            raise FhirError(f"{value!r} is not a FHIR date or dateTime") from error
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    year, month, day = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    try:
        if day:
            first, last = date(year, month, day), date(year, month, day)
        elif month:
            first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
    except ValueError as error:
        raise FhirError(f"{value!r} is not a valid FHIR date: {error}") from error
    if upper:
        return datetime.combine(last, time.max, UTC)
    return datetime.combine(first, time.min, UTC)


def parse_date(value: str) -> date:
    """The first day a FHIR ``date`` or ``dateTime`` can mean (``"1950-07"`` is 1 July 1950).

    Raises:
        FhirError: if ``value`` is not a FHIR date or dateTime.
    """
    return parse_instant(value).date()


def period_covers(period: Resource | None, at: datetime) -> bool:
    """Whether the FHIR ``Period`` includes the instant ``at``; a missing period or bound is open."""
    if not period:
        return True
    start, end = period.get("start"), period.get("end")
    if start is not None and at < parse_instant(start):
        return False
    return end is None or at <= parse_instant(end, upper=True)


def codes(concept: Resource | None) -> Iterator[tuple[str, str]]:
    """The ``(system, code)`` pairs of a ``CodeableConcept``'s codings."""
    for coding in (concept or {}).get("coding", ()):
        if "code" in coding:
            yield coding.get("system", ""), coding["code"]


def has_code(concept: Resource | None, system: str, code: str) -> bool:
    """Whether a ``CodeableConcept`` carries ``system#code``."""
    return (system, code) in set(codes(concept))


def patient_id(reference: Resource | None) -> str | None:
    """The patient id a ``Reference`` points to, or ``None`` if it names no patient.

    Reads ``Patient/abc``, ``https://host/fhir/Patient/abc``, versioned ones
    (``Patient/abc/_history/2``) and ``urn:uuid:abc``, which in transaction and
    Synthea bundles is the ``fullUrl`` of the resource whose id is ``abc``.
    """
    target = (reference or {}).get("reference", "").split("/_history/")[0]
    if target.startswith("urn:uuid:"):
        return target.removeprefix("urn:uuid:") or None
    head, _, tail = target.rpartition("Patient/")
    if not tail or "/" in tail or (head and not head.endswith("/")):
        return None
    return str(tail)


def years_between(born: date, on: date) -> int:
    """Whole years from ``born`` to ``on``: the age on that day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def parse_records(text: str) -> list[Resource]:
    """FHIR resources from a ``Bundle`` (JSON) or from NDJSON (one resource per line).

    Raises:
        FhirError: if the text is neither, or a line is not a JSON object.
    """
    try:
        single = json.loads(text)
    except ValueError:
        single = None
    if isinstance(single, dict):
        if single.get("resourceType") == "Bundle":
            return [entry["resource"] for entry in single.get("entry", ()) if "resource" in entry]
        return [single]
    records: list[Resource] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise FhirError(f"line {number} is not JSON: {exc}") from exc
        if not isinstance(record, dict) or "resourceType" not in record:
            raise FhirError(f"line {number} is not a FHIR resource (no resourceType)")
        records.append(record)
    return records
