"""Compute tasks end to end: real Anvil, real Kubo, real wasmtime, agents driven step by step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.node_registry import NodeRegistryClient, Role
from kura.chain.params import SampledAuditsParams
from kura.chain.task_market import Outcome, TaskMarketClient, TaskState
from kura.compute import tasks
from kura.compute.agent import ComputeNodeAgent
from kura.compute.behaviour import Behaviour, Mode
from kura.compute.requester import TaskTerms, fetch_result, output_commitment, submit
from kura.compute.sandbox import Sandbox
from kura.compute.sealing import open_output
from kura.devnet.state import DevnetState
from kura.errors import DecryptionError, TaskError
from kura.ipfs.client import KuboClient
from kura.units import WAD
from tests.contracts.compute_layer import AUDIT_FEE, REWARD, ComputeLayer
from tests.contracts.trust_layer import PARAMS, advance
from tests.integration.storage_network import wait_blocks

TEXT = b"kura stores and computes.\nHospitals share aggregates, not records.\n" * 20
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


def agent(
    layer: ComputeLayer,
    account: LocalAccount,
    ipfs: KuboClient,
    *,
    work: bool = False,
    audit: bool = True,
    mode: Mode = Mode.HONEST,
    auto_promote: bool = False,
    after: int = 0,
) -> ComputeNodeAgent:
    return ComputeNodeAgent(
        layer.market,
        layer.registry,
        ipfs,
        account,
        work=work,
        audit=audit,
        auto_promote=auto_promote,
        behaviour=Behaviour(mode, after=after),
        sampler=layer.sampler,
    )


def join_pool(agents: Sequence[ComputeNodeAgent]) -> None:
    """One step each before any task exists: auditors join the pool, so every one of them can be drawn."""
    for each in agents:
        assert each.step() == ["joined the audit pool"]


def drive(layer: ComputeLayer, agents: Sequence[ComputeNodeAgent], task_id: int, *, limit: int = 12) -> TaskState:
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
            wait_blocks(layer.chain, 1)  # the chain draws the auditors from a later block, made on its own
    raise AssertionError(f"task {task_id} did not end in {limit} phases: {layer.market.task_of(task_id)}")


def post_textstats(
    layer: ComputeLayer,
    kubos: list[KuboClient],
    requester: LocalAccount,
    *,
    auditors: int,
    theta: int = 9 * 10**17,
    confidential: bool = False,
) -> int:
    terms = TaskTerms(
        reward=REWARD, auditors=auditors, audit_fee=AUDIT_FEE, theta=theta, fuel=10**8, confidential=confidential
    )
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


class TamperingKubo(KuboClient):
    """A real Kubo client that flips one bit of what it fetches for the CIDs in ``tampered``."""

    def __init__(self, url: str, tampered: set[str]) -> None:
        super().__init__(url)
        self.tampered = tampered

    def cat(self, cid: str, *, timeout: float | None = None) -> bytes:
        data = bytearray(super().cat(cid, timeout=timeout))
        if cid in self.tampered:
            data[len(data) // 2] ^= 0x01
        return bytes(data)


def test_a_confidential_task_completes_with_its_output_sealed_to_the_requester_on_ipfs(
    chain: Chain, layer: ComputeLayer, kubos: list[KuboClient], devnet: DevnetState
) -> None:
    requester, other = chain.account(REQUESTER), chain.account(REQUESTER + 1)
    worker = agent(layer, layer.compute_node(1), kubos[1], work=True, audit=False)
    auditors = [agent(layer, layer.node(10 + i, passed=5, pool=False), kubos[2 + i]) for i in range(3)]
    join_pool(auditors)
    task_id = post_textstats(layer, kubos, requester, auditors=3, confidential=True)
    assert layer.market.task_of(task_id).confidential

    assert drive(layer, [worker, *auditors], task_id) is TaskState.ACCEPTED

    plaintext = local_output()
    task = layer.market.task_of(task_id)
    cids = [r.output_cid for r in layer.market.reveals(task)]
    assert len(set(cids)) == 4  # one fresh ephemeral key per node: four different ciphertexts
    market = layer.market.contract.address
    for cid in cids:
        sealed = kubos[5].cat(cid)
        assert sealed != plaintext and plaintext not in sealed and plaintext[:16] not in sealed
        assert open_output(requester.key, sealed, market=market, task_id=task_id) == plaintext
        with pytest.raises(DecryptionError):
            open_output(other.key, sealed, market=market, task_id=task_id)
    assert fetch_result(layer.market, kubos[5], task_id, requester=requester) == plaintext
    assert task.result == output_commitment(plaintext)  # nodes committed to the plaintext outcome
    for wrong in (other, None):
        with pytest.raises(DecryptionError, match=f"sealed to its requester {requester.address}"):
            fetch_result(layer.market, kubos[5], task_id, requester=wrong)

    with TamperingKubo(devnet.kubo[5].api_url, set(cids[:3])) as partly:
        assert fetch_result(layer.market, partly, task_id, requester=requester) == plaintext
    with TamperingKubo(devnet.kubo[5].api_url, set(cids)) as wholly, pytest.raises(TaskError, match="4 were altered"):
        fetch_result(layer.market, wholly, task_id, requester=requester)


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
    kept = PARAMS.nodes.min_stake * (10_000 - PARAMS.tasks.slash_bps) // 10_000
    assert record.role == Role.STRAY and record.stake == kept
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
    attacker = agent(
        layer, attacker_account, kubos[1], work=True, audit=True, auto_promote=True, mode=Mode.CHEAT_WHEN_PROMOTED
    )
    helpers = [agent(layer, layer.node(21 + i, passed=10, pool=False), kubos[2 + i]) for i in range(2)]
    start = chain.w3.eth.get_balance(attacker.address) + PARAMS.nodes.min_stake
    join_pool([attacker, *helpers])
    for _ in range(PARAMS.nodes.promotion_bar):
        task_id = post_textstats(layer, kubos, requester, auditors=3)
        assert drive(layer, [honest_worker, attacker, *helpers], task_id) is TaskState.ACCEPTED
    earned = PARAMS.nodes.promotion_bar * AUDIT_FEE

    attacker.step()  # auto-promotion
    assert layer.registry.node_of(attacker.address).role == Role.COMPUTE
    task_id = post_textstats(layer, kubos, requester, auditors=2)
    assert drive(layer, [attacker, *helpers], task_id) is TaskState.ACCEPTED

    record = layer.registry.node_of(attacker.address)
    assert layer.market.task_of(task_id).worker == attacker.address
    assert (record.role, record.passed) == (Role.STRAY, 0)
    lost = PARAMS.nodes.min_stake - record.stake
    assert lost > earned
    assert chain.w3.eth.get_balance(attacker.address) + record.stake < start
    assert fetch_result(layer.market, kubos[4], task_id) == local_output()


SAMPLED = SampledAuditsParams(q_min=WAD // 4, full_record=2, half_life=1, window=50, hold_time=3600, clean_run=2)
"""A sampling market small enough to watch: every task audited below a record of 2, then 1/2, then 1/4 at most."""


def test_a_behave_then_cheat_worker_is_caught_by_a_sampled_audit_and_ends_with_a_net_loss(
    chain: Chain, kubos: list[KuboClient]
) -> None:
    layer = ComputeLayer.deploy(chain, sampling=SAMPLED)
    requester = chain.account(REQUESTER)
    cheat = agent(layer, layer.compute_node(1), kubos[0], work=True, audit=False, mode=Mode.BEHAVE_THEN_CHEAT, after=4)
    auditors = [agent(layer, layer.node(10 + i, passed=5, pool=False), kubos[1 + i]) for i in range(3)]
    everyone = [cheat, *auditors]
    join_pool(auditors)
    stake = layer.registry.node_of(cheat.address).stake
    start = chain.w3.eth.get_balance(cheat.address) + stake
    worked: list[int] = []
    for _ in range(40):  # each cheat is audited with probability >= 1/4: 40 in a row go unseen once in 10^5
        worked.append(post_textstats(layer, kubos, requester, auditors=3))
        drive(layer, everyone, worked[-1])
        if layer.registry.node_of(cheat.address).role != Role.COMPUTE:
            break
    else:
        raise AssertionError("the cheating worker was never caught")
    unaudited = [t for t in worked if layer.market.task_of(t).outcome == Outcome.SAMPLED]
    assert len(worked) > 4 and layer.registry.node_of(cheat.address).stake == 0  # caught while cheating: all of it

    for _ in range(20):  # the auditors start the re-audits of its held results and run them
        for each in everyone:
            each.step()
        reopened = layer.sampler.reaudits_started(layer.sampler.first_block, chain.w3.eth.block_number)
        for task_id in reopened:
            if not layer.market.task_of(task_id).state.ended:
                drive(layer, everyone, task_id)
        if not layer.sampler.ledger_of(cheat.address).caught:
            break
    else:
        raise AssertionError(f"the re-audits never ended: {layer.sampler.ledger_of(cheat.address)}")

    right = output_commitment(local_output())
    assert [layer.market.task_of(t).result for t in worked] == [right] * len(worked)
    reaudited = [t for t in unaudited if layer.market.task_of(t).outcome == Outcome.REAUDITED]
    cheats_held = [t for t in unaudited if worked.index(t) >= 4]
    assert set(cheats_held) <= set(reaudited)  # every wrong result it slipped through was audited again and fixed
    assert layer.sampler.payments(requester.address) == REWARD * len(unaudited)  # every held reward forfeited
    for each in everyone:
        each.step()  # withdraw
    assert chain.w3.eth.get_balance(cheat.address) + layer.sampler.payments(cheat.address) < start - stake // 2


# ---------------------------------------------------------------- the command line, on the deployed contracts


def kura(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "200"},
    )


def kura_json(*args: str) -> Any:
    done = kura(*args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def one_line_error(done: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], done.stderr


def test_cli_submit_work_audit_status_result_and_promote(
    chain: Chain, deployment: Deployment, kubos: list[KuboClient], tmp_path: Path
) -> None:
    owner = chain.account(0)
    market, registry = TaskMarketClient(chain, deployment), NodeRegistryClient(chain, deployment)
    registry.set_judge(owner.address, True, owner=owner)
    worker, auditors, requester = 25, (26, 27, 28), 29
    registry.register(
        "peer-cli-worker", "http://127.0.0.1/cli", node=chain.account(worker), stake=PARAMS.nodes.min_stake
    )
    for _ in range(registry.params().promotion_bar):
        registry.record_spot_check(chain.account(worker).address, True, judge=owner)
    promoted = kura_json("node", "promote", "--account", str(worker))
    assert promoted["role"] == "COMPUTE" and promoted["node"] == chain.account(worker).address
    one_line_error(kura("node", "promote", "--account", str(worker)), "NotPromotable")

    agents = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kura",
                "compute",
                "run",
                "--no-audit",
                "--account",
                str(worker),
                "--interval",
                "0.2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    ]
    agents += [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kura",
                "compute",
                "run",
                "--no-work",
                "--account",
                str(a),
                "--stake",
                "1",
                "--interval",
                "0.2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in auditors
    ]
    try:
        wait_for(lambda: len(market.audit_pool()) >= 3, "auditors joining the pool")
        (tmp_path / "input.txt").write_bytes(TEXT)
        submit_args = (
            "task",
            "submit",
            "textstats",
            str(tmp_path / "input.txt"),
            "--reward",
            "0.01",
            "--auditors",
            "3",
            "--audit-fee",
            "0.001",
            "--theta",
            "0.9",
            "--fuel",
            str(10**8),
            "--account",
            str(requester),
        )
        posted = kura_json(*submit_args)
        task_id = posted["task_id"]
        assert posted["reward"] == 10**16 and posted["auditors"] == 3  # the worker may have claimed it already
        assert posted["confidential"] is False
        wait_for(lambda: phase(chain, market, task_id), "the task to be accepted", timeout=120)
        sealed = kura_json(*submit_args, "--confidential")
        assert sealed["confidential"] is True
        wait_for(lambda: phase(chain, market, sealed["task_id"]), "the confidential task to be accepted", timeout=120)
    finally:
        for process in agents:
            process.terminate()
            process.wait(timeout=30)
    status = kura_json("task", "status", str(task_id))
    assert status["state"] == "ACCEPTED" and status["worker"] == chain.account(worker).address
    assert len(status["reveals"]) == 4
    done = kura("task", "result", str(task_id), "-o", str(tmp_path / "out.json"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").read_bytes() == local_output()
    sealed_id = str(sealed["task_id"])
    fetched = kura_json("task", "result", sealed_id, "-o", str(tmp_path / "sealed.json"), "--account", str(requester))
    assert fetched["size"] == len(local_output()) and (tmp_path / "sealed.json").read_bytes() == local_output()
    reveals = kura_json("task", "status", sealed_id)["reveals"]
    assert len(reveals) == 4 and all(local_output() not in kubos[0].cat(r["output_cid"]) for r in reveals)
    one_line_error(kura("task", "result", sealed_id, "-o", str(tmp_path / "x")), "sealed to its requester")
    one_line_error(kura("task", "result", "999999", "-o", str(tmp_path / "x")), "UnknownTask")
    one_line_error(
        kura("task", "submit", "no-such-task", str(tmp_path / "input.txt"), "--reward", "1"),
        "neither a file nor a shipped task",
    )
    one_line_error(
        kura("task", "submit", "textstats", str(tmp_path / "input.txt"), "--reward", "lots"), "is not a number"
    )


def wait_for(ready: Callable[[], bool], what: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def phase(chain: Chain, market: TaskMarketClient, task_id: int) -> bool:
    """Jump the chain clock past the commit deadline once everyone committed (the draw needs no help: the
    chain makes the block it waits for on its own); True once the task is accepted."""
    task = market.task_of(task_id)
    assert task.state in (
        TaskState.OPEN,
        TaskState.CLAIMED,
        TaskState.DRAWING,
        TaskState.AUDITING,
        TaskState.ACCEPTED,
    ), task
    if task.state is TaskState.AUDITING:
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        everyone = [task.worker, *market.auditors_of(task_id)]
        if now <= task.commit_deadline and all(market.entry_of(task_id, n).committed for n in everyone):
            advance(chain, task.commit_deadline - now + 1)
    return task.state is TaskState.ACCEPTED
