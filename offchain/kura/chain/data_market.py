"""Typed client for the ``DataMarket`` contract: listings, purchases with the fair key exchange, the access
log, and the compute-to-data ledgers (module allowlist, approved nodes, ε budgets, paid jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.institution_registry import key_words
from kura.chain.pull_payments import PullPaymentsClient
from kura.chain.receipts import first_emitted
from kura.errors import ChainError, KeyExchangeError
from kura.market import exchange
from kura.market.exchange import PurchaseKey, SealedKey


class PurchaseState(IntEnum):
    """``IDataMarket.PurchaseState``."""

    NONE = 0
    PAID = 1
    DELIVERED = 2
    RELEASED = 3
    DISPUTED = 4
    RECLAIMED = 5


@dataclass(frozen=True)
class Offer:
    """What a seller lists (see ``IDataMarket.Offer``; ``k_anonymity``/``l_diversity`` are its ``k``/``l``)."""

    file_id: bytes
    file_version: int
    price: int
    bond: int
    max_sales: int
    licence_duration: int
    licence_hash: bytes
    licence_cid: str
    consent_purpose: bytes
    consent_snapshot: int
    cohort_size: int
    cert_digest: bytes
    k_anonymity: int
    l_diversity: int
    key_commitment: bytes
    manifest_digest: bytes
    purposes: tuple[bytes, ...]
    buyers: tuple[int, ...] = ()

    def to_abi(self) -> tuple[Any, ...]:
        """The ``Offer`` struct as the contract takes it."""
        return (
            self.file_id,
            self.file_version,
            self.price,
            self.bond,
            self.max_sales,
            self.licence_duration,
            self.licence_hash,
            self.licence_cid,
            self.consent_purpose,
            self.consent_snapshot,
            self.cohort_size,
            self.cert_digest,
            self.k_anonymity,
            self.l_diversity,
            self.key_commitment,
            self.manifest_digest,
            list(self.purposes),
            list(self.buyers),
        )


@dataclass(frozen=True)
class Listing:
    """A listing's fixed fields (see ``IDataMarket.Listing``)."""

    listing_id: int
    seller: int
    version: int
    sales: int
    closed: bool


@dataclass(frozen=True)
class Terms:
    """The stored terms of one listing version (see ``IDataMarket.Terms``); ``buyers`` is the allowlist's size."""

    price: int
    bond: int
    max_sales: int
    licence_duration: int
    file_version: int
    consent_snapshot: int
    cohort_size: int
    buyers: int
    k_anonymity: int
    l_diversity: int
    consent_purpose: bytes
    file_id: bytes
    licence_hash: bytes
    cert_digest: bytes
    key_commitment: bytes
    manifest_digest: bytes


@dataclass(frozen=True)
class Purchase:
    """One purchase (see ``IDataMarket.Purchase``); ``buyer_key`` is the address of P."""

    purchase_id: int
    listing_id: int
    version: int
    buyer: int
    state: PurchaseState
    deliver_by: int
    dispute_until: int
    buyer_key: str
    nonce: int
    delivery: bytes


@dataclass(frozen=True)
class ComputeTerms:
    """A listing's compute-to-data terms (see ``IDataMarket.ComputeTerms``)."""

    job_price: int
    dataset_epsilon: int
    buyer_epsilon: int


@dataclass(frozen=True)
class Access:
    """Paid compute access (see ``IDataMarket.Access``)."""

    access_id: int
    listing_id: int
    buyer: int
    jobs_left: int
    job_price: int


@dataclass(frozen=True)
class AccessLogEntry:
    """Who bought which dataset version, for what, under which licence and from which consent snapshot,
    and how the sale ended so far, rebuilt from the market's events alone."""

    purchase_id: int
    listing_id: int
    version: int
    buyer: int
    seller: int
    price: int
    purpose: bytes
    licence_hash: bytes
    consent_purpose: bytes
    consent_snapshot: int
    state: PurchaseState
    block: int


_OUTCOMES = (
    ("Delivered", PurchaseState.DELIVERED),
    ("SaleReleased", PurchaseState.RELEASED),
    ("WrongKeyProven", PurchaseState.DISPUTED),
    ("PurchaseReclaimed", PurchaseState.RECLAIMED),
)
"""Events that move a purchase on, in lifecycle order (a later one overrides an earlier one)."""


