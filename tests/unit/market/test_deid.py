"""De-identification end to end: properties over generated populations, known answers, the certificate."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pycanon import anonymity as pycanon

from kura.errors import AnonymityError, CertificateError, DeidentificationError, FhirError
from kura.market import synthetic
from kura.market.anonymity import measure
from kura.market.certificate import DeidCertificate, verify
from kura.market.deid import COLUMNS, QUASI_IDENTIFIERS, SENSITIVE, Deidentified, deidentify
from kura.market.policy import DeidPolicy
from kura.market.table import DeidTable

AS_OF = date(2025, 1, 1)
EXACT = DeidPolicy(k_anonymity=1, l_diversity=1, max_suppression=0)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"


def patient(pid: str, born: str = "1960-05-17", gender: str = "female", postal: str = "03101", **extra: Any) -> dict:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:mrn", "value": f"MRN-{pid}"}],
        "name": [{"family": "Quimby", "given": ["Harriet"]}],
        "telecom": [{"system": "phone", "value": "(603) 555-0142"}],
        "birthDate": born,
        "gender": gender,
        "address": [{"use": "home", "line": ["12 Elm Street"], "city": "Concord", "postalCode": postal}],
        **extra,
    }


def condition(pid: str, code: str, onset: str = "2019-06-15T10:20:00Z", status: str = "confirmed") -> dict:
    return {
        "resourceType": "Condition",
        "code": {"coding": [{"system": ICD, "code": code}]},
        "verificationStatus": {"coding": [{"code": status}]},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset,
    }


def hba1c(pid: str, value: float, when: str, status: str = "final") -> dict:
    return {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": "4548-4"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "%", "code": "%"},
    }


def bp(pid: str, systolic: float, diastolic: float, when: str) -> dict:
    def part(code: str, value: float) -> dict:
        quantity = {"value": value, "code": "mm[Hg]"}
        return {"code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": quantity}

    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "component": [part("8480-6", systolic), part("8462-4", diastolic)],
    }


def only_row(result: Deidentified) -> dict[str, str]:
    assert len(result.table.rows) == 1
    return dict(zip(result.table.columns, result.table.rows[0], strict=True))


def test_safe_harbor_values_without_generalisation() -> None:
    resources = [
        patient("a", born="1931-03-02", postal="03601-2222"),
        condition("a", "E11.9", onset="2019-06-15T10:20:00Z"),
        condition("a", "I10", onset="2012-02-01"),
        condition("a", "J45.909", status="refuted", onset="2001"),
        {
            "resourceType": "Condition",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
            "subject": {"reference": "Patient/a"},
            "onsetDateTime": "1999",
        },
        hba1c("a", 6.84, "2023-01-01T08:00:00Z"),
        hba1c("a", 7.25, "2024-06-01T08:00:00Z"),
        hba1c("a", 9.9, "2024-07-01T08:00:00Z", status="entered-in-error"),
        bp("a", 141.4, 88.6, "2024-02-01T09:00:00Z"),
        bp("a", 120, 70, "2022-02-01T09:00:00Z"),
    ]
    row = only_row(deidentify(resources, AS_OF, EXACT))
    assert row == {
        "age": "90+",
        "sex": "female",
        "zip3": "000",
        "diagnosis_date": "2012",
        "diagnosis": "E11+I10",
        "hba1c_pct": "7.2",
        "systolic_mmhg": "141",
        "diastolic_mmhg": "89",
    }


def test_month_precision_is_reported_as_outside_safe_harbor() -> None:
    resources = [patient("a"), condition("a", "E11.9", onset="2019-06-15")]
    result = deidentify(resources, AS_OF, dataclasses.replace(EXACT, date_precision="month"))
    assert only_row(result)["diagnosis_date"] == "2019-06"
    assert result.certificate.safe_harbor is False
    assert any("outside Safe Harbor" in rule for rule in result.certificate.rules)
    assert deidentify(resources, AS_OF, EXACT).certificate.safe_harbor is True


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"gender": "robot"}, {"sex": "unknown"}),
        ({"postal": "K1A 0B1"}, {"zip3": ""}),
        ({"born": "2026-01-01"}, {"age": ""}),
        ({"born": "1950"}, {"age": "75"}),
    ],
)
def test_unreadable_or_unsafe_values_become_unknown(fields: dict[str, str], expected: dict[str, str]) -> None:
    row = only_row(deidentify([patient("a", **fields)], AS_OF, EXACT))
    assert {key: row[key] for key in expected} == expected
    assert row["diagnosis"] == "none" and row["hba1c_pct"] == ""


def test_only_the_listed_patients_are_included() -> None:
    resources = [patient("a"), patient("b", gender="male"), condition("b", "I10"), condition("c", "E11")]
    result = deidentify(resources, AS_OF, EXACT, patients={"b", "c"})
    assert only_row(result)["sex"] == "male" and result.certificate.records_in == 1
    with pytest.raises(DeidentificationError, match="no records"):
        deidentify(resources, AS_OF, EXACT, patients=set())


def test_a_bad_date_is_reported() -> None:
    with pytest.raises(FhirError, match="not a FHIR date"):
        deidentify([patient("a", born="17/05/1960")], AS_OF, EXACT)


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"k_anonymity": 0}, "at least 1"),
        ({"max_suppression": 1.0}, r"\[0, 1\)"),
        ({"date_precision": "day"}, "'year' or 'month'"),
        ({"max_levels": (("height", 1),)}, "not a quasi-identifier"),
        ({"max_levels": (("zip3", 3),)}, "levels 0 to 2"),
    ],
)
def test_impossible_policies_are_refused(settings_: dict[str, Any], message: str) -> None:
    with pytest.raises(DeidentificationError, match=message):
        DeidPolicy(**settings_)


# ---- properties over generated populations ----------------------------------------------------------------

NAMES = st.from_regex(r"[A-Z][a-z]{4,9}", fullmatch=True)
CODES = st.sampled_from(["E11.9", "I10", "E78.5", "J45.909", "N18.30", "F32.9"])
ZIPS = st.sampled_from(["031", "036", "059", "891", "893", "841", "102", "554"])


@st.composite
def population(draw: st.DrawFn) -> tuple[list[dict], list[list[str]]]:
    """FHIR resources of up to 40 patients, and per patient the identifying strings that must not survive."""
    resources: list[dict] = []
    secrets: list[list[str]] = []
    for index in range(draw(st.integers(1, 40))):
        pid = f"pt-{index}-{draw(st.integers(10**5, 10**6))}"
        born = draw(st.dates(date(1915, 1, 1), date(2024, 12, 31)))
        zip5 = draw(ZIPS) + f"{draw(st.integers(0, 99)):02d}"
        family, given, city = draw(NAMES), draw(NAMES), draw(NAMES)
        mrn = f"MRN{draw(st.integers(10**6, 10**7))}"
        ssn = f"9{draw(st.integers(10, 99))}-{draw(st.integers(10, 99))}-1234"
        phone, email = f"(603) 555-01{draw(st.integers(10, 99))}", f"{given.lower()}@example.com"
        street = f"{draw(st.integers(100, 9999))} {draw(NAMES)} Street"
        resources.append(
            {
                "resourceType": "Patient",
                "id": pid,
                "birthDate": born.isoformat(),
                "gender": draw(st.sampled_from(["male", "female", "other", "unknown"])),
                "identifier": [{"value": mrn}, {"value": ssn}],
                "name": [{"family": family, "given": [given]}],
                "telecom": [{"system": "phone", "value": phone}, {"system": "email", "value": email}],
                "address": [{"line": [street], "city": city, "postalCode": zip5}],
            }
        )
        onsets = []
        for code in draw(st.lists(CODES, max_size=3, unique=True)):
            onset = draw(
                st.datetimes(
                    min_value=pd.Timestamp("2000-01-01").to_pydatetime(),
                    max_value=pd.Timestamp("2024-12-01").to_pydatetime(),
                )
            )
            stamp = onset.strftime("%Y-%m-%dT%H:%M:%SZ")
            onsets.append(stamp)
            resources.append(condition(pid, code, onset=stamp))
        if draw(st.booleans()):
            resources.append(hba1c(pid, draw(st.floats(4.5, 13.0)), "2024-03-03T10:00:00Z"))
        secrets.append([pid, mrn, ssn, family, given, city, phone, email, street, zip5, born.isoformat(), *onsets])
    return resources, secrets


policies = st.builds(
    DeidPolicy,
    k_anonymity=st.integers(2, 5),
    l_diversity=st.integers(1, 3),
    max_suppression=st.sampled_from([0.0, 0.1, 0.25]),
    max_levels=st.sampled_from([(), (("age", 3), ("sex", 0)), (("zip3", 1),)]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(population(), policies)
def test_output_is_k_anonymous_and_l_diverse_or_the_refusal_names_the_classes(
    generated: tuple[list[dict], list[list[str]]], policy: DeidPolicy
) -> None:
    resources, _ = generated
    try:
        result = deidentify(resources, AS_OF, policy)
    except AnonymityError as refused:
        event("refused")
        exact = deidentify(resources, AS_OF, EXACT).table
        caps = policy.caps()
        at_caps = DeidTable.of(
            exact.columns,
            [
                tuple(h.generalise(cell, cap) for h, cell, cap in zip(policy.hierarchies(), row[:4], caps, strict=True))
                + row[4:]
                for row in exact.rows
            ],
        )
        failing = {
            (c.values, c.size, c.distinct)
            for c in measure(at_caps, QUASI_IDENTIFIERS, SENSITIVE).classes
            if c.size < policy.k_anonymity or c.distinct < policy.l_diversity
        }
        assert set(refused.classes) == failing
        assert sum(size for _, size, _ in refused.classes) > policy.max_suppression * len(exact.rows)
        return
    event("anonymised" if result.certificate.suppressed == 0 else "anonymised with suppression")
    certificate = result.certificate
    achieved = measure(result.table, QUASI_IDENTIFIERS, SENSITIVE)
    assert (achieved.k, achieved.l) == (certificate.k, certificate.l)
    assert certificate.k >= policy.k_anonymity and certificate.l >= policy.l_diversity
    assert certificate.suppressed <= policy.max_suppression * certificate.records_in
    assert certificate.records_out + certificate.suppressed == certificate.records_in
    frame = pd.DataFrame(list(result.table.rows), columns=list(COLUMNS), dtype=str)
    assert pycanon.k_anonymity(frame, list(QUASI_IDENTIFIERS)) == certificate.k
    assert pycanon.l_diversity(frame, list(QUASI_IDENTIFIERS), [SENSITIVE]) == certificate.l
    verify(result.table, certificate)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(population())
def test_no_safe_harbor_identifier_survives_in_any_cell(generated: tuple[list[dict], list[list[str]]]) -> None:
    resources, secrets = generated
    cells = [cell for row in deidentify(resources, AS_OF, EXACT).table.rows for cell in row]
    for identifying in (value for person in secrets for value in person):
        assert not any(identifying in cell for cell in cells), identifying


@pytest.fixture(scope="module")
def demo() -> Deidentified:
    bundle = synthetic.generate(synthetic.MOUNTAIN_WEST, 1200, seed=5, validate="none")
    return deidentify(synthetic.resources(bundle), synthetic.DEFAULT_AS_OF)


def test_synthetic_institution_meets_the_default_policy_and_pycanon_agrees(demo: Deidentified) -> None:
    certificate = demo.certificate
    assert certificate.k >= 5 and certificate.l >= 2 and certificate.records_in == 1200
    assert certificate.suppressed <= 0.02 * 1200
    frame = pd.DataFrame(list(demo.table.rows), columns=list(COLUMNS), dtype=str)
    assert pycanon.k_anonymity(frame, list(QUASI_IDENTIFIERS)) == certificate.k
    assert pycanon.l_diversity(frame, list(QUASI_IDENTIFIERS), [SENSITIVE]) == certificate.l
    assert [level.column for level in certificate.levels] == list(QUASI_IDENTIFIERS)
    assert {level.column: level.level for level in certificate.levels}["age"] <= 3


def test_certificate_json_is_canonical_and_round_trips(demo: Deidentified) -> None:
    certificate = demo.certificate
    text = certificate.to_json()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert DeidCertificate.from_json(text) == certificate
    assert DeidCertificate.from_json(text).digest() == certificate.digest()
    assert certificate.table_digest == "0x" + demo.table.digest().hex()
    assert len(certificate.rules) == 22 and certificate.tool == "kura.market.deid"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not a de-identification certificate"),
        ('{"format": "kura.deid-certificate/1"}', "malformed"),
        ("nope", "malformed"),
    ],
)
def test_malformed_certificates_are_refused(text: str, message: str) -> None:
    with pytest.raises(CertificateError, match=message):
        DeidCertificate.from_json(text)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_changed_cell_changes_the_digests_and_fails_verification(demo: Deidentified, data: st.DataObject) -> None:
    table = demo.table
    row = data.draw(st.integers(0, len(table.rows) - 1))
    column = data.draw(st.integers(0, len(table.columns) - 1))
    new_cell = data.draw(st.text(max_size=6).filter(lambda text: text != table.rows[row][column]))
    cells = list(table.rows[row])
    cells[column] = new_cell
    altered = DeidTable(table.columns, (*table.rows[:row], tuple(cells), *table.rows[row + 1 :]))
    assert altered.digest() != table.digest()
    claimed = dataclasses.replace(demo.certificate, table_digest="0x" + altered.digest().hex())
    assert claimed.digest() != demo.certificate.digest()
    with pytest.raises(CertificateError, match="digest"):
        verify(altered, demo.certificate)


def test_verification_rejects_an_overstated_k_and_other_mismatches(demo: Deidentified) -> None:
    verify(demo.table, demo.certificate)
    verify(DeidTable.from_csv(demo.table.to_csv()), demo.certificate)
    with pytest.raises(CertificateError, match="claims k="):
        verify(demo.table, dataclasses.replace(demo.certificate, k=demo.certificate.k + 1))
    dropped = DeidTable(demo.table.columns, demo.table.rows[1:])
    with pytest.raises(CertificateError, match="rows, the certificate says"):
        verify(dropped, dataclasses.replace(demo.certificate, table_digest="0x" + dropped.digest().hex()))
    weak = dataclasses.replace(demo.certificate, policy=dataclasses.replace(demo.certificate.policy, k_anonymity=10**6))
    with pytest.raises(CertificateError, match="below its policy"):
        verify(demo.table, weak)


def test_csv_round_trip_and_malformed_csv() -> None:
    table = DeidTable.of(("a", "b"), [("x,y", ""), ('q"uote', "2")])
    assert DeidTable.from_csv(table.to_csv()) == table
    with pytest.raises(CertificateError, match="empty"):
        DeidTable.from_csv("")
    with pytest.raises(CertificateError, match="row 1 has 1 cells"):
        DeidTable.from_csv("a,b\nonly\n")
