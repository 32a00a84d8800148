"""Preparing one institution's records for the market (pure): who consented, the de-identified table sold
outright, and the rows compute-to-data jobs run over."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from kura.market._fhir import Resource
from kura.market.consent import ConsentRequest, Verdict, decide, snapshot
from kura.market.deid import DEFAULT_POLICY, Deidentified, compute_rows, deidentify
from kura.market.package import DatasetPackage
from kura.market.policy import DeidPolicy
from kura.market.snapshot import ConsentSnapshot


@dataclass(frozen=True)
class PreparedDataset:
    """An institution's records, ready to list.

    Attributes:
        purpose: The PurposeOfUse the consents were evaluated for.
        consent: The snapshot of consenting patients (its root is committed on chain).
        deidentified: The de-identified table of the consenting patients, and its certificate.
        rows: Every patient's Safe Harbor row keyed by pseudonym, for compute-to-data (jobs keep only the rows of
            the consent snapshot current when they run).
    """

    purpose: str
    consent: ConsentSnapshot
    deidentified: Deidentified
    rows: tuple[Mapping[str, str], ...] = field(repr=False)

    @property
    def package(self) -> DatasetPackage:
        """What a buyer of the listing receives."""
        return DatasetPackage(self.deidentified.table, self.deidentified.certificate)


def prepare_dataset(
    resources: Iterable[Resource],
    *,
    salt: bytes,
    as_of: date,
    purpose: str = "HRESCH",
    policy: DeidPolicy = DEFAULT_POLICY,
    patient_keys: Mapping[str, str] | None = None,
) -> PreparedDataset:
    """Evaluate consents for ``purpose`` as of ``as_of``, de-identify the consenting patients' records, and build
    the compute rows.

    Args:
        resources: The institution's FHIR resources (Patients, Conditions, Observations, Consents).
        salt: The institution's pseudonym salt (a secret it keeps; at least 16 bytes).
        as_of: The extraction day (ages and consent periods are evaluated for it).
        purpose: The PurposeOfUse code.
        policy: The de-identification policy (k, ℓ, date precision, suppression, caps).
        patient_keys: Addresses patients registered to revoke consent themselves, by patient id.

    Raises:
        AnonymityError: if k and ℓ cannot be reached; it names the classes that stay too small.
        ConsentError, FhirError, DeidentificationError: for malformed inputs.
    """
    records = list(resources)
    consents = [r for r in records if r.get("resourceType") == "Consent"]
    request = ConsentRequest(purpose, datetime.combine(as_of, time(12), tzinfo=UTC))
    permitted = {patient for patient, verdict in decide(consents, request).items() if verdict is Verdict.PERMIT}
    return PreparedDataset(
        purpose,
        snapshot(consents, request, salt, patient_keys),
        deidentify(records, as_of, policy, patients=permitted),
        tuple(compute_rows(records, as_of, salt)),
    )
