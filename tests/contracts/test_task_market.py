"""TaskMarket: every path of a compute task, adversarially — escrow, claims, the random draw, commit–reveal,
credibility-weighted consensus, slashing and demotion, rounds, refunds and pull payments."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.client import Chain
from kura.chain.node_registry import Role
from kura.chain.pull_payments import reason_bytes
from kura.chain.task_market import ZERO_ADDRESS, Entry, Outcome, TaskParams, TaskState, commitment, escrow
from kura.compute.sealing import account_public_key
from kura.errors import ChainError, ChainValueError
from kura.units import WAD
from tests.contracts.compute_layer import AUDIT_FEE, FUEL, REWARD, RIGHT, THETA, WRONG, ComputeLayer
from tests.contracts.expect import events, reverts
from tests.contracts.trust_layer import PARAMS, advance, cost, mine

REQUESTER = 8
PUBLIC = [bytes(32), bytes(32)]
OPEN = ZERO_ADDRESS
"""The ``requesterKey`` argument of a task whose output is public."""


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain)


@pytest.fixture
def requester(chain: Chain) -> LocalAccount:
    return chain.account(REQUESTER)


def full_escrow(auditors: int, reward: int = REWARD, fee: int = AUDIT_FEE) -> int:
    return escrow(reward, fee, auditors, PARAMS.tasks.max_rounds)


def accounts_of(*groups: object) -> dict[str, LocalAccount]:
    out: dict[str, LocalAccount] = {}
    for group in groups:
        for account in group if isinstance(group, (list, tuple)) else [group]:
            out[account.address] = account
    return out


# ---------------------------------------------------------------- posting and cancelling


def test_post_escrows_reward_and_full_audit_budget_and_records_the_task(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    task_id = layer.post(requester, auditors=3)
    task = layer.market.task_of(task_id)
    assert (task.requester, task.reward, task.audit_fee, task.auditors, task.theta, task.state, task.round) == (
        requester.address,
        REWARD,
        AUDIT_FEE,
        3,
        THETA,
        TaskState.OPEN,
        0,
    )
    assert (task.module_cid, task.input_cid, task.module_hash) == ("bafy-module", "bafy-input", keccak(b"module"))
    assert chain.w3.eth.get_balance(layer.market.contract.address) == full_escrow(3)
    assert layer.market.task_count() == 1
    assert layer.market.result_of(task_id) == bytes(32)


def test_post_refuses_bad_input_and_wrong_escrow(chain: Chain, layer: ComputeLayer, requester: LocalAccount) -> None:
    post = layer.market.contract.functions.post
    good = ("m", keccak(b"m"), "i", keccak(b"i"), 10, REWARD, AUDIT_FEE, 3, THETA, PUBLIC, OPEN)
    cases = {
        "MissingTaskData": [
            ("", *good[1:]),
            (good[0], bytes(32), *good[2:]),
            (*good[:2], "", *good[3:]),
            (*good[:3], bytes(32), *good[4:]),
        ],
        "BadFuel": [(*good[:4], 0, *good[5:]), (*good[:4], PARAMS.tasks.max_fuel + 1, *good[5:])],
        "BadAuditorCount": [(*good[:7], 0, *good[8:]), (*good[:7], PARAMS.tasks.max_auditors + 1, *good[8:])],
        "BadThreshold": [(*good[:8], WAD // 2, *good[9:]), (*good[:8], WAD + 1, *good[9:]), (*good[:8], 0, *good[9:])],
    }
    for error, argument_lists in cases.items():
        for args in argument_lists:
            with reverts(error):
                chain.transact(post(args), sender=requester, value=full_escrow(args[7]))
    for value in (full_escrow(3) - 1, full_escrow(3) + 1, 0):
        with reverts("WrongEscrow"):
            chain.transact(post(good), sender=requester, value=value)
    assert layer.market.task_count() == 0


def test_a_confidential_post_records_the_flag_and_logs_the_requesters_own_key(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    key = account_public_key(requester.key)
    public = layer.market.task_of(layer.post(requester, auditors=3))
    assert not public.confidential and public.requester_key == b""
    with pytest.raises(ChainError, match="not confidential"):
        layer.market.requester_key(public)

    params = TaskParams(
        "m",
        keccak(b"m"),
        "i",
        keccak(b"i"),
        fuel=10,
        reward=REWARD,
        audit_fee=AUDIT_FEE,
        auditors=3,
        theta=THETA,
        requester_key=key,
    )
    task_id = layer.market.post(params, requester=requester)
    task = layer.market.task_of(task_id)
    assert task.confidential and task.requester == requester.address
    assert layer.market.requester_key(task) == key


def test_a_confidential_post_refuses_any_key_but_the_requesters(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    post = layer.market.contract.functions.post
    other = account_public_key(chain.account(REQUESTER + 1).key)
    mine_ = account_public_key(requester.key)
    for key in (other, mine_[:32] + bytes(32), bytes(32) + mine_[32:], secrets.token_bytes(64)):
        with reverts("BadRequesterKey"):
            chain.transact(
                post(
                    ("m", keccak(b"m"), "i", keccak(b"i"), 10, REWARD, AUDIT_FEE, 3, THETA, [key[:32], key[32:]], OPEN)
                ),
                sender=requester,
                value=full_escrow(3),
            )
    for size in (33, 65):
        with pytest.raises(ChainValueError, match="64-byte"):
            TaskParams(
                "m",
                keccak(b"m"),
                "i",
                keccak(b"i"),
                fuel=10,
                reward=REWARD,
                audit_fee=AUDIT_FEE,
                auditors=3,
                theta=THETA,
                requester_key=bytes(size),
            )
    assert layer.market.task_count() == 0


def test_only_the_requester_cancels_and_only_while_open(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    task_id = layer.post(requester, auditors=2)
    with reverts("NotRequester"):
        layer.market.cancel(task_id, requester=chain.account(1))
    receipt = layer.market.cancel(task_id, requester=requester)
    assert events(layer.market.contract, "TaskCancelled", receipt) == [{"taskId": task_id, "amount": full_escrow(2)}]
    assert layer.state(task_id) == TaskState.CANCELLED
    with reverts("WrongState"):
        layer.market.cancel(task_id, requester=requester)
    before = chain.w3.eth.get_balance(requester.address)
    paid = cost(layer.market.withdraw_payments(payee=requester))
    assert chain.w3.eth.get_balance(requester.address) == before + full_escrow(2) - paid
    with reverts("NothingToWithdraw"):
        layer.market.withdraw_payments(payee=requester)

    claimed = layer.post(requester, auditors=3)
    layer.market.claim(claimed, worker=layer.compute_node(1))
    with reverts("WrongState"):
        layer.market.cancel(claimed, requester=requester)


def test_unknown_tasks_are_refused_everywhere(chain: Chain, layer: ComputeLayer) -> None:
    someone = chain.account(1)
    for call in (
        lambda: layer.market.task_of(7),
        lambda: layer.market.auditors_of(7),
        lambda: layer.market.entry_of(7, someone.address),
        lambda: layer.market.result_of(7),
        lambda: layer.market.claim(7, worker=someone),
        lambda: layer.market.finalize(7, sender=someone),
        lambda: layer.market.commit(7, RIGHT, bytes(32), node=someone),
    ):
        with reverts("UnknownTask"):
            call()


def test_constructor_refuses_unusable_parameters(chain: Chain, layer: ComputeLayer) -> None:
    registry = layer.registry.contract.address
    sampler = layer.sampler.contract.address
    for bad, what in (
        (dict(commit_window=0), "commitWindow"),
        (dict(reveal_window=0), "revealWindow"),
        (dict(seed_delay=0), "seedDelay"),
        (dict(seed_delay=256), "seedDelay"),
        (dict(max_rounds=0), "maxRounds"),
        (dict(max_auditors=0), "maxAuditors"),
        (dict(max_auditors=17), "maxAuditors"),
        (dict(slash_bps=10_001), "slashBps"),
        (dict(miss_bps=10_001), "missBps"),
        (dict(saboteur_fraction=0), "saboteurFraction"),
        (dict(saboteur_fraction=WAD // 2), "saboteurFraction"),
        (dict(max_fuel=0), "maxFuel"),
        (dict(max_fuel=2**48), "maxFuel"),
        (dict(fuel_rate=0), "fuelRate"),
        (dict(min_fuel_price=0), "minFuelPrice"),
    ):
        with reverts("BadParameter") as caught:
            chain.deploy("TaskMarket", registry, sampler, *replace(PARAMS.tasks, **bad).args(), sender=chain.account(0))
        assert caught.value.args_by_name["what"] == "0x" + reason_bytes(what).hex()
    assert layer.market.params() == PARAMS.tasks


# ---------------------------------------------------------------- claiming


def test_only_active_compute_nodes_claim(chain: Chain, layer: ComputeLayer, requester: LocalAccount) -> None:
    task_id = layer.post(requester, auditors=3)
    outsider = chain.account(1)
    stray = layer.node(2)
    auditor = layer.node(3, passed=PARAMS.nodes.promotion_bar)
    for node in (outsider, stray, auditor):
        with reverts("NotComputeNode"):
            layer.market.claim(task_id, worker=node)
    leaving = layer.compute_node(4)
    layer.registry.announce_exit(node=leaving)
    with reverts("NotComputeNode"):
        layer.market.claim(task_id, worker=leaving)
    worker = layer.compute_node(5)
    receipt = layer.market.claim(task_id, worker=worker)
    (claimed,) = events(layer.market.contract, "TaskClaimed", receipt)
    claimed_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert claimed == {
        "taskId": task_id,
        "worker": worker.address,
        "commitDeadline": claimed_at + layer.params.window(layer.market.task_of(task_id).fuel),
    }
    task = layer.market.task_of(task_id)
    assert (task.state, task.claim_block, task.seed_block) == (TaskState.CLAIMED, receipt["blockNumber"], 0)
    with reverts("WrongState"):
        layer.market.claim(task_id, worker=layer.compute_node(6))
    with reverts("WrongState"):
        layer.market.draw_auditors(task_id, sender=worker)  # no seed before the worker commits
    receipt = layer.market.commit(task_id, RIGHT, bytes(32), node=worker)
    (scheduled,) = events(layer.market.contract, "DrawScheduled", receipt)
    assert scheduled == {"taskId": task_id, "seedBlock": receipt["blockNumber"] + PARAMS.tasks.seed_delay}
    assert layer.state(task_id) == TaskState.DRAWING
    with reverts("WrongState"):
        layer.market.commit(task_id, WRONG, bytes(32), node=worker)


def test_a_worker_that_does_not_commit_in_time_loses_its_role_and_the_task_is_refunded(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    task_id = layer.post(requester, auditors=3)
    layer.market.claim(task_id, worker=worker)
    deadline = layer.market.task_of(task_id).commit_deadline
    with reverts("RoundNotOver") as caught:
        layer.market.finalize(task_id, sender=requester)
    assert caught.value.args_by_name == {"taskId": task_id, "deadline": deadline}
    advance(chain, deadline - layer.now() + 1)
    with reverts("CommitClosed"):
        layer.market.commit(task_id, RIGHT, bytes(32), node=worker)
    receipt = layer.market.finalize(task_id, sender=requester)
    missed = PARAMS.nodes.min_stake * PARAMS.tasks.miss_bps // 10_000
    assert events(layer.market.contract, "WorkerPenalised", receipt) == [
        {"taskId": task_id, "worker": worker.address, "reason": reason_bytes("COMPUTE_NO_COMMIT"), "slashed": missed}
    ]
    assert events(layer.market.contract, "TaskRefunded", receipt) == [
        {"taskId": task_id, "reason": reason_bytes("WORKER_SILENT"), "amount": full_escrow(3)}
    ]
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome) == (TaskState.REFUNDED, Outcome.WORKER_SILENT)
    record = layer.registry.node_of(worker.address)
    assert (record.role, record.passed, record.stake) == (Role.STRAY, 0, PARAMS.nodes.min_stake - missed)


# ---------------------------------------------------------------- the draw


def expected_draw(
    chain: Chain, task_id: int, round_: int, seed_block: int, pool: list[str], eligible: set[str], want: int
) -> list[str]:
    """The contract's partial Fisher–Yates walk, re-done in Python."""
    block_hash = bytes(chain.w3.eth.get_block(seed_block)["hash"])
    seed = keccak(abi_encode(["bytes32", "uint256", "uint8"], [block_hash, task_id, round_]))
    order = list(range(len(pool)))
    picked: list[str] = []
    for i in range(len(pool)):
        if len(picked) == want:
            break
        j = i + int.from_bytes(keccak(abi_encode(["bytes32", "uint256"], [seed, i])), "big") % (len(pool) - i)
        order[i], order[j] = order[j], order[i]
        if pool[order[i]] in eligible:
            picked.append(pool[order[i]])
    return picked


