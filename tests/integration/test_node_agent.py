"""Node agents against real audits: honest nodes always pass, cheating answers are slashed."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.contracts import Contracts
from kura.chain.storage_audits import ChallengeStatus
from kura.config import resolve_network
from kura.crypto.merkle import CHUNK_SIZE, merkle_proof
from kura.crypto.share import HEADER_SIZE
from kura.devnet.processes import wait_until
from kura.devnet.state import DevnetState
from kura.storage.node.agent import StorageNodeAgent
from kura.storage.shared.sharetable import ShareTable
from tests.integration.storage_network import STAKE, Network, network, wait_blocks


@pytest.fixture
def net(chain: Chain, devnet: DevnetState) -> Network:
    return network(chain, devnet)


def challenge(net: Network, table: ShareTable, index: int) -> int:
    entry = table.entry(index)
    receipt = net.audits.challenge(
        table.file_id,
        index,
        entry.operator,
        entry.chunk_count,
        entry.merkle_root,
        table.leaf_proof(index),
        challenger=net.chain.account(5),
        bond=net.audits.params().challenge_bond,
    )
    return net.audits.challenge_id(receipt)


def test_honest_nodes_answer_every_challenge_while_nobody_mines(net: Network, tmp_path: Path) -> None:
    _, _, table = net.store(tmp_path, 3, 5, 90_000)
    rng = random.Random(7)
    results: dict[int, bool] = {}

    def answered(opened: int) -> bool:
        for agent in net.agents.values():
            results.update(agent.step().answered)
        return net.audits.challenge_of(opened).status is not ChallengeStatus.OPEN

    for _ in range(12):
        opened = challenge(net, table, rng.randrange(table.n))
        wait_until(partial(answered, opened), timeout=30, what=f"waiting for challenge {opened} to be answered")
        assert net.audits.challenge_of(opened).status is ChallengeStatus.PASSED
    assert len(results) == 12 and all(results.values())
    for entry in table.shares:
        record = net.registry.node_of(entry.operator)
        assert record.stake == STAKE and record.failures == 0


def test_agent_remembers_challenges_across_a_restart_and_waits_for_the_seed(net: Network, tmp_path: Path) -> None:
    _, _, table = net.store(tmp_path, 2, 3, 20_000)
    entry = table.entry(0)
    agent = net.agents[entry.operator]
    opened = challenge(net, table, 0)
    assert agent.step().waiting == [opened]  # the seed block is not mined yet
    agent.kubo = type(agent.kubo)("http://127.0.0.1:9", timeout=1.0)  # its Kubo is down
    wait_blocks(net.chain, 3)
    assert agent.step().missing == [opened]
    agent.kubo = agent.peer.kubo  # Kubo is back
    assert agent.step().answered == {opened: True}


def test_a_node_that_lost_a_share_says_so_once(net: Network, tmp_path: Path) -> None:
    _, _, table = net.store(tmp_path, 2, 3, 20_000)
    entry = table.entry(1)
    net.wipe(entry.operator, entry.cid)
    usual = net.agents[entry.operator]
    lines: list[str] = []
    agent = StorageNodeAgent(net.contracts, usual.operator, usual.kubo_api, log=lines.append)
    opened = challenge(net, table, 1)
    wait_blocks(net.chain, 3)
    for _ in range(4):
        assert agent.step().missing == [opened]
    [said] = [line for line in lines if "not available" in line]
    assert f"challenge {opened}: share 1 of" in said


def _cheat(net: Network, table: ShareTable, index: int, answer: Callable[[int], tuple[bytes, list[bytes]]]) -> bool:
    """Open a challenge, then answer it for the chunk index the chain drew, with ``answer``'s data."""
    opened = challenge(net, table, index)
    wait_blocks(net.chain, 3)
    chunk, proof = answer(net.audits.chunk_index_of(opened))
    node = net.agents[table.entry(index).operator].operator
    return net.audits.passed(net.audits.respond(opened, chunk, proof, node=node))


def _chunk(data: bytes, i: int) -> tuple[bytes, list[bytes]]:
    return data[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE], merkle_proof(data, i)


@pytest.mark.parametrize("attack", ["other_file", "stale_chunk", "forged_proof"])
def test_cheating_answers_are_slashed(net: Network, tmp_path: Path, attack: str) -> None:
    _, _, table = net.store(tmp_path, 2, 3, 40_000)
    _, _, other = net.store(tmp_path, 2, 3, 40_000)
    entry = table.entry(0)
    share = net.agents[entry.operator].kubo.cat(entry.cid)
    foreign = other.entry(0)
    foreign_share = net.agents[foreign.operator].kubo.cat(foreign.cid)
    stale = bytearray(share)
    for i in range(HEADER_SIZE, len(stale), CHUNK_SIZE):
        stale[i] ^= 1  # an older copy: every chunk differs from the committed one
    answers: dict[str, Callable[[int], tuple[bytes, list[bytes]]]] = {
        "other_file": lambda i: _chunk(foreign_share, i),
        "stale_chunk": lambda i: _chunk(bytes(stale), i),
        "forged_proof": lambda i: (_chunk(share, i)[0], [bytes(32)] * len(_chunk(share, i)[1])),
    }
    assert not _cheat(net, table, 0, answers[attack])
    record = net.registry.node_of(entry.operator)
    assert record.stake == STAKE - STAKE // 10 and record.failures == 1
    assert net.audits.is_share_lost(table.file_id, 0, entry.operator)


def test_agent_rides_out_an_rpc_outage_shorter_than_the_deadline(
    net: Network, devnet: DevnetState, tmp_path: Path
) -> None:
    _, _, table = net.store(tmp_path, 2, 3, 20_000)
    entry = table.entry(1)
    impatient = Chain.connect(resolve_network("devnet"), timeout=2)
    lines: list[str] = []
    usual = net.agents[entry.operator]
    agent = StorageNodeAgent(Contracts(impatient, net.deployment), usual.operator, usual.kubo_api, log=lines.append)
    opened = challenge(net, table, 1)
    stop = threading.Event()
    worker = threading.Thread(target=agent.run, args=(stop,), kwargs={"interval": 0.2, "max_backoff": 1.0})
    anvil = devnet.chain.process.pid
    os.kill(anvil, signal.SIGSTOP)
    try:
        worker.start()
        time.sleep(5)
        during_outage = list(lines)
    finally:
        os.kill(anvil, signal.SIGCONT)
    try:
        wait_until(
            lambda: net.audits.challenge_of(opened).status is not ChallengeStatus.OPEN,
            timeout=60,
            what="waiting for the agent to answer after the outage",
        )
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not any("answered" in line for line in during_outage)  # the chain was unreachable meanwhile
    assert net.audits.challenge_of(opened).status is ChallengeStatus.PASSED
    assert any("answered" in line for line in lines)
    assert net.registry.node_of(entry.operator).failures == 0
