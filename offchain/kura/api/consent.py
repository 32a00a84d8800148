"""``Kura.consent``: consent snapshots per institution and purpose, revocations, and the patient's
transparency query (which sales and computations included my record, with a Merkle proof each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kura.chain.consent_registry import Revocation, Snapshot, purpose_id
from kura.chain.data_market import Listing, Terms
from kura.errors import ConsentError, ContractRevertError, MarketError
from kura.market.snapshot import ConsentSnapshot
from kura.market.transparency import Inclusion, inclusions
from kura.results import Result
from kura.storage.shared import manifest_store

if TYPE_CHECKING:
    from kura.api.session import Kura


@dataclass(frozen=True)
class CommittedSnapshot(Result):
    """A consent snapshot committed on chain, its members published on IPFS."""

    institution: int
    purpose: str
    snapshot_id: int
    root: bytes
    cohort_size: int
    leaves_digest: bytes


@dataclass(frozen=True)
class Revoked(Result):
    """A revocation: the snapshots it touched (each stale for new sales and computations from now on)."""

    institution: int
    purpose: str
    pseudonym: bytes
    touched: tuple[int, ...]
    gas: int


@dataclass(frozen=True)
class ConsentStatus(Result):
    """The consent snapshots of one institution and purpose, and which are touched by a revocation."""

    institution: int
    purpose: str
    latest: int
    snapshots: tuple[Snapshot, ...]
    revocations: int


@dataclass(frozen=True)
class RevocationView(Result):
    """One revocation at an institution: the snapshots it touched and the listings it made unsellable.

    Attributes:
        revocation: The ``ConsentRevoked`` event (patient key, pseudonym, sender, block).
        timestamp: When it was mined.
        touched: The snapshots proven to hold the patient, now stale.
        stale_listings: The institution's listings whose current version relies on one of them.
    """

    revocation: Revocation
    timestamp: int
    touched: tuple[int, ...]
    stale_listings: tuple[int, ...]


@dataclass(frozen=True)
class Coverage(Result):
    """How many consenting patients' records a listing may use now.

    Attributes:
        listing_id: The listing. version: Its current version.
        purpose: The consent purpose (keccak256 of its code). snapshot_id: The consent snapshot it relies on.
        cohort_size: Patients in that snapshot.
        revoked: Revocations that touched that snapshot.
        current: True while the snapshot is its purpose's newest and untouched, so the listing may be sold and
            computed over.
        usable: Records the listing may use now: the cohort while current, else 0 (re-list it on a fresh snapshot).
        stale_reason: Why it is not current: ``revoked`` (a revocation touched it) or ``superseded`` (a newer
            snapshot was committed); empty while current.
    """

    listing_id: int
    version: int
    purpose: bytes
    snapshot_id: int
    cohort_size: int
    revoked: int
    current: bool
    usable: int
    stale_reason: str


class Consent:
    """Consent, as the session's account: an institution (commit, revoke for a patient) or a patient (revoke with
    their own key, ask where their record went)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    def member_id(self) -> int:
        """The institution id of this account.

        Raises:
            MarketError: if it is no member institution's current account.
        """
        try:
            return self._session.contracts.institutions.member_id_of(self._session.address)
        except ContractRevertError as exc:
            if exc.error_name not in {"NotMemberAccount", "FoundingStillOpen"}:
                raise
            raise MarketError(
                f"{self._session.address} is not the account of a member institution: apply with "
                "`kura institution apply` and be admitted by the members first"
            ) from exc

    def commit(self, snapshot: ConsentSnapshot) -> CommittedSnapshot:
        """Publish ``snapshot``'s members on the storage nodes and commit its root for its purpose.

        Raises:
            MarketError: if this account is no member institution.
            ContractRevertError: ``EmptySnapshot``.
        """
        institution = self.member_id()
        storage = self._session.storage
        leaves = snapshot.to_json().encode()
        digest = manifest_store.publish(leaves, storage.pool, storage.pool.nodes)
        snapshot_id = self._session.contracts.consent.commit_snapshot(
            purpose_id(snapshot.purpose),
            snapshot.root,
            len(snapshot.members),
            digest,
            institution=self._session.account,
        )
        return CommittedSnapshot(
            institution, snapshot.purpose, snapshot_id, snapshot.root, len(snapshot.members), digest
        )

    def published(self, institution: int, purpose: str | bytes, snapshot_id: int) -> ConsentSnapshot:
        """The members of a committed snapshot, fetched from the storage nodes and checked against its root.

        ``purpose`` is a PurposeOfUse code (``"HRESCH"``) or the ``bytes32`` it is recorded under.

        Raises:
            ConsentError: if the published members do not make the committed root.
            StorageError: if no node serves them.
        """
        key = purpose if isinstance(purpose, bytes) else purpose_id(purpose)
        record = self._session.contracts.consent.snapshot_of(institution, key, snapshot_id)
        published = ConsentSnapshot.from_json(
            manifest_store.resolve(record.leaves_digest, self._session.storage.pool).decode()
        )
        if published.root != record.root:
            raise ConsentError(f"the published members of snapshot {snapshot_id} do not make its committed root")
        return published

    def revoke(self, institution: int, purpose: str, pseudonym: bytes) -> Revoked:
        """Withdraw a patient's consent for ``purpose`` at ``institution``: every committed snapshot that holds
        them is proven and touched at once, so no listing or computation built on one of them runs again.

        The session's account is the patient's own key (registered in their leaf) or the institution's account.

        Raises:
            ConsentError: if no committed snapshot holds the pseudonym.
            ContractRevertError: ``NotPatientOrInstitution``.
        """
        consent = self._session.contracts.consent
        latest = consent.latest_snapshot(institution, purpose_id(purpose))
        proofs: dict[int, list[bytes]] = {}
        patient_key = ""
        for snapshot_id in range(1, latest + 1):
            members = self.published(institution, purpose, snapshot_id)
            if members.includes(pseudonym):
                proofs[snapshot_id] = members.proof(pseudonym)
                patient_key = members.member(pseudonym).patient_key
        if not proofs:
            raise ConsentError(
                f"no consent snapshot of institution {institution} for {purpose} holds pseudonym "
                f"{pseudonym.hex()[:16]}…: nothing to revoke"
            )
        receipt = consent.revoke(
            institution, purpose_id(purpose), pseudonym, patient_key, proofs, sender=self._session.account
        )
        return Revoked(institution, purpose, pseudonym, tuple(sorted(proofs)), int(receipt["gasUsed"]))

    def status(self, institution: int, purpose: str) -> ConsentStatus:
        """Every snapshot of ``institution`` for ``purpose``, touched or not, and how many revocations there were."""
        consent = self._session.contracts.consent
        purpose_key = purpose_id(purpose)
        latest = consent.latest_snapshot(institution, purpose_key)
        snapshots = tuple(consent.snapshot_of(institution, purpose_key, i) for i in range(1, latest + 1))
        revoked = [r for r in consent.revocations() if r.institution == institution and r.purpose == purpose_key]
        return ConsentStatus(institution, purpose, latest, snapshots, len(revoked))

    def snapshots(self, institution: int) -> list[Snapshot]:
        """Every consent snapshot ``institution`` committed, for any purpose, in chain order, as they stand now."""
        consent = self._session.contracts.consent
        logs = consent.contract.events.SnapshotCommitted().get_logs(
            from_block=0, argument_filters={"institution": institution}
        )
        return [consent.snapshot_of(institution, bytes(log.args.purpose), int(log.args.snapshotId)) for log in logs]

    def revocations(self, institution: int) -> list[RevocationView]:
        """Every revocation at ``institution``, in chain order, with the snapshots it touched and the listings it
        made unsellable."""
        consent = self._session.contracts.consent
        revoked = [r for r in consent.revocations() if r.institution == institution]
        touched: dict[tuple[bytes, bytes, int], list[int]] = {}
        for purpose in {r.purpose for r in revoked}:
            for touch in consent.touches(institution, purpose):
                touched.setdefault((purpose, touch.leaf, touch.block), []).append(touch.snapshot_id)
        listings = self._listings(institution)
        views = []
        for revocation in revoked:
            snapshots = tuple(sorted(touched.get((revocation.purpose, revocation.leaf, revocation.block), [])))
            stale = tuple(
                listing.listing_id
                for listing, terms in listings
                if terms.consent_purpose == revocation.purpose and terms.consent_snapshot in snapshots
            )
            views.append(RevocationView(revocation, self._session.clock.time_of(revocation.block), snapshots, stale))
        return views

    def coverage(self, institution: int) -> list[Coverage]:
        """For each listing of ``institution``: its consent snapshot, and how many records it may use now."""
        consent = self._session.contracts.consent
        rows = []
        for listing, terms in self._listings(institution):
            snapshot = consent.snapshot_of(institution, terms.consent_purpose, terms.consent_snapshot)
            current = consent.is_current(institution, terms.consent_purpose, terms.consent_snapshot)
            revoked = sum(
                1
                for t in consent.touches(institution, terms.consent_purpose)
                if t.snapshot_id == terms.consent_snapshot
            )
            reason = "" if current else "revoked" if snapshot.touched else "superseded"
            rows.append(
                Coverage(
                    listing.listing_id,
                    listing.version,
                    terms.consent_purpose,
                    terms.consent_snapshot,
                    snapshot.cohort_size,
                    revoked,
                    current,
                    snapshot.cohort_size if current else 0,
                    reason,
                )
            )
        return rows

    def included(self, institution: int, purpose: str, pseudonym: bytes) -> list[Inclusion]:
        """The sales and computations whose consent snapshot included ``pseudonym``, each with the Merkle proof
        from the patient's leaf to the root committed on chain (the patient's transparency query).

        Sales are named ``sale <purchase id>``; computations ``job <job id>``.
        """
        purpose_key = purpose_id(purpose)
        roots: dict[int, tuple[bytes, ConsentSnapshot]] = {}
        uses: dict[str, tuple[bytes, ConsentSnapshot]] = {}
        for use, snapshot_id in self._uses(institution, purpose_key):
            if snapshot_id not in roots:
                record = self._session.contracts.consent.snapshot_of(institution, purpose_key, snapshot_id)
                roots[snapshot_id] = (record.root, self.published(institution, purpose, snapshot_id))
            uses[use] = roots[snapshot_id]
        return inclusions(pseudonym, uses)

    def _listings(self, institution: int) -> list[tuple[Listing, Terms]]:
        """``institution``'s listings with the terms of their current versions."""
        market = self._session.contracts.market
        listings = [market.listing_of(i) for i in range(1, market.listing_count() + 1)]
        return [
            (listing, market.terms_of(listing.listing_id, listing.version))
            for listing in listings
            if listing.seller == institution
        ]

    def _uses(self, institution: int, purpose_key: bytes) -> list[tuple[str, int]]:
        contracts = self._session.contracts
        sales = [
            (f"sale {entry.purchase_id}", entry.consent_snapshot)
            for entry in contracts.market.access_log()
            if entry.seller == institution and entry.consent_purpose == purpose_key
        ]
        jobs = []
        for submitted in contracts.jobs.submissions():
            job = contracts.jobs.job_of(int(submitted["jobId"]))
            seller = contracts.market.listing_of(job.listing_id).seller
            if seller == institution and job.consent_purpose == purpose_key:
                jobs.append((f"job {job.job_id}", job.consent_snapshot))
        return sales + jobs