class DataMarketClient(PullPaymentsClient):
    """Calls to the deployed ``DataMarket``; reverts surface as ``ContractRevertError``.

    Every payment (sale proceeds, refunds, slashed bonds, job prices) is credited to an institution's payout
    address: pull it with ``withdraw_payments``.
    """

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("DataMarket", deployment.address("DataMarket"))
        self._institutions = chain.contract("InstitutionRegistry", deployment.address("InstitutionRegistry"))

    # ---------------------------------------------------------------- listings

    def list_dataset(self, offer: Offer, *, seller: LocalAccount) -> int:
        """List ``offer`` as ``seller``'s institution and return the listing id.

        Raises:
            ContractRevertError: ``NotMemberAccount``, ``IncompleteOffer``, ``BelowPolicy``,
                ``FileNotOwnedBySeller``, ``StaleFileVersion``, ``ConsentNotCurrent``, ``CohortMismatch``, or the
                FileRegistry's ``UnknownFile``/``FileIsDeleted``.
        """
        receipt = self.chain.transact(self.contract.functions.list(offer.to_abi()), sender=seller)
        return int(first_emitted(self.contract, "ListingPublished", receipt)["listingId"])

    def update(self, listing_id: int, expected_version: int, offer: Offer, *, seller: LocalAccount) -> TxReceipt:
        """Replace the terms of ``listing_id`` (bumping its version from ``expected_version``).

        Raises:
            ContractRevertError: ``ListingVersionChanged``, ``NotInstitutionAccount``, ``ListingIsClosed`` and
                everything :meth:`list_dataset` raises.
        """
        call = self.contract.functions.update(listing_id, expected_version, offer.to_abi())
        return self.chain.transact(call, sender=seller)

    def close(self, listing_id: int, *, seller: LocalAccount) -> TxReceipt:
        """Withdraw ``listing_id`` from sale for good.

        Raises:
            ContractRevertError: ``NotInstitutionAccount``, ``ListingIsClosed`` or ``UnknownListing``.
        """
        return self.chain.transact(self.contract.functions.close(listing_id), sender=seller)

    # ---------------------------------------------------------------- purchases

    def purchase_key(self, buyer: LocalAccount, buyer_id: int, nonce: int) -> PurchaseKey:
        """The key pair of purchase number ``nonce`` of institution ``buyer_id``, derived from ``buyer``'s key."""
        return exchange.derive_purchase_key(
            bytes(buyer.key), chain_id=self.chain.chain_id, market=self.contract.address, buyer=buyer_id, nonce=nonce
        )

    def buy(self, listing_id: int, *, version: int, price: int, purpose: bytes, buyer: LocalAccount) -> int:
        """Buy ``version`` of ``listing_id`` at ``price`` wei (escrowed) for ``purpose``; return the purchase id.

        The per-purchase key is derived from ``buyer``'s account key and the institution's next purchase
        number, so nothing needs storing: :meth:`receive_key` and :meth:`dispute` derive it again.

        Raises:
            ContractRevertError: ``NotMemberAccount``, ``ListingVersionChanged``, ``PriceChanged``, ``SoldOut``,
                ``AlreadyPurchased``, ``StaleNonce``, ``PurposeNotAllowed``, ``BuyerNotAllowed``, ``SelfPurchase``,
                ``SellerNotMember``, ``BelowPolicy``, ``ConsentNotCurrent``, ``ListingIsClosed``, ...
        """
        buyer_id = int(self.chain.call(self._institutions.functions.memberIdOf(buyer.address)))
        nonce = self.purchase_nonce_of(buyer_id)
        key = self.purchase_key(buyer, buyer_id, nonce)
        call = self.contract.functions.buy(listing_id, version, price, purpose, nonce, key_words(key.public))
        receipt = self.chain.transact(call, sender=buyer, value=price)
        return int(first_emitted(self.contract, "Purchased", receipt)["purchaseId"])

    def deliver(self, purchase_id: int, key: bytes, *, seller: LocalAccount) -> SealedKey:
        """Seal the dataset key ``key`` to the purchase's key and deliver it, locking the listing's bond.

        Raises:
            KeyExchangeError: if ``key`` is not 32 bytes.
            ChainError: if the purchase's key is not in the chain's logs.
            ContractRevertError: ``WrongPurchaseState``, ``NotInstitutionAccount``, ``DeliveryClosed``,
                ``WrongPayment`` or ``BadCurvePoint``.
        """
        purchase = self.purchase_of(purchase_id)
        sealed = exchange.seal_key(key, self.buyer_key_of(purchase_id))
        call = self.contract.functions.deliver(purchase_id, key_words(sealed.ephemeral), sealed.sealed)
        self.chain.transact(call, sender=seller, value=self.terms_of(purchase.listing_id, purchase.version).bond)
        return sealed

    def receive_key(self, purchase_id: int, *, buyer: LocalAccount) -> bytes:
        """Open the delivery of ``purchase_id`` and return the dataset key, checked against the commitment.

        Raises:
            KeyExchangeError: if ``buyer`` did not derive this purchase's key, or the delivered key is not
                the one the listing committed to (dispute it with :meth:`dispute` before the window closes).
            ChainError: if no delivery is in the chain's logs.
        """
        purchase, key = self._own_purchase(purchase_id, buyer)
        opened = exchange.open_key(key, self.delivery_of(purchase_id))
        commitment = self.terms_of(purchase.listing_id, purchase.version).key_commitment
        if not exchange.matches(opened, commitment):
            raise KeyExchangeError(
                f"purchase {purchase_id} delivered a key that does not match the listing's commitment: "
                f"dispute it before {purchase.dispute_until} to be refunded with the seller's bond"
            )
        return opened

    def dispute(self, purchase_id: int, *, buyer: LocalAccount) -> TxReceipt:
        """Prove the delivered key of ``purchase_id`` wrong: reveals this purchase's secret, refunds price and bond.

        Raises:
            KeyExchangeError: if ``buyer`` did not derive this purchase's key.
            ContractRevertError: ``DeliveryCorrect`` (the key was right), ``DisputeClosed``,
                ``WrongPurchaseState`` or ``NotInstitutionAccount``.
        """
        _, key = self._own_purchase(purchase_id, buyer)
        args = exchange.dispute_args(key, self.delivery_of(purchase_id))
        call = self.contract.functions.dispute(
            purchase_id, key_words(args.ephemeral), args.sealed, args.secret, key_words(args.shared)
        )
        return self.chain.transact(call, sender=buyer)

    def confirm(self, purchase_id: int, *, buyer: LocalAccount) -> TxReceipt:
        """Accept the delivery early: the sale is final and the seller is paid.

        Raises:
            ContractRevertError: ``WrongPurchaseState`` or ``NotInstitutionAccount``.
        """
        return self.chain.transact(self.contract.functions.confirm(purchase_id), sender=buyer)

    def release(self, purchase_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Make a delivered sale final after its dispute window (anyone).

        Raises:
            ContractRevertError: ``DisputeStillOpen`` or ``WrongPurchaseState``.
        """
        return self.chain.transact(self.contract.functions.release(purchase_id), sender=sender)

    def reclaim(self, purchase_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Refund an undelivered purchase after its delivery deadline (anyone).

        Raises:
            ContractRevertError: ``DeliveryStillOpen`` or ``WrongPurchaseState``.
        """
        return self.chain.transact(self.contract.functions.reclaim(purchase_id), sender=sender)

    # ---------------------------------------------------------------- compute-to-data

    def set_compute_market(self, compute_market: str, *, deployer: LocalAccount) -> TxReceipt:
        """Name the contract allowed to debit compute jobs (the deployer, once).

        Raises:
            ContractRevertError: ``NotMarketDeployer``, ``ComputeMarketAlreadySet`` or ``BadParameter``.
        """
        return self.chain.transact(self.contract.functions.setComputeMarket(compute_market), sender=deployer)

    def configure_compute(
        self, listing_id: int, *, job_price: int, dataset_epsilon: int, buyer_epsilon: int, seller: LocalAccount
    ) -> TxReceipt:
        """Offer compute access to ``listing_id`` at ``job_price`` wei per job, ε budgets in ``EPSILON_ONE`` units.

        Raises:
            ContractRevertError: ``BudgetRaised`` (budgets only go down), ``BadParameter`` or
                ``NotInstitutionAccount``.
        """
        call = self.contract.functions.configureCompute(listing_id, job_price, dataset_epsilon, buyer_epsilon)
        return self.chain.transact(call, sender=seller)

    def set_module(self, listing_id: int, module_hash: bytes, output_cap: int, *, seller: LocalAccount) -> TxReceipt:
        """Approve a WebAssembly module (keccak256 of its bytes) for ``listing_id`` with an output cap (0 removes it).

        Raises:
            ContractRevertError: ``BadParameter`` or ``NotInstitutionAccount``.
        """
        call = self.contract.functions.setModule(listing_id, module_hash, output_cap)
        return self.chain.transact(call, sender=seller)

    def set_node(self, listing_id: int, node: str, approved: bool, *, seller: LocalAccount) -> TxReceipt:
        """Add ``node`` to (or remove it from) the nodes approved to compute or audit over ``listing_id``.

        Raises:
            ContractRevertError: ``TooManyNodes``, ``BadParameter`` or ``NotInstitutionAccount``.
        """
        return self.chain.transact(self.contract.functions.setNode(listing_id, node, approved), sender=seller)

    def buy_compute(self, listing_id: int, *, jobs: int, job_price: int, purpose: bytes, buyer: LocalAccount) -> int:
        """Pay ``jobs × job_price`` wei for compute jobs over ``listing_id``; return the access id.

        Raises:
            ContractRevertError: ``ComputeNotOffered``, ``PriceChanged``, ``BadParameter`` (no jobs),
                ``WrongPayment`` and the sale checks of :meth:`buy`.
        """
        call = self.contract.functions.buyCompute(listing_id, jobs, job_price, purpose)
        receipt = self.chain.transact(call, sender=buyer, value=jobs * job_price)
        return int(first_emitted(self.contract, "ComputeAccessBought", receipt)["accessId"])

    def refund_jobs(self, access_id: int, *, buyer: LocalAccount) -> TxReceipt:
        """Take back the unused jobs of ``access_id``.

        Raises:
            ContractRevertError: ``NoJobsLeft``, ``UnknownAccess`` or ``NotInstitutionAccount``.
        """
        return self.chain.transact(self.contract.functions.refundJobs(access_id), sender=buyer)

    def debit_job(
        self, access_id: int, module_hash: bytes, epsilon: int, job_ref: bytes, *, compute_market: LocalAccount
    ) -> TxReceipt:
        """Accept a compute job (the compute market's account): spends one job and ``epsilon`` of the budgets.

        Raises:
            ContractRevertError: ``NotComputeMarket``, ``NoJobsLeft``, ``ModuleNotApproved``, ``ZeroEpsilon``,
                ``PrivacyBudgetExceeded``, ``ConsentNotCurrent`` or ``ListingIsClosed``.
        """
        call = self.contract.functions.debitJob(access_id, module_hash, epsilon, job_ref)
        return self.chain.transact(call, sender=compute_market)

    def check_job(self, access_id: int, module_hash: bytes, epsilon: int) -> int:
        """The output cap a job would get now (reverts with the reason it would be refused).

        Raises:
            ContractRevertError: as :meth:`debit_job`, except ``NotComputeMarket``.
        """
        return int(self.chain.call(self.contract.functions.checkJob(access_id, module_hash, epsilon)))

    # ---------------------------------------------------------------- views

    def listing_of(self, listing_id: int) -> Listing:
        """The listing ``listing_id``.

        Raises:
            ContractRevertError: ``UnknownListing``.
        """
        return Listing(listing_id, *self.chain.call(self.contract.functions.listingOf(listing_id)))

    def listing_count(self) -> int:
        """How many listings were ever published (ids run from 1)."""
        return int(self.chain.call(self.contract.functions.listingCount()))

    def licence_cid_of(self, listing_id: int, version: int, *, from_block: int = 0) -> str:
        """The IPFS CID of the licence document of ``version`` of ``listing_id`` (from its ``ListingPublished``).

        Raises:
            ChainError: if no such version was published (in the logs from ``from_block``).
        """
        return self.offer_of(listing_id, version, from_block=from_block).licence_cid

    def offer_of(self, listing_id: int, version: int, *, from_block: int = 0) -> Offer:
        """The offer that published ``version`` of ``listing_id``, purposes and buyer allowlist included (from its
        ``ListingPublished`` event; the stored terms keep only the allowlist's size).

        Raises:
            ChainError: if no such version was published (in the logs from ``from_block``).
        """
        logs = self.contract.events.ListingPublished().get_logs(
            from_block=from_block, argument_filters={"listingId": listing_id}
        )
        for log in logs:
            if int(log.args.version) == version:
                o = log.args.offer
                return Offer(
                    bytes(o["fileId"]),
                    int(o["fileVersion"]),
                    int(o["price"]),
                    int(o["bond"]),
                    int(o["maxSales"]),
                    int(o["licenceDuration"]),
                    bytes(o["licenceHash"]),
                    str(o["licenceCid"]),
                    bytes(o["consentPurpose"]),
                    int(o["consentSnapshot"]),
                    int(o["cohortSize"]),
                    bytes(o["certDigest"]),
                    int(o["kAnonymity"]),
                    int(o["lDiversity"]),
                    bytes(o["keyCommitment"]),
                    bytes(o["manifestDigest"]),
                    tuple(bytes(p) for p in o["purposes"]),
                    tuple(int(b) for b in o["buyers"]),
                )
        raise ChainError(f"listing {listing_id} has no version {version} in the logs from block {from_block}")

    def terms_of(self, listing_id: int, version: int) -> Terms:
        """The terms of ``version`` of ``listing_id``.

        Raises:
            ContractRevertError: ``UnknownListing`` or ``ListingVersionChanged`` (no such version).
        """
        raw = self.chain.call(self.contract.functions.termsOf(listing_id, version))
        return Terms(*raw[:10], *(bytes(value) for value in raw[10:]))

    def allows_purpose(self, listing_id: int, version: int, purpose: bytes) -> bool:
        """True iff ``version`` of ``listing_id`` allows ``purpose``."""
        return bool(self.chain.call(self.contract.functions.allowsPurpose(listing_id, version, purpose)))

    def allows_buyer(self, listing_id: int, version: int, buyer: int) -> bool:
        """True iff institution ``buyer`` may buy ``version`` of ``listing_id``."""
        return bool(self.chain.call(self.contract.functions.allowsBuyer(listing_id, version, buyer)))

    def purchase_of(self, purchase_id: int) -> Purchase:
        """The purchase ``purchase_id``.

        Raises:
            ContractRevertError: ``UnknownPurchase``.
        """
        listing, version, buyer, state, deliver_by, dispute_until, key, nonce, delivery = self.chain.call(
            self.contract.functions.purchaseOf(purchase_id)
        )
        return Purchase(
            purchase_id,
            listing,
            version,
            buyer,
            PurchaseState(state),
            deliver_by,
            dispute_until,
            key,
            nonce,
            bytes(delivery),
        )

    def purchase_nonce_of(self, buyer: int) -> int:
        """Institution ``buyer``'s next purchase number."""
        return int(self.chain.call(self.contract.functions.purchaseNonceOf(buyer)))

    def purchase_id_of(self, listing_id: int, version: int, buyer: int) -> int:
        """``buyer``'s live (not refunded) purchase of ``version`` of ``listing_id``, 0 if none."""
        return int(self.chain.call(self.contract.functions.purchaseIdOf(listing_id, version, buyer)))

    def compute_terms_of(self, listing_id: int) -> ComputeTerms:
        """The compute terms of ``listing_id``."""
        return ComputeTerms(*self.chain.call(self.contract.functions.computeTermsOf(listing_id)))

    def access_of(self, access_id: int) -> Access:
        """The compute access ``access_id``.

        Raises:
            ContractRevertError: ``UnknownAccess``.
        """
        return Access(access_id, *self.chain.call(self.contract.functions.accessOf(access_id)))

    def approved_nodes(self, listing_id: int) -> list[str]:
        """The nodes approved to compute or audit over ``listing_id``."""
        return list(self.chain.call(self.contract.functions.approvedNodes(listing_id)))

    def is_approved_node(self, listing_id: int, node: str) -> bool:
        """True iff ``node`` is approved for ``listing_id``."""
        return bool(self.chain.call(self.contract.functions.isApprovedNode(listing_id, node)))

    def module_cap(self, listing_id: int, module_hash: bytes) -> int:
        """The output cap of ``module_hash`` over ``listing_id`` (0: not approved)."""
        return int(self.chain.call(self.contract.functions.moduleCap(listing_id, module_hash)))

    def epsilon_spent(self, listing_id: int, buyer: int | None = None) -> int:
        """ε spent on ``listing_id`` (by ``buyer`` only, if given), in ``EPSILON_ONE`` units."""
        f = self.contract.functions
        call = f.epsilonSpent(listing_id) if buyer is None else f.epsilonSpentBy(listing_id, buyer)
        return int(self.chain.call(call))

    def buyer_key_of(self, purchase_id: int, *, from_block: int = 0) -> bytes:
        """The raw 64-byte key P of ``purchase_id`` (its ``PurchaseKey`` event).

        Raises:
            ChainError: if the chain's logs hold no such event.
        """
        args = self._event("PurchaseKey", purchase_id, from_block)
        x, y = args["buyerKey"]
        return bytes(x) + bytes(y)

    def delivery_of(self, purchase_id: int, *, from_block: int = 0) -> SealedKey:
        """The delivery of ``purchase_id`` (its ``Delivered`` event).

        Raises:
            ChainError: if the chain's logs hold no delivery for it.
        """
        args = self._event("Delivered", purchase_id, from_block)
        x, y = args["ephemeralKey"]
        return SealedKey(bytes(x) + bytes(y), bytes(args["sealedKey"]))

    def access_log(self, *, from_block: int = 0) -> list[AccessLogEntry]:
        """Every purchase, in chain order, with how it ended so far, rebuilt from the market's events alone."""
        events = self.contract.events
        states: dict[int, PurchaseState] = {}
        for name, state in _OUTCOMES:
            for log in getattr(events, name)().get_logs(from_block=from_block):
                states[int(log.args.purchaseId)] = state
        entries = []
        for log in events.Purchased().get_logs(from_block=from_block):
            a = log.args
            entries.append(
                AccessLogEntry(
                    a.purchaseId,
                    a.listingId,
                    a.version,
                    a.buyer,
                    a.seller,
                    a.price,
                    bytes(a.purpose),
                    bytes(a.licenceHash),
                    bytes(a.consentPurpose),
                    a.consentSnapshot,
                    states.get(int(a.purchaseId), PurchaseState.PAID),
                    log.blockNumber,
                )
            )
        return entries

    def windows(self) -> tuple[int, int]:
        """Seconds of the delivery window and of the dispute window."""
        f = self.contract.functions
        return int(self.chain.call(f.deliveryWindow())), int(self.chain.call(f.disputeWindow()))

    def _own_purchase(self, purchase_id: int, buyer: LocalAccount) -> tuple[Purchase, PurchaseKey]:
        purchase = self.purchase_of(purchase_id)
        key = self.purchase_key(buyer, purchase.buyer, purchase.nonce)
        derived = exchange.key_address(key.public)
        if derived != to_checksum_address(purchase.buyer_key):
            raise KeyExchangeError(
                f"{buyer.address} did not derive the key of purchase {purchase_id} (its key address is "
                f"{purchase.buyer_key}, this account derives {derived}): use the account that bought it"
            )
        return purchase, key

    def _event(self, name: str, purchase_id: int, from_block: int) -> dict[str, Any]:
        logs = getattr(self.contract.events, name)().get_logs(
            from_block=from_block, argument_filters={"purchaseId": purchase_id}
        )
        if not logs:
            raise ChainError(
                f"no {name} event for purchase {purchase_id} from block {from_block}: "
                "use an RPC node that keeps logs, or an earlier from_block"
            )
        return dict(logs[-1].args)
