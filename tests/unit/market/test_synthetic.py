"""Synthetic FHIR records: same seed same bytes, valid R4(B), identifiers present, realistic associations."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest

from kura.errors import ConfigError, FhirError
from kura.market import synthetic
from kura.market._fhir import parse_date, patient_id, years_between
from kura.market._synthetic_tables import PHARMA
from kura.market.consent import ConsentRequest, Verdict, decide

AS_OF = synthetic.DEFAULT_AS_OF


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return synthetic.generate(synthetic.NORTHERN_NEW_ENGLAND, 1500, seed=7)


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    first = synthetic.ndjson_by_type(synthetic.generate(synthetic.MOUNTAIN_WEST, 200, seed=3, validate="none"))
    again = synthetic.ndjson_by_type(synthetic.generate(synthetic.MOUNTAIN_WEST, 200, seed=3, validate="none"))
    other = synthetic.ndjson_by_type(synthetic.generate(synthetic.MOUNTAIN_WEST, 200, seed=4, validate="none"))
    assert first == again
    assert first["Patient"] != other["Patient"]
    assert set(first) == {"Condition", "Consent", "Observation", "Organization", "Patient"}


def test_every_resource_is_valid_fhir_r4b() -> None:
    synthetic.generate(synthetic.MOUNTAIN_WEST, 150, seed=11, validate="all")


def test_validation_reports_an_invalid_resource() -> None:
    bundle = synthetic.generate(synthetic.MOUNTAIN_WEST, 2, seed=1, validate="none")
    bundle["entry"][1]["resource"]["birthDate"] = "1950-13-40"
    with pytest.raises(FhirError, match="not valid FHIR R4B"):
        synthetic.validate_r4(bundle)


@pytest.mark.parametrize(("patients", "validate"), [(0, "none"), (2_000_000, "none"), (5, "some")])
def test_bad_arguments_are_refused(patients: int, validate: Any) -> None:
    with pytest.raises(ConfigError):
        synthetic.generate(synthetic.MOUNTAIN_WEST, patients, seed=1, validate=validate)


def test_ndjson_lines_are_the_bundle_resources(bundle: dict[str, Any]) -> None:
    files = synthetic.ndjson_by_type(bundle)
    patients = [json.loads(line) for line in files["Patient"].splitlines()]
    assert patients == synthetic.resources(bundle, "Patient") and len(patients) == 1500
    assert sum(len(text.splitlines()) for text in files.values()) == len(bundle["entry"])


def test_full_urls_and_references_resolve_within_the_bundle(bundle: dict[str, Any]) -> None:
    base = synthetic.NORTHERN_NEW_ENGLAND.base_url
    ids = {entry["resource"]["id"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Patient"}
    for entry in bundle["entry"]:
        record = entry["resource"]
        assert entry["fullUrl"] == f"{base}{record['resourceType']}/{record['id']}"
        reference = record.get("subject") or record.get("patient")
        if reference is not None:
            assert patient_id(reference) in ids


def test_patients_carry_the_identifiers_safe_harbor_removes(bundle: dict[str, Any]) -> None:
    patients = synthetic.resources(bundle, "Patient")
    for patient in patients[:50]:
        kinds = {ident["type"]["coding"][0]["code"] for ident in patient["identifier"]}
        assert kinds == {"MR", "SS", "MB"}
        assert patient["name"][0]["family"] and patient["address"][0]["line"][0]
        assert {telecom["system"] for telecom in patient["telecom"]} == {"phone", "email"}
        assert len(patient["address"][0]["postalCode"]) == 5
    zip3s = Counter(patient["address"][0]["postalCode"][:3] for patient in patients)
    assert zip3s["036"] > 0 and zip3s["059"] > 0
    ages = [years_between(date.fromisoformat(patient["birthDate"]), AS_OF) for patient in patients]
    assert min(ages) >= 0 and sum(age >= 90 for age in ages) >= 10
    assert len({patient["id"] for patient in patients}) == 1500


def test_conditions_and_measurements_follow_age_and_diagnosis(bundle: dict[str, Any]) -> None:
    patients = {p["id"]: p for p in synthetic.resources(bundle, "Patient")}
    diagnosed: dict[str, set[str]] = {pid: set() for pid in patients}
    for condition in synthetic.resources(bundle, "Condition"):
        code = condition["code"]["coding"][0]["code"]
        diagnosed[patient_id(condition["subject"]) or ""].add(code)
        assert parse_date(condition["onsetDateTime"]) < AS_OF
    age = {pid: years_between(date.fromisoformat(p["birthDate"]), AS_OF) for pid, p in patients.items()}
    old = [pid for pid in patients if age[pid] >= 60]
    young = [pid for pid in patients if 20 <= age[pid] < 40]

    def share(group: list[str]) -> float:
        return sum("I10" in diagnosed[p] for p in group) / len(group)

    assert share(old) > 3 * share(young)
    hba1c: dict[bool, list[float]] = {True: [], False: []}
    systolic: dict[bool, list[float]] = {True: [], False: []}
    for observation in synthetic.resources(bundle, "Observation"):
        who = diagnosed[patient_id(observation["subject"]) or ""]
        code = observation["code"]["coding"][0]["code"]
        if code == "4548-4":
            assert observation["valueQuantity"]["unit"] == "%"
            hba1c["E11.9" in who].append(observation["valueQuantity"]["value"])
        else:
            assert code == "85354-9"
            parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in observation["component"]}
            assert set(parts) == {"8480-6", "8462-4"} and parts["8480-6"]["code"] == "mm[Hg]"
            systolic["I10" in who].append(parts["8480-6"]["value"])
    assert statistics.mean(hba1c[True]) > statistics.mean(hba1c[False]) + 1.5
    assert statistics.mean(systolic[True]) > statistics.mean(systolic[False]) + 15


def test_consents_mix_every_verdict(bundle: dict[str, Any]) -> None:
    patients = [p["id"] for p in synthetic.resources(bundle, "Patient")]
    consents = synthetic.resources(bundle, "Consent")
    at = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
    verdicts = Counter(decide(consents, ConsentRequest("HRESCH", at), patients).values())
    assert set(verdicts) == set(Verdict)
    assert 0.5 < verdicts[Verdict.PERMIT] / len(patients) < 0.8
    to_pharma = Counter(decide(consents, ConsentRequest("HRESCH", at, PHARMA), patients).values())
    to_institute = Counter(decide(consents, ConsentRequest("HRESCH", at, "Organization/institute"), patients).values())
    assert to_pharma[Verdict.PERMIT] == verdicts[Verdict.PERMIT] < to_institute[Verdict.PERMIT]
    assert {c["status"] for c in consents} == {"active", "inactive", "proposed"}


def test_shape_sampling_keeps_one_resource_per_structure() -> None:
    def entry(resource: dict[str, Any]) -> dict[str, Any]:
        return {"fullUrl": "https://x.example/Observation/1", "resource": resource}

    same = [entry({"resourceType": "Observation", "valueQuantity": {"value": v}}) for v in (1.5, 2.5)]
    extra_key = entry({"resourceType": "Observation", "valueQuantity": {"value": 1.5}, "status": "final"})
    other_type = entry({"resourceType": "Observation", "valueQuantity": {"value": 2}})
    longer_list = [entry({"resourceType": "Patient", "given": names}) for names in (["A"], ["A", "B"], [1])]
    chosen = synthetic._one_per_shape([*same, extra_key, other_type, *longer_list])
    assert chosen == [same[0], extra_key, other_type, longer_list[0], longer_list[2]]
