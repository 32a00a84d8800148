"""DataMarket: listing checks (policy, consent, membership, file ownership), purchases and the fair key exchange
(delivery, refunds by proof, timeouts, forged disputes, front-running, replay, re-entrancy), the access log
rebuilt from events, and the compute-to-data ledgers (module allowlist, approved nodes, ε budgets)."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.data_market import PurchaseState
from kura.chain.institution_registry import Founder, Policy, key_words
from kura.chain.receipts import emitted
from kura.errors import KeyExchangeError
from kura.market import exchange
from kura.units import EPSILON_ONE
from tests.contracts.expect import reverts
from tests.contracts.market_layer import (
    BOND,
    BUYER,
    DRUG_SAFETY,
    EPIDEMIOLOGY,
    OTHER,
    OUTSIDER,
    PARAMS,
    PRICE,
    RESEARCH,
    SELLER,
    Cohort,
    MarketLayer,
    Patient,
    bad_parameter,
)
from tests.contracts.test_secp256k1 import high_x_point
from tests.contracts.trust_layer import advance, cost

COMPUTE_MARKET = 9
MODULE = keccak(b"medical_aggregate.wasm")


@pytest.fixture
def layer(chain: Chain) -> MarketLayer:
    return MarketLayer.deploy(chain)


def payout_of(layer: MarketLayer, index: int) -> str:
    return layer.institutions.payout_of(layer.ids[index])


def deliver_raw(
    layer: MarketLayer, purchase_id: int, key: bytes, *, seller: LocalAccount, bond: int = BOND
) -> TxReceipt:
    """Deliver ``key`` (right or wrong) to the purchase's key through the contract directly."""
    sealed = exchange.seal_key(key, layer.market.buyer_key_of(purchase_id))
    call = layer.market.contract.functions.deliver(purchase_id, key_words(sealed.ephemeral), sealed.sealed)
    return layer.chain.transact(call, sender=seller, value=bond)


def dispute_raw(
    layer: MarketLayer,
    purchase_id: int,
    secret: int,
    shared: bytes,
    *,
    sender: LocalAccount,
    ephemeral: bytes | None = None,
    sealed: bytes | None = None,
) -> TxReceipt:
    delivery = layer.market.delivery_of(purchase_id)
    call = layer.market.contract.functions.dispute(
        purchase_id, key_words(ephemeral or delivery.ephemeral), sealed or delivery.sealed, secret, key_words(shared)
    )
    return layer.chain.transact(call, sender=sender)


def buy_raw(
    layer: MarketLayer,
    listing_id: int,
    *,
    version: int = 1,
    price: int = PRICE,
    nonce: int | None = None,
    key: bytes | None = None,
    purpose: bytes = EPIDEMIOLOGY,
    buyer: int = BUYER,
    value: int | None = None,
) -> TxReceipt:
    buyer_id = layer.ids[buyer]
    nonce = layer.market.purchase_nonce_of(buyer_id) if nonce is None else nonce
    key = key or layer.market.purchase_key(layer.account(buyer), buyer_id, nonce).public
    call = layer.market.contract.functions.buy(listing_id, version, price, purpose, nonce, key_words(key))
    return layer.chain.transact(call, sender=layer.account(buyer), value=price if value is None else value)


# ---------------------------------------------------------------- deployment


def test_the_constructors_refuse_missing_contracts_and_zero_windows(chain: Chain, layer: MarketLayer) -> None:
    owner, zero = chain.account(0), "0x" + "00" * 20
    registry = layer.deployment.address("InstitutionRegistry")
    consent, files = layer.deployment.address("ConsentRegistry"), layer.deployment.address("FileRegistry")
    windows = PARAMS.data_market
    with bad_parameter("institutions"):
        chain.deploy("ConsentRegistry", zero, sender=owner)
    for addresses, params, what in (
        ((zero, consent, files), windows, "institutions"),
        ((registry, zero, files), windows, "consent"),
        ((registry, consent, zero), windows, "files"),
        ((registry, consent, files), replace(windows, delivery_window=0), "deliveryWindow"),
        ((registry, consent, files), replace(windows, dispute_window=0), "disputeWindow"),
    ):
        with bad_parameter(what):
            chain.deploy("DataMarket", *addresses, *params.args(), sender=owner)
    assert layer.market.windows() == (windows.delivery_window, windows.dispute_window)


# ---------------------------------------------------------------- listing


def test_a_member_lists_a_dataset_it_owns_and_the_terms_are_kept_per_version(layer: MarketLayer) -> None:
    listing_id, dataset, cohort = layer.listing()
    listing = layer.market.listing_of(listing_id)
    assert (listing.seller, listing.version, listing.sales, listing.closed) == (layer.ids[SELLER], 1, 0, False)
    terms = layer.market.terms_of(listing_id, 1)
    assert (terms.price, terms.bond, terms.k_anonymity, terms.l_diversity, terms.cohort_size, terms.buyers) == (
        PRICE,
        BOND,
        5,
        2,
        8,
        0,
    )
    assert terms.key_commitment == exchange.key_commitment(dataset.key) and terms.file_id == dataset.file_id
    assert (terms.consent_purpose, terms.consent_snapshot) == (RESEARCH, cohort.snapshot_id)
    assert layer.market.allows_purpose(listing_id, 1, EPIDEMIOLOGY)
    assert not layer.market.allows_purpose(listing_id, 1, RESEARCH)
    assert layer.market.allows_buyer(listing_id, 1, layer.ids[BUYER])
    with reverts("ListingVersionChanged"):
        layer.market.terms_of(listing_id, 2)
    with reverts("UnknownListing"):
        layer.market.listing_of(listing_id + 1)


