"""Seeded synthetic FHIR R4 records of one institution: patients, conditions, lab and vital signs, consents.

:func:`generate` returns a FHIR ``Bundle`` (type ``collection``) as JSON: the
institution's ``Organization``, then per patient a ``Patient``, its
``Condition``s, ``Observation``s and ``Consent``s. The same profile, patient
count, seed and ``as_of`` date give the same bytes on every run (the random
source is seeded from them; nothing reads the clock).

The records carry everything HIPAA Safe Harbor removes, so de-identification
has real work to do: names, street addresses with five-digit ZIP codes (several
in restricted ZIP-3 areas), birth dates (some patients are over 89), phone
numbers in the fictional 555-01xx range, e-mail addresses at example.com, medical
record numbers, social security numbers in the never-issued 9xx range and
health-plan member ids.

- ``Condition``: ICD-10-CM codes (I10, E11.9, E78.5, J45.909, N18.30, I25.10,
  F32.9) with prevalence rising with age and diabetes likelier with hypertension.
- ``Observation``: HbA1c (LOINC 4548-4, %) higher for diabetics; blood pressure
  panels (85354-9 with systolic 8480-6 and diastolic 8462-4, mm[Hg]) higher for
  hypertensives and with age.
- ``Consent``: scope research, with the mix of ``CONSENT_MIX``: permits for
  HRESCH (some open-ended, some excluding one recipient), permits only for
  CLINTRCH, opt-outs, revoked (inactive), proposed and expired ones, and no
  consent at all; a quarter of patients also have a treatment consent.

Resources are validated against the ``fhir.resources`` R4B models (R4B keeps
R4's Patient, Condition, Observation, Consent and Bundle unchanged; the package's
pydantic-2 releases carry no plain R4 models). Validating every resource with those
models takes several times as long as generating it (figures in ``benchmarks/README.md``),
so by default (``validate="shapes"``) one resource of every distinct structure (its
keys, nesting and value types) is validated: every field and code path the generator
can emit is checked, while the values inside come from ``date`` objects and fixed
formats. ``"all"`` validates every resource.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Literal

from kura.errors import ConfigError, FhirError
from kura.market._synthetic_tables import (
    ACT_CODE,
    AGE_BANDS,
    BP_PANEL,
    CONDITIONS,
    CONSENT_CATEGORY,
    CONSENT_MIX,
    DIABETES,
    DIABETES_GIVEN_HYPERTENSION,
    DIASTOLIC,
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HBA1C,
    HYPERTENSION,
    ICD10,
    LOINC,
    MOUNTAIN_WEST,
    NORTHERN_NEW_ENGLAND,
    PARTICIPATION,
    PHARMA,
    PROFILES,
    RECORD_TYPE,
    STREET_KINDS,
    STREETS,
    SYSTOLIC,
    UCUM,
    Area,
    InstitutionProfile,
)
from kura.market.consent import CONSENT_SCOPE, PURPOSE_OF_USE

__all__ = [
    "DEFAULT_AS_OF",
    "MOUNTAIN_WEST",
    "NORTHERN_NEW_ENGLAND",
    "PROFILES",
    "InstitutionProfile",
    "generate",
    "ndjson_by_type",
    "resources",
    "to_ndjson",
    "validate_r4",
]

DEFAULT_AS_OF = date(2025, 1, 1)
"""The day the records are "as of" unless told otherwise: ages and periods are relative to it."""
MAX_PATIENTS = 1_000_000

Json = dict[str, Any]
Validation = Literal["all", "shapes", "none"]


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for a 29 February that does not exist)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _concept(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    return {"coding": [coding]}


class _Institution:
    """Draws one institution's records from one random source, patient by patient."""

    def __init__(self, profile: InstitutionProfile, seed: int, as_of: date) -> None:
        self.profile = profile
        self.as_of = as_of
        self.rng = random.Random(f"kura-synthetic/1:{profile.slug}:{seed}:{as_of.isoformat()}")
        self.organization = f"Organization/{profile.slug}"

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def instant(self, day: date) -> str:
        return f"{day.isoformat()}T{self.rng.randint(7, 18):02d}:{self.rng.randrange(60):02d}:00Z"

    def patient(self, index: int) -> list[Json]:
        """The resources of patient ``index``: Patient, Conditions, Observations, Consents."""
        rng = self.rng
        band = rng.choices([first for first, _ in AGE_BANDS], [weight for _, weight in AGE_BANDS])[0]
        age = band + rng.randrange(8 if band == 90 else 10)
        born = self.day_between(_years_before(self.as_of, age + 1) + timedelta(days=1), _years_before(self.as_of, age))
        gender = rng.choices(("female", "male", "other", "unknown"), (510, 485, 3, 2))[0]
        area = rng.choices(self.profile.areas, [area.weight for area in self.profile.areas])[0]
        patient_id = self.new_id()
        subject = {"reference": f"Patient/{patient_id}"}
        codes = self.conditions(age)
        records = [self.patient_resource(patient_id, index, gender, born, area)]
        records += [self.condition(subject, code, display, onset) for code, display, onset in self.onsets(codes, born)]
        records += self.observations(subject, age, {code for code, _ in codes})
        records += self.consents(subject)
        return records

    def patient_resource(self, patient_id: str, index: int, gender: str, born: date, area: Area) -> Json:
        rng = self.rng
        pool = GIVEN_FEMALE if gender == "female" else GIVEN_MALE if gender == "male" else GIVEN_FEMALE + GIVEN_MALE
        given, family = rng.choice(pool), rng.choice(FAMILY)
        mrn = f"{self.profile.slug[:3].upper()}{100000 + index:07d}"
        ssn = f"9{rng.randrange(100):02d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        member = f"{rng.choice(('XEH', 'YPM', 'ZKL'))}{rng.randrange(10**9):09d}"
        return {
            "resourceType": "Patient",
            "id": patient_id,
            "identifier": [
                {
                    "use": "usual",
                    "type": _concept(RECORD_TYPE, "MR"),
                    "system": f"{self.profile.base_url}mrn",
                    "value": mrn,
                },
                {"type": _concept(RECORD_TYPE, "SS"), "system": "http://hl7.org/fhir/sid/us-ssn", "value": ssn},
                {"type": _concept(RECORD_TYPE, "MB"), "system": "https://payer.example/member-id", "value": member},
            ],
            "active": True,
            "name": [{"use": "official", "family": family, "given": [given]}],
            "telecom": [
                {"system": "phone", "value": f"({area.phone_area}) 555-01{rng.randrange(100):02d}", "use": "home"},
                {"system": "email", "value": f"{given.lower()}.{family.lower()}{rng.randrange(1000)}@example.com"},
            ],
            "gender": gender,
            "birthDate": born.isoformat(),
            "address": [
                {
                    "use": "home",
                    "line": [f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"],
                    "city": area.city,
                    "state": area.state,
                    "postalCode": f"{area.zip3}{rng.randrange(100):02d}",
                    "country": "US",
                }
            ],
            "managingOrganization": {"reference": self.organization},
        }

    def conditions(self, age: int) -> list[tuple[str, str]]:
        """The ICD-10-CM codes (with display) drawn for a patient of ``age``."""
        decade = min(age // 10, 9)
        drawn: list[tuple[str, str]] = []
        for kind in CONDITIONS:
            chance = kind.by_decade[decade]
            if kind.code == DIABETES and any(code == HYPERTENSION for code, _ in drawn):
                chance *= DIABETES_GIVEN_HYPERTENSION
            if age >= kind.youngest_onset and self.rng.random() < chance:
                drawn.append((kind.code, kind.display))
        return drawn

    def onsets(self, codes: list[tuple[str, str]], born: date) -> list[tuple[str, str, date]]:
        youngest = {kind.code: kind.youngest_onset for kind in CONDITIONS}
        latest = self.as_of - timedelta(days=30)
        onsets = []
        for code, display in codes:
            earliest = max(_years_before(born, -youngest[code]), _years_before(self.as_of, 25))
            if earliest <= latest:
                onsets.append((code, display, self.day_between(earliest, latest)))
        return onsets

    def condition(self, subject: Json, code: str, display: str, onset: date) -> Json:
        return {
            "resourceType": "Condition",
            "id": self.new_id(),
            "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            "verificationStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            "category": [_concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")],
            "code": _concept(ICD10, code, display),
            "subject": subject,
            "onsetDateTime": self.instant(onset),
            "recordedDate": self.instant(onset),
        }

    def observations(self, subject: Json, age: int, codes: set[str]) -> list[Json]:
        rng = self.rng
        since = _years_before(self.as_of, 3)
        diabetic, hypertensive = DIABETES in codes, HYPERTENSION in codes
        records = []
        for _ in range(rng.randint(2, 4) if diabetic else int(age >= 18 and rng.random() < 0.4)):
            value = rng.gauss(7.6, 1.3) if diabetic else rng.gauss(5.3 + 0.006 * age, 0.3)
            day = self.day_between(since, self.as_of)
            records.append(self.hba1c(subject, day, round(min(max(value, 4.2), 14.0), 1)))
        for _ in range(rng.randint(1, 3) if age >= 18 else rng.randint(0, 1)):
            if hypertensive:
                systolic, diastolic = rng.gauss(142 + 0.2 * (age - 60), 14), rng.gauss(88, 9)
            else:
                systolic, diastolic = rng.gauss(112 + 0.35 * max(age - 20, 0), 11), rng.gauss(74 + 0.1 * age, 8)
            day = self.day_between(since, self.as_of)
            records.append(
                self.blood_pressure(
                    subject, day, round(min(max(systolic, 85), 220)), round(min(max(diastolic, 45), 130))
                )
            )
        return records

    def hba1c(self, subject: Json, day: date, percent: float) -> Json:
        return {
            "resourceType": "Observation",
            "id": self.new_id(),
            "status": "final",
            "category": [_concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
            "code": _concept(LOINC, *HBA1C),
            "subject": subject,
            "effectiveDateTime": self.instant(day),
            "valueQuantity": {"value": percent, "unit": "%", "system": UCUM, "code": "%"},
        }

    def blood_pressure(self, subject: Json, day: date, systolic: int, diastolic: int) -> Json:
        def component(code: tuple[str, str], value: int) -> Json:
            quantity = {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}
            return {"code": _concept(LOINC, *code), "valueQuantity": quantity}

        return {
            "resourceType": "Observation",
            "id": self.new_id(),
            "status": "final",
            "category": [_concept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")],
            "code": _concept(LOINC, *BP_PANEL),
            "subject": subject,
            "effectiveDateTime": self.instant(day),
            "component": [component(SYSTOLIC, systolic), component(DIASTOLIC, diastolic)],
        }

    def consents(self, subject: Json) -> list[Json]:
        rng = self.rng
        kind = rng.choices([name for name, _ in CONSENT_MIX], [weight for _, weight in CONSENT_MIX])[0]
        records = []
        if kind != "none":
            records.append(self.research_consent(subject, kind))
        if rng.random() < 0.25:
            signed = self.day_between(_years_before(self.as_of, 10), self.as_of - timedelta(days=1))
            records.append(
                self.consent(
                    subject,
                    "active",
                    "treatment",
                    signed,
                    "OPTIN",
                    {"type": "permit", "purpose": [{"system": PURPOSE_OF_USE, "code": "TREAT"}]},
                )
            )
        return records

    def research_consent(self, subject: Json, kind: str) -> Json:
        """One research consent of ``kind`` (a name from ``CONSENT_MIX``)."""
        signed = self.day_between(_years_before(self.as_of, 6), self.as_of - timedelta(days=10))
        hresch = [{"system": PURPOSE_OF_USE, "code": "HRESCH", "display": "healthcare research"}]
        until = {"start": signed.isoformat(), "end": _years_before(signed, -10).isoformat()}
        provision: Json = {"type": "permit", "period": until, "purpose": hresch}
        status, rule = "active", "OPTIN"
        if kind == "permit-hresch-open":
            provision = {"type": "permit", "period": {"start": signed.isoformat()}}
        elif kind == "permit-clintrch":
            trials = {"system": PURPOSE_OF_USE, "code": "CLINTRCH", "display": "clinical trial research"}
            provision["purpose"] = [trials]
        elif kind == "permit-except-pharma":
            role = _concept(PARTICIPATION, "IRCP", "information recipient")
            provision["provision"] = [{"type": "deny", "actor": [{"role": role, "reference": {"reference": PHARMA}}]}]
        elif kind == "opt-out":
            provision, rule = {"type": "deny", "period": {"start": signed.isoformat()}}, "OPTOUT"
        elif kind == "revoked":
            status = "inactive"
        elif kind == "proposed":
            status = "proposed"
        elif kind == "expired":
            signed = self.day_between(_years_before(self.as_of, 9), _years_before(self.as_of, 4))
            provision["period"] = {"start": signed.isoformat(), "end": _years_before(signed, -3).isoformat()}
        return self.consent(subject, status, "research", signed, rule, provision)

    def consent(self, subject: Json, status: str, scope: str, signed: date, rule: str, provision: Json) -> Json:
        category = (
            _concept(CONSENT_CATEGORY, "research", "Research Information Access")
            if scope == "research"
            else _concept(LOINC, "59284-0", "Patient Consent")
        )
        return {
            "resourceType": "Consent",
            "id": self.new_id(),
            "status": status,
            "scope": _concept(CONSENT_SCOPE, scope),
            "category": [category],
            "patient": subject,
            "dateTime": self.instant(signed),
            "organization": [{"reference": self.organization}],
            "policyRule": _concept(ACT_CODE, rule),
            "provision": provision,
        }


def generate(
    profile: InstitutionProfile, patients: int, seed: int, as_of: date = DEFAULT_AS_OF, validate: Validation = "shapes"
) -> Json:
    """One institution's synthetic records as a FHIR ``Bundle`` of type ``collection``.

    Args:
        profile: The institution (name, FHIR base URL, catchment areas), e.g. :data:`NORTHERN_NEW_ENGLAND`.
        patients: How many patients to make.
        seed: The seed; the same arguments give the same bundle.
        as_of: The day the records are current on; every date lies before it.
        validate: Check against the ``fhir.resources`` R4B models ``"all"`` resources, one of each
            distinct structure (``"shapes"``) or ``"none"``.

    Returns:
        The bundle as JSON (``dict``), each entry with a ``fullUrl`` under the profile's base URL.

    Raises:
        ConfigError: if ``patients`` is not between 1 and 1,000,000 or ``validate`` is not a mode.
        FhirError: if validation finds a resource that is not valid FHIR (a bug in the generator).
    """
    if not 1 <= patients <= MAX_PATIENTS:
        raise ConfigError(f"synthetic patients must be between 1 and {MAX_PATIENTS:,}, got {patients}")
    if validate not in ("all", "shapes", "none"):
        raise ConfigError(f"validate must be 'all', 'shapes' or 'none', got {validate!r}")
    institution = _Institution(profile, seed, as_of)
    records: list[Json] = [{"resourceType": "Organization", "id": profile.slug, "active": True, "name": profile.name}]
    for index in range(patients):
        records += institution.patient(index)
    entries: list[Json] = [
        {"fullUrl": f"{profile.base_url}{record['resourceType']}/{record['id']}", "resource": record}
        for record in records
    ]
    bundle: Json = {
        "resourceType": "Bundle",
        "id": f"{profile.slug}-{seed}",
        "type": "collection",
        "timestamp": f"{as_of.isoformat()}T00:00:00Z",
        "entry": entries,
    }
    if validate != "none":
        validate_r4(bundle if validate == "all" else {**bundle, "entry": _one_per_shape(entries)})
    return bundle


def _shape(value: Any) -> Any:
    """The structure of a JSON value: keys in order, nesting, the set of item shapes of each list and leaf types.

    Two resources of one shape differ only in their leaf values (and list lengths); keys in another
    order only count as another shape, which costs one more validation, never one less.
    """
    if isinstance(value, dict):
        return tuple((key, _shape(item)) for key, item in value.items())
    if isinstance(value, list):
        return frozenset(_shape(item) for item in value)
    return type(value)


def _one_per_shape(entries: list[Json]) -> list[Json]:
    """The first bundle entry of every distinct resource structure, in bundle order."""
    first: dict[Any, Json] = {}
    for entry in entries:
        first.setdefault(_shape(entry["resource"]), entry)
    return list(first.values())


def validate_r4(bundle: Json) -> None:
    """Check a bundle and every resource in it against the ``fhir.resources`` R4B models.

    Raises:
        FhirError: with pydantic's account of every invalid field.
    """
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        raise FhirError(f"bundle is not valid FHIR R4B: {error}") from error


def resources(bundle: Json, resource_type: str | None = None) -> list[Json]:
    """The resources of a bundle, all or those of one type, in bundle order."""
    found = [entry["resource"] for entry in bundle.get("entry", ())]
    return found if resource_type is None else [r for r in found if r.get("resourceType") == resource_type]


def to_ndjson(records: Iterable[Json]) -> str:
    """Resources as NDJSON: one compact JSON object with sorted keys per line."""
    return "".join(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n" for record in records)


def ndjson_by_type(bundle: Json) -> dict[str, str]:
    """A bundle as FHIR bulk-data NDJSON files' contents, one per resource type (``{"Patient": "..."}``)."""
    by_type: dict[str, list[Json]] = {}
    for record in resources(bundle):
        by_type.setdefault(record["resourceType"], []).append(record)
    return {resource_type: to_ndjson(records) for resource_type, records in sorted(by_type.items())}
