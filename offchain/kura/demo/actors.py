"""The demo's compute nodes as real processes, the consortium's vouching for its first compute nodes, and the
storage node the demo kills."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

from kura.api.session import Kura
from kura.chain.node_registry import Role
from kura.devnet import manager
from kura.devnet.processes import ProcessRecord, spawn, wait_until
from kura.devnet.state import DevnetState
from kura.storage.shared.directory import is_registered


def compute_agent(
    name: str, account: int, kubo_api: str, folder: Path, *, worker: bool, malicious: bool = False
) -> ProcessRecord:
    """Start ``kura compute run`` for ``account`` (registering it with a stake of 1 ether) as a real process.

    A worker asks for promotion whenever it qualifies and does not audit; an auditor audits and never works.
    A malicious one commits a wrong answer to every task it claims (``--malicious always-wrong``).
    """
    roles = ["--promote", "--no-audit"] if worker else ["--no-work", "--audit"]
    argv = [
        sys.executable,
        "-m",
        "kura",
        "compute",
        "run",
        "--account",
        str(account),
        "--stake",
        "1",
        "--ipfs-api",
        kubo_api,
        "--interval",
        "0.5",
        *roles,
    ]
    if malicious:
        argv += ["--malicious", "always-wrong"]
    return spawn(name, argv, log=folder / f"{name}.log", env={"PYTHONUNBUFFERED": "1"})


def vouch(operator: Kura, node: str, *, timeout: float = 120.0) -> int:
    """The consortium vouches for a first compute node: the NodeRegistry's owner, as a judge for these
    transactions only, records the promotion bar's passed spot-checks; the node's agent then promotes itself.

    Returns:
        The spot-checks recorded.

    Raises:
        DevnetError: if the node does not register, or does not become a compute node, within ``timeout``.
    """
    registry = operator.contracts.nodes
    wait_until(lambda: is_registered(registry, node), timeout=timeout, what=f"waiting for {node} to register")
    bar = registry.params().promotion_bar
    registry.set_judge(operator.address, True, owner=operator.account)
    for _ in range(bar):
        registry.record_spot_check(node, True, judge=operator.account)
    registry.set_judge(operator.address, False, owner=operator.account)
    wait_until(
        lambda: registry.node_of(node).role is Role.COMPUTE,
        timeout=timeout,
        what=f"waiting for {node}'s agent to promote it",
    )
    return bar


def kill_storage_node(state: DevnetState, index: int, agent: ProcessRecord) -> str:
    """Kill Kubo node ``index`` and its storage agent for good (SIGKILL: a machine lost); returns its name."""
    node = state.kubo[index]
    process = manager.status()[0].node(node.name).process
    for pid in (process.pid, agent.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: not process.is_running() and not agent.is_running(), timeout=15, what=f"waiting for {node.name} to die"
    )
    return node.name