def test_listing_is_refused_below_the_policy_or_with_an_incomplete_offer(layer: MarketLayer) -> None:
    dataset, cohort = layer.store(layer.account(SELLER)), layer.cohort(SELLER)
    seller = layer.account(SELLER)
    for k, l in ((4, 2), (5, 1), (0, 0)):  # noqa: E741 - ℓ of ℓ-diversity, named as in the papers
        with reverts("BelowPolicy"):
            layer.market.list_dataset(layer.offer(dataset, cohort, k_anonymity=k, l_diversity=l), seller=seller)
    incomplete = [
        {"price": 0},
        {"max_sales": 0},
        {"file_id": bytes(32)},
        {"licence_hash": bytes(32)},
        {"licence_cid": ""},
        {"cert_digest": bytes(32)},
        {"key_commitment": bytes(32)},
        {"manifest_digest": bytes(32)},
        {"purposes": ()},
        {"purposes": (EPIDEMIOLOGY, bytes(32))},
        {"purposes": tuple(keccak(bytes([i])) for i in range(17))},
        {"buyers": tuple(range(1, 66))},
    ]
    for change in incomplete:
        with reverts("IncompleteOffer"):
            layer.market.list_dataset(layer.offer(dataset, cohort, **change), seller=seller)
    with reverts("UnknownFile"):
        layer.market.list_dataset(layer.offer(dataset, cohort, file_id=secrets.token_bytes(32)), seller=seller)
    assert int(layer.chain.call(layer.market.contract.functions.listingCount())) == 0


def test_listing_is_refused_to_non_members_and_to_sellers_that_do_not_own_the_file(layer: MarketLayer) -> None:
    dataset, cohort = layer.store(layer.account(SELLER)), layer.cohort(SELLER)
    offer = layer.offer(dataset, cohort)
    applicant = layer.account(7)
    layer.institutions.apply("applicant", account=applicant)
    for outsider in (layer.account(OUTSIDER), applicant):
        with reverts("NotMemberAccount"):
            layer.market.list_dataset(offer, seller=outsider)
    buyers_file = layer.store(layer.account(BUYER))
    with reverts("FileNotOwnedBySeller"):
        layer.market.list_dataset(layer.offer(buyers_file, cohort), seller=layer.account(SELLER))
    with reverts("FileNotOwnedBySeller"):  # another member lists the seller's file
        layer.market.list_dataset(offer, seller=layer.account(BUYER))


def test_listing_needs_a_live_file_version_and_a_current_matching_consent_snapshot(layer: MarketLayer) -> None:
    seller = layer.account(SELLER)
    dataset, cohort = layer.store(seller), layer.cohort(SELLER)
    layer.files.rotate(dataset.file_id, 1, secrets.token_bytes(32), owner=seller)
    with reverts("StaleFileVersion"):
        layer.market.list_dataset(layer.offer(dataset, cohort), seller=seller)
    with reverts("CohortMismatch"):
        layer.market.list_dataset(layer.offer(dataset, cohort, file_version=2, cohort_size=9), seller=seller)
    newer = layer.cohort(SELLER, size=3)
    with reverts("ConsentNotCurrent"):
        layer.market.list_dataset(layer.offer(dataset, cohort, file_version=2), seller=seller)
    with reverts("ConsentNotCurrent"):
        other_purpose = layer.offer(dataset, newer, file_version=2, consent_purpose=EPIDEMIOLOGY)
        layer.market.list_dataset(other_purpose, seller=seller)
    layer.market.list_dataset(layer.offer(dataset, newer, file_version=2), seller=seller)
    layer.files.remove(dataset.file_id, owner=seller)
    with reverts("FileIsDeleted"):
        layer.market.list_dataset(layer.offer(dataset, newer, file_version=2), seller=seller)


# ---------------------------------------------------------------- the fair exchange


def test_a_sale_delivers_the_key_only_the_buyer_can_open_and_pays_the_seller_after_the_window(
    chain: Chain, layer: MarketLayer
) -> None:
    listing_id, dataset, _ = layer.listing()
    buyer = layer.account(BUYER)
    before = chain.w3.eth.get_balance(buyer.address)
    purchase_id = layer.buy(listing_id)
    purchase = layer.market.purchase_of(purchase_id)
    assert (purchase.listing_id, purchase.version, purchase.buyer, purchase.state, purchase.nonce) == (
        listing_id,
        1,
        layer.ids[BUYER],
        PurchaseState.PAID,
        0,
    )
    assert chain.w3.eth.get_balance(layer.market.contract.address) == PRICE
    assert layer.market.purchase_nonce_of(layer.ids[BUYER]) == 1
    assert layer.market.purchase_id_of(listing_id, 1, layer.ids[BUYER]) == purchase_id
    counts = layer.market.contract.functions
    assert [int(chain.call(f())) for f in (counts.listingCount, counts.purchaseCount, counts.accessCount)] == [1, 1, 0]
    with reverts("UnknownPurchase"):
        layer.market.purchase_of(purchase_id + 1)

    sealed = layer.market.deliver(purchase_id, dataset.key, seller=layer.account(SELLER))
    assert layer.market.delivery_of(purchase_id) == sealed
    assert layer.market.purchase_of(purchase_id).state == PurchaseState.DELIVERED
    assert chain.w3.eth.get_balance(layer.market.contract.address) == PRICE + BOND
    assert layer.market.receive_key(purchase_id, buyer=buyer) == dataset.key

    with reverts("DisputeStillOpen"):
        layer.market.release(purchase_id, sender=layer.account(OUTSIDER))
    with reverts("DeliveryCorrect"):
        layer.market.dispute(purchase_id, buyer=buyer)
    advance(chain, PARAMS.data_market.dispute_window + 1)
    layer.market.release(purchase_id, sender=layer.account(OUTSIDER))
    assert layer.market.purchase_of(purchase_id).state == PurchaseState.RELEASED
    seller_payout = payout_of(layer, SELLER)
    assert layer.market.payments(seller_payout) == PRICE + BOND and layer.market.payments(buyer.address) == 0
    with reverts("WrongPurchaseState"):
        layer.market.release(purchase_id, sender=layer.account(OUTSIDER))
    assert before - chain.w3.eth.get_balance(buyer.address) > PRICE  # the price plus gas, nothing back


def test_nobody_but_the_buyer_can_open_a_delivery(layer: MarketLayer) -> None:
    listing_id, dataset, _ = layer.listing()
    mine = layer.buy(listing_id)
    theirs = layer.buy(listing_id, buyer=OTHER)
    layer.market.deliver(mine, dataset.key, seller=layer.account(SELLER))
    delivery = layer.market.delivery_of(mine)
    commitment = exchange.key_commitment(dataset.key)
    other_key = layer.market.purchase_key(layer.account(OTHER), layer.ids[OTHER], 0)
    assert other_key.public == layer.market.buyer_key_of(theirs)
    assert not exchange.matches(exchange.open_key(other_key, delivery), commitment)
    for intruder in (layer.account(OTHER), layer.account(SELLER), layer.account(OUTSIDER)):
        with pytest.raises(KeyExchangeError, match="did not derive the key"):
            layer.market.receive_key(mine, buyer=intruder)


