"""InstitutionRegistry: founding, applications and majority votes, expulsion, policy, and the two-step public
key change — every path adversarially (wrong sender, replay, expiry, stale votes, bad input)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.institution_registry import (
    Founder,
    InstitutionRegistryClient,
    MotionKind,
    Policy,
    Standing,
    key_words,
)
from kura.compute.sealing import account_public_key
from kura.demo.state import private_state
from tests.contracts.expect import reverts
from tests.contracts.market_layer import (
    BUYER,
    OTHER,
    OUTSIDER,
    PARAMS,
    POLICY,
    SELLER,
    MarketLayer,
    bad_parameter,
)
from tests.contracts.trust_layer import advance

APPLICANT = 7


@pytest.fixture
def layer(chain: Chain) -> MarketLayer:
    return MarketLayer.deploy(chain)


def key_of(account: LocalAccount) -> list[bytes]:
    return key_words(account_public_key(account.key))


# ---------------------------------------------------------------- deployment and founding


def test_the_constructor_refuses_a_weak_policy_or_a_zero_motion_lifetime(chain: Chain) -> None:
    owner = chain.account(0)
    for weak in ({"min_k": 1}, {"min_l": 0}, {"min_cell_count": 0}):
        with reverts("BadPolicy"):
            chain.deploy("InstitutionRegistry", *replace(PARAMS.institutions, **weak).args(), sender=owner)
    with bad_parameter("motionLifetime"):
        chain.deploy("InstitutionRegistry", *replace(PARAMS.institutions, motion_lifetime=0).args(), sender=owner)


def test_founders_are_members_with_their_own_keys_and_founding_closes_for_good(chain: Chain) -> None:
    layer = MarketLayer.deploy(chain, close=False)
    registry, owner = layer.institutions, chain.account(0)
    assert registry.founding_open() and registry.member_count() == 3 and registry.policy() == POLICY
    record = registry.institution_of(layer.ids[SELLER])
    seller = chain.account(SELLER)
    assert (record.account, record.standing, record.payout, record.name) == (
        seller.address,
        Standing.MEMBER,
        seller.address,
        f"institution {SELLER}",
    )
    assert record.sealing_key == account_public_key(seller.key)
    with reverts("FoundingStillOpen"):
        registry.member_id_of(seller.address)
    with reverts("FoundingStillOpen"):
        registry.apply("early bird", account=chain.account(APPLICANT))
    with reverts("NotFounder"):
        registry.found(Founder.of(chain.account(APPLICANT), "self-made"), deployer=chain.account(APPLICANT))
    with reverts("NotFounder"):
        registry.close_founding(deployer=seller)

    registry.close_founding(deployer=owner)
    assert not registry.founding_open()
    assert registry.member_id_of(seller.address) == layer.ids[SELLER]
    with reverts("FoundingClosedAlready"):
        registry.found(Founder.of(chain.account(APPLICANT), "late"), deployer=owner)
    with reverts("FoundingClosedAlready"):
        registry.close_founding(deployer=owner)


def test_founding_refuses_bad_founders_and_cannot_close_empty(chain: Chain) -> None:
    layer = MarketLayer.deploy(chain, founders=(), close=False)
    registry, owner = layer.institutions, chain.account(0)
    with reverts("NoFounders"):
        registry.close_founding(deployer=owner)
    good = Founder.of(chain.account(SELLER), "hospital")
    other_key = account_public_key(chain.account(BUYER).key)
    cases = {
        "SealingKeyMismatch": [
            Founder(good.account, other_key, good.payout, good.name),
            Founder(good.account, bytes(64), good.payout, good.name),
        ],
        "ZeroPayout": [Founder(good.account, good.sealing_key, "0x" + "00" * 20, good.name)],
        "EmptyName": [Founder(good.account, good.sealing_key, good.payout, "")],
    }
    for error, founders in cases.items():
        for founder in founders:
            with reverts(error):
                registry.found(founder, deployer=owner)
    registry.found(good, deployer=owner)
    with reverts("AccountTaken"):
        registry.found(Founder.of(chain.account(SELLER), "again"), deployer=owner)
    assert registry.member_count() == 1


def test_at_most_max_members_can_be_founded(chain: Chain) -> None:
    layer = MarketLayer.deploy(chain, founders=(), close=False)
    registry, owner = layer.institutions, chain.account(0)
    limit = int(chain.call(registry.contract.functions.MAX_MEMBERS()))
    for _ in range(limit):
        registry.found(Founder.of(Account.create(), "member"), deployer=owner)
    with reverts("TooManyMembers"):
        registry.found(Founder.of(Account.create(), "one too many"), deployer=owner)
    assert registry.member_count() == limit


def test_the_deploy_step_seeds_founders_and_closes_founding(chain: Chain) -> None:
    founders = [Founder.of(chain.account(i), f"hospital {i}") for i in (SELLER, BUYER)]
    with private_state():  # this chain is the contract tests' scratch Anvil: the session's record stays the devnet's
        registry = InstitutionRegistryClient(chain, deploy_all(chain, chain.account(0), founders=founders))
    assert not registry.founding_open() and registry.member_count() == 2
    assert registry.member_id_of(chain.account(BUYER).address) == 2


# ---------------------------------------------------------------- applications and majority votes


def test_an_applicant_is_admitted_by_a_strict_majority_of_members(layer: MarketLayer) -> None:
    registry = layer.institutions
    applicant = layer.account(APPLICANT)
    applicant_id, motion = registry.apply("research institute", account=applicant)
    record = registry.institution_of(applicant_id)
    assert (record.standing, record.account, record.sealing_key) == (
        Standing.APPLICANT,
        applicant.address,
        account_public_key(applicant.key),
    )
    assert registry.motion_of(motion).kind == MotionKind.ADMIT and registry.motion_of(motion).subject == applicant_id
    with reverts("NotMemberAccount"):
        registry.member_id_of(applicant.address)
    with reverts("NotMemberAccount"):
        registry.approve(motion, member=applicant)
    with reverts("NotMemberAccount"):
        registry.approve(motion, member=layer.account(OUTSIDER))

    registry.approve(motion, member=layer.account(SELLER))
    assert registry.approvals_of(motion) == 1 and not registry.is_member(applicant_id)
    with reverts("AlreadyApproved"):
        registry.approve(motion, member=layer.account(SELLER))
    registry.approve(motion, member=layer.account(BUYER))
    assert registry.is_member(applicant_id) and registry.member_count() == 4
    assert registry.member_id_of(applicant.address) == applicant_id
    assert registry.motion_of(motion).executed
    assert registry.motion_of(motion).approvers == (layer.ids[SELLER], layer.ids[BUYER])
    with reverts("MotionAlreadyExecuted"):
        registry.approve(motion, member=layer.account(OTHER))


def test_an_account_applies_once_and_can_withdraw_to_apply_again(layer: MarketLayer) -> None:
    registry, applicant = layer.institutions, layer.account(APPLICANT)
    first, motion = registry.apply("institute", account=applicant)
    with reverts("AccountTaken"):
        registry.apply("institute again", account=applicant)
    with reverts("AccountTaken"):
        registry.apply("a member", account=layer.account(SELLER))
    registry.withdraw_application(account=applicant)
    assert registry.institution_of(first).standing == Standing.WITHDRAWN
    with reverts("WrongStanding"):
        registry.approve(motion, member=layer.account(SELLER))
    with reverts("WrongStanding"):
        registry.withdraw_application(account=layer.account(SELLER))
    second, _ = registry.apply("institute, second try", account=applicant)
    assert second != first and registry.institution_of(second).standing == Standing.APPLICANT


def test_a_motion_expires_and_a_member_can_reopen_the_admission(chain: Chain, layer: MarketLayer) -> None:
    registry = layer.institutions
    applicant_id, motion = registry.apply("slow institute", account=layer.account(APPLICANT))
    registry.approve(motion, member=layer.account(SELLER))
    advance(chain, PARAMS.institutions.motion_lifetime + 1)
    with reverts("MotionExpired"):
        registry.approve(motion, member=layer.account(BUYER))
    again = registry.propose_admission(applicant_id, member=layer.account(BUYER))
    assert registry.approvals_of(again) == 1
    registry.approve(again, member=layer.account(OTHER))
    assert registry.is_member(applicant_id)
    with reverts("WrongStanding"):
        registry.propose_admission(applicant_id, member=layer.account(SELLER))
    with reverts("UnknownMotion"):
        registry.approve(again + 1, member=layer.account(SELLER))
    with reverts("UnknownMotion"):
        registry.motion_of(0)


def test_an_expelled_members_approvals_stop_counting(layer: MarketLayer) -> None:
    registry = layer.institutions
    applicant_id, admit = registry.apply("institute", account=layer.account(APPLICANT))
    registry.approve(admit, member=layer.account(BUYER))
    assert registry.approvals_of(admit) == 1

    expel = registry.propose_expulsion(layer.ids[BUYER], member=layer.account(SELLER))
    assert not registry.motion_of(expel).executed
    registry.approve(expel, member=layer.account(OTHER))
    assert registry.institution_of(layer.ids[BUYER]).standing == Standing.EXPELLED
    assert registry.member_count() == 2 and registry.approvals_of(admit) == 0

    registry.approve(admit, member=layer.account(SELLER))
    assert not registry.is_member(applicant_id)  # 1 of 2 is no strict majority
    registry.approve(admit, member=layer.account(OTHER))
    assert registry.is_member(applicant_id)


def test_an_expelled_member_can_do_nothing_and_the_last_member_stays(chain: Chain, layer: MarketLayer) -> None:
    registry = layer.institutions
    expel = registry.propose_expulsion(layer.ids[OTHER], member=layer.account(SELLER))
    registry.approve(expel, member=layer.account(BUYER))
    expelled = layer.account(OTHER)
    for action in (
        lambda: registry.propose_policy(POLICY, member=expelled),
        lambda: registry.set_payout(expelled.address, member=expelled),
        lambda: registry.propose_account_change(chain.account(APPLICANT).address, member=expelled),
    ):
        with reverts("NotMemberAccount"):
            action()
    with reverts("WrongStanding"):
        registry.propose_expulsion(layer.ids[OTHER], member=layer.account(SELLER))

    alone = MarketLayer.deploy(chain, founders=(SELLER,))
    with reverts("LastMember"):
        alone.institutions.propose_expulsion(alone.ids[SELLER], member=alone.account(SELLER))
    assert alone.institutions.is_member(alone.ids[SELLER])


def test_the_policy_changes_only_by_majority_and_only_to_a_usable_one(layer: MarketLayer) -> None:
    registry = layer.institutions
    with reverts("BadPolicy"):
        registry.propose_policy(Policy(1, 2, 10), member=layer.account(SELLER))
    with reverts("NotMemberAccount"):
        registry.propose_policy(Policy(10, 3, 20), member=layer.account(OUTSIDER))
    stricter = Policy(10, 3, 20)
    motion = registry.propose_policy(stricter, member=layer.account(SELLER))
    assert registry.policy() == POLICY and registry.motion_of(motion).policy == stricter
    registry.approve(motion, member=layer.account(OTHER))
    assert registry.policy() == stricter


# ---------------------------------------------------------------- the two-step public key change


def test_a_member_moves_to_a_new_account_and_the_old_one_can_do_nothing(chain: Chain, layer: MarketLayer) -> None:
    registry = layer.institutions
    old, new = layer.account(SELLER), Account.create()
    chain.w3.provider.make_request("anvil_setBalance", [new.address, hex(10**18)])
    seller_id = layer.ids[SELLER]
    with reverts("NotPendingAccount"):
        registry.accept_account_change(seller_id, new_account=new)
    registry.propose_account_change(new.address, member=old)
    assert registry.institution_of(seller_id).pending_account == new.address
    with reverts("NotPendingAccount"):
        registry.accept_account_change(seller_id, new_account=layer.account(OUTSIDER))
    wrong_key = key_of(layer.account(OUTSIDER))
    with reverts("SealingKeyMismatch"):
        chain.transact(registry.contract.functions.acceptAccountChange(seller_id, wrong_key), sender=new)

    registry.accept_account_change(seller_id, new_account=new)
    record = registry.institution_of(seller_id)
    assert (record.account, record.sealing_key, record.pending_account) == (
        new.address,
        account_public_key(new.key),
        "0x" + "00" * 20,
    )
    assert registry.account_of(seller_id) == new.address and registry.member_id_of(new.address) == seller_id
    with reverts("NotMemberAccount"):
        registry.member_id_of(old.address)
    for action in (
        lambda: registry.set_payout(old.address, member=old),
        lambda: registry.propose_policy(POLICY, member=old),
        lambda: registry.propose_account_change(old.address, member=old),
    ):
        with reverts("NotMemberAccount"):
            action()
    with reverts("NotPendingAccount"):
        registry.accept_account_change(seller_id, new_account=new)  # the proposal was used up
    registry.set_payout(layer.account(OUTSIDER).address, member=new)
    assert registry.payout_of(seller_id) == layer.account(OUTSIDER).address


def test_a_key_change_cannot_take_an_account_in_use_and_can_be_cancelled(layer: MarketLayer) -> None:
    registry = layer.institutions
    seller = layer.account(SELLER)
    with reverts("AccountTaken"):
        registry.propose_account_change(layer.account(BUYER).address, member=seller)
    target = layer.account(APPLICANT)
    registry.propose_account_change(target.address, member=seller)
    registry.apply("squatter", account=target)  # the target became an applicant meanwhile
    with reverts("AccountTaken"):
        registry.accept_account_change(layer.ids[SELLER], new_account=target)
    registry.propose_account_change("0x" + "00" * 20, member=seller)
    assert registry.institution_of(layer.ids[SELLER]).pending_account == "0x" + "00" * 20


def test_payout_changes_need_a_member_and_a_non_zero_address(layer: MarketLayer) -> None:
    registry = layer.institutions
    with reverts("ZeroPayout"):
        registry.set_payout("0x" + "00" * 20, member=layer.account(BUYER))
    with reverts("NotMemberAccount"):
        registry.set_payout(layer.account(BUYER).address, member=layer.account(OUTSIDER))
    with reverts("UnknownInstitution"):
        registry.institution_of(99)
