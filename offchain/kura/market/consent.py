"""Patient pseudonyms and the evaluation of FHIR R4 ``Consent`` resources for a research purpose.

**Pseudonyms** are ``HMAC-SHA256(salt, "kura/pseudonym/v1" ‖ 0x00 ‖ patient id)``.
HMAC keyed by the institution's secret salt, not a plain hash of salt and id:
patient ids and MRNs are short and guessable, so anyone could hash every
candidate id and match a published pseudonym; with a keyed PRF only the salt's
holder can compute pseudonyms, and HMAC is a PRF under standard assumptions with
no length-extension or prefix pitfalls. SHA-256 rather than keccak256 because the
chain never computes a pseudonym, it only stores them. Each institution's salt is
its own, so the same person is unlinkable across institutions.

**Consent evaluation** decides whether a patient's consents permit a use,
described by a :class:`ConsentRequest` (a PurposeOfUse code, an instant and
optionally the recipient). A ``Consent`` counts only when its ``status`` is
``active`` and its ``scope`` is ``consentscope#research``. Its provisions are read
as FHIR nests them, each nested provision an exception to its parent:

- a provision *applies* when its ``period`` covers the instant, its ``purpose``
  codes match (a permit must name the requested purpose or a broader one:
  ``HRESCH`` covers ``CLINTRCH``; a deny matches when either code covers the
  other, or when it names purposes only from another code system; no purpose
  codes match every purpose) and its ``actor`` references
  name the recipient (no actors name everyone; a deny with actors also applies
  when the recipient is unknown);
- the outcome of an applying provision is that of its applying nested
  provisions, a deny among them winning, else its own ``type`` (a nested
  provision without ``type`` keeps its parent's);
- across several ``Consent`` resources of one patient, a deny wins over a permit.

``dataPeriod``, ``data``, ``class`` and ``code`` restrict which records a permit
releases, not whether the patient takes part, and are not read here.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from kura.errors import ConsentError, FhirError
from kura.market._fhir import Resource, has_code, patient_id, period_covers
from kura.market.snapshot import ZERO_ADDRESS, ConsentMember, ConsentSnapshot

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PURPOSE_OF_USE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
MIN_SALT_BYTES = 16
_PSEUDONYM_DOMAIN = b"kura/pseudonym/v1\x00"

NARROWER_PURPOSES: Mapping[str, frozenset[str]] = {
    "HRESCH": frozenset({"BIORCH", "CLINTRCH", "CLINTRCHNPC", "CLINTRCHPC", "DSRCH", "POARCH", "TRANSRCH"}),
    "CLINTRCH": frozenset({"CLINTRCHNPC", "CLINTRCHPC"}),
}
"""The research codes of v3 PurposeOfUse (ActReason) and the narrower codes each one covers."""


def pseudonym(salt: bytes, patient_id: str) -> bytes:
    """The 32-byte pseudonym of a patient at the institution that holds ``salt``.

    Args:
        salt: The institution's secret pseudonym key, at least 16 random bytes.
        patient_id: The patient's stable id at that institution (FHIR ``Patient.id``).

    Returns:
        ``HMAC-SHA256(salt, "kura/pseudonym/v1" ‖ 0x00 ‖ utf8(patient_id))``.

    Raises:
        ConsentError: if the salt is shorter than 16 bytes or the id is empty.
    """
    if len(salt) < MIN_SALT_BYTES:
        raise ConsentError(
            f"a pseudonym salt needs at least {MIN_SALT_BYTES} random bytes, got {len(salt)}: "
            "generate one with secrets.token_bytes(32) and keep it secret"
        )
    if not patient_id:
        raise ConsentError("cannot make a pseudonym for an empty patient id")
    return hmac.new(salt, _PSEUDONYM_DOMAIN + patient_id.encode(), hashlib.sha256).digest()


def covers(general: str, specific: str) -> bool:
    """Whether the PurposeOfUse code ``general`` includes ``specific`` (``HRESCH`` includes ``CLINTRCH``)."""
    return general == specific or specific in NARROWER_PURPOSES.get(general, frozenset())


@dataclass(frozen=True)
class ConsentRequest:
    """A use to check consents against.

    Attributes:
        purpose: A v3 PurposeOfUse code, such as ``"HRESCH"``.
        at: The instant of the use; it must carry a time zone.
        recipient: A FHIR reference to the party that receives the data (``"Organization/lab"``),
            matched against the provisions' actors; ``None`` when it is not known.
    """

    purpose: str
    at: datetime
    recipient: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ConsentError(f"consent request time {self.at.isoformat()} has no time zone: pass an aware datetime")
        if not self.purpose:
            raise ConsentError("a consent request needs a PurposeOfUse code, such as HRESCH")


class Verdict(enum.Enum):
    """What a patient's consents say about one request; only :attr:`PERMIT` lets their record in."""

    PERMIT = "permit"
    DENIED = "denied"
    """An active research consent applies and denies it."""
    NOT_COVERED = "not-covered"
    """An active research consent exists but none of its provisions covers this purpose, time or recipient."""
    NOT_RESEARCH = "not-research"
    """Active consents exist, but none has the research scope."""
    NOT_ACTIVE = "not-active"
    """Every consent is inactive, proposed, rejected, draft or entered in error."""
    NO_CONSENT = "no-consent"


