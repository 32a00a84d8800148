"""``Kura.market``: the medical data exchange — member institutions, dataset listings, purchases with the
fair exchange of the dataset key, deliveries, disputes, payouts and the access log.

A listing sells one kura file (a :class:`~kura.market.package.DatasetPackage`: the de-identified table and its
certificate). The seller seals the file's manifest under a *dataset key* derived from its account key and the
file version, stores that blob on the storage nodes, and commits both the key's hash and the blob's digest in
the listing; a sale delivers the key sealed to the buyer's per-purchase key, so only the buyer opens it, and a
buyer who gets a key that does not match the commitment proves it on chain and is refunded with the seller's
bond (see ``contracts/DataMarket.sol``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kura.api.consent import CommittedSnapshot
from kura.api.jobs import Jobs
from kura.api.storage import FileId, file_id_of
from kura.chain.consent_registry import purpose_id
from kura.chain.data_market import AccessLogEntry, ComputeTerms, Offer, Purchase, PurchaseState, Terms
from kura.chain.institution_registry import Institution
from kura.errors import MarketError
from kura.ipfs.cid import digest_of, raw_cid
from kura.market import exchange
from kura.market.dataset import PreparedDataset
from kura.market.licence import Licence
from kura.market.package import DatasetPackage
from kura.results import Result, jsonable
from kura.storage.shared import manifest_store
from kura.storage.shared.manifest import ManifestGrant
from kura.units import Amount, to_wei

if TYPE_CHECKING:
    from kura.api.session import Kura


@dataclass(frozen=True)
class Listed(Result):
    """A dataset listed for sale."""

    listing_id: int
    version: int
    file_id: bytes
    consent_snapshot: int
    cohort_size: int
    k: int
    l: int  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
    price: int
    licence_cid: str


@dataclass(frozen=True)
class ListingView(Result):
    """A listing as a buyer reads it: its current terms, its licence, and whether it can be sold now."""

    listing_id: int
    seller: int
    seller_name: str
    version: int
    sales: int
    closed: bool
    terms: Terms
    licence: Licence
    consent_current: bool


@dataclass(frozen=True)
class Bought(Result):
    """A purchase: the price is escrowed until the key is delivered and the dispute window passes."""

    purchase_id: int
    listing_id: int
    version: int
    price: int
    deliver_by: int


@dataclass(frozen=True)
class Delivered(Result):
    """A dataset key delivered, sealed to one purchase."""

    purchase_id: int
    listing_id: int
    buyer: int


@dataclass(frozen=True)
class Fetched(Result):
    """A bought dataset, opened and checked: the key matched the commitment, the table matched its certificate."""

    purchase_id: int
    path: Path
    rows: int
    k: int
    l: int  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
    size: int


@dataclass(frozen=True)
class Applied(Result):
    """An institution's application for membership, and the admission motion the members vote on."""

    institution_id: int
    motion_id: int


class EscrowPhase(StrEnum):
    """Where a purchase's escrow stands, read at the latest block (``DataMarket``'s states and deadlines)."""

    AWAITING_DELIVERY = "awaiting delivery"
    """Paid: the price is escrowed and the seller may deliver until the delivery deadline."""
    RECLAIMABLE = "reclaimable"
    """Paid, and the delivery deadline passed: anyone may return the price to the buyer."""
    DISPUTE_WINDOW = "dispute window"
    """Delivered: price and bond are escrowed and the buyer may prove the key wrong until the dispute deadline."""
    RELEASABLE = "releasable"
    """Delivered, and the dispute window closed: anyone may release price and bond to the seller."""
    RELEASED = "released"
    """Final: price and bond credited to the seller."""
    REFUNDED_WRONG_KEY = "refunded: wrong key"
    """The buyer proved the key wrong: price and bond credited to the buyer."""
    REFUNDED_UNDELIVERED = "refunded: not delivered"
    """Reclaimed after the delivery deadline: the price credited back to the buyer."""


