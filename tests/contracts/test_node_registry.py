"""NodeRegistry: stake lifecycle, judging, jailing, compute roles and promotion, pull payments — adversarially."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.node_registry import NodeRegistryClient, NodeStatus, Role
from kura.chain.pull_payments import reason_bytes
from kura.errors import ChainValueError
from tests.contracts.expect import events, reverts
from tests.contracts.trust_layer import ETH, PARAMS, advance, cost, deploy_registry, join

REF = b"\x07" * 32


@pytest.fixture
def registry(chain: Chain) -> NodeRegistryClient:
    """A fresh NodeRegistry per test with account 9 as an (EOA) judge."""
    deployed = deploy_registry(chain)
    client = NodeRegistryClient(chain, Deployment(chain.chain_id, chain.genesis_hash, {"NodeRegistry": deployed}))
    client.set_judge(chain.account(9).address, True, owner=chain.account(0))
    return client


@pytest.fixture
def judge(chain: Chain) -> LocalAccount:
    return chain.account(9)


def balance(chain: Chain, address: str) -> int:
    return int(chain.w3.eth.get_balance(address))


# ---------------------------------------------------------------- registration and stake


def test_register_records_the_node_and_holds_its_stake(chain: Chain, registry: NodeRegistryClient) -> None:
    node = chain.account(1)
    receipt = registry.register("12D3KooWpeer", "/ip4/127.0.0.1/tcp/4001", node=node, stake=2 * ETH)
    assert events(registry.contract, "NodeRegistered", receipt) == [
        {"node": node.address, "peerId": "12D3KooWpeer", "endpoint": "/ip4/127.0.0.1/tcp/4001", "stake": 2 * ETH}
    ]
    record = registry.node_of(node.address)
    assert (record.stake, record.status, record.role, record.reputation, record.failures, record.passed) == (
        2 * ETH,
        NodeStatus.ACTIVE,
        Role.STRAY,
        0,
        0,
        0,
    )
    assert (record.peer_id, record.endpoint) == ("12D3KooWpeer", "/ip4/127.0.0.1/tcp/4001")
    assert registry.is_active(node.address)
    assert balance(chain, registry.contract.address) == 2 * ETH


def test_stake_below_minimum_and_double_registration_are_refused(chain: Chain, registry: NodeRegistryClient) -> None:
    node = chain.account(1)
    with reverts("StakeTooLow") as caught:
        registry.register("p", "e", node=node, stake=PARAMS.nodes.min_stake - 1)
    assert caught.value.args_by_name == {"sent": PARAMS.nodes.min_stake - 1, "minimum": PARAMS.nodes.min_stake}
    join(registry, node)
    with reverts("AlreadyRegistered"):
        join(registry, node)


def test_unknown_nodes_have_no_record_and_are_not_active(chain: Chain, registry: NodeRegistryClient) -> None:
    stranger = chain.account(2)
    with reverts("UnknownNode"):
        registry.node_of(stranger.address)
    assert not registry.is_active(stranger.address)
    for attempt in (
        lambda: registry.top_up(node=stranger, amount=1),
        lambda: registry.announce_exit(node=stranger),
        lambda: registry.withdraw_stake(node=stranger),
    ):
        with reverts("UnknownNode"):
            attempt()
    with reverts("NothingToWithdraw"):
        registry.withdraw_payments(payee=stranger)


def test_top_up_adds_stake(chain: Chain, registry: NodeRegistryClient) -> None:
    node = chain.account(1)
    join(registry, node)
    receipt = registry.top_up(node=node, amount=5)
    assert events(registry.contract, "StakeAdded", receipt) == [
        {"node": node.address, "amount": 5, "total": PARAMS.nodes.min_stake + 5}
    ]
    assert registry.node_of(node.address).stake == PARAMS.nodes.min_stake + 5


def test_parameters_are_readable_and_unusable_ones_are_refused(chain: Chain, registry: NodeRegistryClient) -> None:
    assert registry.params() == PARAMS.nodes
    for bad, what in (
        (dict(min_stake=0), "minStake"),
        (dict(jail_threshold=0), "jailThreshold"),
        (dict(failure_decay=0), "failureDecay"),
    ):
        with reverts("BadParameter") as caught:
            deploy_registry(chain, replace(PARAMS.nodes, **bad))
        assert caught.value.args_by_name["what"] == "0x" + reason_bytes(what).hex()


# ---------------------------------------------------------------- exit and withdrawal


def test_exit_unbonds_then_pays_the_stake_exactly_once(chain: Chain, registry: NodeRegistryClient) -> None:
    node = chain.account(1)
    join(registry, node, 3 * ETH)
    receipt = registry.announce_exit(node=node)
    exit_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + PARAMS.nodes.unbonding_delay
    assert events(registry.contract, "ExitAnnounced", receipt) == [{"node": node.address, "exitAt": exit_at}]
    record = registry.node_of(node.address)
    assert (record.status, record.exit_at) == (NodeStatus.EXITING, exit_at)
    assert not registry.is_active(node.address)
    with reverts("WrongStatus"):
        registry.top_up(node=node, amount=1)
    with reverts("WrongStatus"):
        registry.announce_exit(node=node)
    with reverts("StillUnbonding") as caught:
        registry.withdraw_stake(node=node)
    assert caught.value.args_by_name["exitAt"] == exit_at

    advance(chain, PARAMS.nodes.unbonding_delay)
    receipt = registry.withdraw_stake(node=node)
    assert events(registry.contract, "NodeExited", receipt) == [{"node": node.address, "stakeReturned": 3 * ETH}]
    record = registry.node_of(node.address)
    assert (record.status, record.stake) == (NodeStatus.EXITED, 0)
    assert registry.payments(node.address) == 3 * ETH
    with reverts("WrongStatus"):
        registry.withdraw_stake(node=node)
    with reverts("AlreadyRegistered"):
        join(registry, node)

    before = balance(chain, node.address)
    receipt = registry.withdraw_payments(payee=node)
    assert balance(chain, node.address) == before + 3 * ETH - cost(receipt)
    assert balance(chain, registry.contract.address) == 0
    with reverts("NothingToWithdraw"):
        registry.withdraw_payments(payee=node)


def test_withdraw_without_exit_is_refused(chain: Chain, registry: NodeRegistryClient) -> None:
    node = chain.account(1)
    join(registry, node)
    with reverts("WrongStatus") as caught:
        registry.withdraw_stake(node=node)
    assert caught.value.args_by_name["status"] == NodeStatus.ACTIVE


def test_a_reentrant_payee_cannot_withdraw_twice(chain: Chain, registry: NodeRegistryClient) -> None:
    owner = chain.account(0)
    attacker = chain.contract("ReentrantPayee", chain.deploy("ReentrantPayee", sender=owner).address)
    target = registry.contract
    via = attacker.functions.execute
    chain.transact(via(target.address, target.encode_abi("register", ["evil", "evil"])), sender=owner, value=2 * ETH)
    chain.transact(via(target.address, target.encode_abi("announceExit", [])), sender=owner)
    advance(chain, PARAMS.nodes.unbonding_delay)
    chain.transact(via(target.address, target.encode_abi("withdrawStake", [])), sender=owner)
    assert registry.payments(attacker.address) == 2 * ETH

    chain.transact(attacker.functions.attack(target.address), sender=owner)
    assert chain.call(attacker.functions.refusal()) == keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert chain.call(attacker.functions.reentries()) == 0
    assert chain.call(attacker.functions.received()) == 1
    assert balance(chain, attacker.address) == 2 * ETH
    assert balance(chain, target.address) == 0
    assert registry.payments(attacker.address) == 0


# ---------------------------------------------------------------- judges


def test_only_judges_judge_and_only_the_owner_appoints_them(chain: Chain, registry: NodeRegistryClient) -> None:
    node, intruder = chain.account(1), chain.account(2)
    join(registry, node)
    for attempt in (
        lambda: registry.slash(node.address, 100, "X", REF, judge=intruder),
        lambda: registry.record_audit(node.address, False, judge=intruder),
        lambda: registry.record_spot_check(node.address, True, judge=intruder),
        lambda: registry.set_role(node.address, Role.COMPUTE, "X", judge=intruder),
        lambda: registry.pay_from_repair_pool(intruder.address, 0, REF, judge=intruder),
    ):
        with reverts("NotJudge") as caught:
            attempt()
        assert caught.value.args_by_name == {"caller": intruder.address}
    with reverts("OwnableUnauthorizedAccount"):
        registry.set_judge(intruder.address, True, owner=intruder)
    assert not registry.is_judge(intruder.address)

    judge = chain.account(9)
    receipt = registry.set_judge(judge.address, False, owner=chain.account(0))
    assert events(registry.contract, "JudgeSet", receipt) == [{"judge": judge.address, "allowed": False}]
    with reverts("NotJudge"):
        registry.record_audit(node.address, True, judge=judge)
    assert registry.node_of(node.address).stake == PARAMS.nodes.min_stake


def test_slash_takes_the_fraction_into_the_repair_pool_and_says_why(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node, 3 * ETH + 7)
    receipt = registry.slash(node.address, 1_234, "AUDIT_TIMEOUT", REF, judge=judge)
    taken = (3 * ETH + 7) * 1_234 // 10_000
    assert events(registry.contract, "NodeSlashed", receipt) == [
        {"node": node.address, "amount": taken, "reason": reason_bytes("AUDIT_TIMEOUT"), "ref": REF}
    ]
    assert registry.node_of(node.address).stake == 3 * ETH + 7 - taken
    assert registry.repair_pool() == taken
    registry.slash(node.address, 10_000, "EVERYTHING", REF, judge=judge)
    assert registry.node_of(node.address).stake == 0
    assert registry.repair_pool() == 3 * ETH + 7
    assert balance(chain, registry.contract.address) == 3 * ETH + 7


def test_slash_refuses_bad_fractions_missing_reasons_and_unknown_nodes(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node)
    with reverts("BadFraction"):
        registry.slash(node.address, 10_001, "X", REF, judge=judge)
    with reverts("MissingReason"):
        registry.slash(node.address, 100, "", REF, judge=judge)
    with reverts("UnknownNode"):
        registry.slash(chain.account(2).address, 100, "X", REF, judge=judge)
    with pytest.raises(ChainValueError):
        registry.slash(node.address, 100, "R" * 33, REF, judge=judge)
    assert registry.repair_pool() == 0


def test_a_slashed_node_below_minimum_is_inactive_until_it_tops_up(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node)
    registry.slash(node.address, 1, "AUDIT_BAD_PROOF", REF, judge=judge)
    assert registry.node_of(node.address).status == NodeStatus.ACTIVE
    assert not registry.is_active(node.address)
    registry.top_up(node=node, amount=PARAMS.nodes.min_stake // 10_000)
    assert registry.is_active(node.address)


def test_repair_pool_pays_by_credit_and_never_more_than_it_holds(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node, repairer = chain.account(1), chain.account(3)
    join(registry, node)
    registry.slash(node.address, 5_000, "AUDIT_TIMEOUT", REF, judge=judge)
    with reverts("RepairPoolTooSmall") as caught:
        registry.pay_from_repair_pool(repairer.address, PARAMS.nodes.min_stake // 2 + 1, REF, judge=judge)
    half = PARAMS.nodes.min_stake // 2
    assert caught.value.args_by_name == {"available": half, "requested": half + 1}
    receipt = registry.pay_from_repair_pool(repairer.address, PARAMS.nodes.min_stake // 4, REF, judge=judge)
    assert events(registry.contract, "RepairPaid", receipt) == [
        {"to": repairer.address, "amount": PARAMS.nodes.min_stake // 4, "ref": REF}
    ]
    assert registry.repair_pool() == PARAMS.nodes.min_stake // 4
    before = balance(chain, repairer.address)
    receipt = registry.withdraw_payments(payee=repairer)
    assert balance(chain, repairer.address) == before + PARAMS.nodes.min_stake // 4 - cost(receipt)


# ---------------------------------------------------------------- audits, reputation, jail


def test_reputation_rises_on_passes_and_falls_by_the_penalty_floored_at_zero(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node)
    for expected in (1, 2, 3, 4, 5, 6, 7):
        receipt = registry.record_audit(node.address, True, judge=judge)
        assert events(registry.contract, "ReputationChanged", receipt) == [
            {"node": node.address, "reputation": expected}
        ]
    registry.record_audit(node.address, False, judge=judge)
    assert registry.node_of(node.address).reputation == 7 - PARAMS.nodes.audit_penalty
    registry.record_audit(node.address, False, judge=judge)
    record = registry.node_of(node.address)
    assert (record.reputation, record.failures, record.status) == (0, 2, NodeStatus.ACTIVE)


def test_failures_counted_at_once_jail_passes_forgive_nothing_and_time_forgives_one_per_decay(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node)
    decay = PARAMS.nodes.failure_decay
    for expected in range(1, PARAMS.nodes.jail_threshold):
        receipt = registry.record_audit(node.address, False, judge=judge)
        assert events(registry.contract, "FailureCounted", receipt) == [{"node": node.address, "failures": expected}]
    for _ in range(3):
        registry.record_audit(node.address, True, judge=judge)
    assert registry.node_of(node.address).failures == PARAMS.nodes.jail_threshold - 1
    advance(chain, decay - 2)
    assert registry.node_of(node.address).failures == PARAMS.nodes.jail_threshold - 1
    advance(chain, 2)
    assert registry.node_of(node.address).failures == PARAMS.nodes.jail_threshold - 2  # one forgiven
    advance(chain, 100 * decay)
    assert registry.node_of(node.address).failures == 0
    for _ in range(PARAMS.nodes.jail_threshold - 1):
        receipt = registry.record_audit(node.address, False, judge=judge)
        assert events(registry.contract, "NodeJailed", receipt) == []
    receipt = registry.record_audit(node.address, False, judge=judge)
    assert events(registry.contract, "NodeJailed", receipt) == [
        {"node": node.address, "reason": reason_bytes("AUDIT_FAILURES")}
    ]
    assert registry.node_of(node.address).status == NodeStatus.JAILED
    assert not registry.is_active(node.address)
    registry.top_up(node=node, amount=ETH)
    assert not registry.is_active(node.address)
    registry.announce_exit(node=node)
    assert registry.node_of(node.address).status == NodeStatus.EXITING


def test_a_node_failing_less_often_than_the_decay_is_never_jailed(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node)
    for _ in range(3 * PARAMS.nodes.jail_threshold):
        registry.record_audit(node.address, False, judge=judge)
        advance(chain, PARAMS.nodes.failure_decay)
    record = registry.node_of(node.address)
    assert (record.status, record.failures) == (NodeStatus.ACTIVE, 0)


# ---------------------------------------------------------------- compute roles


def audited(registry: NodeRegistryClient, node: str, judge: LocalAccount, passes: int) -> None:
    for _ in range(passes):
        registry.record_spot_check(node, True, judge=judge)


def test_first_passed_spot_check_makes_a_stray_an_auditor_and_a_failure_resets_the_record(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node = chain.account(1)
    join(registry, node)
    receipt = registry.record_spot_check(node.address, False, judge=judge)
    assert events(registry.contract, "RoleChanged", receipt) == []
    receipt = registry.record_spot_check(node.address, True, judge=judge)
    assert events(registry.contract, "CredibilityRecordChanged", receipt) == [{"node": node.address, "passed": 1}]
    assert events(registry.contract, "RoleChanged", receipt) == [
        {"node": node.address, "from": Role.STRAY, "to": Role.AUDITOR, "reason": reason_bytes("FIRST_SPOT_CHECK")}
    ]
    audited(registry, node.address, judge, 2)
    assert registry.node_of(node.address).passed == 3
    receipt = registry.record_spot_check(node.address, False, judge=judge)
    assert events(registry.contract, "CredibilityRecordChanged", receipt) == [{"node": node.address, "passed": 0}]
    assert registry.node_of(node.address).role == Role.AUDITOR


def test_promotion_is_public_but_needs_auditor_role_the_bar_and_activity(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    node, anyone = chain.account(1), chain.account(5)
    join(registry, node)
    with reverts("NotPromotable") as caught:
        registry.promote(node.address, sender=anyone)
    assert caught.value.args_by_name == {"node": node.address, "role": Role.STRAY, "passed": 0, "computeNodes": 0}
    audited(registry, node.address, judge, PARAMS.nodes.promotion_bar - 1)
    with reverts("NotPromotable"):
        registry.promote(node.address, sender=anyone)
    audited(registry, node.address, judge, 1)
    receipt = registry.promote(node.address, sender=anyone)
    assert events(registry.contract, "RoleChanged", receipt) == [
        {"node": node.address, "from": Role.AUDITOR, "to": Role.COMPUTE, "reason": reason_bytes("PROMOTED")}
    ]
    assert registry.compute_nodes() == 1
    with reverts("NotPromotable"):
        registry.promote(node.address, sender=anyone)

    exiting = chain.account(2)
    join(registry, exiting)
    audited(registry, exiting.address, judge, PARAMS.nodes.promotion_bar)
    registry.announce_exit(node=exiting)
    with reverts("NotPromotable"):
        registry.promote(exiting.address, sender=anyone)
    with reverts("UnknownNode"):
        registry.promote(chain.account(3).address, sender=anyone)


def test_a_genesis_node_needs_activity_and_a_free_slot_and_is_promoted_once(chain: Chain, judge: LocalAccount) -> None:
    first, second, third = (chain.account(i) for i in (1, 2, 3))
    genesis = (first.address, second.address)
    deployed = deploy_registry(chain, replace(PARAMS.nodes, max_compute_nodes=2, genesis_compute=genesis))
    registry = NodeRegistryClient(chain, Deployment(chain.chain_id, chain.genesis_hash, {"NodeRegistry": deployed}))
    registry.set_judge(judge.address, True, owner=chain.account(0))
    named = registry.contract.events.GenesisComputeNamed().get_logs(from_block=deployed.block)
    assert [log.args.node for log in named] == list(genesis)
    with reverts("UnknownNode"):
        registry.promote(first.address, sender=third)
    for node in (first, second, third):
        join(registry, node)
    registry.slash(first.address, 1, "TEST", REF, judge=judge)  # under the minimum: not active
    with reverts("NotPromotable"):
        registry.promote(first.address, sender=third)
    registry.top_up(node=first, amount=PARAMS.nodes.min_stake)
    registry.promote(first.address, sender=third)
    audited(registry, third.address, judge, PARAMS.nodes.promotion_bar)
    registry.promote(third.address, sender=third)
    with reverts("NotPromotable"):
        registry.promote(second.address, sender=third)  # no free slot
    registry.set_role(third.address, Role.STRAY, "TEST", judge=judge)
    registry.promote(second.address, sender=third)
    registry.set_role(first.address, Role.STRAY, "TEST", judge=judge)
    with reverts("NotPromotable"):
        registry.promote(first.address, sender=first)  # its genesis promotion is spent


def test_compute_slots_are_bounded_and_freed_by_demotion_jail_and_exit(
    chain: Chain, registry: NodeRegistryClient, judge: LocalAccount
) -> None:
    nodes = [chain.account(i) for i in range(1, 5)]
    for node in nodes:
        join(registry, node)
        audited(registry, node.address, judge, PARAMS.nodes.promotion_bar)
    a, b, c, d = (n.address for n in nodes)
    registry.promote(a, sender=nodes[3])
    registry.promote(b, sender=nodes[3])
    assert registry.compute_nodes() == PARAMS.nodes.max_compute_nodes
    with reverts("NotPromotable") as caught:
        registry.promote(c, sender=nodes[3])
    assert caught.value.args_by_name["computeNodes"] == PARAMS.nodes.max_compute_nodes
    with reverts("NoComputeSlot"):
        registry.set_role(c, Role.COMPUTE, "JUDGED", judge=judge)

    receipt = registry.set_role(a, Role.STRAY, "WRONG_RESULT", judge=judge)
    assert events(registry.contract, "RoleChanged", receipt) == [
        {"node": a, "from": Role.COMPUTE, "to": Role.STRAY, "reason": reason_bytes("WRONG_RESULT")}
    ]
    assert registry.compute_nodes() == 1
    assert events(registry.contract, "RoleChanged", registry.set_role(a, Role.STRAY, "AGAIN", judge=judge)) == []
    with reverts("MissingReason"):
        registry.set_role(a, Role.AUDITOR, "", judge=judge)
    registry.promote(c, sender=nodes[3])

    for _ in range(PARAMS.nodes.jail_threshold):
        receipt = registry.record_audit(b, False, judge=judge)
    assert events(registry.contract, "RoleChanged", receipt) == [
        {"node": b, "from": Role.COMPUTE, "to": Role.STRAY, "reason": reason_bytes("JAILED")}
    ]
    registry.promote(d, sender=nodes[0])
    assert registry.compute_nodes() == PARAMS.nodes.max_compute_nodes
    receipt = registry.announce_exit(node=nodes[2])
    assert events(registry.contract, "RoleChanged", receipt) == [
        {"node": c, "from": Role.COMPUTE, "to": Role.STRAY, "reason": reason_bytes("EXIT")}
    ]
    assert registry.compute_nodes() == 1
    assert [registry.node_of(x).role for x in (a, b, c, d)] == [Role.STRAY, Role.STRAY, Role.STRAY, Role.COMPUTE]
