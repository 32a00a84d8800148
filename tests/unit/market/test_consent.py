"""Pseudonyms and FHIR Consent evaluation: the decision table, nested provisions, several consents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.errors import ConsentError, FhirError
from kura.market import merkle
from kura.market.consent import (
    CONSENT_SCOPE,
    PURPOSE_OF_USE,
    ConsentRequest,
    Verdict,
    decide,
    evaluate,
    pseudonym,
    snapshot,
)
from kura.market.snapshot import ZERO_ADDRESS, leaf

SALT = b"s" * 32
AT = datetime(2025, 3, 1, tzinfo=UTC)
HRESCH = ConsentRequest("HRESCH", AT)


def purpose(*codes: str) -> list[dict[str, str]]:
    return [{"system": PURPOSE_OF_USE, "code": code} for code in codes]


def consent(
    patient: str = "p1",
    status: str = "active",
    scope: str = "research",
    kind: str = "permit",
    period: dict[str, str] | None = None,
    purposes: list[dict[str, str]] | None = None,
    nested: list[dict[str, Any]] | None = None,
    actors: list[str] | None = None,
) -> dict[str, Any]:
    provision: dict[str, Any] = {"type": kind}
    if period is not None:
        provision["period"] = period
    if purposes is not None:
        provision["purpose"] = purposes
    if nested is not None:
        provision["provision"] = nested
    if actors is not None:
        provision["actor"] = [{"reference": {"reference": actor}} for actor in actors]
    return {
        "resourceType": "Consent",
        "id": f"c-{patient}",
        "status": status,
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": scope}]},
        "patient": {"reference": f"Patient/{patient}"},
        "provision": provision,
    }


CASES = [
    ("active research permit for HRESCH", consent(purposes=purpose("HRESCH")), HRESCH, Verdict.PERMIT),
    ("permit without purpose codes covers every purpose", consent(), HRESCH, Verdict.PERMIT),
    ("inactive consent", consent(status="inactive", purposes=purpose("HRESCH")), HRESCH, Verdict.NOT_ACTIVE),
    ("proposed consent", consent(status="proposed"), HRESCH, Verdict.NOT_ACTIVE),
    ("rejected consent", consent(status="rejected"), HRESCH, Verdict.NOT_ACTIVE),
    ("treatment scope", consent(scope="treatment"), HRESCH, Verdict.NOT_RESEARCH),
    ("privacy scope", consent(scope="patient-privacy"), HRESCH, Verdict.NOT_RESEARCH),
    ("expired period", consent(period={"start": "2020-01-01", "end": "2024-12-31"}), HRESCH, Verdict.NOT_COVERED),
    ("not yet started", consent(period={"start": "2025-03-02"}), HRESCH, Verdict.NOT_COVERED),
    ("partial end date covers the whole month", consent(period={"end": "2025-03"}), HRESCH, Verdict.PERMIT),
    ("open-ended period", consent(period={"start": "2019-05-01T08:00:00Z"}), HRESCH, Verdict.PERMIT),
    ("purpose mismatch", consent(purposes=purpose("TREAT")), HRESCH, Verdict.NOT_COVERED),
    (
        "narrower permit does not cover the broad purpose",
        consent(purposes=purpose("CLINTRCH")),
        HRESCH,
        Verdict.NOT_COVERED,
    ),
    (
        "broad permit covers a narrower purpose",
        consent(purposes=purpose("HRESCH")),
        ConsentRequest("CLINTRCH", AT),
        Verdict.PERMIT,
    ),
    (
        "purpose from another code system never permits",
        consent(purposes=[{"system": "urn:x", "code": "HRESCH"}]),
        HRESCH,
        Verdict.NOT_COVERED,
    ),
    ("opt-out: root deny", consent(kind="deny"), HRESCH, Verdict.DENIED),
    ("deny for the purpose", consent(kind="deny", purposes=purpose("HRESCH")), HRESCH, Verdict.DENIED),
    (
        "deny of a narrower purpose overlaps the broad request",
        consent(kind="deny", purposes=purpose("CLINTRCH")),
        HRESCH,
        Verdict.DENIED,
    ),
    (
        "deny for another purpose leaves nothing permitted",
        consent(kind="deny", purposes=purpose("HMARKT")),
        HRESCH,
        Verdict.NOT_COVERED,
    ),
    (
        "nested deny wins inside a permit",
        consent(
            purposes=purpose("HRESCH"), nested=[{"type": "deny", "period": {"start": "2025-02", "end": "2025-04"}}]
        ),
        HRESCH,
        Verdict.DENIED,
    ),
    (
        "nested deny outside its period does not apply",
        consent(nested=[{"type": "deny", "period": {"start": "2025-04-01"}}]),
        HRESCH,
        Verdict.PERMIT,
    ),
    (
        "nested permit carves research out of a root deny",
        consent(kind="deny", nested=[{"type": "permit", "purpose": purpose("HRESCH")}]),
        HRESCH,
        Verdict.PERMIT,
    ),
    (
        "nested provision without type keeps its parent's",
        consent(kind="deny", nested=[{"purpose": purpose("HMARKT")}]),
        HRESCH,
        Verdict.DENIED,
    ),
    (
        "permit naming actors does not cover an unknown recipient",
        consent(actors=["Organization/lab"]),
        HRESCH,
        Verdict.NOT_COVERED,
    ),
    (
        "permit naming the recipient",
        consent(actors=["Organization/lab"]),
        ConsentRequest("HRESCH", AT, "Organization/lab"),
        Verdict.PERMIT,
    ),
    (
        "permit naming another recipient",
        consent(actors=["Organization/lab"]),
        ConsentRequest("HRESCH", AT, "Organization/other"),
        Verdict.NOT_COVERED,
    ),
    (
        "nested deny of an actor applies to an unknown recipient",
        consent(nested=[{"type": "deny", "actor": [{"reference": {"reference": "Organization/pharma"}}]}]),
        HRESCH,
        Verdict.DENIED,
    ),
    (
        "nested deny of another actor",
        consent(nested=[{"type": "deny", "actor": [{"reference": {"reference": "Organization/pharma"}}]}]),
        ConsentRequest("HRESCH", AT, "Organization/lab"),
        Verdict.PERMIT,
    ),
]


@pytest.mark.parametrize(("resource", "request_", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_consent_decision_table(resource: dict[str, Any], request_: ConsentRequest, expected: Verdict) -> None:
    assert evaluate(resource, request_) is expected


def test_deny_among_several_consents_wins_and_unknown_patients_get_no_consent() -> None:
    resources = [
        consent("a"),
        consent("b"),
        consent("b", kind="deny"),
        consent("c", status="inactive"),
        consent("c", scope="treatment"),
        consent("d", period={"end": "2024"}),
        consent("d", status="entered-in-error"),
        {"resourceType": "Patient", "id": "a"},
    ]
    verdicts = decide(resources, HRESCH, patients=["a", "e"])
    assert verdicts == {
        "a": Verdict.PERMIT,
        "b": Verdict.DENIED,
        "c": Verdict.NOT_RESEARCH,
        "d": Verdict.NOT_COVERED,
        "e": Verdict.NO_CONSENT,
    }


def test_a_consent_without_patient_or_with_a_bad_date_is_refused() -> None:
    orphan = consent()
    del orphan["patient"]
    with pytest.raises(FhirError, match="names no patient"):
        decide([orphan], HRESCH)
    with pytest.raises(FhirError, match="not a FHIR date"):
        evaluate(consent(period={"start": "last tuesday"}), HRESCH)


def test_requests_need_an_aware_time_and_a_purpose() -> None:
    with pytest.raises(ConsentError, match="no time zone"):
        ConsentRequest("HRESCH", datetime(2025, 1, 1))
    with pytest.raises(ConsentError, match="PurposeOfUse"):
        ConsentRequest("", AT)


def test_pseudonym_is_a_keyed_hmac_and_refuses_short_salts() -> None:
    import hashlib
    import hmac

    assert pseudonym(SALT, "p1") == hmac.new(SALT, b"kura/pseudonym/v1\x00p1", hashlib.sha256).digest()
    assert pseudonym(SALT, "p1") != pseudonym(b"t" * 32, "p1")
    with pytest.raises(ConsentError, match="at least 16"):
        pseudonym(b"short", "p1")
    with pytest.raises(ConsentError, match="empty patient id"):
        pseudonym(SALT, "")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=30, unique=True))
def test_distinct_ids_give_distinct_pseudonyms(ids: list[str]) -> None:
    assert len({pseudonym(SALT, patient) for patient in ids}) == len(ids)


def test_snapshot_holds_exactly_the_permitted_patients_with_their_keys() -> None:
    key = "0x" + "5a" * 20
    resources = [consent("a"), consent("b", kind="deny"), consent("c"), consent("d", status="inactive")]
    taken = snapshot(resources, HRESCH, SALT, {"c": key})
    assert taken.purpose == "HRESCH" and taken.as_of == "2025-03-01T00:00:00+00:00"
    assert {m.pseudonym for m in taken.members} == {pseudonym(SALT, "a"), pseudonym(SALT, "c")}
    member_c = taken.member(pseudonym(SALT, "c"))
    assert member_c.patient_key == to_checksum_address(key)
    assert merkle.verify(taken.proof(member_c.pseudonym), taken.root, leaf(member_c.pseudonym, key))
    assert taken.member(pseudonym(SALT, "a")).patient_key == ZERO_ADDRESS
    assert not taken.includes(pseudonym(SALT, "b")) and not taken.includes(pseudonym(SALT, "d"))