@dataclass(frozen=True)
class PurchaseView(Result):
    """A purchase this institution made or sold, and where its escrow stands.

    Attributes:
        entry: The access-log entry (who bought which version, for what, at what price).
        role: This institution's side: ``buyer`` or ``seller``.
        phase: Where the escrow stands now.
        escrowed: Wei the market holds for the sale now: the price, plus the seller's bond once delivered; 0 once
            settled.
        deadline: Timestamp of the deadline that governs the current phase (delivery or dispute); 0 once settled.
        seconds_left: Chain seconds until that deadline (0 once it passed).
    """

    entry: AccessLogEntry
    role: str
    phase: EscrowPhase
    escrowed: int
    deadline: int
    seconds_left: int


@dataclass(frozen=True)
class Proceeds(Result):
    """A sale made final, and when.

    Attributes:
        price: What the buyer paid: the seller's earning.
        amount: What the market credited to the seller's payout: the price and the returned delivery bond.
    """

    purchase_id: int
    listing_id: int
    price: int
    amount: int
    block: int
    timestamp: int


@dataclass(frozen=True)
class PrivacyBudget(Result):
    """A listing's differential-privacy budget for compute-to-data jobs, in ``EPSILON_ONE`` units (10^6 = ε 1).

    Attributes:
        terms: The compute terms (job price, the dataset's total ε, one buyer's ε); all 0 when compute is not offered.
        spent: ε spent by every job so far.
        left: ε the dataset may still spend (total − spent).
    """

    listing_id: int
    terms: ComputeTerms
    spent: int
    left: int


def _listed(
    listing_id: int, version: int, offer: Offer, committed: CommittedSnapshot, prepared: PreparedDataset
) -> Listed:
    certificate = prepared.deidentified.certificate
    return Listed(
        listing_id,
        version,
        offer.file_id,
        committed.snapshot_id,
        committed.cohort_size,
        certificate.k,
        certificate.l,
        offer.price,
        offer.licence_cid,
    )