def test_draw_waits_for_the_seed_block_and_follows_the_fisher_yates_rule(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    eligible = [layer.node(i, passed=i % 3) for i in range(10, 18)]
    inactive = layer.node(18)
    layer.registry.announce_exit(node=inactive)
    promoted = layer.node(19, passed=PARAMS.nodes.promotion_bar)
    layer.registry.promote(promoted.address, sender=promoted)
    requester_node = layer.node(REQUESTER)
    task_id = layer.post(requester_node, auditors=4)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, RIGHT)
    task = layer.market.task_of(task_id)
    if chain.w3.eth.block_number <= task.seed_block:
        with reverts("SeedNotYetAvailable"):
            chain.call(layer.market.contract.functions.drawAuditors(task_id))
    drawn = layer.draw(task_id)
    pool = layer.market.audit_pool()
    assert len(pool) == 11
    want = expected_draw(chain, task_id, 1, task.seed_block, pool, {a.address for a in eligible}, 4)
    assert drawn == want and len(set(drawn)) == 4
    task = layer.market.task_of(task_id)
    assert task.state == TaskState.AUDITING
    assert task.reveal_deadline - task.commit_deadline == PARAMS.tasks.reveal_window
    assert all(layer.market.entry_of(task_id, a).round == 1 for a in drawn)
    with reverts("WrongState"):
        layer.market.draw_auditors(task_id, sender=requester)


