"""The devnet: peered Kubo nodes exchanging blocks, a chain that moves on its own, clean shutdown, dead daemons
restarted in place with their data."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kura.chain.client import Chain
from kura.config import resolve_network
from kura.devnet import manager
from kura.devnet.processes import ProcessRecord, free_port, is_listening, wait_until
from kura.devnet.state import DevnetState, read_state
from kura.errors import DevnetError, PortInUseError, StaleDevnetError
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
        port
        for node in state.kubo
        for port in (int(node.api_url.rsplit(":", 1)[1]), node.swarm_port, node.gateway_port)
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


def _kill(process: ProcessRecord) -> None:
    os.kill(process.pid, signal.SIGKILL)
    wait_until(lambda: not process.is_running(), timeout=10, what=f"waiting for {process.name} to die")


def test_a_dead_kubo_daemon_is_healed_in_place_with_its_data(own_state: Path) -> None:
    state = manager.up(3)
    victim = state.kubo[1]
    block = secrets.token_bytes(5_000)
    with KuboClient(victim.api_url) as node:
        cid = node.add(block)
    _kill(victim.process)

    healed = manager.up(3)

    assert healed.folder == state.folder
    assert healed.chain.process.pid == state.chain.process.pid and healed.kubo[0] == state.kubo[0]
    back = healed.kubo[1]
    assert back.process.pid != victim.process.pid and back.process.is_running()
    assert (back.api_url, back.peer_id, back.repo) == (victim.api_url, victim.peer_id, victim.repo)
    with KuboClient(back.api_url) as node:
        assert node.has_local(cid) and node.cat(cid) == block
        assert node.swarm_peers() == {n.peer_id for n in healed.kubo} - {back.peer_id}
    assert read_state() == healed


def test_restart_names_one_node_and_keeps_its_repository(own_state: Path) -> None:
    state = manager.up(2)
    with KuboClient(state.kubo[0].api_url) as node:
        cid = node.add(b"kept across a restart")
    restarted = manager.restart("kubo-1")
    assert restarted.kubo[0].process.pid != state.kubo[0].process.pid
    assert not state.kubo[0].process.is_running() and restarted.kubo[0].process.is_running()
    with KuboClient(restarted.kubo[0].api_url) as node:
        assert node.cat(cid) == b"kept across a restart"
    with pytest.raises(DevnetError, match=r"no Kubo node 'kubo-9'.*kubo-1, kubo-2"):
        manager.restart("kubo-9")


def test_a_dead_chain_is_refused_without_deleting_anything(own_state: Path) -> None:
    state = manager.up(1)
    _kill(state.chain.process)
    with pytest.raises(StaleDevnetError, match=r"chain.*is gone.*kura devnet down"):
        manager.up(1)
    assert read_state() == state and Path(state.kubo[0].repo).is_dir()
    assert state.kubo[0].process.is_running()


def test_the_devnet_chain_makes_blocks_on_its_own(own_state: Path) -> None:
    state = manager.up(1, block_time=0.2)
    chain = Chain.connect(resolve_network("devnet"))
    first = chain.w3.eth.block_number
    wait_until(lambda: chain.w3.eth.block_number >= first + 3, timeout=10, what="waiting for blocks")
    assert state.chain.block_time == 0.2


def test_taken_anvil_port_is_refused_before_anything_starts(own_state: Path) -> None:
    port = free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        with pytest.raises(PortInUseError, match=f"port {port}"):
            manager.up(1, anvil_port=port)
    assert read_state() is None


def _kura(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def _ok(*args: str) -> Any:
    done = _kura(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_user_keeps_working_with_a_kubo_daemon_down(own_state: Path, tmp_path: Path) -> None:
    _ok("devnet", "up", "--nodes", "6")
    _ok("deploy")
    source = tmp_path / "scan.dcm"
    source.write_bytes(secrets.token_bytes(50_000))
    stored = _ok("store", "put", str(source), "--k", "3", "--n", "5")
    state = read_state()
    assert state is not None
    holders = {p["node"]["api_url"]: p["index"] for p in stored["placements"]}
    victim = next(node for node in state.kubo if node.api_url in holders)
    _kill(victim.process)

    got = _kura("store", "get", stored["file_id"], "-o", str(tmp_path / "back.dcm"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "back.dcm").read_bytes() == source.read_bytes()
    info = _ok("store", "info", stored["file_id"])
    [down] = [share for share in info["shares"] if share["state"] == "unreachable"]
    assert down["index"] == holders[victim.api_url] and victim.api_url in down["detail"]
    assert info["health"] == {"healthy": 4, "lost": 0, "challenged": 0, "unreachable": 1}
    status = _kura("devnet", "status")
    assert status.returncode == 0 and "kura devnet restart NAME" in status.stdout
    assert any(line.startswith("down") and victim.name in line for line in status.stdout.splitlines())
    assert "UnknownChallenge" in _kura("audit", "status", "7").stderr  # the chain answers as before

    _ok("devnet", "restart", victim.name)
    assert _ok("store", "info", stored["file_id"])["health"]["healthy"] == 5