class Market:
    """The data exchange, acting as the session's account (a member institution's current account)."""

    def __init__(self, session: Kura) -> None:
        self._session = session
        self._licences: dict[tuple[int, int], Licence] = {}

    @cached_property
    def jobs(self) -> Jobs:
        """Compute-to-data: offer a listing for jobs, approve nodes, buy jobs, run them, read the checked result."""
        return Jobs(self._session)

    # ---------------------------------------------------------------- institutions

    def me(self) -> Institution:
        """This account's institution.

        Raises:
            MarketError: if the account is no member institution's current account.
        """
        return self.institution(self._session.consent.member_id())

    def institution(self, institution_id: int) -> Institution:
        """Institution ``institution_id`` as the registry records it."""
        return self._session.contracts.institutions.institution_of(institution_id)

    def apply(self, name: str, *, payout: str | None = None) -> Applied:
        """Apply for membership as ``name`` (sealing key: this account's key; payouts to ``payout`` or the
        account). The members admit by majority vote (:meth:`approve`)."""
        institution_id, motion_id = self._session.contracts.institutions.apply(
            name, account=self._session.account, payout=payout
        )
        return Applied(institution_id, motion_id)

    def approve(self, motion_id: int) -> None:
        """Vote for motion ``motion_id`` (admission, expulsion, policy) as a member."""
        self._session.contracts.institutions.approve(motion_id, member=self._session.account)

    # ---------------------------------------------------------------- selling

    def publish(
        self,
        prepared: PreparedDataset,
        *,
        licence: Licence,
        price: Amount,
        bond: Amount = 0,
        max_sales: int = 10,
        buyers: Sequence[int] = (),
        k: int = 3,
        n: int = 5,
    ) -> Listed:
        """Commit ``prepared``'s consent snapshot, store its dataset package on the storage nodes, and list it.

        Args:
            prepared: The records, as :func:`kura.market.dataset.prepare_dataset` made them ready.
            licence: The licence the dataset is sold under (stored on the nodes; its hash is committed).
            price: Ether per sale.
            bond: Ether the seller locks per delivery, paid to the buyer if the key proves wrong.
            max_sales: How many times it can be sold.
            buyers: Institution ids allowed to buy (empty: any member).
            k: Shares needed to rebuild the package. n: Shares stored.

        Raises:
            MarketError: if this account is no member institution.
            ContractRevertError: ``BelowPolicy`` (k or ℓ under the consortium's), ``ConsentNotCurrent``, ...
        """
        offer, committed = self._offer(
            prepared, licence=licence, price=price, bond=bond, max_sales=max_sales, buyers=buyers, k=k, n=n
        )
        listing_id = self._session.contracts.market.list_dataset(offer, seller=self._session.account)
        return _listed(listing_id, 1, offer, committed, prepared)

    def republish(
        self,
        listing_id: int,
        prepared: PreparedDataset,
        *,
        licence: Licence,
        price: Amount,
        bond: Amount = 0,
        max_sales: int = 10,
        buyers: Sequence[int] = (),
        k: int = 3,
        n: int = 5,
    ) -> Listed:
        """Rebuild listing ``listing_id`` from ``prepared`` (records re-read after a revocation, say): commit its
        consent snapshot, store its package and publish it as the listing's next version. Arguments as
        :meth:`publish`.

        Raises:
            ContractRevertError: ``ListingVersionChanged`` (updated meanwhile), ``NotInstitutionAccount``, ...
        """
        market = self._session.contracts.market
        version = market.listing_of(listing_id).version
        offer, committed = self._offer(
            prepared, licence=licence, price=price, bond=bond, max_sales=max_sales, buyers=buyers, k=k, n=n
        )
        market.update(listing_id, version, offer, seller=self._session.account)
        return _listed(listing_id, version + 1, offer, committed, prepared)

    def _offer(
        self,
        prepared: PreparedDataset,
        *,
        licence: Licence,
        price: Amount,
        bond: Amount,
        max_sales: int,
        buyers: Sequence[int],
        k: int,
        n: int,
    ) -> tuple[Offer, CommittedSnapshot]:
        """Commit the consent snapshot, store the package and the licence, and make the offer of ``prepared``."""
        session = self._session
        committed = session.consent.commit(prepared.consent)
        with tempfile.TemporaryDirectory(prefix="kura-listing-") as folder:
            path = Path(folder) / f"dataset-{committed.institution}-{prepared.purpose.lower()}.json"
            path.write_bytes(prepared.package.to_bytes())
            stored = session.storage.put(path, k=k, n=n)
        grant_digest, key = self.grant(stored.file_id, version=1)
        pool = session.storage.pool
        licence_bytes = licence.to_bytes()
        licence_cid = raw_cid(manifest_store.publish(licence_bytes, pool, pool.nodes))
        certificate = prepared.deidentified.certificate
        offer = Offer(
            file_id=file_id_of(stored.file_id),
            file_version=1,
            price=to_wei(price),
            bond=to_wei(bond),
            max_sales=max_sales,
            licence_duration=licence.duration_seconds,
            licence_hash=licence.digest(),
            licence_cid=licence_cid,
            consent_purpose=purpose_id(prepared.purpose),
            consent_snapshot=committed.snapshot_id,
            cohort_size=committed.cohort_size,
            cert_digest=certificate.digest(),
            k_anonymity=certificate.k,
            l_diversity=certificate.l,
            key_commitment=exchange.key_commitment(key),
            manifest_digest=grant_digest,
            purposes=tuple(purpose_id(p) for p in licence.purposes),
            buyers=tuple(buyers),
        )
        return offer, committed

    def deliver(self, purchase_id: int) -> Delivered:
        """Deliver the dataset key of purchase ``purchase_id``, sealed to the buyer's purchase key (locks the
        listing's bond until the dispute window ends).

        Raises:
            MarketError: this account's key does not derive the key the purchased version committed to (it was
                listed with another key of the institution: `kura key change` delivers what an old key listed);
                nothing is sent, so no bond is lost to a dispute.
            ContractRevertError: ``WrongPurchaseState`` (not paid, or delivered already), ``DeliveryClosed``.
        """
        market = self._session.contracts.market
        purchase = market.purchase_of(purchase_id)
        terms = market.terms_of(purchase.listing_id, purchase.version)
        key = self.dataset_key(terms.file_id, terms.file_version)
        if not exchange.matches(key, terms.key_commitment):
            raise MarketError(
                f"purchase {purchase_id} bought version {purchase.version} of listing {purchase.listing_id}, whose "
                "dataset key this account's key does not derive: it was listed with another key of the institution "
                "(after a key change only the new account delivers, and `kura key change`, run again with both "
                "keys, delivers what the old key listed)"
            )
        market.deliver(purchase_id, key, seller=self._session.account)
        return Delivered(purchase_id, purchase.listing_id, purchase.buyer)

    def deliver_all(self) -> list[Delivered]:
        """Deliver every paid, undelivered purchase of this institution's listings."""
        me = self._session.consent.member_id()
        waiting = [
            entry.purchase_id
            for entry in self._session.contracts.market.access_log()
            if entry.seller == me and entry.state is PurchaseState.PAID
        ]
        return [self.deliver(purchase_id) for purchase_id in waiting]

    # ---------------------------------------------------------------- buying

    def show(self, listing_id: int) -> ListingView:
        """Listing ``listing_id``: current terms, licence (fetched and checked against its hash), seller, and
        whether its consent snapshot is still current (a revocation makes it unsellable until re-listed).

        Raises:
            ContractRevertError: ``UnknownListing``. MarketError: if the licence document does not match.
        """
        contracts = self._session.contracts
        listing = contracts.market.listing_of(listing_id)
        terms = contracts.market.terms_of(listing_id, listing.version)
        seller = contracts.institutions.institution_of(listing.seller)
        return ListingView(
            listing_id,
            listing.seller,
            seller.name,
            listing.version,
            listing.sales,
            listing.closed,
            terms,
            self._licence(listing_id, listing.version, terms),
            contracts.consent.is_current(listing.seller, terms.consent_purpose, terms.consent_snapshot),
        )

    def listings(self) -> list[ListingView]:
        """Every listing, open or closed."""
        count = self._session.contracts.market.listing_count()
        return [self.show(listing_id) for listing_id in range(1, count + 1)]

    def buy(self, listing_id: int, *, purpose: str = "HRESCH") -> Bought:
        """Buy the current version of ``listing_id`` for ``purpose`` at its current price (escrowed).

        Raises:
            ContractRevertError: ``ConsentNotCurrent``, ``PurposeNotAllowed``, ``BuyerNotAllowed``, ``SoldOut``,
                ``AlreadyPurchased``, ``ListingVersionChanged``/``PriceChanged`` (the seller changed it meanwhile:
                look again), ...
        """
        market = self._session.contracts.market
        listing = market.listing_of(listing_id)
        terms = market.terms_of(listing_id, listing.version)
        purchase_id = market.buy(
            listing_id,
            version=listing.version,
            price=terms.price,
            purpose=purpose_id(purpose),
            buyer=self._session.account,
        )
        purchase = market.purchase_of(purchase_id)
        return Bought(purchase_id, listing_id, listing.version, terms.price, purchase.deliver_by)

    def purchase(self, purchase_id: int) -> Purchase:
        """Purchase ``purchase_id`` as the chain records it (state, deadlines)."""
        return self._session.contracts.market.purchase_of(purchase_id)

    def fetch(self, purchase_id: int, target: str | Path) -> Fetched:
        """Open the delivery of ``purchase_id``, read the dataset through the sealed manifest it unlocks, check
        the table against its certificate and the certificate against the listing, and write it to ``target``
        (the dataset package: table and certificate).

        Raises:
            MarketError: nothing delivered yet.
            KeyExchangeError: the delivered key is not the committed one (dispute it: :meth:`dispute`).
            CertificateError: the dataset does not match its listing's certificate.
        """
        market = self._session.contracts.market
        purchase = market.purchase_of(purchase_id)
        if purchase.state is PurchaseState.PAID:
            raise MarketError(
                f"purchase {purchase_id} has no delivery yet: the seller has until {purchase.deliver_by} "
                "(after that, reclaim the price with `kura market reclaim`)"
            )
        key = market.receive_key(purchase_id, buyer=self._session.account)
        terms = market.terms_of(purchase.listing_id, purchase.version)
        target = Path(target)
        self._session.storage.client.get(terms.file_id, target, grant=ManifestGrant(terms.manifest_digest, key))
        package = DatasetPackage.from_bytes(target.read_bytes(), certificate_digest=terms.cert_digest)
        certificate = package.certificate
        return Fetched(
            purchase_id, target, len(package.table.rows), certificate.k, certificate.l, target.stat().st_size
        )

    def dispute(self, purchase_id: int) -> None:
        """Prove the delivered key of ``purchase_id`` wrong: the price and the seller's bond come back.

        Raises:
            ContractRevertError: ``DeliveryCorrect`` (the key was right: no refund), ``DisputeClosed``.
        """
        self._session.contracts.market.dispute(purchase_id, buyer=self._session.account)

    def reclaim(self, purchase_id: int) -> None:
        """Take the price back from a purchase the seller did not deliver by its deadline (anyone may call)."""
        self._session.contracts.market.reclaim(purchase_id, sender=self._session.account)

    def release(self, purchase_id: int) -> None:
        """Make a delivered sale final after its dispute window: the seller is paid (anyone may call)."""
        self._session.contracts.market.release(purchase_id, sender=self._session.account)

    def purchases(self, log: Sequence[AccessLogEntry] | None = None) -> list[PurchaseView]:
        """The purchases this institution made or sold, in chain order, each with its escrow phase and deadline.

        Args:
            log: The access log, if the caller read it already (:meth:`log`); read here otherwise.

        Raises:
            MarketError: if the account is no member institution's current account.
        """
        me = self._session.consent.member_id()
        market = self._session.contracts.market
        now = self._session.clock.now()
        views = []
        for entry in self.log() if log is None else log:
            if me not in (entry.buyer, entry.seller):
                continue
            purchase = market.purchase_of(entry.purchase_id)
            delivered = purchase.state is PurchaseState.DELIVERED
            bond = market.terms_of(entry.listing_id, entry.version).bond if delivered else 0
            phase, escrowed, deadline = escrow_of(purchase, entry.price, bond, now)
            views.append(
                PurchaseView(
                    entry, "buyer" if entry.buyer == me else "seller", phase, escrowed, deadline, max(0, deadline - now)
                )
            )
        return views

    def privacy_budget(self, listing_id: int) -> PrivacyBudget:
        """The ε budget of ``listing_id``'s compute-to-data jobs: offered, spent and left."""
        market = self._session.contracts.market
        terms = market.compute_terms_of(listing_id)
        spent = market.epsilon_spent(listing_id)
        return PrivacyBudget(listing_id, terms, spent, max(0, terms.dataset_epsilon - spent))

    # ---------------------------------------------------------------- money and the log

    def proceeds(self, log: Sequence[AccessLogEntry] | None = None) -> list[Proceeds]:
        """The sales of this institution made final (``SaleReleased``), in chain order: what its payout earned.

        Args:
            log: The access log, if the caller read it already (:meth:`log`); read here otherwise.

        Raises:
            MarketError: if the account is no member institution's current account.
        """
        me = self._session.consent.member_id()
        market = self._session.contracts.market
        sold = {entry.purchase_id: entry for entry in (self.log() if log is None else log) if entry.seller == me}
        clock = self._session.clock
        released = [
            (sold[int(event.args.purchaseId)], int(event.args.amount), event.blockNumber)
            for event in market.contract.events.SaleReleased().get_logs(from_block=0)
            if int(event.args.purchaseId) in sold
        ]
        return [
            Proceeds(entry.purchase_id, entry.listing_id, entry.price, amount, block, clock.time_of(block))
            for entry, amount, block in released
        ]

    def owed(self) -> int:
        """Wei the market holds for this account (its institution's payout, if it pays out here)."""
        return self._session.contracts.market.payments(self._session.address)

    def withdraw(self) -> int:
        """Withdraw what the market owes this account; returns the wei sent (0 if none)."""
        market = self._session.contracts.market
        owed = market.payments(self._session.address)
        if owed:
            market.withdraw_payments(payee=self._session.account)
        return owed

    def log(self) -> list[AccessLogEntry]:
        """The access log, rebuilt from the market's events alone: who bought which dataset version, for what,
        under which licence and consent snapshot, and how each sale ended."""
        return self._session.contracts.market.access_log()

    def log_csv(self) -> str:
        """The access log as CSV (one row per purchase; hashes as 0x hex)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(AccessLogEntry)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(jsonable(entry) for entry in self.log())
        return out.getvalue()

    # ---------------------------------------------------------------- keys

    def dataset_key(self, file_id: bytes, version: int) -> bytes:
        """The dataset key of ``file_id`` at ``version``, derived from this account's key (never stored)."""
        return exchange.derive_dataset_key(bytes(self._session.account.key), file_id=file_id, version=version)

    def grant(self, file_id: FileId, *, version: int) -> tuple[bytes, bytes]:
        """Seal ``file_id``'s manifest under its dataset key and store it on the share holders.

        Returns:
            The sealed blob's digest and the key.

        Raises:
            StorageError: if no node takes the blob.
        """
        raw_id = file_id_of(file_id)
        key = self.dataset_key(raw_id, version)
        return self._session.storage.client.grant(raw_id, key).digest, key

    def _licence(self, listing_id: int, version: int, terms: Terms) -> Licence:
        """The licence of ``version`` of ``listing_id``, checked against its hash (kept: a version's licence never
        changes)."""
        known = self._licences.get((listing_id, version))
        if known is not None and known.digest() == terms.licence_hash:
            return known
        cid = self._session.contracts.market.licence_cid_of(listing_id, version)
        document = manifest_store.resolve(digest_of(cid), self._session.storage.pool)
        licence = Licence.from_bytes(document)
        if licence.digest() != terms.licence_hash:
            raise MarketError("the licence document on the nodes does not match the listing's licence hash")
        self._licences[(listing_id, version)] = licence
        return licence


