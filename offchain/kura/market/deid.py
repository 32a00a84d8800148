"""FHIR R4 records to a de-identified research table with its certificate.

:func:`deidentify` turns an institution's ``Patient``, ``Condition`` and
``Observation`` resources into one row per patient, in three steps:

1. **Safe Harbor** (:mod:`kura.market.safe_harbor`): each row is built from an
   allow-list, so names, addresses, telecom, identifiers, ids and free text
   never enter it; what does enter is reduced: age in years with 90+ as one
   band, sex, ZIP-3 with the restricted areas as 000, the year (or month) of
   the first diagnosis.
2. **k-anonymity and l-diversity** (:mod:`kura.market.anonymity`): the
   quasi-identifiers (age, sex, ZIP-3, date of diagnosis) are generalised along
   their hierarchies (:mod:`kura.market.hierarchy`) to the least costly levels
   at which every class has at least k rows and l distinct diagnoses, dropping
   at most the policy's share of outlier records; if no allowed levels work,
   :class:`~kura.errors.AnonymityError` lists the classes that stay too small.
3. **Certificate** (:mod:`kura.market.certificate`): what was done and
   achieved, with the digest of the output table.

Columns: ``age, sex, zip3, diagnosis_date`` (quasi-identifiers), ``diagnosis``
(sensitive: the patient's ICD-10 categories, like ``E11+I10``, or ``none``),
``hba1c_pct, systolic_mmhg, diastolic_mmhg`` (the latest HbA1c in %, rounded
to 0.1, and the latest blood pressure in mm[Hg], rounded to 1; empty when
never measured). Rows are sorted, so their order says nothing of the input's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version

from kura.market._fhir import Resource, codes, parse_date, parse_instant, patient_id
from kura.market.anonymity import measure, search
from kura.market.certificate import DeidCertificate, GeneralisationLevel
from kura.market.consent import pseudonym
from kura.market.policy import DeidPolicy
from kura.market.safe_harbor import IDENTIFIERS, UNKNOWN, age, reduced_date, zip3
from kura.market.table import DeidTable

QUASI_IDENTIFIERS = ("age", "sex", "zip3", "diagnosis_date")
SENSITIVE = "diagnosis"
MEASUREMENTS = ("hba1c_pct", "systolic_mmhg", "diastolic_mmhg")
COLUMNS = (*QUASI_IDENTIFIERS, SENSITIVE, *MEASUREMENTS)
NO_DIAGNOSIS = "none"
TOOL = "kura.market.deid"
DEFAULT_POLICY = DeidPolicy()
"""k = 5, l = 2, dates to the year, up to 2 % suppressed, age in at most 20-year bands, sex kept."""

ICD10_SYSTEMS = frozenset({"http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10"})
LOINC = "http://loinc.org"
HBA1C, SYSTOLIC, DIASTOLIC = "4548-4", "8480-6", "8462-4"
_SEXES = frozenset({"male", "female", "other", "unknown"})
_ICD10_CATEGORY = re.compile(r"^[A-Z][0-9][0-9A-Z]")
_NOT_A_DIAGNOSIS = frozenset({"refuted", "entered-in-error"})
_USABLE_RESULT = frozenset({"final", "amended", "corrected"})


def _tool_version() -> str:
    try:
        return version("kura")
    except PackageNotFoundError:
        return "unreleased"


@dataclass(frozen=True)
class Deidentified:
    """A de-identified table and its certificate."""

    table: DeidTable
    certificate: DeidCertificate


@dataclass
class _Patient:
    """What the allow-list takes from one patient's resources, before any generalisation."""

    quasi: tuple[str, str, str]
    diagnoses: set[str] = field(default_factory=set)
    first_diagnosis: date | None = None
    latest: dict[str, tuple[datetime, float]] = field(default_factory=dict)

    def measure(self, name: str, when: datetime, value: float) -> None:
        """Keep ``value`` if it is the latest ``name`` measurement so far."""
        if name not in self.latest or when > self.latest[name][0]:
            self.latest[name] = (when, value)

    def measurement(self, name: str, digits: int) -> str:
        """The latest ``name`` value rounded to ``digits`` decimals, or empty."""
        found = self.latest.get(name)
        return UNKNOWN if found is None else f"{found[1]:.{digits}f}"