def test_a_seller_who_never_delivers_is_never_paid_and_the_buyer_is_refunded(chain: Chain, layer: MarketLayer) -> None:
    listing_id, dataset, _ = layer.listing()
    purchase_id = layer.buy(listing_id)
    with reverts("DeliveryStillOpen"):
        layer.market.reclaim(purchase_id, sender=layer.account(OUTSIDER))
    with reverts("WrongPurchaseState"):
        layer.market.release(purchase_id, sender=layer.account(OUTSIDER))
    advance(chain, PARAMS.data_market.delivery_window + 1)
    with reverts("DeliveryClosed"):
        layer.market.deliver(purchase_id, dataset.key, seller=layer.account(SELLER))
    receipt = layer.market.reclaim(purchase_id, sender=layer.account(OUTSIDER))
    reclaimed = emitted(layer.market.contract, "PurchaseReclaimed", receipt)
    assert reclaimed == [{"purchaseId": purchase_id, "amount": PRICE}]
    assert layer.market.purchase_of(purchase_id).state == PurchaseState.RECLAIMED
    assert layer.market.payments(payout_of(layer, BUYER)) == PRICE
    assert layer.market.payments(payout_of(layer, SELLER)) == 0
    with reverts("WrongPurchaseState"):
        layer.market.reclaim(purchase_id, sender=layer.account(OUTSIDER))
    assert layer.market.listing_of(listing_id).sales == 0
    assert layer.market.purchase_id_of(listing_id, 1, layer.ids[BUYER]) == 0
    layer.buy(listing_id)  # a refunded buyer may buy again