def test_too_small_a_pool_refunds_the_task(chain: Chain, layer: ComputeLayer, requester: LocalAccount) -> None:
    worker = layer.compute_node(1)
    layer.node(10)
    task_id = layer.post(requester, auditors=2)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, RIGHT)
    mine(chain, 2)
    receipt = layer.market.draw_auditors(task_id, sender=requester)
    assert events(layer.market.contract, "TaskRefunded", receipt) == [
        {"taskId": task_id, "reason": reason_bytes("NO_AUDITORS"), "amount": full_escrow(2)}
    ]
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome) == (TaskState.REFUNDED, Outcome.NO_AUDITORS)
    assert layer.market.payments(requester.address) == full_escrow(2)
    assert layer.registry.node_of(worker.address).role == Role.COMPUTE  # it committed; nobody could judge it


def test_an_expired_seed_is_replaced_not_used(chain: Chain, layer: ComputeLayer, requester: LocalAccount) -> None:
    worker = layer.compute_node(1)
    for i in (10, 11, 12):
        layer.node(i)
    task_id = layer.post(requester, auditors=3)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, RIGHT)
    mine(chain, 300)
    receipt = layer.market.draw_auditors(task_id, sender=requester)
    (reseeded,) = events(layer.market.contract, "DrawScheduled", receipt)
    assert reseeded["seedBlock"] == receipt["blockNumber"] + 1
    assert layer.state(task_id) == TaskState.DRAWING
    assert len(layer.draw(task_id)) == 3