def _quasi(patient: Resource, as_of: date) -> tuple[str, str, str]:
    """Age, sex and ZIP-3 of a ``Patient``, Safe Harbor applied."""
    born = patient.get("birthDate")
    gender = patient.get("gender", "unknown")
    addresses = patient.get("address", ())
    home = [a for a in addresses if a.get("use") == "home"] + [a for a in addresses if a.get("use") != "old"]
    postal = next((a["postalCode"] for a in home if a.get("postalCode")), None)
    return (
        age(parse_date(born), as_of) if born else UNKNOWN,
        gender if gender in _SEXES else "unknown",
        zip3(postal),
    )


def _add_condition(record: _Patient, condition: Resource) -> None:
    status = {code for _, code in codes(condition.get("verificationStatus"))}
    if status & _NOT_A_DIAGNOSIS:
        return
    categories = {code[:3].upper() for system, code in codes(condition.get("code")) if system in ICD10_SYSTEMS}
    categories = {category for category in categories if _ICD10_CATEGORY.match(category)}
    if not categories:
        return
    record.diagnoses |= categories
    onset = (
        condition.get("onsetDateTime") or condition.get("onsetPeriod", {}).get("start") or condition.get("recordedDate")
    )
    if onset:
        day = parse_date(onset)
        record.first_diagnosis = day if record.first_diagnosis is None else min(record.first_diagnosis, day)


def _loinc(concept: Resource | None) -> set[str]:
    return {code for system, code in codes(concept) if system == LOINC}


def _add_observation(record: _Patient, observation: Resource) -> None:
    when = observation.get("effectiveDateTime") or observation.get("effectivePeriod", {}).get("start")
    if observation.get("status") not in _USABLE_RESULT or not when:
        return
    instant = parse_instant(when)
    parts = [observation, *observation.get("component", ())]
    for part in parts:
        quantity = part.get("valueQuantity", {})
        value = quantity.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        unit = quantity.get("code") or quantity.get("unit")
        observed = _loinc(part.get("code"))
        if HBA1C in observed and unit == "%":
            record.measure("hba1c_pct", instant, float(value))
        elif SYSTOLIC in observed and unit in ("mm[Hg]", "mmHg"):
            record.measure("systolic_mmhg", instant, float(value))
        elif DIASTOLIC in observed and unit in ("mm[Hg]", "mmHg"):
            record.measure("diastolic_mmhg", instant, float(value))


def _collect(resources: Iterable[Resource], as_of: date, patients: Collection[str] | None) -> dict[str, _Patient]:
    """Per included patient id, what the allow-list takes from their resources."""
    records: dict[str, _Patient] = {}
    clinical: list[Resource] = []
    for resource in resources:
        kind = resource.get("resourceType")
        if kind == "Patient" and (patients is None or resource.get("id") in patients):
            records[str(resource["id"])] = _Patient(_quasi(resource, as_of))
        elif kind in ("Condition", "Observation"):
            clinical.append(resource)
    for resource in clinical:
        record = records.get(patient_id(resource.get("subject")) or "")
        if record is None:
            continue
        if resource["resourceType"] == "Condition":
            _add_condition(record, resource)
        else:
            _add_observation(record, resource)
    return records


def _rules(policy: DeidPolicy) -> tuple[str, ...]:
    dates = (
        "dates: year only (Safe Harbor)"
        if policy.safe_harbor
        else "dates: year and month, outside Safe Harbor: needs an expert determination (164.514(b)(1))"
    )
    return (
        *(f"{name}: {action}" for name, action in IDENTIFIERS),
        dates,
        f"k-anonymity: every class over ({', '.join(QUASI_IDENTIFIERS)}) has at least {policy.k_anonymity} rows",
        f"distinct l-diversity: every class has at least {policy.l_diversity} distinct {SENSITIVE} values",
        f"suppression: at most {policy.max_suppression:.2%} of records, whole failing classes only",
    )