_SETTLED = {
    PurchaseState.RELEASED: EscrowPhase.RELEASED,
    PurchaseState.DISPUTED: EscrowPhase.REFUNDED_WRONG_KEY,
    PurchaseState.RECLAIMED: EscrowPhase.REFUNDED_UNDELIVERED,
}


def escrow_of(purchase: Purchase, price: int, bond: int, now: int) -> tuple[EscrowPhase, int, int]:
    """Where ``purchase``'s escrow stands at chain time ``now``.

    A deadline closes once the chain's time is past it: ``DataMarket`` refuses a delivery or a dispute with
    ``block.timestamp > deadline`` and allows a reclaim or a release from then on.

    Args:
        purchase: The purchase as the chain records it (state and deadlines).
        price: Its price. bond: The listing version's delivery bond.
        now: The chain's time.

    Returns:
        The phase, the wei the market holds for it, and the deadline governing the phase (0 once settled).

    Raises:
        KeyError: for ``PurchaseState.NONE`` (no purchase).
    """
    if purchase.state is PurchaseState.PAID:
        late = now > purchase.deliver_by
        return (EscrowPhase.RECLAIMABLE if late else EscrowPhase.AWAITING_DELIVERY), price, purchase.deliver_by
    if purchase.state is PurchaseState.DELIVERED:
        closed = now > purchase.dispute_until
        return (EscrowPhase.RELEASABLE if closed else EscrowPhase.DISPUTE_WINDOW), price + bond, purchase.dispute_until
    return _SETTLED[purchase.state], 0, 0