_STRENGTH = {
    Verdict.DENIED: 5,
    Verdict.PERMIT: 4,
    Verdict.NOT_COVERED: 3,
    Verdict.NOT_RESEARCH: 2,
    Verdict.NOT_ACTIVE: 1,
    Verdict.NO_CONSENT: 0,
}
"""How verdicts of several consents of one patient combine: the strongest wins (a deny over everything)."""


def _purpose_matches(codings: Sequence[Resource], kind: str | None, request: ConsentRequest) -> bool:
    """Whether a provision's purposes match the request; codes of other systems never widen a permit."""
    if not codings:
        return True
    listed = [coding.get("code", "") for coding in codings if coding.get("system") == PURPOSE_OF_USE]
    if kind == "deny":
        return not listed or any(covers(code, request.purpose) or covers(request.purpose, code) for code in listed)
    return any(covers(code, request.purpose) for code in listed)


def _actor_matches(actors: Iterable[Resource], kind: str | None, request: ConsentRequest) -> bool:
    named = {actor.get("reference", {}).get("reference") for actor in actors}
    if not named:
        return True
    if request.recipient is None:
        return kind == "deny"
    return request.recipient in named


def _outcome(provision: Resource, inherited: str | None, request: ConsentRequest) -> str | None:
    """``"permit"``, ``"deny"`` or ``None`` (does not apply) for one provision and its nested ones."""
    kind = provision.get("type", inherited)
    applies = (
        period_covers(provision.get("period"), request.at)
        and _purpose_matches(provision.get("purpose", ()), kind, request)
        and _actor_matches(provision.get("actor", ()), kind, request)
    )
    if not applies:
        return None
    nested = {_outcome(child, kind, request) for child in provision.get("provision", ())}
    for decided in ("deny", "permit"):
        if decided in nested:
            return decided
    return kind if kind in ("deny", "permit") else None


def evaluate(consent: Resource, request: ConsentRequest) -> Verdict:
    """What one FHIR ``Consent`` says about ``request`` (see the module docstring for the rules).

    Raises:
        FhirError: if a period in it is not a FHIR date or dateTime.
    """
    if consent.get("status") != "active":
        return Verdict.NOT_ACTIVE
    if not has_code(consent.get("scope"), CONSENT_SCOPE, "research"):
        return Verdict.NOT_RESEARCH
    outcome = _outcome(consent.get("provision", {}), None, request)
    if outcome == "permit":
        return Verdict.PERMIT
    return Verdict.DENIED if outcome == "deny" else Verdict.NOT_COVERED


def decide(consents: Iterable[Resource], request: ConsentRequest, patients: Iterable[str] = ()) -> dict[str, Verdict]:
    """Every patient's verdict on ``request``, a deny among their consents winning.

    Args:
        consents: FHIR ``Consent`` resources (other resource types are skipped).
        request: The use to check.
        patients: Patient ids to report even without any consent (as :attr:`Verdict.NO_CONSENT`).

    Returns:
        Verdicts by patient id.

    Raises:
        FhirError: if a ``Consent`` names no patient or has a period that is not a FHIR date or dateTime.
    """
    verdicts = dict.fromkeys(patients, Verdict.NO_CONSENT)
    for consent in consents:
        if consent.get("resourceType") != "Consent":
            continue
        patient = patient_id(consent.get("patient"))
        if patient is None:
            raise FhirError(
                f"Consent/{consent.get('id', '?')} names no patient (patient.reference 'Patient/<id>'): "
                "fix the resource before taking a snapshot"
            )
        verdict = evaluate(consent, request)
        previous = verdicts.get(patient, Verdict.NO_CONSENT)
        verdicts[patient] = max(previous, verdict, key=_STRENGTH.__getitem__)
    return verdicts


def snapshot(
    consents: Iterable[Resource],
    request: ConsentRequest,
    salt: bytes,
    patient_keys: Mapping[str, str] | None = None,
) -> ConsentSnapshot:
    """The snapshot of the patients whose consents permit ``request``.

    Args:
        consents: The institution's FHIR ``Consent`` resources.
        request: The purpose and instant (and recipient) to evaluate for.
        salt: The institution's pseudonym salt (see :func:`pseudonym`).
        patient_keys: The Ethereum address each patient registered, by patient id; the others get the
            zero address.

    Returns:
        The snapshot whose root the institution commits for ``request.purpose``.

    Raises:
        ConsentError: if the salt is too short or a key is not an address.
        FhirError: if a consent names no patient or has a period that is not a FHIR date or dateTime.
    """
    keys = patient_keys or {}
    members = [
        ConsentMember(pseudonym(salt, patient), keys.get(patient, ZERO_ADDRESS))
        for patient, verdict in decide(consents, request).items()
        if verdict is Verdict.PERMIT
    ]
    return ConsentSnapshot.of(request.purpose, request.at.isoformat(), members)