def test_audit_pool_membership(chain: Chain, layer: ComputeLayer) -> None:
    with reverts("NodeNotActive"):
        layer.market.join_audit_pool(node=chain.account(1))
    a, b, c = (layer.node(i) for i in (1, 2, 3))
    with reverts("AlreadyInPool"):
        layer.market.join_audit_pool(node=a)
    layer.market.leave_audit_pool(node=a)
    assert layer.market.audit_pool() == [b.address, c.address]
    with reverts("NotInPool"):
        layer.market.leave_audit_pool(node=a)
    layer.market.leave_audit_pool(node=c)
    layer.market.leave_audit_pool(node=b)
    assert layer.market.audit_pool() == []
    layer.market.join_audit_pool(node=c)
    layer.market.join_audit_pool(node=a)
    assert layer.market.audit_pool() == [c.address, a.address]  # joiners take the seats last emptied first


# ---------------------------------------------------------------- commit and reveal


@pytest.fixture
def auditing(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> tuple[int, LocalAccount, list[LocalAccount]]:
    """A task in its first round: worker account 1, auditors accounts 10-12 (all three drawn)."""
    worker = layer.compute_node(1)
    auditors = [layer.node(i, passed=5) for i in (10, 11, 12)]
    task_id = layer.post(requester, auditors=3)
    drawn = layer.claim_and_draw(task_id, worker)
    assert sorted(drawn) == sorted(a.address for a in auditors)
    return task_id, worker, auditors


def test_commit_reveal_refusals(
    chain: Chain, layer: ComputeLayer, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    task_id, _worker, (a, b, c) = auditing
    market = layer.market
    salt = secrets.token_bytes(32)
    with reverts("NotParticipant"):
        market.commit(task_id, RIGHT, salt, node=chain.account(REQUESTER))
    with reverts("EmptyCommitment"):
        chain.transact(market.contract.functions.commit(task_id, bytes(32)), sender=a)
    market.commit(task_id, RIGHT, salt, node=a)
    with reverts("AlreadyCommitted"):
        market.commit(task_id, RIGHT, salt, node=a)
    with reverts("RevealNotOpen"):
        market.reveal(task_id, RIGHT, salt, "", node=a)
    # b replays a's commitment word for word: it binds a's address, so b can never open it.
    chain.transact(market.contract.functions.commit(task_id, market.entry_of(task_id, a.address).answer), sender=b)
    advance(chain, PARAMS.tasks.window(FUEL) + 1)
    with reverts("CommitClosed"):
        market.commit(task_id, RIGHT, salt, node=c)
    with reverts("NotCommitted"):
        market.reveal(task_id, RIGHT, salt, "", node=c)
    with reverts("CommitmentMismatch"):
        market.reveal(task_id, RIGHT, secrets.token_bytes(32), "", node=a)
    with reverts("CommitmentMismatch"):
        market.reveal(task_id, WRONG, salt, "", node=a)
    with reverts("CommitmentMismatch"):
        market.reveal(task_id, RIGHT, salt, "", node=b)
    receipt = market.reveal(task_id, RIGHT, salt, "bafy-out", node=a)
    assert events(layer.market.contract, "ResultRevealed", receipt) == [
        {"taskId": task_id, "node": a.address, "result": RIGHT, "outputCid": "bafy-out"}
    ]
    with reverts("AlreadyRevealed"):
        market.reveal(task_id, RIGHT, salt, "", node=a)
    with reverts("RoundNotOver"):
        market.finalize(task_id, sender=a)
    advance(chain, PARAMS.tasks.reveal_window + 1)
    with reverts("RevealClosed"):
        market.reveal(task_id, RIGHT, salt, "", node=a)
    with pytest.raises(ChainValueError):
        commitment(RIGHT[:31], salt, a.address)


def test_a_copied_answer_cannot_be_committed_in_time(
    chain: Chain, layer: ComputeLayer, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    task_id, _worker, (a, b, _c) = auditing
    salt = secrets.token_bytes(32)
    layer.market.commit(task_id, RIGHT, salt, node=a)
    advance(chain, PARAMS.tasks.window(FUEL) + 1)
    layer.market.reveal(task_id, RIGHT, salt, "", node=a)
    # b saw a's answer and salt on chain, but commits closed before any reveal was possible.
    with reverts("CommitClosed"):
        layer.market.commit(task_id, RIGHT, secrets.token_bytes(32), node=b)
    with reverts("CommitClosed"):
        layer.market.commit(task_id, RIGHT, salt, node=b)


def test_reveals_open_once_every_participant_of_the_round_has_committed(
    chain: Chain, layer: ComputeLayer, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    """Nobody can commit once every drawn auditor has (the worker committed before the draw), so reveals need not
    wait for the commit deadline: a task takes as long as its slowest node, not its whole window."""
    task_id, worker, (a, b, c) = auditing
    layer.commit(task_id, a, RIGHT)
    layer.commit(task_id, b, RIGHT)
    with reverts("RevealNotOpen"):  # c may still commit: nothing is revealed while anyone can
        layer.reveal(task_id, worker, RIGHT)
    layer.commit(task_id, c, RIGHT)
    for node in (worker, a, b, c):
        layer.reveal(task_id, node, RIGHT)
    layer.market.finalize(task_id, sender=worker)
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome) == (TaskState.ACCEPTED, Outcome.AUDITED)
    assert layer.now() <= task.commit_deadline


def test_a_new_round_opens_its_reveals_only_when_its_own_auditors_have_committed(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    nodes = [layer.node(i, passed=1) for i in (10, 11, 12, 13)]
    everyone = accounts_of(worker, nodes)
    task_id = layer.post(requester, auditors=2, theta=95 * WAD // 100)
    first = layer.claim_and_draw(task_id, worker)
    layer.play_round(task_id, {worker.address: RIGHT, first[0]: RIGHT, first[1]: WRONG}, everyone)
    second = layer.draw(task_id)
    layer.commit(task_id, everyone[second[0]], RIGHT)
    with reverts("RevealNotOpen"):  # round 1's commitments count for nothing in round 2
        layer.reveal(task_id, everyone[second[0]], RIGHT)
    layer.commit(task_id, everyone[second[1]], RIGHT)
    for node in second:
        layer.reveal(task_id, everyone[node], RIGHT)
    layer.market.finalize(task_id, sender=worker)  # every participant revealed: the round closes early
    assert layer.market.task_of(task_id).state != TaskState.AUDITING


# ---------------------------------------------------------------- judging


def balances(layer: ComputeLayer, *nodes: LocalAccount) -> list[int]:
    return [layer.market.payments(n.address) for n in nodes]


def test_honest_task_pays_worker_and_agreeing_auditors_and_refunds_the_rest(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    task_id, worker, auditors = auditing
    everyone = accounts_of(worker, auditors)
    passed_before = [layer.registry.node_of(a.address).passed for a in auditors]
    layer.play_round(task_id, dict.fromkeys(everyone, RIGHT), everyone)
    task = layer.market.task_of(task_id)
    assert task.state == TaskState.ACCEPTED and layer.market.result_of(task_id) == RIGHT
    assert layer.market.payments(worker.address) == REWARD
    assert balances(layer, *auditors) == [AUDIT_FEE] * 3
    assert layer.market.payments(requester.address) == full_escrow(3) - REWARD - 3 * AUDIT_FEE
    assert [layer.registry.node_of(a.address).passed for a in auditors] == [p + 1 for p in passed_before]
    assert layer.registry.node_of(worker.address).role == Role.COMPUTE
    assert layer.registry.node_of(worker.address).stake == PARAMS.nodes.min_stake
    reveals = layer.market.reveals(task)
    assert {r.node for r in reveals} == set(everyone) and {r.result for r in reveals} == {RIGHT}
    with reverts("WrongState"):
        layer.market.finalize(task_id, sender=requester)
    for payee in (worker, *auditors, requester):
        layer.market.withdraw_payments(payee=payee)
    assert chain.w3.eth.get_balance(layer.market.contract.address) == 0


def test_round_may_close_early_once_everyone_revealed(
    chain: Chain, layer: ComputeLayer, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    task_id, worker, auditors = auditing
    for node in auditors:
        layer.commit(task_id, node, RIGHT)
    advance(chain, PARAMS.tasks.window(FUEL) + 1)
    for node in (worker, *auditors[:2]):
        layer.reveal(task_id, node, RIGHT)
    with reverts("RoundNotOver"):
        layer.market.finalize(task_id, sender=worker)
    layer.reveal(task_id, auditors[2], RIGHT)
    layer.market.finalize(task_id, sender=worker)
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome, task.worker_revealed) == (TaskState.ACCEPTED, Outcome.AUDITED, True)


def test_entries_show_what_each_participant_did(
    chain: Chain, layer: ComputeLayer, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    task_id, worker, (a, b, _) = auditing
    salt = layer.salts[(task_id, worker.address)]
    assert layer.market.entry_of(task_id, worker.address).answer == commitment(RIGHT, salt, worker.address)
    layer.commit(task_id, a, WRONG)
    advance(chain, PARAMS.tasks.window(FUEL) + 1)
    layer.reveal(task_id, a, WRONG)
    entries = {n.address: layer.market.entry_of(task_id, n.address) for n in (worker, a, b)}
    assert (entries[worker.address].round, entries[worker.address].revealed) == (0, False)
    assert entries[a.address] == Entry(WRONG, 1, True)
    assert entries[b.address] == Entry(bytes(32), 1, False) and not entries[b.address].committed
    assert layer.market.entry_of(task_id, chain.account(REQUESTER).address) == Entry(bytes(32), 0, False)


def test_a_lying_worker_is_caught_unpaid_and_the_requester_gets_the_right_result(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    auditors = [layer.node(i, passed=5) for i in (10, 11, 12)]
    task_id = layer.post(requester, auditors=3)
    layer.claim_and_draw(task_id, worker, WRONG)
    everyone = accounts_of(worker, auditors)
    answers = dict.fromkeys(everyone, RIGHT) | {worker.address: WRONG}
    layer.play_round(task_id, answers, everyone)
    assert layer.market.result_of(task_id) == RIGHT
    record = layer.registry.node_of(worker.address)
    slashed = PARAMS.nodes.min_stake * PARAMS.tasks.slash_bps // 10_000
    assert (record.role, record.passed, record.stake) == (Role.STRAY, 0, PARAMS.nodes.min_stake - slashed)
    assert layer.registry.repair_pool() == slashed
    assert layer.market.payments(worker.address) == 0
    assert layer.market.payments(requester.address) == full_escrow(3) - 3 * AUDIT_FEE
    logs = layer.market.contract.events.WorkerPenalised().get_logs(from_block=0)
    assert [(log.args.worker, log.args.reason, log.args.slashed) for log in logs] == [
        (worker.address, reason_bytes("COMPUTE_WRONG_RESULT"), slashed)
    ]
    with reverts("NotComputeNode"):
        layer.market.claim(layer.post(requester, auditors=3), worker=worker)


def test_a_silent_worker_is_caught_like_a_wrong_one(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount, auditing: tuple[int, LocalAccount, list[LocalAccount]]
) -> None:
    task_id, worker, auditors = auditing  # it committed, then sees the round drawn and withholds its answer
    layer.play_round(task_id, {a.address: RIGHT for a in auditors}, accounts_of(auditors))
    assert layer.market.result_of(task_id) == RIGHT
    record = layer.registry.node_of(worker.address)
    assert (record.role, record.passed) == (Role.STRAY, 0)
    logs = layer.market.contract.events.WorkerPenalised().get_logs(from_block=0)
    assert [(log.args.reason, log.args.slashed) for log in logs] == [
        (reason_bytes("COMPUTE_NO_REVEAL"), PARAMS.nodes.min_stake * PARAMS.tasks.slash_bps // 10_000)
    ]


def test_silent_auditors_lose_stake_and_credibility_and_disagreeing_ones_lose_credibility(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    a, b, c = layer.node(10, passed=20), layer.node(11), layer.node(12, passed=5)
    task_id = layer.post(requester, auditors=3)
    layer.claim_and_draw(task_id, worker)
    layer.play_round(task_id, {worker.address: RIGHT, a.address: RIGHT, b.address: WRONG}, accounts_of(worker, a, b))
    assert layer.market.result_of(task_id) == RIGHT
    ra, rb, rc = (layer.registry.node_of(n.address) for n in (a, b, c))
    assert (ra.passed, rb.passed, rc.passed) == (21, 0, 0)
    missed_stake = PARAMS.nodes.min_stake * PARAMS.tasks.miss_bps // 10_000
    stake = PARAMS.nodes.min_stake
    assert (ra.stake, rb.stake, rc.stake) == (stake, stake, stake - missed_stake)
    assert balances(layer, a, b, c) == [AUDIT_FEE, 0, 0]
    assert layer.market.payments(worker.address) == REWARD
    missed = layer.market.contract.events.RevealMissed().get_logs(from_block=0)
    assert [(log.args.node, log.args.slashed) for log in missed] == [(c.address, missed_stake)]


def test_no_consensus_draws_another_round_then_refunds_and_judges_what_it_can(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    nodes = [layer.node(i, passed=1) for i in (10, 11, 12, 13)]
    everyone = accounts_of(worker, nodes)
    task_id = layer.post(requester, auditors=2, theta=95 * WAD // 100)
    first = layer.claim_and_draw(task_id, worker)
    layer.play_round(task_id, {worker.address: RIGHT, first[0]: RIGHT, first[1]: WRONG}, everyone)
    task = layer.market.task_of(task_id)
    assert (task.state, task.round) == (TaskState.DRAWING, 1)
    second = layer.draw(task_id)
    with reverts("NotParticipant"):
        layer.market.commit(task_id, RIGHT, bytes(32), node=worker)  # the worker had its round
    assert set(second) == {n.address for n in nodes} - set(first)
    layer.play_round(task_id, {second[0]: RIGHT, second[1]: WRONG}, everyone)
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome) == (TaskState.REFUNDED, Outcome.NO_CONSENSUS)
    assert layer.market.payments(requester.address) == full_escrow(2)
    # Two against two of equal weight: no answer is more likely right than wrong, so every voter fails its
    # check and the worker, whose answer is one of the two, loses its role (no stake: it was not shown wrong).
    assert [layer.registry.node_of(n.address).passed for n in nodes] == [0, 0, 0, 0]
    record = layer.registry.node_of(worker.address)
    assert (record.role, record.stake) == (Role.STRAY, PARAMS.nodes.min_stake)


def test_colluding_strays_do_not_outvote_fewer_credible_auditors(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    honest = [layer.node(i, passed=20) for i in (10, 11)]
    strays = [layer.node(i) for i in (12, 13, 14)]
    task_id = layer.post(requester, auditors=5, theta=99 * 10**16)
    layer.claim_and_draw(task_id, worker, WRONG)
    answers = {worker.address: WRONG} | {h.address: RIGHT for h in honest} | {s.address: WRONG for s in strays}
    layer.play_round(task_id, answers, accounts_of(worker, honest, strays))
    assert layer.market.result_of(task_id) == RIGHT
    assert layer.registry.node_of(worker.address).role == Role.STRAY
    assert [layer.registry.node_of(s.address).passed for s in strays] == [0, 0, 0]


def test_behave_then_cheat_loses_more_than_it_earned(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    honest_worker = layer.compute_node(1)
    attacker = layer.node(20)
    helpers = [layer.node(i, passed=10) for i in (21, 22)]
    everyone = accounts_of(honest_worker, attacker, helpers)
    start = chain.w3.eth.get_balance(attacker.address) + PARAMS.nodes.min_stake
    for _ in range(PARAMS.nodes.promotion_bar):
        task_id = layer.post(requester, auditors=3)
        layer.claim_and_draw(task_id, honest_worker)
        layer.play_round(task_id, dict.fromkeys(everyone, RIGHT), everyone)
    assert layer.registry.node_of(attacker.address).passed == PARAMS.nodes.promotion_bar
    layer.market.leave_audit_pool(node=attacker)
    layer.registry.promote(attacker.address, sender=attacker)
    layer.market.withdraw_payments(payee=attacker)

    task_id = layer.post(requester, auditors=2)
    layer.claim_and_draw(task_id, attacker, WRONG)
    layer.play_round(task_id, {attacker.address: WRONG} | {h.address: RIGHT for h in helpers}, everyone)
    assert layer.market.result_of(task_id) == RIGHT
    record = layer.registry.node_of(attacker.address)
    assert (record.role, record.passed) == (Role.STRAY, 0)
    earned = PARAMS.nodes.promotion_bar * AUDIT_FEE
    lost = PARAMS.nodes.min_stake - record.stake
    assert lost == PARAMS.nodes.min_stake * PARAMS.tasks.slash_bps // 10_000 and lost > 100 * earned
    assert chain.w3.eth.get_balance(attacker.address) + record.stake < start


def test_a_reentrant_requester_cannot_withdraw_twice(chain: Chain, layer: ComputeLayer) -> None:
    attacker = chain.contract("ReentrantPayee", chain.deploy("ReentrantPayee", sender=chain.account(7)).address)
    post = layer.market.contract.functions.post(
        ("m", keccak(b"m"), "i", keccak(b"i"), 10, REWARD, AUDIT_FEE, 3, THETA, PUBLIC, OPEN)
    )._encode_transaction_data()
    chain.transact(
        attacker.functions.execute(layer.market.contract.address, post), sender=chain.account(7), value=full_escrow(3)
    )
    cancel = layer.market.contract.functions.cancel(1)._encode_transaction_data()
    chain.transact(attacker.functions.execute(layer.market.contract.address, cancel), sender=chain.account(7))
    chain.transact(attacker.functions.attack(layer.market.contract.address), sender=chain.account(7))
    assert chain.call(attacker.functions.reentries()) == 0
    assert chain.call(attacker.functions.refusal()) == keccak(b"ReentrancyGuardReentrantCall()")[:4]
    assert chain.w3.eth.get_balance(attacker.address) == full_escrow(3)
    assert chain.w3.eth.get_balance(layer.market.contract.address) == 0
