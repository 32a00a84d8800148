"""Repair across processes: node agents serve their duties over HTTP, a repairer holding no node key rebuilds."""

from __future__ import annotations

from pathlib import Path

from kura.codes.params import CodeParams, Scheme
from kura.crypto.share import HEADER_SIZE
from kura.storage.repairer.agent import RepairAgent
from kura.storage.shared.remote import RemotePeer, registry_peers
from kura.storage.shared.repair_plan import RepairPath
from kura.storage.shared.sharetable import ShareTable
from tests.integration.storage_network import Network, register_repairer

REPAIRER = 25


def remote_repairer(net: Network, table: ShareTable) -> tuple[RepairAgent, dict[str, RemotePeer]]:
    """A repairer reaching nodes only through the registry's HTTP services; it repairs any loss of ``table``."""
    peers = registry_peers(net.contracts, timeout=5.0)
    repairer = RepairAgent(
        net.contracts,
        register_repairer(net, REPAIRER),
        net.client().pool,
        peers,
        min_healthy=table.n,
        log=lambda _: None,
    )
    return repairer, peers


def lose(net: Network, table: ShareTable, index: int) -> str:
    """The holder of share ``index`` exits (its share counts as lost at once)."""
    operator = table.entry(index).operator
    net.registry.announce_exit(node=net.agents[operator].operator)
    return operator


def test_lost_share_is_rebuilt_over_http_with_msr_traffic(net: Network, tmp_path: Path) -> None:
    k, n = 3, 5
    file_id, data, table = net.store(tmp_path, k, n, 200_000)
    lose(net, table, 1)
    repairer, peers = remote_repairer(net, table)
    assert set(peers) == set(net.agents) - {table.entry(1).operator}
    assert all(isinstance(peer, RemotePeer) for peer in repairer.peers.values())

    [outcome] = repairer.step().repaired

    params = CodeParams(Scheme.MSR, k, n)
    body = table.entry(1).size - HEADER_SIZE
    assert outcome.path is RepairPath.MSR and len(outcome.helpers) == params.d
    assert outcome.payload_bytes == params.d * body // params.alpha  # d·beta per stripe, carried over HTTP
    assert sum(net.servers[op].traffic().get("symbols", {}).get("sent", 0) for op in net.servers) < k * body
    target = tmp_path / "back"
    net.client().get(file_id, target)
    assert target.read_bytes() == data
    assert repairer.step().repaired == []


def test_a_down_helper_counts_as_missing_and_repair_falls_back(net: Network, tmp_path: Path) -> None:
    file_id, data, table = net.store(tmp_path, 3, 5, 60_000)
    lose(net, table, 0)
    down = table.entry(2).operator
    net.servers[down].close()  # its agent process died; its Kubo still holds the share
    repairer, _ = remote_repairer(net, table)
    repairer.challenge_suspects = False  # the down node is not suspected here: this test is about helpers

    [outcome] = repairer.step().repaired

    assert outcome.path is RepairPath.REENCODE  # only 3 < d = 4 helpers answer
    assert 2 not in outcome.helpers and len(outcome.helpers) == 3
    target = tmp_path / "back"
    net.client().get(file_id, target)
    assert target.read_bytes() == data


def test_a_down_helper_is_replaced_by_another_on_the_msr_path(net: Network, tmp_path: Path) -> None:
    file_id, data, table = net.store(tmp_path, 2, 4, 40_000)
    lose(net, table, 3)
    net.servers[table.entry(0).operator].close()
    repairer, _ = remote_repairer(net, table)
    repairer.challenge_suspects = False

    [outcome] = repairer.step().repaired

    assert outcome.path is RepairPath.MSR and outcome.helpers == (1, 2)  # d = 2 of the 2 that answer
    target = tmp_path / "back"
    net.client().get(file_id, target)
    assert target.read_bytes() == data
