"""Compute tasks end to end: real Anvil, real Kubo, real wasmtime, agents driven step by step."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain
from kura.chain.node_registry import Role
from kura.chain.task_market import TaskState
from kura.compute import tasks
from kura.compute.behaviour import Behaviour, Mode
from kura.compute.requester import TaskTerms, fetch_result, submit
from kura.compute.sandbox import Sandbox
from kura.compute.worker import ComputeAgent
from kura.devnet.state import DevnetState
from kura.errors import TaskError
from kura.ipfs.client import KuboClient
from tests.contracts.compute_layer import AUDIT_FEE, REWARD, SLASH_BPS, ComputeLayer
from tests.contracts.trust_layer import MIN_STAKE, PROMOTION_BAR, advance, mine

TEXT = "kura stores and computes.\nHospitals share aggregates, not records.\n".encode() * 20
REQUESTER = 8


@pytest.fixture
def layer(chain: Chain) -> ComputeLayer:
    return ComputeLayer.deploy(chain)


@pytest.fixture
def kubos(devnet: DevnetState) -> Iterator[list[KuboClient]]:
    clients = [KuboClient(node.api_url) for node in devnet.kubo]
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def agent(layer: ComputeLayer, account: LocalAccount, ipfs: KuboClient, *, work: bool = False, audit: bool = True,
          mode: Mode = Mode.HONEST, auto_promote: bool = False) -> ComputeAgent:
    return ComputeAgent(layer.market, layer.registry, ipfs, account, work=work, audit=audit,
                        auto_promote=auto_promote, behaviour=Behaviour(mode))


def join_pool(agents: Sequence[ComputeAgent]) -> None:
    """One step each before any task exists: auditors join the pool, so every one of them can be drawn."""
    for each in agents:
        assert each.step() == ["joined the audit pool"]


def drive(layer: ComputeLayer, agents: Sequence[ComputeAgent], task_id: int, *, limit: int = 12) -> TaskState:
    """Step every agent, then move the chain to the task's next phase, until the task ends."""
    for _ in range(limit):
        for each in agents:
            each.step()
        task = layer.market.task_of(task_id)
        if task.state.ended:
            for each in agents:
                each.step()  # withdraw
            return task.state
        now = int(layer.chain.w3.eth.get_block("latest")["timestamp"])
        if task.state is TaskState.AUDITING:
            deadline = task.commit_deadline if now <= task.commit_deadline else task.reveal_deadline
            advance(layer.chain, max(1, deadline - now + 1))
        else:
            mine(layer.chain)
    raise AssertionError(f"task {task_id} did not end in {limit} phases: {layer.market.task_of(task_id)}")


def post_textstats(layer: ComputeLayer, kubos: list[KuboClient], requester: LocalAccount, *, auditors: int,
                   theta: int = 9 * 10**17) -> int:
    terms = TaskTerms(reward=REWARD, auditors=auditors, audit_fee=AUDIT_FEE, theta=theta, fuel=10**8)
    return submit(layer.market, kubos[0], tasks.load("textstats"), TEXT, terms, requester=requester)


def local_output() -> bytes:
    outcome = Sandbox().run(tasks.load("textstats"), TEXT, fuel=10**8)
    assert outcome.ok
    return outcome.output


def test_an_honest_task_completes_and_its_result_matches_a_local_run(
    chain: Chain, layer: ComputeLayer, kubos: list[KuboClient]
) -> None:
    requester = chain.account(REQUESTER)
    worker = agent(layer, layer.compute_node(1), kubos[1], work=True, audit=False)
    auditors = [agent(layer, layer.node(10 + i, passed=5, pool=False), kubos[2 + i]) for i in range(3)]
    join_pool(auditors)
    task_id = post_textstats(layer, kubos, requester, auditors=3)
    with pytest.raises(TaskError, match="not ACCEPTED"):
        fetch_result(layer.market, kubos[5], task_id)
    before = chain.w3.eth.get_balance(worker.address)

    assert drive(layer, [worker, *auditors], task_id) is TaskState.ACCEPTED

    assert fetch_result(layer.market, kubos[5], task_id) == local_output()
    assert chain.w3.eth.get_balance(worker.address) > before + REWARD * 9 // 10  # paid, minus gas
    assert layer.market.payments(worker.address) == 0  # withdrawn by the agent
    assert [layer.registry.node_of(a.address).passed for a in auditors] == [6, 6, 6]


