"""Bring a local devnet up and down: one Anvil and N peered Kubo nodes on loopback.

``up`` is safe to repeat: a healthy devnet is reused, and one whose Kubo daemons
died (a crash, an OOM kill, a reboot of the daemons alone) is healed in place:
each dead daemon is started again on its own repository and ports, so every share
it held is back. :func:`restart` does the same for one named node. Only the chain
cannot come back: Anvil keeps its state in memory, so a devnet whose Anvil died is
refused with the way out (``down`` then ``up``). ``down`` stops exactly the
recorded PIDs, checks their ports are free, and deletes the devnet's folder.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from kura.devnet.anvil import BLOCK_TIME, CHAIN_ID, start_anvil
from kura.devnet.kubo import KuboPorts, configure, init_repo, start_kubo
from kura.devnet.processes import LOOPBACK, ProcessRecord, free_port, is_listening, wait_until
from kura.devnet.state import ChainEndpoint, DevnetState, KuboEndpoint, devnet_folder, read_state, write_state
from kura.devtools.kubo_install import kubo_binary
from kura.errors import DevnetError, StaleDevnetError
from kura.ipfs import KuboClient

DEFAULT_KUBO_NODES = 6
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ProcessHealth:
    """How one devnet process is doing."""

    name: str
    pid: int
    running: bool
    endpoint: str
    detail: str


def _quiet(_: str) -> None:
    """Progress sink that prints nothing."""


def up(
    kubo_nodes: int = DEFAULT_KUBO_NODES,
    *,
    anvil_port: int | None = None,
    block_time: float | None = BLOCK_TIME,
    progress: Progress = _quiet,
) -> DevnetState:
    """Start the devnet, or return the one already running (its dead Kubo daemons restarted in place).

    Args:
        kubo_nodes: How many Kubo nodes to start (at least 1); ignored when a devnet is running.
        anvil_port: Fixed port for Anvil's RPC; a random free port when None.
        block_time: Seconds between blocks when no transaction arrives (None: mine only on transactions).
        progress: Called with one line per step.

    Raises:
        PortInUseError: if ``anvil_port`` is taken, or a dead daemon's port was taken meanwhile.
        SetupError: if Anvil or Kubo is not installed.
        StaleDevnetError: if the recorded devnet's Anvil died (its chain is gone; nothing is deleted).
        DevnetError: if a process does not come up (everything started so far is stopped).
    """
    if kubo_nodes < 1:
        raise DevnetError(f"a devnet needs at least one Kubo node, got {kubo_nodes}")
    existing = read_state()
    if existing is not None:
        return heal(existing, progress)
    binary = kubo_binary()
    folder = devnet_folder()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    started: list[ProcessRecord] = []
    try:
        port = anvil_port or free_port()
        progress(f"starting anvil on {LOOPBACK}:{port}")
        anvil = start_anvil(port, folder, block_time=block_time)
        started.append(anvil)
        chain = ChainEndpoint(
            process=anvil, rpc_url=f"http://{LOOPBACK}:{port}", port=port, chain_id=CHAIN_ID, block_time=block_time
        )

        progress(f"initialising {kubo_nodes} Kubo repos")
        names = [f"kubo-{i + 1}" for i in range(kubo_nodes)]
        repos = [folder / name / "repo" for name in names]
        with ThreadPoolExecutor(max_workers=4) as pool:
            peer_ids = list(pool.map(lambda repo: init_repo(binary, repo), repos))
        ports = _distinct_ports(kubo_nodes)
        for i, repo in enumerate(repos):
            others = [(peer_ids[j], ports[j].swarm) for j in range(kubo_nodes) if j != i]
            configure(repo, ports[i], others)

        progress(f"starting {kubo_nodes} Kubo daemons")
        with ThreadPoolExecutor(max_workers=kubo_nodes) as pool:
            futures = [pool.submit(start_kubo, names[i], binary, repos[i], ports[i]) for i in range(kubo_nodes)]
            records = []
            for future in futures:
                records.append(future.result())
                started.append(records[-1])
        nodes = tuple(
            KuboEndpoint(
                process=records[i],
                api_url=f"http://{LOOPBACK}:{ports[i].api}",
                gateway_port=ports[i].gateway,
                swarm_port=ports[i].swarm,
                peer_id=peer_ids[i],
                repo=str(repos[i]),
            )
            for i in range(kubo_nodes)
        )
        state = DevnetState(folder=str(folder), chain=chain, kubo=nodes)
        progress("peering the Kubo nodes")
        connect_all(state)
        write_state(state)
        return state
    except BaseException:
        _teardown(started)
        raise


def _distinct_ports(count: int) -> list[KuboPorts]:
    seen: set[int] = set()
    result: list[KuboPorts] = []
    while len(result) < count:
        trio = [free_port() for _ in range(3)]
        if len(set(trio) | seen) == len(seen) + 3:
            seen.update(trio)
            result.append(KuboPorts(api=trio[0], gateway=trio[1], swarm=trio[2]))
    return result


def connect_all(state: DevnetState, timeout: float = 30.0) -> None:
    """Connect every Kubo node to every other and wait until each sees all its peers.

    Raises:
        DevnetError: if the mesh is not complete within ``timeout``.
    """
    clients = [KuboClient(node.api_url, timeout=10.0) for node in state.kubo]
    try:
        for i, client in enumerate(clients):
            for j, node in enumerate(state.kubo):
                if i < j:
                    client.swarm_connect(node.swarm_multiaddr)
        expected = [{n.peer_id for n in state.kubo if n.peer_id != node.peer_id} for node in state.kubo]
        wait_until(
            lambda: all(expected[i] <= c.swarm_peers() for i, c in enumerate(clients)),
            timeout=timeout,
            what="waiting for the Kubo nodes to peer",
        )
    finally:
        for client in clients:
            client.close()


def status() -> tuple[DevnetState, list[ProcessHealth]]:
    """The recorded devnet and the health of each of its processes.

    Raises:
        DevnetError: if no devnet is recorded.
    """
    state = _recorded()
    health = [
        ProcessHealth(
            state.chain.process.name,
            state.chain.process.pid,
            state.chain.process.is_running(),
            state.chain.rpc_url,
            f"chain id {state.chain.chain_id}",
        )
    ]
    for node in state.kubo:
        health.append(
            ProcessHealth(node.process.name, node.process.pid, node.process.is_running(), node.api_url, node.peer_id)
        )
    return state, health


def heal(state: DevnetState, progress: Progress = _quiet) -> DevnetState:
    """Restart every dead Kubo daemon of ``state`` on its own repository and ports; the healed state.

    Raises:
        StaleDevnetError: if Anvil is dead: the chain lived in its memory, so the devnet cannot come back
            (nothing is deleted; ``kura devnet down`` then ``kura devnet up`` start a new one).
        PortInUseError, DevnetError: if a daemon cannot start again.
    """
    if not state.chain.process.is_running():
        raise StaleDevnetError(
            f"the devnet's chain (anvil, pid {state.chain.process.pid}) is gone, and its state with it: no "
            "stored file can be found again; `kura devnet down` then `kura devnet up` start a new devnet "
            f"(its folder {state.folder} is deleted then)"
        )
    dead = [node.name for node in state.kubo if not node.process.is_running()]
    if not dead:
        progress("devnet already running; reusing it")
        return state
    for name in dead:
        progress(f"{name} is down: starting it again on its repository")
        state = restart(name, state=state)
    return state


def restart(name: str, *, state: DevnetState | None = None) -> DevnetState:
    """Start Kubo node ``name`` again on its own repository, ports and identity (stopping it first if it
    runs), reconnect it to the others, and record it.

    Args:
        name: The node (``kubo-3``).
        state: The devnet (default: the recorded one).

    Returns:
        The devnet as recorded now.

    Raises:
        DevnetError: if no devnet is recorded, it has no such node, or the daemon does not come up.
        PortInUseError: if another program took one of the node's ports meanwhile.
    """
    state = state or _recorded()
    node = state.node(name)
    node.process.stop()
    repo = Path(node.repo)
    record = start_kubo(name, kubo_binary(), repo, KuboPorts(node.api_port, node.gateway_port, node.swarm_port))
    fresh = replace(node, process=record)
    state = replace(state, kubo=tuple(fresh if n.name == name else n for n in state.kubo))
    write_state(state)
    _reconnect(fresh, [n for n in state.kubo if n.name != name and n.process.is_running()])
    return state


def _reconnect(node: KuboEndpoint, others: list[KuboEndpoint], timeout: float = 30.0) -> None:
    """Connect ``node`` to ``others`` and wait until it sees them all (Peering keeps the links afterwards)."""
    with KuboClient(node.api_url, timeout=10.0) as client:
        for other in others:
            client.swarm_connect(other.swarm_multiaddr)
        wanted = {other.peer_id for other in others}
        wait_until(lambda: wanted <= client.swarm_peers(), timeout=timeout, what=f"waiting for {node.name} to peer")


def _recorded() -> DevnetState:
    state = read_state()
    if state is None:
        raise DevnetError("no devnet is running: start one with `kura devnet up`")
    return state


def down(progress: Progress = _quiet) -> int:
    """Stop every recorded devnet process and delete the devnet folder.

    Returns:
        How many processes were still running and got stopped.

    Raises:
        DevnetError: if a process refuses to die or a port stays busy.
    """
    state = read_state()
    if state is None:
        shutil.rmtree(devnet_folder(), ignore_errors=True)
        return 0
    running = [p for p in state.processes if p.is_running()]
    progress(f"stopping {len(running)} process(es)")
    _teardown(state.processes)
    ports = [state.chain.port] + [p for n in state.kubo for p in (n.api_port, n.swarm_port, n.gateway_port)]
    deadline = time.monotonic() + 10
    while any(is_listening(port) for port in ports):
        if time.monotonic() > deadline:
            busy = [port for port in ports if is_listening(port)]
            raise DevnetError(f"devnet processes stopped but ports {busy} are still in use")
        time.sleep(0.1)
    shutil.rmtree(state.folder, ignore_errors=True)
    return len(running)


def _teardown(processes: tuple[ProcessRecord, ...] | list[ProcessRecord]) -> None:
    with ThreadPoolExecutor(max_workers=max(1, len(processes))) as pool:
        list(pool.map(lambda p: p.stop(), processes))
