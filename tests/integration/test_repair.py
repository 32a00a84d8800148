"""The self-healing network end to end: audits answered by node agents, slashing, MSR repair, mass loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from kura.chain.client import Chain
from kura.chain.storage_audits import ChallengeStatus
from kura.codes.msr import ProductMatrixMSR
from kura.codes.params import CodeParams, Scheme
from kura.crypto.share import HEADER_SIZE
from kura.devnet.state import DevnetState
from kura.storage.shared.repair_plan import RepairPath
from kura.storage.shared.sharetable import ShareTable
from tests.integration.storage_network import STAKE, WINDOW, Network, advance, network, register_repairer, wait_blocks

REPAIRER = 25


@pytest.fixture
def net(chain: Chain, devnet: DevnetState) -> Network:
    return network(chain, devnet)


def read_back(net: Network, file_id: bytes, folder: Path) -> bytes:
    target = folder / "back"
    net.client().get(file_id, target)
    return target.read_bytes()


def test_deleted_share_fails_audit_is_slashed_and_repaired_with_msr_traffic(net: Network, tmp_path: Path) -> None:
    k, n = 3, 5
    file_id, data, table = net.store(tmp_path, k, n, 300_000)
    assert len({entry.operator for entry in table.shares}) == n
    assert set(net.agents) >= {entry.operator for entry in table.shares}
    victim = table.entry(1)
    net.wipe(victim.operator, victim.cid)
    repairer = net.repairer(register_repairer(net, REPAIRER), min_healthy=n)

    first = repairer.step()
    assert len(first.challenged) == 1 and not first.repaired
    wait_blocks(net.chain, 3)
    net.step_agents()
    assert net.agents[victim.operator].state.pending  # it cannot answer: the share is gone
    advance(net.chain, WINDOW + 1)
    second = repairer.step()

    assert second.judged == first.challenged
    assert net.audits.challenge_of(first.challenged[0]).status is ChallengeStatus.FAILED
    assert net.audits.is_share_lost(file_id, 1, victim.operator)
    assert net.registry.node_of(victim.operator).stake == STAKE - STAKE * 1_000 // 10_000
    [outcome] = second.repaired
    assert (outcome.index, outcome.old_node, outcome.path) == (1, victim.operator, RepairPath.MSR)
    assert outcome.new_node not in {entry.operator for entry in table.shares}
    assert outcome.paid > 0 and outcome.gas < 150_000
    body = victim.size - HEADER_SIZE
    params = CodeParams(Scheme.MSR, k, n)
    assert len(outcome.helpers) == params.d
    assert outcome.payload_bytes == params.d * body // params.alpha  # d·beta per stripe
    assert outcome.payload_bytes < k * body  # naive repair downloads k bodies
    assert read_back(net, file_id, tmp_path) == data
    assert repairer.step().repaired == []  # healthy again: nothing to do


def test_repaired_share_is_audited_and_passes(net: Network, tmp_path: Path) -> None:
    file_id, _, table = net.store(tmp_path, 2, 4, 50_000)
    gone = table.entry(0)
    net.registry.announce_exit(node=net.agents[gone.operator].operator)
    repairer = net.repairer(register_repairer(net, REPAIRER), min_healthy=4)
    [outcome] = repairer.step().repaired
    new = net.agents[outcome.new_node]
    fresh = repairer.step()
    assert not fresh.repaired
    updated = net.client().manifest(file_id)[1].share(0)
    challenge = net.audits.challenge_id(
        net.audits.challenge(
            file_id,
            0,
            new.address,
            updated.chunk_count,
            updated.merkle_root,
            _table_proof(net, file_id),
            challenger=net.chain.account(5),
            bond=net.audits.params().challenge_bond,
        )
    )
    wait_blocks(net.chain, 3)
    report = new.step()
    assert report.answered == {challenge: True}, report


def _table_proof(net: Network, file_id: bytes) -> list[bytes]:
    from kura.storage.shared.sharetable import ShareTable

    _, manifest = net.client().manifest(file_id)
    return ShareTable.of_manifest(manifest).leaf_proof(0)


@pytest.mark.parametrize(("k", "n", "paths"), [(2, 4, {RepairPath.MSR}), (3, 5, {RepairPath.REENCODE, RepairPath.MSR})])
def test_losing_n_minus_k_nodes_heals_without_humans(
    net: Network, tmp_path: Path, k: int, n: int, paths: set[RepairPath]
) -> None:
    file_id, data, table = net.store(tmp_path, k, n, 120_000)
    dead = [table.entry(i) for i in range(n - k)]
    for entry in dead:
        net.registry.announce_exit(node=net.agents[entry.operator].operator)
        net.wipe(entry.operator, entry.cid)
        del net.agents[entry.operator]
    spare_kubos = len(net.devnet.kubo) - k
    if spare_kubos < n - k + (n - k):  # not enough untouched nodes: a replacement machine joins
        kubo = next(i for i, node in enumerate(net.devnet.kubo) if node.api_url == dead[0].api_url)
        net.join(26, kubo)
    repairer = net.repairer(register_repairer(net, REPAIRER))

    report = repairer.step()

    assert sorted(outcome.index for outcome in report.repaired) == list(range(n - k))
    assert {outcome.path for outcome in report.repaired} == paths
    assert repairer.lost(_current_table(net, file_id)) == []
    assert read_back(net, file_id, tmp_path) == data


def _current_table(net: Network, file_id: bytes) -> ShareTable:
    return ShareTable.of_manifest(net.client().manifest(file_id)[1])


def test_msr_repair_traffic_is_two_over_k_of_the_file() -> None:
    code = ProductMatrixMSR(3, 5)
    assert CodeParams(Scheme.MSR, 3, 5).repair_fraction == pytest.approx(2 / 3)
    assert code.params.d * code.params.beta < code.params.k * code.params.alpha
