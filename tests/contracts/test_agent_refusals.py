"""The compute agent's refusals on the real market (Anvil): a node too slow for the market's deadlines stays out of
the audit pool, a worker does not claim a task it could not finish in its window (attack 1 of issue 14: a griefer's
huge task is left unclaimed, so nobody runs it and nobody is slashed) nor one the audit pool could not audit yet, and a
gated task is claimed only by a node its gate allows. None of these paths touches IPFS: the agent decides before
fetching anything."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from kura.chain.client import Chain
from kura.chain.params import SampledAuditsParams
from kura.chain.task_market import TaskParams, TaskState, escrow
from kura.compute.agent import COMMIT_MARGIN, ComputeNodeAgent
from kura.ipfs.client import KuboClient
from kura.units import format_units
from tests.contracts.compute_layer import AUDIT_FEE, FUEL, REWARD, THETA, ComputeLayer
from tests.contracts.trust_layer import PARAMS

UNUSED_IPFS = KuboClient("http://127.0.0.1:9")
"""Never called on these paths (port 9 is discard: a call would fail loudly)."""
ASSUMED = PARAMS.tasks.fuel_rate


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain)


def agent(
    layer: ComputeLayer, account: LocalAccount, *, speed: float, work: bool = False, audit: bool = False
) -> ComputeNodeAgent:
    return ComputeNodeAgent(layer.market, layer.registry, UNUSED_IPFS, account, work=work, audit=audit, speed=speed)


def pool(layer: ComputeLayer, size: int = 3) -> None:
    """Seat ``size`` auditors in the audit pool."""
    for i in range(10, 10 + size):
        layer.node(i)


def test_a_worker_waits_to_claim_until_the_pool_can_audit_the_task(chain: Chain, layer: ComputeLayer) -> None:
    worker = layer.compute_node(1)
    task_id = layer.post(chain.account(8), auditors=3)
    pool(layer, 2)
    worker_agent = agent(layer, worker, speed=ASSUMED, work=True)
    assert f"waiting to claim task {task_id}: the audit pool holds 2 of the 3 auditors" in " ".join(worker_agent.step())
    assert layer.market.task_of(task_id).state is TaskState.OPEN
    layer.node(12)
    assert f"claimed task {task_id}" in worker_agent.step()


def test_a_node_slower_than_the_market_assumes_stays_out_of_the_audit_pool(layer: ComputeLayer) -> None:
    slow, fast = layer.node(10, pool=False), layer.node(11, pool=False)
    slow_agent = agent(layer, slow, speed=ASSUMED / 2, audit=True)
    told = slow_agent.step()
    assert any(line.startswith("not joining the audit pool") for line in told)
    assert "not joining" not in " ".join(slow_agent.step())  # told once
    assert "joined the audit pool" in agent(layer, fast, speed=ASSUMED, audit=True).step()
    assert layer.market.audit_pool() == [fast.address]


def test_a_worker_refuses_a_task_it_cannot_finish_in_its_window_and_claims_one_it_can(
    chain: Chain, layer: ComputeLayer
) -> None:
    requester = chain.account(8)
    fuel = PARAMS.tasks.max_fuel
    paid = layer.params.min_payment(fuel)
    task_id = layer.post(requester, auditors=3, reward=paid, audit_fee=paid, fuel=fuel)
    window = layer.market.fuel_window(fuel)
    worker = layer.compute_node(1)
    pool(layer)
    just_too_slow = fuel / (window - COMMIT_MARGIN) * 0.99
    told = agent(layer, worker, speed=just_too_slow, work=True).step()
    assert [line for line in told if line.startswith(f"refused task {task_id}")]
    assert layer.market.task_of(task_id).state is TaskState.OPEN
    assert f"claimed task {task_id}" in agent(layer, worker, speed=ASSUMED, work=True).step()
    assert layer.market.task_of(task_id).worker == worker.address


def test_a_worker_claims_a_gated_task_only_when_its_gate_allows_it(chain: Chain, layer: ComputeLayer) -> None:
    owner = chain.account(8)
    gate: Contract = chain.contract("TestComputeGate", chain.deploy("TestComputeGate", sender=owner).address)
    refused, allowed = layer.compute_node(1), layer.compute_node(2)
    pool(layer)
    chain.transact(gate.functions.allow(allowed.address, True), sender=owner)
    params = TaskParams(
        "bafy-module",
        b"m" * 32,
        "bafy-input",
        b"i" * 32,
        fuel=FUEL,
        reward=REWARD,
        audit_fee=AUDIT_FEE,
        auditors=3,
        theta=THETA,
        gate=gate.address,
    )
    chain.transact(
        gate.functions.post(layer.market.contract.address, params.as_tuple()),
        sender=owner,
        value=escrow(REWARD, AUDIT_FEE, 3, layer.params.max_rounds),
    )
    task_id = layer.market.task_count()
    assert not [line for line in agent(layer, refused, speed=ASSUMED, work=True).step() if "task" in line]
    assert layer.market.task_of(task_id).state is TaskState.OPEN
    assert f"claimed task {task_id}" in agent(layer, allowed, speed=ASSUMED, work=True).step()


def test_in_a_sampling_market_a_worker_refuses_a_task_its_stake_does_not_cover(chain: Chain) -> None:
    """A claim needs a stake above ``reward × (1 − qMin)/qMin`` (``StakeTooLowForReward``): the agent says so and
    leaves the task open instead of sending a claim that reverts, and claims the task once a top-up covers it."""
    sampling = SampledAuditsParams.sampled()
    layer = ComputeLayer.deploy(chain, sampling=sampling)
    requester = chain.account(8)
    reward = PARAMS.nodes.min_stake // 100  # needs 1.27 stakes at 1/128
    task_id = layer.post(requester, auditors=3, reward=reward)
    worker = layer.compute_node(1)
    pool(layer)
    worker_agent = ComputeNodeAgent(
        layer.market, layer.registry, UNUSED_IPFS, worker, work=True, speed=ASSUMED, sampler=layer.sampler
    )
    told = " ".join(worker_agent.step())
    minimum = sampling.min_stake(reward)
    assert f"refused task {task_id}: its reward 0.01 ETH needs a stake of at least {format_units(minimum)} ETH" in told
    assert layer.market.task_of(task_id).state is TaskState.OPEN
    layer.registry.top_up(node=worker, amount=minimum - PARAMS.nodes.min_stake)
    assert f"claimed task {task_id}" in worker_agent.step()