def test_a_lying_worker_is_caught_slashed_demoted_and_the_requester_gets_the_right_result(
    chain: Chain, layer: ComputeLayer, kubos: list[KuboClient]
) -> None:
    requester = chain.account(REQUESTER)
    liar = agent(layer, layer.compute_node(1), kubos[1], work=True, audit=False, mode=Mode.ALWAYS_WRONG)
    auditors = [agent(layer, layer.node(10 + i, passed=5, pool=False), kubos[2 + i]) for i in range(3)]
    join_pool(auditors)
    task_id = post_textstats(layer, kubos, requester, auditors=3)

    assert drive(layer, [liar, *auditors], task_id) is TaskState.ACCEPTED

    assert fetch_result(layer.market, kubos[0], task_id) == local_output()
    record = layer.registry.node_of(liar.address)
    assert record.role == Role.STRAY and record.stake == MIN_STAKE * (10_000 - SLASH_BPS) // 10_000
    assert layer.market.payments(requester.address) >= REWARD  # the reward came back


def test_colluding_strays_do_not_outvote_fewer_credible_auditors(
    chain: Chain, layer: ComputeLayer, kubos: list[KuboClient]
) -> None:
    requester = chain.account(REQUESTER)
    liar = agent(layer, layer.compute_node(1), kubos[0], work=True, audit=False, mode=Mode.ALWAYS_WRONG)
    honest = [agent(layer, layer.node(10 + i, passed=20, pool=False), kubos[1 + i]) for i in range(2)]
    strays = [agent(layer, layer.node(12 + i, pool=False), kubos[3 + i], mode=Mode.ALWAYS_WRONG) for i in range(3)]
    join_pool([*honest, *strays])
    task_id = post_textstats(layer, kubos, requester, auditors=5, theta=99 * 10**16)

    assert drive(layer, [liar, *honest, *strays], task_id) is TaskState.ACCEPTED

    assert fetch_result(layer.market, kubos[0], task_id) == local_output()
    assert layer.registry.node_of(liar.address).role == Role.STRAY
    assert [layer.registry.node_of(s.address).passed for s in strays] == [0, 0, 0]


def test_behave_then_cheat_is_caught_and_loses_more_than_it_earned(
    chain: Chain, layer: ComputeLayer, kubos: list[KuboClient]
) -> None:
    requester = chain.account(REQUESTER)
    honest_worker = agent(layer, layer.compute_node(1), kubos[0], work=True, audit=False)
    attacker_account = layer.node(20, pool=False)
    attacker = agent(layer, attacker_account, kubos[1], work=True, audit=True, auto_promote=True,
                     mode=Mode.CHEAT_WHEN_PROMOTED)
    helpers = [agent(layer, layer.node(21 + i, passed=10, pool=False), kubos[2 + i]) for i in range(2)]
    start = chain.w3.eth.get_balance(attacker.address) + MIN_STAKE
    join_pool([attacker, *helpers])
    for _ in range(PROMOTION_BAR):
        task_id = post_textstats(layer, kubos, requester, auditors=3)
        assert drive(layer, [honest_worker, attacker, *helpers], task_id) is TaskState.ACCEPTED
    earned = PROMOTION_BAR * AUDIT_FEE

    attacker.step()  # auto-promotion
    assert layer.registry.node_of(attacker.address).role == Role.COMPUTE
    task_id = post_textstats(layer, kubos, requester, auditors=2)
    assert drive(layer, [attacker, *helpers], task_id) is TaskState.ACCEPTED

    record = layer.registry.node_of(attacker.address)
    assert layer.market.task_of(task_id).worker == attacker.address
    assert record.role == Role.STRAY
    lost = MIN_STAKE - record.stake
    assert lost > earned
    assert chain.w3.eth.get_balance(attacker.address) + record.stake < start
    assert fetch_result(layer.market, kubos[4], task_id) == local_output()
