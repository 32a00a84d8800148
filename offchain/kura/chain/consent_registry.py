"""Typed client for the ``ConsentRegistry`` contract: consent snapshots, revocations, and their history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.receipts import first_emitted
from kura.errors import ChainValueError


def purpose_id(code: str) -> bytes:
    """The ``bytes32`` a purpose of use is recorded under on chain: keccak256 of its code (e.g. ``"HRESCH"``).

    Raises:
        ChainValueError: if ``code`` is empty.
    """
    if not code:
        raise ChainValueError("a purpose of use needs a code (e.g. HRESCH)")
    return keccak(text=code)


@dataclass(frozen=True)
class Snapshot:
    """A consent snapshot (see ``IConsentRegistry.Snapshot``)."""

    institution: int
    purpose: bytes
    snapshot_id: int
    root: bytes
    leaves_digest: bytes
    cohort_size: int
    committed_at: int
    touched: bool


@dataclass(frozen=True)
class Revocation:
    """One ``ConsentRevoked`` event: who withdrew consent for what, and who sent it."""

    institution: int
    purpose: bytes
    patient_key: str
    pseudonym: bytes
    leaf: bytes
    by: str
    block: int


@dataclass(frozen=True)
class Touch:
    """One ``SnapshotTouched`` event: a snapshot proven to contain the revoked ``leaf``."""

    institution: int
    purpose: bytes
    snapshot_id: int
    leaf: bytes
    block: int


class ConsentRegistryClient:
    """Calls to the deployed ``ConsentRegistry``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("ConsentRegistry", deployment.address("ConsentRegistry"))

    def commit_snapshot(
        self, purpose: bytes, root: bytes, cohort_size: int, leaves_digest: bytes, *, institution: LocalAccount
    ) -> int:
        """Commit a snapshot of ``institution``'s consenting cohort for ``purpose``; return its number.

        Args:
            purpose: The purpose (see :func:`purpose_id`).
            root: Merkle root over the cohort's leaves.
            cohort_size: Number of leaves.
            leaves_digest: SHA-256 digest of the published leaf list.
            institution: The member institution's current account.

        Raises:
            ContractRevertError: ``NotMemberAccount``, ``FoundingStillOpen`` or ``EmptySnapshot``.
        """
        call = self.contract.functions.commitSnapshot(purpose, root, cohort_size, leaves_digest)
        receipt = self.chain.transact(call, sender=institution)
        return int(first_emitted(self.contract, "SnapshotCommitted", receipt)["snapshotId"])

    def revoke(
        self,
        institution: int,
        purpose: bytes,
        pseudonym: bytes,
        patient_key: str,
        proofs: Mapping[int, Sequence[bytes]],
        *,
        sender: LocalAccount,
    ) -> TxReceipt:
        """Withdraw a patient's consent, proving them in each snapshot of ``proofs`` (snapshot id → proof).

        Args:
            institution: The institution's id.
            purpose: The purpose.
            pseudonym: The patient's pseudonym there.
            patient_key: The key in the patient's leaf (the zero address if they registered none).
            proofs: A Merkle proof per snapshot that contains the patient; every one becomes touched.
            sender: The patient (holding ``patient_key``) or the institution's current account.

        Raises:
            ContractRevertError: ``NotPatientOrInstitution``, ``ProofCountMismatch``, ``UnknownSnapshot`` or
                ``NotInSnapshot``.
        """
        ids, paths = self._batch(proofs)
        call = self.contract.functions.revoke(institution, purpose, pseudonym, patient_key, ids, paths)
        return self.chain.transact(call, sender=sender)

    def report_revoked(
        self,
        institution: int,
        purpose: bytes,
        leaf: bytes,
        proofs: Mapping[int, Sequence[bytes]],
        *,
        sender: LocalAccount,
    ) -> TxReceipt:
        """Touch the snapshots of ``proofs`` that contain the already revoked ``leaf`` (anyone may).

        Raises:
            ContractRevertError: ``LeafNotRevoked``, ``ProofCountMismatch``, ``UnknownSnapshot`` or ``NotInSnapshot``.
        """
        ids, paths = self._batch(proofs)
        call = self.contract.functions.reportRevoked(institution, purpose, leaf, ids, paths)
        return self.chain.transact(call, sender=sender)

    def snapshot_of(self, institution: int, purpose: bytes, snapshot_id: int) -> Snapshot:
        """Snapshot ``snapshot_id`` of ``institution`` for ``purpose``.

        Raises:
            ContractRevertError: ``UnknownSnapshot``.
        """
        root, digest, size, committed_at, touched = self.chain.call(
            self.contract.functions.snapshotOf(institution, purpose, snapshot_id)
        )
        return Snapshot(institution, purpose, snapshot_id, bytes(root), bytes(digest), size, committed_at, touched)

    def latest_snapshot(self, institution: int, purpose: bytes) -> int:
        """The newest snapshot number of ``institution`` for ``purpose`` (0 when none)."""
        return int(self.chain.call(self.contract.functions.latestSnapshot(institution, purpose)))

    def is_current(self, institution: int, purpose: bytes, snapshot_id: int) -> bool:
        """True iff ``snapshot_id`` is the newest snapshot and untouched (a sale may rely on it)."""
        return bool(self.chain.call(self.contract.functions.isCurrent(institution, purpose, snapshot_id)))

    def is_revoked(self, institution: int, purpose: bytes, leaf: bytes) -> bool:
        """True iff ``leaf`` was revoked for ``purpose`` at ``institution``."""
        return bool(self.chain.call(self.contract.functions.isRevoked(institution, purpose, leaf)))

    def leaf_of(self, pseudonym: bytes, patient_key: str) -> bytes:
        """The contract's leaf of a patient: keccak256(pseudonym ‖ patientKey)."""
        return bytes(self.chain.call(self.contract.functions.leafOf(pseudonym, patient_key)))

    def revocations(self, *, patient_key: str | None = None, from_block: int = 0) -> list[Revocation]:
        """Every revocation (of ``patient_key`` only, if given), in chain order, from the ``ConsentRevoked`` events."""
        filters = {"patientKey": patient_key} if patient_key else None
        logs = self.contract.events.ConsentRevoked().get_logs(from_block=from_block, argument_filters=filters)
        return [
            Revocation(
                log.args.institution,
                bytes(log.args.purpose),
                log.args.patientKey,
                bytes(log.args.pseudonym),
                bytes(log.args.leaf),
                log.args.by,
                log.blockNumber,
            )
            for log in logs
        ]

    def touches(self, institution: int, purpose: bytes, *, from_block: int = 0) -> list[Touch]:
        """Every snapshot of ``institution`` for ``purpose`` proven to contain a revoked leaf, in chain order."""
        logs = self.contract.events.SnapshotTouched().get_logs(
            from_block=from_block, argument_filters={"institution": institution, "purpose": purpose}
        )
        return [
            Touch(
                log.args.institution,
                bytes(log.args.purpose),
                log.args.snapshotId,
                bytes(log.args.leaf),
                log.blockNumber,
            )
            for log in logs
        ]

    @staticmethod
    def _batch(proofs: Mapping[int, Sequence[bytes]]) -> tuple[list[int], list[list[bytes]]]:
        ids = list(proofs)
        return ids, [list(proofs[i]) for i in ids]
