"""``kura task status`` explains every state and outcome (defect 9 of issue 14): the verdict read from a task's
events on the real market, and the sentence :func:`kura.api.tasks.explain` makes of it."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain
from kura.chain.task_market import Outcome, TaskState
from kura.units import WAD
from tests.contracts.compute_layer import REWARD, RIGHT, WRONG, ComputeLayer
from tests.contracts.trust_layer import advance, mine


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain)


@pytest.fixture
def requester(chain: Chain) -> LocalAccount:
    return chain.account(8)


def test_a_task_is_explained_while_it_waits_and_once_its_worker_is_silent(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    task_id = layer.post(requester, auditors=3)
    window = layer.params.window(layer.market.task_of(task_id).fuel)
    assert layer.status(task_id).startswith(
        f"waiting for a compute node to claim it (a node claims only tasks it can run within {window} s)"
    )
    layer.market.claim(task_id, worker=worker)
    deadline = layer.market.task_of(task_id).commit_deadline
    assert layer.status(task_id).startswith(f"the worker must commit its answer by timestamp {deadline}")
    advance(chain, window + 1)
    layer.market.finalize(task_id, sender=requester)
    verdict = layer.market.verdict(layer.market.task_of(task_id))
    assert (verdict.refund_reason, verdict.worker_penalty) == ("WORKER_SILENT", "COMPUTE_NO_COMMIT")
    assert layer.status(task_id) == (
        "refunded: the worker did not commit its answer by its deadline; the worker lost "
        f"{verdict.worker_slashed / 10**18:g} ETH of stake, its compute role and its passed checks (COMPUTE_NO_COMMIT: "
        "it did not commit in time)"
    )


def test_an_accepted_task_names_its_credibility_and_the_workers_pay_or_penalty(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    auditors = {node.address: node for node in (layer.node(i, passed=10) for i in (10, 11, 12))}
    everyone = {worker.address: worker, **auditors}
    for answer, fate in ((RIGHT, "the worker was paid 0.1 ETH"), (WRONG, "its answer was judged wrong")):
        task_id = layer.post(requester, auditors=3)
        drawn = layer.claim_and_draw(task_id, worker, answer)
        layer.play_round(task_id, {worker.address: answer, **dict.fromkeys(drawn, RIGHT)}, everyone)
        task = layer.market.task_of(task_id)
        verdict = layer.market.verdict(task)
        assert (task.state, task.outcome, verdict.refund_reason) == (TaskState.ACCEPTED, Outcome.AUDITED, "")
        assert layer.status(task_id).startswith(
            f"accepted in round 1 with credibility {verdict.accepted / WAD:.6g} >= θ = 0.9; "
        )
        assert fate in layer.status(task_id)
    assert layer.market.verdict(layer.market.task_of(1)).worker_paid == REWARD


def test_a_refund_says_why(chain: Chain, layer: ComputeLayer, requester: LocalAccount) -> None:
    worker = layer.compute_node(1)
    layer.node(10)
    task_id = layer.post(requester, auditors=2)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, RIGHT)
    assert layer.status(task_id).startswith("the worker committed; auditors are drawn from the hash of block")
    mine(chain, 2)
    layer.market.draw_auditors(task_id, sender=requester)
    assert layer.status(task_id) == (
        "refunded: the audit pool as it stood at the claim held fewer than 2 eligible auditors (active, not compute "
        "nodes, neither its requester nor its worker, not drawn before)"
    )
    cancelled = layer.post(requester, auditors=2)
    layer.market.cancel(cancelled, requester=requester)
    assert layer.status(cancelled).startswith("cancelled by its requester")


def test_an_undecided_task_gives_each_rounds_best_and_the_workers_fate(
    chain: Chain, layer: ComputeLayer, requester: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    nodes = {node.address: node for node in (layer.node(i, passed=1) for i in (10, 11, 12, 13))}
    everyone = {worker.address: worker, **nodes}
    task_id = layer.post(requester, auditors=2, theta=95 * WAD // 100)
    first = layer.claim_and_draw(task_id, worker)
    layer.play_round(task_id, {worker.address: RIGHT, first[0]: RIGHT, first[1]: WRONG}, everyone)
    assert layer.status(task_id).startswith("round 1 reached no θ = 0.95 (best ")
    second = layer.draw(task_id)
    assert layer.status(task_id).startswith("round 2: 4 auditors drawn so far, 0 of this round's 2 committed; ")
    layer.commit(task_id, everyone[second[0]], RIGHT)
    assert ", 1 of this round's 2 committed; " in layer.status(task_id)
    assert "(reveals open as soon as all have)" in layer.status(task_id)
    layer.commit(task_id, everyone[second[1]], WRONG)
    for node, answer in ((second[0], RIGHT), (second[1], WRONG)):
        layer.reveal(task_id, everyone[node], answer)
    layer.market.finalize(task_id, sender=worker)
    verdict = layer.market.verdict(layer.market.task_of(task_id))
    assert len(verdict.inconclusive) == 2 and verdict.worker_penalty == "COMPUTE_DOUBTFUL"
    best = ", ".join(f"{b / WAD:.4g}" for b in verdict.inconclusive)
    assert layer.status(task_id) == (
        f"refunded: no answer reached θ = 0.95 in 2 rounds (best {best}); auditors whose answer was no more likely "
        "right than wrong failed their check; the worker lost 0 ETH of stake, its compute role and its passed checks "
        "(COMPUTE_DOUBTFUL: its answer was more likely wrong than right)"
    )
