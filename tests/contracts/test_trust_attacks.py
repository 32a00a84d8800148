"""The attacks and defects of issue 14, each against the real contracts on Anvil: every one of these tests failed
on the contracts before the fix (the report lists how), and each now shows the attack costs the attacker."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.client import Chain
from kura.chain.node_registry import NodeStatus, Role
from kura.chain.pull_payments import reason_bytes
from kura.chain.task_market import ZERO_ADDRESS, Outcome, TaskState
from kura.compute.credibility import answer_credibility_wad, worker_credibility_wad
from kura.units import WAD
from tests.contracts.compute_layer import RIGHT, WRONG, ComputeLayer
from tests.contracts.expect import events, reverts
from tests.contracts.trust_layer import PARAMS, TrustLayer, mine, random_share

REQUESTER = 8
PUBLIC = [bytes(32), bytes(32)]
OPEN = ZERO_ADDRESS


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain)


@pytest.fixture
def requester(chain: Chain) -> LocalAccount:
    return chain.account(REQUESTER)


def accounts_of(*nodes: LocalAccount) -> dict[str, LocalAccount]:
    return {node.address: node for node in nodes}


# ---------------------------------------------------------------- 1. griefing


def test_attack_1_a_free_or_endless_task_cannot_be_posted(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    post = layer.market.contract.functions.post
    theta = 99 * WAD // 100
    endless = ("m", keccak(b"m"), "i", keccak(b"i"), 2**62, 0, 0, 5, theta, PUBLIC, OPEN)
    with reverts("BadFuel") as caught:
        chain.transact(post(endless), sender=requester)
    assert caught.value.args_by_name == {"fuel": 2**62, "maxFuel": PARAMS.tasks.max_fuel}
    fuel = PARAMS.tasks.max_fuel
    least = layer.params.min_payment(fuel)
    for reward, fee, error in (
        (0, 0, "RewardTooLow"),
        (least - 1, least, "RewardTooLow"),
        (least, least - 1, "AuditFeeTooLow"),
    ):
        with reverts(error) as caught:
            chain.transact(
                post(("m", keccak(b"m"), "i", keccak(b"i"), fuel, reward, fee, 5, theta, PUBLIC, OPEN)),
                sender=requester,
            )
        assert list(caught.value.args_by_name.values())[1] == least
    assert layer.market.task_count() == 0


def test_attack_1_every_run_gets_the_time_its_fuel_takes_at_the_assumed_speed(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    fuel = PARAMS.tasks.max_fuel
    paid = layer.params.min_payment(fuel)
    task_id = layer.post(requester, auditors=5, reward=paid, audit_fee=paid, fuel=fuel)
    window = PARAMS.tasks.commit_window + -(-fuel // PARAMS.tasks.fuel_rate)
    assert layer.market.fuel_window(fuel) == layer.params.window(fuel) == window
    worker = layer.compute_node(1)
    for i in range(10, 15):
        layer.node(i)
    receipt = layer.market.claim(task_id, worker=worker)
    claimed_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert layer.market.task_of(task_id).commit_deadline == claimed_at + window
    layer.commit(task_id, worker, RIGHT)
    layer.draw(task_id)
    task = layer.market.task_of(task_id)
    drawn_at = layer.now()
    assert (task.commit_deadline, task.reveal_deadline) == (
        drawn_at + window,
        drawn_at + window + PARAMS.tasks.reveal_window,
    )


# ---------------------------------------------------------------- 2. a caught liar keeps its credibility


def test_attack_2_a_caught_liar_loses_its_passed_checks(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    auditors = [layer.node(i, passed=20) for i in (10, 11, 12)]
    task_id = layer.post(requester, auditors=3)
    layer.claim_and_draw(task_id, worker, WRONG)
    everyone = accounts_of(worker, *auditors)
    layer.play_round(task_id, dict.fromkeys(everyone, RIGHT) | {worker.address: WRONG}, everyone)
    record = layer.registry.node_of(worker.address)
    assert (record.role, record.passed, record.stake) == (Role.STRAY, 0, 0)
    assert layer.market.credibility_of(worker.address) == WAD - PARAMS.tasks.saboteur_fraction
    with reverts("NotPromotable"):
        layer.registry.promote(worker.address, sender=worker)


# ---------------------------------------------------------------- 4. dodging jail


def test_attack_4_passes_do_not_wash_failures_away_and_own_challenges_earn_nothing(chain: Chain) -> None:
    trust = TrustLayer.deploy(chain)
    node, owner = chain.account(1), chain.account(4)
    trust.join(node)
    trust.registry.top_up(node=node, amount=4 * PARAMS.nodes.min_stake)
    stored = trust.store([random_share(i, node.address, 2) for i in range(6)], owner=owner)

    def ready(index: int, challenger: LocalAccount) -> int:
        challenge_id = trust.open(stored, index, challenger=challenger)
        seed = trust.audits.challenge_of(challenge_id).seed_block
        mine(chain, max(0, seed + 1 - chain.w3.eth.block_number))
        return challenge_id

    def fail(index: int) -> None:
        trust.audits.respond(ready(index, chain.account(5)), b"junk", [bytes(32)], node=node)

    def pass_own(index: int) -> None:
        challenge_id = ready(index, node)
        chunk, share = trust.audits.chunk_index_of(challenge_id), stored.shares[index]
        receipt = trust.audits.respond(challenge_id, share.tree.chunks[chunk], share.tree.proof(chunk), node=node)
        assert trust.audits.passed(receipt)

    fail(0)
    fail(1)
    reputation = trust.registry.node_of(node.address).reputation
    pass_own(2)
    record = trust.registry.node_of(node.address)
    assert (record.reputation, record.failures) == (reputation, 2)  # its own challenge earned nothing
    fail(3)
    assert trust.registry.node_of(node.address).status == NodeStatus.JAILED


# ---------------------------------------------------------------- 5. forcing an undecided task


@pytest.mark.parametrize(
    ("worker_answer", "reason"),
    [(WRONG, "COMPUTE_DOUBTFUL"), (keccak(b"nobody's"), "COMPUTE_WRONG_RESULT")],
    ids=["worker-with-the-forcers", "worker-alone"],
)
def test_attack_5_forcing_an_undecided_task_costs_the_forcers_and_the_worker_behind_them(
    chain: Chain, requester: LocalAccount, worker_answer: bytes, reason: str
) -> None:
    layer = ComputeLayer.deploy(chain, replace(PARAMS.tasks, max_rounds=1, max_auditors=6))
    worker = layer.compute_node(1)
    honest = [layer.node(i, passed=20) for i in (10, 11)]
    forcers = [layer.node(i, passed=2) for i in (12, 13, 14, 15)]
    task_id = layer.post(requester, auditors=6, theta=99 * WAD // 100)
    layer.claim_and_draw(task_id, worker, worker_answer)
    answers = {worker.address: worker_answer} | {h.address: RIGHT for h in honest} | {f.address: WRONG for f in forcers}
    layer.play_round(task_id, answers, accounts_of(worker, *honest, *forcers))

    f = PARAMS.tasks.saboteur_fraction
    groups = {RIGHT: [worker_credibility_wad(20, f)] * 2, WRONG: [worker_credibility_wad(2, f)] * 4}
    assert answer_credibility_wad(groups, RIGHT) < 99 * WAD // 100  # undecided
    assert answer_credibility_wad(groups, WRONG) <= WAD // 2  # the forcers' group is judged
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome) == (TaskState.REFUNDED, Outcome.NO_CONSENSUS)
    assert [layer.registry.node_of(f.address).passed for f in forcers] == [0, 0, 0, 0]
    assert [layer.registry.node_of(h.address).passed for h in honest] == [20, 20]
    record = layer.registry.node_of(worker.address)
    slashed = reason == "COMPUTE_WRONG_RESULT"
    assert (record.role, record.passed) == (Role.STRAY, 0)
    assert record.stake == (0 if slashed else PARAMS.nodes.min_stake)
    logs = layer.market.contract.events.WorkerPenalised().get_logs(from_block=task.posted_block)
    assert [(log.args.reason, log.args.slashed > 0) for log in logs] == [(reason_bytes(reason), slashed)]
    assert layer.market.payments(requester.address) == layer.market.task_of(task_id).reward + 6 * task.audit_fee


# ---------------------------------------------------------------- 6. steering the draw


def test_attack_6_nodes_joining_after_the_claim_are_never_drawn(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    members = [layer.node(i) for i in (10, 11, 12)]
    task_id = layer.post(requester, auditors=3, theta=8 * WAD // 10)
    layer.market.claim(task_id, worker=worker)
    sybils = {layer.node(i).address for i in range(13, 28)}
    layer.commit(task_id, worker, RIGHT)
    assert set(layer.draw(task_id)) == {m.address for m in members}
    assert sybils <= set(layer.market.audit_pool())  # in the pool, but not for a task claimed before they joined


def test_attack_6_a_leave_and_a_rejoin_after_the_claim_move_nobody_else(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    members = [layer.node(i) for i in range(10, 16)]
    task_id = layer.post(requester, auditors=3, theta=8 * WAD // 10)
    layer.market.claim(task_id, worker=worker)
    leaver, joiner = members[2], layer.node(20, pool=False)
    layer.market.leave_audit_pool(node=leaver)
    layer.market.join_audit_pool(node=joiner)  # takes the seat the leaver emptied, but joined too late
    layer.commit(task_id, worker, RIGHT)
    drawn = layer.draw(task_id)
    assert not {leaver.address, joiner.address} & set(drawn)
    assert set(drawn) <= {m.address for m in members}


# ---------------------------------------------------------------- 7. silently under-staked


def test_attack_7_a_slash_below_the_minimum_is_announced_and_a_top_up_restores_the_node(
    chain: Chain, layer: ComputeLayer
) -> None:
    node = layer.node(1, pool=False)
    judge = chain.account(9)
    receipt = layer.registry.slash(node.address, 1_000, "AUDIT_TIMEOUT", bytes(32), judge=judge)
    stake = PARAMS.nodes.min_stake * 9 // 10
    assert events(layer.registry.contract, "StakeBelowMinimum", receipt) == [
        {"node": node.address, "stake": stake, "minStake": PARAMS.nodes.min_stake}
    ]
    assert not layer.registry.is_active(node.address)
    with reverts("NodeNotActive"):
        layer.market.join_audit_pool(node=node)
    again = layer.registry.slash(node.address, 1_000, "AUDIT_TIMEOUT", bytes(32), judge=judge)
    assert events(layer.registry.contract, "StakeBelowMinimum", again) == []  # told once, when it crosses
    layer.registry.top_up(node=node, amount=PARAMS.nodes.min_stake)
    assert layer.registry.is_active(node.address)
    layer.market.join_audit_pool(node=node)


# ---------------------------------------------------------------- 8. a fresh network


def test_usability_8_genesis_compute_nodes_start_a_fresh_network_and_nobody_else_skips_probation(
    chain: Chain, requester: LocalAccount
) -> None:
    genesis, other = chain.account(1), chain.account(2)
    layer = ComputeLayer.deploy(chain, nodes=replace(PARAMS.nodes, genesis_compute=(genesis.address,)))
    assert layer.registry.params().genesis_compute == (genesis.address,)
    layer.node(1, pool=False)
    layer.node(2, pool=False)
    with reverts("NotPromotable"):
        layer.registry.promote(other.address, sender=other)
    receipt = layer.registry.promote(genesis.address, sender=other)  # anyone may ask
    (changed,) = events(layer.registry.contract, "RoleChanged", receipt)
    assert (changed["to"], changed["reason"]) == (Role.COMPUTE, reason_bytes("GENESIS"))
    fresh = [layer.node(i) for i in range(10, 15)]
    task_id = layer.post(requester, auditors=5, theta=99 * WAD // 100)  # five never-checked auditors decide it
    layer.claim_and_draw(task_id, genesis, WRONG)
    layer.play_round(
        task_id, {genesis.address: WRONG} | {a.address: RIGHT for a in fresh}, accounts_of(genesis, *fresh)
    )
    assert layer.market.result_of(task_id) == RIGHT  # a genesis node is judged like any other
    layer.registry.top_up(node=genesis, amount=PARAMS.nodes.min_stake)
    assert layer.registry.node_of(genesis.address).role == Role.STRAY
    with reverts("NotPromotable"):
        layer.registry.promote(genesis.address, sender=genesis)  # once only


def test_usability_8_a_genesis_list_is_checked_at_deployment(chain: Chain) -> None:
    one = chain.account(1).address
    for bad in ((one, one), ("0x" + "00" * 20,), tuple(chain.account(i).address for i in range(1, 4))):
        with reverts("BadParameter") as caught:
            ComputeLayer.deploy(chain, nodes=replace(PARAMS.nodes, genesis_compute=bad))
        assert caught.value.args_by_name["what"] == "0x" + reason_bytes("genesisCompute").hex()


# ---------------------------------------------------------------- 9. tasks a fresh market can decide


def test_usability_9_a_task_no_fresh_market_can_decide_is_refused(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    with reverts("QuorumUnreachable"):
        layer.post(requester, auditors=1, theta=WAD - 10**12)
    with reverts("QuorumUnreachable"):
        layer.post(requester, auditors=2, theta=WAD)  # two rounds of two: three agreeing newcomers fall short
    assert layer.market.task_count() == 0
    layer.post(requester, auditors=3, theta=9 * WAD // 10)  # five of the six seats reach 0.9
