"""The devnet: peered Kubo nodes exchanging blocks, clean shutdown, stale-state recovery."""

from __future__ import annotations

import os
import secrets
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kura.devnet import manager
from kura.devnet.processes import free_port, is_listening, wait_until
from kura.devnet.state import DevnetState, read_state
from kura.errors import PortInUseError, StaleDevnetError
from kura.ipfs import KuboClient


def test_block_added_on_first_node_is_read_back_from_the_last(devnet: DevnetState) -> None:
    block = secrets.token_bytes(70_000)
    with KuboClient(devnet.kubo[0].api_url) as first, KuboClient(devnet.kubo[-1].api_url) as last:
        cid = first.add(block)
        assert not last.has_local(cid)
        assert last.cat(cid, timeout=30) == block
        assert last.has_local(cid)


def test_every_node_is_connected_to_every_other_and_to_nothing_else(devnet: DevnetState) -> None:
    ids = {node.peer_id for node in devnet.kubo}
    for node in devnet.kubo:
        with KuboClient(node.api_url) as client:
            assert client.swarm_peers() == ids - {node.peer_id}
            info = client.id()
        assert info.agent.startswith("kubo/0.39.0")
        assert all(address.startswith("/ip4/127.0.0.1/") for address in info.addresses)


@pytest.fixture
def own_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A separate state folder, so these tests run their own small devnet beside the session one."""
    monkeypatch.setenv("KURA_STATE", str(tmp_path))
    try:
        yield tmp_path
    finally:
        manager.down()


def _pids_alive(state: DevnetState) -> list[int]:
    alive = []
    for process in state.processes:
        try:
            os.kill(process.pid, 0)
        except ProcessLookupError:
            continue
        alive.append(process.pid)
    return alive


def _ports(state: DevnetState) -> list[int]:
    return [state.chain.port] + [
        port for node in state.kubo for port in (int(node.api_url.rsplit(":", 1)[1]), node.swarm_port, node.gateway_port)
    ]


def test_down_leaves_no_process_and_no_listening_port(own_state: Path) -> None:
    state = manager.up(2)
    assert all(is_listening(port) for port in _ports(state))
    assert manager.down() == 3
    assert _pids_alive(state) == []
    assert not any(is_listening(port) for port in _ports(state))
    assert read_state() is None


def test_up_twice_reuses_the_healthy_devnet(own_state: Path) -> None:
    first = manager.up(1)
    again = manager.up(1)
    assert [p.pid for p in again.processes] == [p.pid for p in first.processes]


def test_stale_devnet_is_detected_and_replaced_not_reused(own_state: Path) -> None:
    state = manager.up(2)
    victim = state.kubo[1].process
    os.kill(victim.pid, signal.SIGKILL)
    wait_until(lambda: not victim.is_running(), timeout=10, what="waiting for the killed node to die")
    with pytest.raises(StaleDevnetError, match="kura devnet down"):
        manager.require_running()
    fresh = manager.up(2)
    assert {p.pid for p in fresh.processes}.isdisjoint({p.pid for p in state.processes})
    assert _pids_alive(state) == []
    assert all(p.is_running() for p in fresh.processes)


def test_taken_anvil_port_is_refused_before_anything_starts(own_state: Path) -> None:
    port = free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        with pytest.raises(PortInUseError, match=f"port {port}"):
            manager.up(1, anvil_port=port)
    assert read_state() is None