def test_a_wrong_key_is_refunded_by_proof_with_the_sellers_bond(chain: Chain, layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing()
    purchase_id = layer.buy(listing_id)
    wrong = exchange.new_dataset_key()
    deliver_raw(layer, purchase_id, wrong, seller=layer.account(SELLER))
    buyer = layer.account(BUYER)
    with pytest.raises(KeyExchangeError, match="does not match the listing's commitment"):
        layer.market.receive_key(purchase_id, buyer=buyer)
    receipt = layer.market.dispute(purchase_id, buyer=buyer)
    assert emitted(layer.market.contract, "WrongKeyProven", receipt) == [
        {"purchaseId": purchase_id, "deliveredKey": wrong, "refund": PRICE + BOND}
    ]
    assert layer.market.purchase_of(purchase_id).state == PurchaseState.DISPUTED
    assert layer.market.payments(payout_of(layer, BUYER)) == PRICE + BOND
    assert layer.market.payments(payout_of(layer, SELLER)) == 0
    for action in (
        lambda: layer.market.dispute(purchase_id, buyer=buyer),
        lambda: layer.market.confirm(purchase_id, buyer=buyer),
    ):
        with reverts("WrongPurchaseState"):
            action()
    advance(chain, PARAMS.data_market.dispute_window + 1)
    with reverts("WrongPurchaseState"):
        layer.market.release(purchase_id, sender=layer.account(OUTSIDER))
    before = chain.w3.eth.get_balance(buyer.address)
    paid = cost(layer.market.withdraw_payments(payee=buyer))
    assert chain.w3.eth.get_balance(buyer.address) == before + PRICE + BOND - paid
    assert chain.w3.eth.get_balance(layer.market.contract.address) == 0


def test_forged_disputes_fail(chain: Chain, layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing()
    mine, theirs = layer.buy(listing_id), layer.buy(listing_id, buyer=OTHER)
    for purchase_id in (mine, theirs):
        deliver_raw(layer, purchase_id, exchange.new_dataset_key(), seller=layer.account(SELLER))
    buyer = layer.account(BUYER)
    key = layer.market.purchase_key(buyer, layer.ids[BUYER], 0)
    other_key = layer.market.purchase_key(layer.account(OTHER), layer.ids[OTHER], 0)
    delivery = layer.market.delivery_of(mine)
    right = exchange.dispute_args(key, delivery)

    with reverts("WrongPurchaseSecret"):  # a made-up x
        dispute_raw(layer, mine, secrets.randbelow(exchange.N - 1) + 1, right.shared, sender=buyer)
    with reverts("WrongPurchaseSecret"):  # another purchase's x, with its honest S for this delivery
        dispute_raw(
            layer, mine, other_key.secret, exchange.shared_point(other_key.secret, delivery.ephemeral), sender=buyer
        )
    with reverts("WrongSharedPoint"):  # the right x with a wrong S (x·G instead of x·R)
        dispute_raw(layer, mine, key.secret, key.public, sender=buyer)
    with reverts("WrongPurchaseSecret"):
        dispute_raw(layer, mine, 0, right.shared, sender=buyer)
    with reverts("DeliveryMismatch"):  # another (R, E) than the one delivered
        dispute_raw(layer, mine, key.secret, right.shared, sender=buyer, sealed=secrets.token_bytes(32))
    with reverts("DeliveryMismatch"):
        dispute_raw(
            layer, mine, key.secret, right.shared, sender=buyer, ephemeral=layer.market.delivery_of(theirs).ephemeral
        )
    for intruder in (layer.account(OTHER), layer.account(SELLER), layer.account(OUTSIDER)):
        with reverts("NotInstitutionAccount"):  # someone else's purchase
            dispute_raw(layer, mine, key.secret, right.shared, sender=intruder)
    advance(chain, PARAMS.data_market.dispute_window + 1)
    with reverts("DisputeClosed"):
        layer.market.dispute(mine, buyer=buyer)
    assert layer.market.purchase_of(mine).state == PurchaseState.DELIVERED
    layer.market.release(mine, sender=layer.account(OUTSIDER))  # an unproven complaint pays the seller
    assert layer.market.payments(payout_of(layer, SELLER)) == PRICE + BOND


def test_only_the_seller_delivers_with_exactly_the_bond_and_a_usable_point(layer: MarketLayer) -> None:
    listing_id, dataset, _ = layer.listing()
    purchase_id = layer.buy(listing_id)
    for intruder in (layer.account(BUYER), layer.account(OTHER), layer.account(OUTSIDER)):
        with reverts("NotInstitutionAccount"):  # a third party front-running the delivery
            deliver_raw(layer, purchase_id, dataset.key, seller=intruder)
    for bond in (0, BOND - 1, BOND + 1):
        with reverts("WrongPayment"):
            deliver_raw(layer, purchase_id, dataset.key, seller=layer.account(SELLER), bond=bond)
    deliver = layer.market.contract.functions.deliver
    sealed = exchange.seal_key(dataset.key, layer.market.buyer_key_of(purchase_id))
    off_curve = sealed.ephemeral[:32] + (int.from_bytes(sealed.ephemeral[32:], "big") ^ 1).to_bytes(32, "big")
    high = high_x_point()
    for point in (off_curve, bytes(64), high[0].to_bytes(32, "big") + high[1].to_bytes(32, "big")):
        with reverts("BadCurvePoint"):
            layer.chain.transact(
                deliver(purchase_id, key_words(point), sealed.sealed), sender=layer.account(SELLER), value=BOND
            )
    with reverts("UnknownPurchase"):
        layer.chain.transact(
            deliver(purchase_id + 9, key_words(sealed.ephemeral), sealed.sealed),
            sender=layer.account(SELLER),
            value=BOND,
        )
    layer.market.deliver(purchase_id, dataset.key, seller=layer.account(SELLER))
    with reverts("WrongPurchaseState"):
        layer.market.deliver(purchase_id, dataset.key, seller=layer.account(SELLER))


def test_the_buyer_may_confirm_early_and_nobody_else(chain: Chain, layer: MarketLayer) -> None:
    listing_id, dataset, _ = layer.listing()
    purchase_id = layer.buy(listing_id)
    with reverts("WrongPurchaseState"):
        layer.market.confirm(purchase_id, buyer=layer.account(BUYER))
    layer.market.deliver(purchase_id, dataset.key, seller=layer.account(SELLER))
    for intruder in (layer.account(SELLER), layer.account(OTHER)):
        with reverts("NotInstitutionAccount"):
            layer.market.confirm(purchase_id, buyer=intruder)
    layer.market.confirm(purchase_id, buyer=layer.account(BUYER))
    assert layer.market.purchase_of(purchase_id).state == PurchaseState.RELEASED
    assert layer.market.payments(payout_of(layer, SELLER)) == PRICE + BOND


# ---------------------------------------------------------------- replay, front-running, double purchase


def test_a_price_change_between_read_and_buy_and_an_old_version_cannot_be_bought(layer: MarketLayer) -> None:
    listing_id, dataset, cohort = layer.listing()
    seller = layer.account(SELLER)
    layer.market.update(listing_id, 1, layer.offer(dataset, cohort, price=2 * PRICE), seller=seller)
    assert layer.market.listing_of(listing_id).version == 2
    assert layer.market.terms_of(listing_id, 1).price == PRICE  # the old version's terms are kept
    with reverts("ListingVersionChanged"):  # the buyer read version 1 at the old price
        buy_raw(layer, listing_id, version=1, price=PRICE)
    with reverts("PriceChanged"):  # the buyer names the new version but the price it read before
        buy_raw(layer, listing_id, version=2, price=PRICE)
    with reverts("WrongPayment"):
        buy_raw(layer, listing_id, version=2, price=2 * PRICE, value=PRICE)
    with reverts("ListingVersionChanged"):  # an update built on a stale read is refused too
        layer.market.update(listing_id, 1, layer.offer(dataset, cohort), seller=seller)
    with reverts("NotInstitutionAccount"):
        layer.market.update(listing_id, 2, layer.offer(dataset, cohort), seller=layer.account(BUYER))
    with reverts("NotMemberAccount"):
        layer.market.update(listing_id, 2, layer.offer(dataset, cohort), seller=layer.account(OUTSIDER))
    buy_raw(layer, listing_id, version=2, price=2 * PRICE)
    assert layer.market.purchase_of(1).version == 2


def test_a_double_purchase_and_a_replayed_buy_are_refused(layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing()
    first = layer.buy(listing_id)
    with reverts("AlreadyPurchased"):
        layer.buy(listing_id)
    with reverts("AlreadyPurchased"):  # the first buy's exact arguments again
        buy_raw(layer, listing_id, nonce=0)
    another, _, _ = layer.listing()
    with reverts("StaleNonce"):  # a purchase number (and so a key) already used
        buy_raw(layer, another, nonce=0)
    with reverts("StaleNonce"):
        buy_raw(layer, another, nonce=5)
    assert layer.market.listing_of(listing_id).sales == 1 and layer.market.listing_of(another).sales == 0
    assert layer.market.purchase_id_of(listing_id, 1, layer.ids[BUYER]) == first
    assert layer.market.purchase_nonce_of(layer.ids[BUYER]) == 1


def test_sales_need_an_allowed_purpose_and_buyer_and_stop_when_sold_out_or_closed(layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing(max_sales=1, buyers=(2, 3))
    with reverts("PurposeNotAllowed"):
        layer.buy(listing_id, purpose=RESEARCH)
    with reverts("SelfPurchase"):
        buy_raw(layer, listing_id, buyer=SELLER)
    layer.buy(listing_id, purpose=DRUG_SAFETY)
    with reverts("SoldOut"):
        layer.buy(listing_id, buyer=OTHER)
    with reverts("NotMemberAccount"):
        layer.market.buy(listing_id, version=1, price=PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(OUTSIDER))

    restricted, _, _ = layer.listing(buyers=(layer.ids[OTHER],))
    assert not layer.market.allows_buyer(restricted, 1, layer.ids[BUYER])
    with reverts("BuyerNotAllowed"):
        layer.buy(restricted)
    for intruder in (layer.account(BUYER), layer.account(OUTSIDER)):
        with reverts("NotInstitutionAccount"):
            layer.market.close(restricted, seller=intruder)
    layer.market.close(restricted, seller=layer.account(SELLER))
    assert layer.market.listing_of(restricted).closed
    with reverts("ListingIsClosed"):
        layer.buy(restricted, buyer=OTHER)
    with reverts("ListingIsClosed"):
        layer.market.close(restricted, seller=layer.account(SELLER))


def test_a_buy_refuses_a_per_purchase_key_the_dispute_could_not_check(layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing()
    good = layer.market.purchase_key(layer.account(BUYER), layer.ids[BUYER], 0).public
    high = high_x_point()
    for key in (bytes(64), good[:32] + bytes(32), high[0].to_bytes(32, "big") + high[1].to_bytes(32, "big")):
        with reverts("BadCurvePoint"):
            buy_raw(layer, listing_id, key=key)


# ---------------------------------------------------------------- consent, policy, membership at sale time


def test_a_revocation_stops_sales_until_the_seller_relists_from_a_current_snapshot(
    chain: Chain, layer: MarketLayer
) -> None:
    patient = Patient.new()
    chain.w3.provider.make_request("anvil_setBalance", [patient.account.address, hex(10**18)])
    seller = layer.account(SELLER)
    dataset, cohort = layer.store(seller), layer.cohort(SELLER, extra=[patient])
    listing_id = layer.market.list_dataset(layer.offer(dataset, cohort), seller=seller)
    layer.buy(listing_id)
    layer.consent.revoke(
        layer.ids[SELLER],
        RESEARCH,
        patient.pseudonym,
        patient.account.address,
        {cohort.snapshot_id: cohort.proof(patient)},
        sender=patient.account,
    )
    with reverts("ConsentNotCurrent"):
        layer.buy(listing_id, buyer=OTHER)
    with reverts("ConsentNotCurrent"):  # nor can the seller re-list the touched snapshot
        layer.market.update(listing_id, 1, layer.offer(dataset, cohort), seller=seller)
    without = layer.cohort(SELLER, size=8)
    layer.market.update(listing_id, 1, layer.offer(dataset, without), seller=seller)
    layer.buy(listing_id, buyer=OTHER)
    log = layer.market.access_log()
    assert [(e.buyer, e.version, e.consent_snapshot) for e in log] == [
        (layer.ids[BUYER], 1, cohort.snapshot_id),
        (layer.ids[OTHER], 2, without.snapshot_id),
    ]


def test_a_stricter_policy_or_an_expelled_seller_stops_sales(layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing()
    motion = layer.institutions.propose_policy(Policy(6, 2, 10), member=layer.account(BUYER))
    layer.institutions.approve(motion, member=layer.account(OTHER))
    with reverts("BelowPolicy"):
        layer.buy(listing_id)

    other_listing, _, _ = layer.listing(seller=OTHER, k_anonymity=6)
    expel = layer.institutions.propose_expulsion(layer.ids[OTHER], member=layer.account(SELLER))
    layer.institutions.approve(expel, member=layer.account(BUYER))
    with reverts("SellerNotMember"):
        layer.buy(other_listing)


def test_after_a_key_change_the_old_account_can_do_nothing_in_the_market(chain: Chain, layer: MarketLayer) -> None:
    listing_id, dataset, cohort = layer.listing()
    purchase_id = layer.buy(listing_id)
    old, new = layer.account(SELLER), Account.create()
    chain.w3.provider.make_request("anvil_setBalance", [new.address, hex(10**18)])
    layer.institutions.propose_account_change(new.address, member=old)
    layer.institutions.accept_account_change(layer.ids[SELLER], new_account=new)
    with reverts("NotInstitutionAccount"):
        layer.market.deliver(purchase_id, dataset.key, seller=old)
    with reverts("NotMemberAccount"):
        layer.market.update(listing_id, 1, layer.offer(dataset, cohort), seller=old)
    with reverts("NotInstitutionAccount"):
        layer.market.close(listing_id, seller=old)
    with reverts("NotMemberAccount"):
        layer.consent.commit_snapshot(RESEARCH, keccak(b"root"), 3, keccak(b"leaves"), institution=old)
    layer.market.deliver(purchase_id, dataset.key, seller=new)
    layer.market.confirm(purchase_id, buyer=layer.account(BUYER))
    assert layer.market.payments(payout_of(layer, SELLER)) == PRICE + BOND


# ---------------------------------------------------------------- re-entrancy


def attacker(chain: Chain) -> Contract:
    return chain.contract("ReentrantCaller", chain.deploy("ReentrantCaller", sender=chain.account(OUTSIDER)).address)


def test_a_reentrant_seller_payout_cannot_take_twice(chain: Chain) -> None:
    payee = attacker(chain)
    layer = MarketLayer.deploy(chain, founders=(BUYER, OTHER), close=False)
    seller = chain.account(SELLER)
    founder = Founder.of(seller, "hospital", payee.address)
    layer.ids[SELLER] = layer.institutions.found(founder, deployer=chain.account(0))
    layer.institutions.close_founding(deployer=chain.account(0))
    listing_id, dataset, _ = layer.listing()
    first, second = layer.buy(listing_id), layer.buy(listing_id, buyer=OTHER)
    for purchase_id in (first, second):
        layer.market.deliver(purchase_id, dataset.key, seller=seller)
    f = layer.market.contract.functions
    rounds = (
        (first, BUYER, f.withdrawPayments(), b"ReentrancyGuardReentrantCall()"),
        (second, OTHER, f.release(first), b"WrongPurchaseState(uint256,uint8)"),
    )
    for purchase_id, buyer, nested, refusal in rounds:
        layer.market.confirm(purchase_id, buyer=layer.account(buyer))
        chain.transact(
            payee.functions.arm(layer.market.contract.address, nested._encode_transaction_data()),
            sender=chain.account(OUTSIDER),
        )
        chain.transact(payee.functions.withdrawFrom(layer.market.contract.address), sender=chain.account(OUTSIDER))
        assert chain.call(payee.functions.reentries()) == 0
        assert chain.call(payee.functions.refusal()) == keccak(refusal)[:4]
    assert chain.call(payee.functions.received()) == 2 * (PRICE + BOND)
    assert chain.w3.eth.get_balance(payee.address) == 2 * (PRICE + BOND)
    assert chain.w3.eth.get_balance(layer.market.contract.address) == 0


def test_a_reentrant_buyer_payout_cannot_take_twice(chain: Chain) -> None:
    payee = attacker(chain)
    layer = MarketLayer.deploy(chain, founders=(SELLER, OTHER), close=False)
    buyer = chain.account(BUYER)
    layer.ids[BUYER] = layer.institutions.found(Founder.of(buyer, "buyer", payee.address), deployer=chain.account(0))
    layer.institutions.close_founding(deployer=chain.account(0))
    listing_id, _, _ = layer.listing()
    refunded, held = layer.buy(listing_id), layer.buy(listing_id, buyer=OTHER)
    advance(chain, PARAMS.data_market.delivery_window + 1)
    layer.market.reclaim(refunded, sender=chain.account(OUTSIDER))
    f = layer.market.contract.functions
    chain.transact(
        payee.functions.arm(layer.market.contract.address, f.reclaim(refunded)._encode_transaction_data()),
        sender=chain.account(OUTSIDER),
    )
    chain.transact(payee.functions.withdrawFrom(layer.market.contract.address), sender=chain.account(OUTSIDER))
    assert chain.call(payee.functions.reentries()) == 0
    assert chain.call(payee.functions.refusal()) == keccak(b"WrongPurchaseState(uint256,uint8)")[:4]
    assert chain.w3.eth.get_balance(payee.address) == PRICE
    assert chain.w3.eth.get_balance(layer.market.contract.address) == PRICE  # the other buyer's escrow
    assert layer.market.purchase_of(held).state == PurchaseState.PAID


# ---------------------------------------------------------------- the access log


def test_the_access_log_rebuilt_from_events_equals_the_purchases_made(chain: Chain, layer: MarketLayer) -> None:
    first, dataset, _ = layer.listing()
    second, other_dataset, _ = layer.listing(seller=OTHER, licence_hash=keccak(b"other licence"))
    made = {
        layer.buy(first): (first, BUYER, SELLER, EPIDEMIOLOGY, PurchaseState.RELEASED),
        layer.buy(first, buyer=OTHER, purpose=DRUG_SAFETY): (first, OTHER, SELLER, DRUG_SAFETY, PurchaseState.DISPUTED),
        layer.buy(second): (second, BUYER, OTHER, EPIDEMIOLOGY, PurchaseState.RECLAIMED),
        layer.buy(second, buyer=SELLER): (second, SELLER, OTHER, EPIDEMIOLOGY, PurchaseState.DELIVERED),
    }
    ids = list(made)
    layer.market.deliver(ids[0], dataset.key, seller=layer.account(SELLER))
    layer.market.confirm(ids[0], buyer=layer.account(BUYER))
    deliver_raw(layer, ids[1], exchange.new_dataset_key(), seller=layer.account(SELLER))
    layer.market.dispute(ids[1], buyer=layer.account(OTHER))
    layer.market.deliver(ids[3], other_dataset.key, seller=layer.account(OTHER))
    advance(chain, PARAMS.data_market.delivery_window + 1)
    layer.market.reclaim(ids[2], sender=layer.account(OUTSIDER))

    log = layer.market.access_log()
    assert [e.purchase_id for e in log] == ids
    for entry in log:
        listing_id, buyer, seller, purpose, _ = made[entry.purchase_id]
        terms = layer.market.terms_of(listing_id, entry.version)
        assert (entry.listing_id, entry.buyer, entry.seller, entry.purpose, entry.price) == (
            listing_id,
            layer.ids[buyer],
            layer.ids[seller],
            purpose,
            terms.price,
        )
        assert (entry.licence_hash, entry.consent_purpose, entry.consent_snapshot) == (
            terms.licence_hash,
            terms.consent_purpose,
            terms.consent_snapshot,
        )
        assert entry.state == layer.market.purchase_of(entry.purchase_id).state


# ---------------------------------------------------------------- compute-to-data ledgers

JOB_PRICE = 10**15


def compute_listing(
    layer: MarketLayer,
    *,
    dataset_epsilon: int = EPSILON_ONE,
    buyer_epsilon: int = 6 * EPSILON_ONE // 10,
    market: bool = True,
) -> tuple[int, Cohort]:
    """A listing with compute access configured, the module approved and (if asked) the compute market named."""
    listing_id, _, cohort = layer.listing()
    seller = layer.account(SELLER)
    layer.market.configure_compute(
        listing_id, job_price=JOB_PRICE, dataset_epsilon=dataset_epsilon, buyer_epsilon=buyer_epsilon, seller=seller
    )
    layer.market.set_module(listing_id, MODULE, 4096, seller=seller)
    if market:
        layer.market.set_compute_market(layer.account(COMPUTE_MARKET).address, deployer=layer.account(0))
    return listing_id, cohort


def test_only_the_deployer_names_the_compute_market_and_only_once(layer: MarketLayer) -> None:
    target = layer.account(COMPUTE_MARKET).address
    with reverts("NotMarketDeployer"):
        layer.market.set_compute_market(target, deployer=layer.account(SELLER))
    with bad_parameter("computeMarket"):
        layer.market.set_compute_market("0x" + "00" * 20, deployer=layer.account(0))
    layer.market.set_compute_market(target, deployer=layer.account(0))
    with reverts("ComputeMarketAlreadySet"):
        layer.market.set_compute_market(layer.account(OUTSIDER).address, deployer=layer.account(0))


def test_the_seller_keeps_the_module_allowlist_and_the_approved_node_set(layer: MarketLayer) -> None:
    listing_id, _, _ = layer.listing()
    seller, market = layer.account(SELLER), layer.market
    intruders = ((layer.account(BUYER), "NotInstitutionAccount"), (layer.account(OUTSIDER), "NotMemberAccount"))
    for intruder, error in intruders:
        with reverts(error):
            market.set_module(listing_id, MODULE, 100, seller=intruder)
        with reverts(error):
            market.set_node(listing_id, intruder.address, True, seller=intruder)
        with reverts(error):
            market.configure_compute(listing_id, job_price=1, dataset_epsilon=1, buyer_epsilon=1, seller=intruder)
    with bad_parameter("moduleHash"):
        market.set_module(listing_id, bytes(32), 100, seller=seller)
    market.set_module(listing_id, MODULE, 2048, seller=seller)
    assert market.module_cap(listing_id, MODULE) == 2048
    market.set_module(listing_id, MODULE, 0, seller=seller)
    assert market.module_cap(listing_id, MODULE) == 0

    nodes = [Account.create().address for _ in range(4)]
    for node in nodes:
        market.set_node(listing_id, node, True, seller=seller)
    market.set_node(listing_id, nodes[0], True, seller=seller)  # already approved: no duplicate
    market.set_node(listing_id, nodes[1], False, seller=seller)
    market.set_node(listing_id, layer.account(OUTSIDER).address, False, seller=seller)  # never approved: no-op
    assert market.approved_nodes(listing_id) == [nodes[0], nodes[3], nodes[2]]
    assert market.is_approved_node(listing_id, nodes[3]) and not market.is_approved_node(listing_id, nodes[1])
    with bad_parameter("node"):
        market.set_node(listing_id, "0x" + "00" * 20, True, seller=seller)
    limit = int(layer.chain.call(market.contract.functions.MAX_NODES()))
    for _ in range(limit - 3):
        market.set_node(listing_id, Account.create().address, True, seller=seller)
    with reverts("TooManyNodes"):
        market.set_node(listing_id, Account.create().address, True, seller=seller)


def test_compute_access_is_bought_at_the_named_price_under_the_sale_checks(layer: MarketLayer) -> None:
    plain, _, _ = layer.listing()
    with reverts("ComputeNotOffered"):
        layer.market.buy_compute(plain, jobs=1, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(BUYER))
    listing_id, _ = compute_listing(layer)
    buyer = layer.account(BUYER)
    with reverts("PriceChanged"):
        layer.market.buy_compute(listing_id, jobs=2, job_price=JOB_PRICE // 2, purpose=EPIDEMIOLOGY, buyer=buyer)
    with bad_parameter("jobs"):
        layer.market.buy_compute(listing_id, jobs=0, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=buyer)
    with reverts("WrongPayment"):
        layer.chain.transact(
            layer.market.contract.functions.buyCompute(listing_id, 2, JOB_PRICE, EPIDEMIOLOGY),
            sender=buyer,
            value=JOB_PRICE,
        )
    with reverts("PurposeNotAllowed"):
        layer.market.buy_compute(listing_id, jobs=2, job_price=JOB_PRICE, purpose=RESEARCH, buyer=buyer)
    with reverts("SelfPurchase"):
        layer.market.buy_compute(
            listing_id, jobs=2, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(SELLER)
        )
    with reverts("NotMemberAccount"):
        layer.market.buy_compute(
            listing_id, jobs=2, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(OUTSIDER)
        )
    access_id = layer.market.buy_compute(listing_id, jobs=3, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=buyer)
    access = layer.market.access_of(access_id)
    assert (access.listing_id, access.buyer, access.jobs_left, access.job_price) == (
        listing_id,
        layer.ids[BUYER],
        3,
        JOB_PRICE,
    )
    with reverts("UnknownAccess"):
        layer.market.access_of(access_id + 1)
    with reverts("UnknownListing"):
        layer.market.compute_terms_of(listing_id + 5)
    assert int(layer.chain.call(layer.market.contract.functions.accessCount())) == 1


def test_the_privacy_budget_is_debited_per_dataset_and_per_buyer_and_overspending_is_refused(
    layer: MarketLayer,
) -> None:
    listing_id, _ = compute_listing(layer)  # dataset ε = 1.0, each buyer ε = 0.6
    market, node = layer.market, layer.account(COMPUTE_MARKET)
    mine = market.buy_compute(listing_id, jobs=5, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(BUYER))
    theirs = market.buy_compute(
        listing_id, jobs=5, job_price=JOB_PRICE, purpose=DRUG_SAFETY, buyer=layer.account(OTHER)
    )
    tenth = EPSILON_ONE // 10
    with reverts("NotComputeMarket"):
        market.debit_job(mine, MODULE, 4 * tenth, b"job-1".ljust(32, b"\0"), compute_market=layer.account(BUYER))
    with reverts("ModuleNotApproved"):
        market.debit_job(mine, keccak(b"unapproved.wasm"), tenth, bytes(32), compute_market=node)
    with reverts("ZeroEpsilon"):
        market.debit_job(mine, MODULE, 0, bytes(32), compute_market=node)

    assert market.check_job(mine, MODULE, 4 * tenth) == 4096
    receipt = market.debit_job(mine, MODULE, 4 * tenth, b"job-1".ljust(32, b"\0"), compute_market=node)
    assert emitted(market.contract, "JobDebited", receipt) == [
        {
            "accessId": mine,
            "listingId": listing_id,
            "moduleHash": MODULE,
            "epsilon": 4 * tenth,
            "jobRef": b"job-1".ljust(32, b"\0"),
        }
    ]
    with reverts("PrivacyBudgetExceeded"):  # the buyer has 0.2 left
        market.check_job(mine, MODULE, 3 * tenth)
    market.debit_job(mine, MODULE, 2 * tenth, bytes(32), compute_market=node)
    assert market.epsilon_spent(listing_id) == market.epsilon_spent(listing_id, layer.ids[BUYER]) == 6 * tenth
    with reverts("PrivacyBudgetExceeded"):
        market.debit_job(mine, MODULE, 1, bytes(32), compute_market=node)

    with reverts("PrivacyBudgetExceeded"):  # the other buyer has 0.6 of its own, but the dataset only 0.4
        market.debit_job(theirs, MODULE, 5 * tenth, bytes(32), compute_market=node)
    market.debit_job(theirs, MODULE, 4 * tenth, bytes(32), compute_market=node)
    with reverts("PrivacyBudgetExceeded"):
        market.check_job(theirs, MODULE, 1)
    assert market.epsilon_spent(listing_id) == EPSILON_ONE
    assert market.access_of(mine).jobs_left == 3 and market.access_of(theirs).jobs_left == 4
    assert market.payments(payout_of(layer, SELLER)) == 3 * JOB_PRICE


def test_a_budget_only_goes_down_and_a_lowered_one_below_the_spent_refuses_cleanly(layer: MarketLayer) -> None:
    listing_id, _ = compute_listing(layer, dataset_epsilon=EPSILON_ONE, buyer_epsilon=EPSILON_ONE // 2)
    seller, market = layer.account(SELLER), layer.market
    for dataset_epsilon, buyer_epsilon in (
        (EPSILON_ONE + 1, EPSILON_ONE // 2),
        (EPSILON_ONE, EPSILON_ONE // 2 + 1),
        (EPSILON_ONE // 4, EPSILON_ONE // 2),
    ):
        with reverts("BudgetRaised"):
            market.configure_compute(
                listing_id,
                job_price=JOB_PRICE,
                dataset_epsilon=dataset_epsilon,
                buyer_epsilon=buyer_epsilon,
                seller=seller,
            )
    with bad_parameter("jobPrice"):
        market.configure_compute(listing_id, job_price=0, dataset_epsilon=1, buyer_epsilon=1, seller=seller)
    with bad_parameter("buyerEpsilon"):
        market.configure_compute(listing_id, job_price=JOB_PRICE, dataset_epsilon=1, buyer_epsilon=0, seller=seller)
    access = market.buy_compute(
        listing_id, jobs=3, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(BUYER)
    )
    market.debit_job(access, MODULE, 4 * EPSILON_ONE // 10, bytes(32), compute_market=layer.account(COMPUTE_MARKET))
    market.configure_compute(
        listing_id,
        job_price=2 * JOB_PRICE,
        dataset_epsilon=3 * EPSILON_ONE // 10,
        buyer_epsilon=3 * EPSILON_ONE // 10,
        seller=seller,
    )
    terms = market.compute_terms_of(listing_id)
    assert (terms.job_price, terms.dataset_epsilon, terms.buyer_epsilon) == (
        2 * JOB_PRICE,
        3 * EPSILON_ONE // 10,
        3 * EPSILON_ONE // 10,
    )
    with reverts("PrivacyBudgetExceeded"):
        market.check_job(access, MODULE, 1)


def test_jobs_run_out_and_unused_ones_are_refunded_to_the_buyer(layer: MarketLayer) -> None:
    listing_id, _ = compute_listing(layer)
    market, buyer = layer.market, layer.account(BUYER)
    access = market.buy_compute(listing_id, jobs=2, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=buyer)
    market.debit_job(access, MODULE, 1, bytes(32), compute_market=layer.account(COMPUTE_MARKET))
    with reverts("NotInstitutionAccount"):
        market.refund_jobs(access, buyer=layer.account(SELLER))
    receipt = market.refund_jobs(access, buyer=buyer)
    assert emitted(market.contract, "JobsRefunded", receipt) == [{"accessId": access, "jobs": 1, "amount": JOB_PRICE}]
    assert market.payments(payout_of(layer, BUYER)) == JOB_PRICE
    with reverts("NoJobsLeft"):
        market.refund_jobs(access, buyer=buyer)
    with reverts("NoJobsLeft"):
        market.debit_job(access, MODULE, 1, bytes(32), compute_market=layer.account(COMPUTE_MARKET))


def test_a_revocation_or_a_closed_listing_stops_compute_jobs(chain: Chain, layer: MarketLayer) -> None:
    patient = Patient.new()
    chain.w3.provider.make_request("anvil_setBalance", [patient.account.address, hex(10**18)])
    listing_id, cohort = compute_listing(layer)
    market, node = layer.market, layer.account(COMPUTE_MARKET)
    access = market.buy_compute(
        listing_id, jobs=2, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=layer.account(BUYER)
    )
    victim = cohort.patients[0]
    layer.consent.revoke(
        layer.ids[SELLER],
        RESEARCH,
        victim.pseudonym,
        victim.account.address,
        {cohort.snapshot_id: cohort.proof(victim)},
        sender=layer.account(SELLER),
    )
    with reverts("ConsentNotCurrent"):
        market.debit_job(access, MODULE, 1, bytes(32), compute_market=node)
    market.close(listing_id, seller=layer.account(SELLER))
    with reverts("ListingIsClosed"):
        market.check_job(access, MODULE, 1)
    market.refund_jobs(access, buyer=layer.account(BUYER))
    assert market.payments(payout_of(layer, BUYER)) == 2 * JOB_PRICE


# ---------------------------------------------------------------- gas

GAS_CEILINGS = {
    "list": 390_000,
    "buy": 205_000,
    "deliver": 72_000,
    "dispute": 98_000,
    "release": 72_000,
    "withdraw": 36_000,
}
"""About 10 % above what each step measured when written (list 353,179; buy 186,230, a buyer's first purchase;
deliver 65,116; dispute 88,658; release 65,037; withdraw 32,406), so a regression shows here."""


def test_gas_of_a_sale_beside_a_plain_transfer(chain: Chain, layer: MarketLayer) -> None:
    seller = layer.account(SELLER)
    dataset, cohort = layer.store(seller), layer.cohort(SELLER)
    offer = layer.offer(dataset, cohort)
    gas = {"list": chain.transact(layer.market.contract.functions.list(offer.to_abi()), sender=seller)["gasUsed"]}
    gas["buy"] = buy_raw(layer, 1)["gasUsed"]
    gas["deliver"] = deliver_raw(layer, 1, dataset.key, seller=seller)["gasUsed"]
    buy_raw(layer, 1, buyer=OTHER)
    deliver_raw(layer, 2, exchange.new_dataset_key(), seller=seller)
    gas["dispute"] = layer.market.dispute(2, buyer=layer.account(OTHER))["gasUsed"]
    advance(chain, PARAMS.data_market.dispute_window + 1)
    gas["release"] = layer.market.release(1, sender=layer.account(OUTSIDER))["gasUsed"]
    gas["withdraw"] = layer.market.withdraw_payments(payee=seller)["gasUsed"]
    transfer = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_transaction({"from": layer.account(OUTSIDER).address, "to": seller.address, "value": 1})
    )
    print(
        "\ngas: "
        + ", ".join(f"{name} {used:,}" for name, used in gas.items())
        + f", plain ETH transfer {transfer['gasUsed']:,}"
    )
    for name, used in gas.items():
        assert used <= GAS_CEILINGS[name], f"{name} costs {used:,} gas, above its ceiling {GAS_CEILINGS[name]:,}"