def deidentify(
    resources: Iterable[Resource],
    as_of: date,
    policy: DeidPolicy = DEFAULT_POLICY,
    patients: Collection[str] | None = None,
) -> Deidentified:
    """De-identify an institution's FHIR records into one row per patient.

    Args:
        resources: FHIR R4 resources as JSON; ``Patient``, ``Condition`` and ``Observation`` are read,
            the rest (``Consent``, ``Organization``, ...) skipped.
        as_of: The day ages are computed for (the extraction date).
        policy: k, l, date precision, suppression limit and generalisation caps.
        patients: The ids of the patients to include (those whose consent permits the use); ``None``
            for every patient.

    Returns:
        The table and its certificate.

    Raises:
        AnonymityError: if the policy's k and l cannot be reached; it lists the classes that stay
            too small or too uniform.
        DeidentificationError: if no patient is included.
        FhirError: if a date in a resource is not a FHIR date.
    """
    records = list(_collect(resources, as_of, patients).values())
    precision = policy.date_precision
    values = [(*r.quasi, reduced_date(r.first_diagnosis, precision) if r.first_diagnosis else UNKNOWN) for r in records]
    diagnoses = ["+".join(sorted(r.diagnoses)) or NO_DIAGNOSIS for r in records]
    hierarchies = policy.hierarchies()
    allowed = math.floor(policy.max_suppression * len(records))
    solution = search(values, diagnoses, hierarchies, policy.caps(), policy.k_anonymity, policy.l_diversity, allowed)
    rows = sorted(
        (
            *quasi,
            diagnosis,
            r.measurement("hba1c_pct", 1),
            r.measurement("systolic_mmhg", 0),
            r.measurement("diastolic_mmhg", 0),
        )
        for quasi, diagnosis, r, keep in zip(solution.generalised, diagnoses, records, solution.keep, strict=True)
        if keep
    )
    table = DeidTable.of(COLUMNS, rows)
    achieved = measure(table, QUASI_IDENTIFIERS, SENSITIVE)
    certificate = DeidCertificate(
        tool=TOOL,
        tool_version=_tool_version(),
        as_of=as_of.isoformat(),
        policy=policy,
        safe_harbor=policy.safe_harbor,
        rules=_rules(policy),
        quasi_identifiers=QUASI_IDENTIFIERS,
        sensitive=SENSITIVE,
        levels=tuple(
            GeneralisationLevel(h.column, level, h.levels[level])
            for h, level in zip(hierarchies, solution.levels, strict=True)
        ),
        k=achieved.k,
        l=achieved.l,
        records_in=len(records),
        records_out=len(rows),
        suppressed=solution.suppressed,
        columns=COLUMNS,
        table_digest="0x" + table.digest().hex(),
    )
    return Deidentified(table, certificate)


COMPUTE_COLUMNS = ("pseudonym", "age", "sex", "diagnosis", "hba1c_pct", "systolic_mmhg", "diastolic_mmhg")
"""The columns of :func:`compute_rows` (what :mod:`kura.market.c2d` reads)."""


def compute_rows(resources: Iterable[Resource], as_of: date, salt: bytes) -> list[dict[str, str]]:
    """One row per patient for compute-to-data: Safe Harbor applied (no identifier, ages over 89 as ``90+``,
    no place, no date) but not generalised, keyed by the patient's pseudonym.

    These rows never leave the compute nodes the seller approved: a job keeps only the rows whose pseudonym is
    in the consent snapshot current when it runs, and only the module's noisy, disclosure-controlled
    aggregate reaches the buyer.

    Args:
        resources: The institution's FHIR resources.
        as_of: The day ages are computed for.
        salt: The institution's pseudonym salt (:func:`kura.market.consent.pseudonym`).

    Raises:
        ConsentError: if the salt is too short. FhirError: if a date is not a FHIR date.
    """
    rows = []
    for patient, record in sorted(_collect(resources, as_of, None).items()):
        rows.append(
            {
                "pseudonym": pseudonym(salt, patient).hex(),
                "age": record.quasi[0],
                "sex": record.quasi[1],
                "diagnosis": "+".join(sorted(record.diagnoses)) or NO_DIAGNOSIS,
                "hba1c_pct": record.measurement("hba1c_pct", 1),
                "systolic_mmhg": record.measurement("systolic_mmhg", 0),
                "diastolic_mmhg": record.measurement("diastolic_mmhg", 0),
            }
        )
    return sorted(rows, key=lambda row: row["pseudonym"])
