"""The two-step public key change of a member institution, across every contract it acts in: a proposal is
accepted once, only by the account it names, and never after it was replaced, cancelled or voided by an
expulsion; the payout follows the account; and after the change the old account is refused on every path
(InstitutionRegistry, DataMarket as seller and as buyer, ConsentRegistry, FileRegistry once the files moved)
while the new one does each of those things."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kura.chain.client import Chain
from kura.chain.institution_registry import Founder
from kura.chain.receipts import emitted
from tests.contracts.expect import reverts
from tests.contracts.market_layer import (
    BOND,
    BUYER,
    EPIDEMIOLOGY,
    OTHER,
    OUTSIDER,
    PARAMS,
    PRICE,
    RESEARCH,
    SELLER,
    MarketLayer,
    Patient,
)
from tests.contracts.test_data_market import JOB_PRICE, MODULE, compute_listing
from tests.contracts.trust_layer import advance

ZERO = "0x" + "00" * 20


@pytest.fixture
def layer(chain: Chain) -> MarketLayer:
    return MarketLayer.deploy(chain)


def funded(chain: Chain) -> LocalAccount:
    """A fresh account with ether for gas."""
    account = Account.create()
    chain.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**18)])
    return account


def move(layer: MarketLayer, index: int, new: LocalAccount) -> None:
    """Move institution ``index`` from its founding account to ``new`` (propose, then accept)."""
    layer.institutions.propose_account_change(new.address, member=layer.account(index))
    layer.institutions.accept_account_change(layer.ids[index], new_account=new)


# ---------------------------------------------------------------- the proposal


def test_a_proposal_is_accepted_once_and_only_by_the_account_it_names_now(chain: Chain, layer: MarketLayer) -> None:
    registry, seller_id = layer.institutions, layer.ids[SELLER]
    old, first, second = layer.account(SELLER), funded(chain), funded(chain)
    with reverts("NotMemberAccount"):  # a stranger cannot propose for anyone
        registry.propose_account_change(first.address, member=layer.account(OUTSIDER))
    registry.propose_account_change(first.address, member=old)
    registry.propose_account_change(second.address, member=old)  # replaces the first proposal
    with reverts("NotPendingAccount"):
        registry.accept_account_change(seller_id, new_account=first)
    with reverts("NotPendingAccount"):  # a stranger, or another member's account
        registry.accept_account_change(seller_id, new_account=layer.account(BUYER))
    registry.propose_account_change(ZERO, member=old)  # cancelled
    with reverts("NotPendingAccount"):
        registry.accept_account_change(seller_id, new_account=second)

    registry.propose_account_change(second.address, member=old)
    receipt = registry.accept_account_change(seller_id, new_account=second)
    assert [e["newAccount"] for e in emitted(registry.contract, "AccountChanged", receipt)] == [second.address]
    with reverts("NotPendingAccount"):  # the proposal was used up: no replay
        registry.accept_account_change(seller_id, new_account=second)
    with reverts("NotPendingAccount"):  # and the first, replaced proposal stays dead
        registry.accept_account_change(seller_id, new_account=first)
    with reverts("NotMemberAccount"):  # the old account cannot propose a way back in
        registry.propose_account_change(first.address, member=old)


def test_a_forgotten_proposal_expires_and_a_new_one_starts_the_clock_again(chain: Chain, layer: MarketLayer) -> None:
    registry, old, target = layer.institutions, layer.account(SELLER), funded(chain)
    receipt = registry.propose_account_change(target.address, member=old)
    expires_at = emitted(registry.contract, "AccountChangeProposed", receipt)[0]["expiresAt"]
    assert expires_at == registry.institution_of(layer.ids[SELLER]).pending_until
    assert expires_at == chain.w3.eth.get_block("latest")["timestamp"] + PARAMS.institutions.motion_lifetime
    advance(chain, PARAMS.institutions.motion_lifetime + 1)
    with reverts("AccountChangeExpired"):
        registry.accept_account_change(layer.ids[SELLER], new_account=target)
    registry.propose_account_change(target.address, member=old)
    registry.accept_account_change(layer.ids[SELLER], new_account=target)
    record = registry.institution_of(layer.ids[SELLER])
    assert (record.account, record.pending_account, record.pending_until) == (target.address, ZERO, 0)
    receipt = registry.propose_account_change(ZERO, member=target)  # a cancellation has no deadline
    assert emitted(registry.contract, "AccountChangeProposed", receipt)[0]["expiresAt"] == 0


def test_an_expulsion_voids_a_pending_proposal(chain: Chain, layer: MarketLayer) -> None:
    registry, target = layer.institutions, funded(chain)
    registry.propose_account_change(target.address, member=layer.account(OTHER))
    motion = registry.propose_expulsion(layer.ids[OTHER], member=layer.account(SELLER))
    registry.approve(motion, member=layer.account(BUYER))
    assert registry.institution_of(layer.ids[OTHER]).pending_account == ZERO
    with reverts("WrongStanding"):
        registry.accept_account_change(layer.ids[OTHER], new_account=target)


def test_the_payout_follows_the_account_unless_it_is_a_separate_address(chain: Chain) -> None:
    layer = MarketLayer.deploy(chain, founders=(SELLER, BUYER), close=False)
    treasury = Account.create().address
    layer.ids[OTHER] = layer.institutions.found(
        Founder.of(layer.account(OTHER), "paid apart", treasury), deployer=chain.account(0)
    )
    layer.institutions.close_founding(deployer=chain.account(0))
    self_paid, apart = funded(chain), funded(chain)
    layer.institutions.propose_account_change(self_paid.address, member=layer.account(SELLER))
    receipt = layer.institutions.accept_account_change(layer.ids[SELLER], new_account=self_paid)
    changed = emitted(layer.institutions.contract, "PayoutChanged", receipt)
    assert [(e["id"], e["payout"]) for e in changed] == [(layer.ids[SELLER], self_paid.address)]
    assert layer.institutions.payout_of(layer.ids[SELLER]) == self_paid.address

    layer.institutions.propose_account_change(apart.address, member=layer.account(OTHER))
    receipt = layer.institutions.accept_account_change(layer.ids[OTHER], new_account=apart)
    assert emitted(layer.institutions.contract, "PayoutChanged", receipt) == []
    assert layer.institutions.payout_of(layer.ids[OTHER]) == treasury


# ---------------------------------------------------------------- every path, after the change


def test_after_the_change_the_old_seller_account_is_refused_everywhere_and_the_new_one_acts(
    chain: Chain, layer: MarketLayer
) -> None:
    patient = Patient.new()
    seller, new = layer.account(SELLER), funded(chain)
    listing_id, cohort = compute_listing(layer)
    dataset = layer.store(seller)
    held = layer.cohort(SELLER, extra=[patient])
    plain_id = layer.market.list_dataset(layer.offer(dataset, held), seller=seller)
    paid = layer.buy(plain_id)
    spare = layer.store(seller)  # a file the old account still owns after the change
    move(layer, SELLER, new)

    market, consent, files, registry = layer.market, layer.consent, layer.files, layer.institutions
    old_paths = {
        "NotMemberAccount": [
            lambda: market.list_dataset(layer.offer(spare, held), seller=seller),
            lambda: market.update(plain_id, 1, layer.offer(dataset, held), seller=seller),
            lambda: market.configure_compute(
                listing_id, job_price=JOB_PRICE, dataset_epsilon=1, buyer_epsilon=1, seller=seller
            ),
            lambda: market.set_module(listing_id, MODULE, 1, seller=seller),
            lambda: market.set_node(listing_id, seller.address, True, seller=seller),
            lambda: market.buy(listing_id, version=1, price=PRICE, purpose=EPIDEMIOLOGY, buyer=seller),
            lambda: market.buy_compute(listing_id, jobs=1, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=seller),
            lambda: consent.commit_snapshot(RESEARCH, keccak(b"root"), 3, keccak(b"leaves"), institution=seller),
            lambda: registry.propose_policy(registry.policy(), member=seller),
            lambda: registry.propose_expulsion(layer.ids[OTHER], member=seller),
            lambda: registry.set_payout(seller.address, member=seller),
        ],
        "NotInstitutionAccount": [
            lambda: market.close(plain_id, seller=seller),
            lambda: market.deliver(paid, dataset.key, seller=seller),
        ],
        "NotPatientOrInstitution": [
            lambda: consent.revoke(
                layer.ids[SELLER],
                RESEARCH,
                patient.pseudonym,
                patient.account.address,
                {held.snapshot_id: held.proof(patient)},
                sender=seller,
            ),
        ],
    }
    for error, actions in old_paths.items():
        for action in actions:
            with reverts(error):
                action()

    # The new account does each of those things; the proceeds reach it, never the old account.
    market.deliver(paid, dataset.key, seller=new)
    market.confirm(paid, buyer=layer.account(BUYER))
    market.set_module(listing_id, MODULE, 2048, seller=new)
    assert market.payments(new.address) == PRICE + BOND and market.payments(seller.address) == 0
    with reverts("NothingToWithdraw"):
        market.withdraw_payments(payee=seller)
    market.withdraw_payments(payee=new)
    consent.revoke(
        layer.ids[SELLER],
        RESEARCH,
        patient.pseudonym,
        patient.account.address,
        {held.snapshot_id: held.proof(patient)},
        sender=new,
    )
    assert not consent.is_current(layer.ids[SELLER], RESEARCH, held.snapshot_id)
    fresh = consent.commit_snapshot(
        RESEARCH, cohort.tree.root, len(cohort.patients), secrets.token_bytes(32), institution=new
    )
    assert fresh == cohort.snapshot_id + 2  # the institution's numbering goes on: the consent roots stayed with it

    # Files: the old owner moves them; from then on it cannot touch them and the new account lists them.
    files.transfer(dataset.file_id, new.address, owner=seller)
    for action in (
        lambda: files.rotate(dataset.file_id, 1, secrets.token_bytes(32), owner=seller),
        lambda: files.update_shares(dataset.file_id, secrets.token_bytes(32), owner=seller),
        lambda: files.transfer(dataset.file_id, seller.address, owner=seller),
        lambda: files.remove(dataset.file_id, owner=seller),
    ):
        with reverts("NotFileOwner"):
            action()
    market.update(plain_id, 1, layer.offer(dataset, replace(cohort, snapshot_id=fresh)), seller=new)
    market.close(plain_id, seller=new)


def test_after_the_change_the_old_buyer_account_cannot_confirm_dispute_or_refund(
    chain: Chain, layer: MarketLayer
) -> None:
    listing_id, _ = compute_listing(layer)
    buyer, new = layer.account(BUYER), funded(chain)
    _, dataset, _ = layer.listing(seller=OTHER)
    purchase = layer.buy(layer.market.listing_count())
    layer.market.deliver(purchase, dataset.key, seller=layer.account(OTHER))
    access = layer.market.buy_compute(listing_id, jobs=2, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=buyer)
    move(layer, BUYER, new)
    for action in (
        lambda: layer.market.confirm(purchase, buyer=buyer),
        lambda: layer.market.refund_jobs(access, buyer=buyer),
    ):
        with reverts("NotInstitutionAccount"):
            action()
    with reverts("NotInstitutionAccount"):  # the dispute is refused on the sender before any proof is looked at
        layer.chain.transact(
            layer.market.contract.functions.dispute(
                purchase, [bytes(32), bytes(32)], bytes(32), 1, [bytes(32), bytes(32)]
            ),
            sender=buyer,
        )
    layer.market.refund_jobs(access, buyer=new)
    layer.market.confirm(purchase, buyer=new)
    assert layer.market.payments(new.address) == 2 * JOB_PRICE and layer.market.payments(buyer.address) == 0


_WORDS = st.binary(min_size=32, max_size=32).filter(any)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    price=st.integers(1, 2**96 - 1),
    bond=st.integers(0, 2**96 - 1),
    max_sales=st.integers(1, 2**32 - 1),
    duration=st.integers(0, 2**32 - 1),
    k=st.integers(5, 255),
    l_=st.integers(2, 255),
    purposes=st.lists(_WORDS, min_size=1, max_size=16, unique=True),
    buyers=st.lists(st.integers(1, 3), unique=True),
    cid=st.text(min_size=1, max_size=80),
    key=st.binary(min_size=32, max_size=32),
)
def test_any_offer_reads_back_from_its_event_exactly(
    chain: Chain,
    layer: MarketLayer,
    price: int,
    bond: int,
    max_sales: int,
    duration: int,
    k: int,
    l_: int,
    purposes: list[bytes],
    buyers: list[int],
    cid: str,
    key: bytes,
) -> None:
    """``offer_of`` decodes the ``ListingPublished`` event a key change re-publishes a listing from: whatever the
    offer, it comes back field for field."""
    seller = layer.account(SELLER)
    offer = layer.offer(
        layer.store(seller),
        layer.cohort(SELLER, size=2),
        price=price,
        bond=bond,
        max_sales=max_sales,
        licence_duration=duration,
        k_anonymity=k,
        l_diversity=l_,
        purposes=tuple(purposes),
        buyers=tuple(buyers),
        licence_cid=cid,
        key_commitment=keccak(key),
    )
    listing_id = layer.market.list_dataset(offer, seller=seller)
    assert layer.market.offer_of(listing_id, 1) == offer


def test_the_published_offer_reads_back_from_its_event_with_purposes_and_allowlist(layer: MarketLayer) -> None:
    """``offer_of`` is what a key change re-publishes a listing from: every field must come back as listed."""
    seller = layer.account(SELLER)
    dataset, cohort = layer.store(seller), layer.cohort(SELLER)
    first = layer.offer(dataset, cohort, buyers=(layer.ids[BUYER], layer.ids[OTHER]), licence_cid="bafy-first")
    listing_id = layer.market.list_dataset(first, seller=seller)
    second = replace(first, price=PRICE + 1, purposes=(RESEARCH,), buyers=(), licence_cid="bafy-second")
    layer.market.update(listing_id, 1, second, seller=seller)
    assert layer.market.offer_of(listing_id, 1) == first
    assert layer.market.offer_of(listing_id, 2) == second
    assert layer.market.licence_cid_of(listing_id, 2) == "bafy-second"
