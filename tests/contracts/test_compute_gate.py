"""Compute-to-data gates (``IComputeGate``) on the real TaskMarket: only the gate posts its tasks, only nodes it
allows claim or are drawn, and a gate that reverts, burns its gas or answers garbage says no."""

from __future__ import annotations

from enum import IntEnum

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from kura.chain.client import Chain
from kura.chain.node_registry import Role
from kura.chain.pull_payments import reason_bytes
from kura.chain.task_market import Outcome, TaskParams, TaskState, escrow
from tests.contracts.compute_layer import AUDIT_FEE, FUEL, REWARD, RIGHT, THETA, ComputeLayer
from tests.contracts.expect import events, reverts
from tests.contracts.trust_layer import PARAMS, mine

OWNER = 8
POOL = range(10, 16)
ALLOWED = (11, 13, 15)
AUDITORS = 3


class Mode(IntEnum):
    """``TestComputeGate.Mode``."""

    ALLOW_SET = 0
    ALLOW_ALL = 1
    REVERT = 2
    BURN_GAS = 3
    GARBAGE = 4


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain)


@pytest.fixture
def owner(chain: Chain) -> LocalAccount:
    return chain.account(OWNER)


@pytest.fixture
def gate(chain: Chain, owner: LocalAccount) -> Contract:
    return chain.contract("TestComputeGate", chain.deploy("TestComputeGate", sender=owner).address)


def params(gate: str) -> TaskParams:
    return TaskParams(
        "bafy-module",
        b"m" * 32,
        "bafy-input",
        b"i" * 32,
        fuel=FUEL,
        reward=REWARD,
        audit_fee=AUDIT_FEE,
        auditors=AUDITORS,
        theta=THETA,
        gate=gate,
    )


def post_through(chain: Chain, layer: ComputeLayer, gate: Contract, owner: LocalAccount) -> int:
    """Post a task gated by ``gate``, sent by the gate itself; return its id."""
    value = escrow(REWARD, AUDIT_FEE, AUDITORS, layer.params.max_rounds)
    chain.transact(
        gate.functions.post(layer.market.contract.address, params(gate.address).as_tuple()), sender=owner, value=value
    )
    return layer.market.task_count()


def set_mode(chain: Chain, gate: Contract, owner: LocalAccount, mode: Mode) -> None:
    chain.transact(gate.functions.setMode(mode), sender=owner)


def allow(chain: Chain, gate: Contract, owner: LocalAccount, *nodes: str) -> None:
    for node in nodes:
        chain.transact(gate.functions.allow(node, True), sender=owner)


def test_only_the_gate_posts_a_gated_task(
    chain: Chain, layer: ComputeLayer, gate: Contract, owner: LocalAccount
) -> None:
    with reverts("NotGate") as caught:
        layer.market.post(params(gate.address), requester=owner)
    assert caught.value.args_by_name == {"caller": owner.address}
    task_id = post_through(chain, layer, gate, owner)
    task = layer.market.task_of(task_id)
    assert (task.requester, task.gate, task.state) == (gate.address, gate.address, TaskState.OPEN)
    open_task = layer.market.task_of(layer.post(owner, auditors=AUDITORS))
    assert int(open_task.gate, 16) == 0


def test_only_a_node_the_gate_allows_claims(
    chain: Chain, layer: ComputeLayer, gate: Contract, owner: LocalAccount
) -> None:
    refused, allowed = layer.compute_node(1), layer.compute_node(2)
    allow(chain, gate, owner, allowed.address)
    task_id = post_through(chain, layer, gate, owner)
    task = layer.market.task_of(task_id)
    assert not layer.market.may_compute(task, refused.address)
    assert layer.market.may_compute(task, allowed.address)
    with reverts("GateRefused") as caught:
        layer.market.claim(task_id, worker=refused)
    assert caught.value.args_by_name == {"taskId": task_id, "node": refused.address}
    layer.market.claim(task_id, worker=allowed)
    assert layer.market.task_of(task_id).worker == allowed.address


@pytest.mark.parametrize("mode", [Mode.REVERT, Mode.BURN_GAS, Mode.GARBAGE])
def test_a_gate_that_reverts_burns_its_gas_or_answers_garbage_says_no(
    chain: Chain, layer: ComputeLayer, gate: Contract, owner: LocalAccount, mode: Mode
) -> None:
    worker = layer.compute_node(1)
    allow(chain, gate, owner, worker.address)
    task_id = post_through(chain, layer, gate, owner)
    set_mode(chain, gate, owner, mode)
    assert not layer.market.may_compute(layer.market.task_of(task_id), worker.address)
    with reverts("GateRefused"):
        layer.market.claim(task_id, worker=worker)
    set_mode(chain, gate, owner, Mode.ALLOW_ALL)
    layer.market.claim(task_id, worker=worker)
    assert layer.market.task_of(task_id).state is TaskState.CLAIMED


def test_the_draw_takes_only_auditors_the_gate_allows_and_the_task_runs_as_any_other(
    chain: Chain, layer: ComputeLayer, gate: Contract, owner: LocalAccount
) -> None:
    worker = layer.compute_node(1)
    pool = {i: layer.node(i, passed=10) for i in POOL}
    allow(chain, gate, owner, worker.address, *(pool[i].address for i in ALLOWED))
    task_id = post_through(chain, layer, gate, owner)
    drawn = layer.claim_and_draw(task_id, worker)
    assert sorted(drawn) == sorted(pool[i].address for i in ALLOWED)
    accounts = {node.address: node for node in (worker, *pool.values())}
    layer.play_round(task_id, dict.fromkeys((worker.address, *drawn), RIGHT), accounts)
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome, task.result) == (TaskState.ACCEPTED, Outcome.AUDITED, RIGHT)
    assert layer.market.payments(worker.address) == REWARD
    spent = REWARD + AUDIT_FEE * AUDITORS
    assert layer.market.payments(gate.address) == escrow(REWARD, AUDIT_FEE, AUDITORS, layer.params.max_rounds) - spent


@pytest.mark.parametrize("mode", [Mode.ALLOW_SET, Mode.REVERT, Mode.BURN_GAS])
def test_a_gate_that_refuses_the_auditors_after_the_claim_gets_its_task_refunded_at_a_bounded_cost(
    chain: Chain, layer: ComputeLayer, gate: Contract, owner: LocalAccount, mode: Mode
) -> None:
    worker = layer.compute_node(1)
    for i in POOL:
        layer.node(i, passed=10)
    set_mode(chain, gate, owner, Mode.ALLOW_ALL)
    task_id = post_through(chain, layer, gate, owner)
    layer.market.claim(task_id, worker=worker)
    layer.commit(task_id, worker, RIGHT)
    set_mode(chain, gate, owner, mode)
    mine(chain, layer.params.seed_delay + 1)
    receipt = layer.market.draw_auditors(task_id, sender=chain.account(0))
    task = layer.market.task_of(task_id)
    assert (task.state, task.outcome) == (TaskState.REFUNDED, Outcome.NO_AUDITORS)
    full = escrow(REWARD, AUDIT_FEE, AUDITORS, layer.params.max_rounds)
    assert events(layer.market.contract, "TaskRefunded", receipt) == [
        {"taskId": task_id, "reason": reason_bytes("NO_AUDITORS"), "amount": full}
    ]
    gate_gas = layer.market.contract.functions.GATE_GAS().call()
    assert receipt["gasUsed"] < len(POOL) * gate_gas + 250_000
    record = layer.registry.node_of(worker.address)
    assert (record.stake, record.role) == (PARAMS.nodes.min_stake, Role.COMPUTE)
    assert layer.market.payments(gate.address) == full
