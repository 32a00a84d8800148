"""Repair traffic on the wire against the cut-set bound d·beta, and gas per repair commit.

A private devnet of 12 Kubo nodes, each with a storage node agent serving its repair duties
over HTTP behind a counting TCP proxy (:class:`kura.devtools.wiretap.Wiretap`), whose address
it announces in the registry instead of its own: every byte a repair moves between machines
crosses one of these sockets and is counted there — HTTP status lines, headers and chunk
framing included, not payload sizes added up. For each case a file is stored on registered
nodes, one holder leaves the network (its share is lost on chain), and a repairer holding no
node key has it rebuilt: the newcomer pulls the repair symbols from the helpers itself.

Printed per case: ``d·beta`` (the cut-set bound: d helpers × beta symbols per stripe), the
bytes on the wire *to the new node* (the helpers' replies to it, counted at their sockets, plus
the repairer's requests to it), the bytes on the wire *from the helpers* (everything they sent,
to the newcomer and to the repairer), each ÷ d·beta, the naive repair's k whole shares for
comparison, the time, and the gas of the commit. Then a 256 MiB file is repaired the same way,
with the peak memory of this process (which runs the newcomer).

Run:  .venv/bin/python benchmarks/bench_repair.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kura.api.session import Kura, connect, deploy
from kura.codes.params import CodeParams, Scheme
from kura.crypto.share import HEADER_SIZE
from kura.demo import private_state
from kura.devnet import manager
from kura.devtools.wiretap import Wiretap
from kura.storage.node.agent import StorageNodeAgent
from kura.storage.node.server import RepairServer
from kura.storage.repairer.agent import RepairAgent
from kura.storage.shared.directory import NodeDirectory
from kura.storage.shared.remote import registry_peers
from kura.storage.shared.repair_plan import RepairPath

MIB = 1 << 20
NODES = 12
FIRST_OPERATOR = 10
REPAIRER = 25
OWNER = 4
DATA_ROUTES = ("symbols", "body", "partial")


@dataclass
class Node:
    """One storage node of the benchmark: its agent, repair server and wiretap."""

    agent: StorageNodeAgent
    server: RepairServer
    tap: Wiretap

    def sent_on_data_routes(self) -> int:
        traffic = self.server.traffic()
        return sum(int(traffic.get(route, {}).get("sent", 0)) for route in DATA_ROUTES)


@dataclass(frozen=True)
class Measured:
    """One repair, measured."""

    path: str
    d_beta: int
    to_newcomer: int
    from_helpers: int
    naive: int
    seconds: float
    gas: int


def start_nodes(kura: Kura) -> dict[str, Node]:
    state = manager.status()[0]
    nodes = {}
    for i, kubo in enumerate(state.kubo):
        operator = kura.as_account(FIRST_OPERATOR + i)
        agent = operator.nodes.storage_agent(kubo.api_url, log=lambda _: None)
        server = agent.serve_repairs()
        tap = Wiretap(("127.0.0.1", server.port))
        agent.ensure_registered(10**18, repair_url=tap.url)
        nodes[agent.address] = Node(agent, server, tap)
    repairer = kura.as_account(REPAIRER)
    repairer.nodes.register(state.kubo[0].api_url)
    return nodes


def repair_once(kura: Kura, nodes: dict[str, Node], folder: Path, k: int, n: int, size: int) -> Measured:
    """Store ``size`` random bytes as MSR k-of-n, lose one share, repair it over HTTP; measure the wire."""
    owner = connect(kura.network, OWNER, nodes="registry")
    source = folder / f"file-{k}-{n}-{size}"
    with open(source, "wb") as out:
        out.writelines(os.urandom(min(16 * MIB, size - start)) for start in range(0, size, 16 * MIB))
    stored = owner.storage.put(source, k=k, n=n, scheme=Scheme.MSR)
    source.unlink()
    victim = stored.placements[-1]
    kura.contracts.nodes.announce_exit(node=nodes[victim.node.operator].agent.operator)
    contracts = kura.contracts
    said: list[str] = []
    repairer = RepairAgent(
        contracts,
        kura.as_account(REPAIRER).account,
        NodeDirectory(contracts).pool(),
        registry_peers(contracts),
        min_healthy=n,
        challenge_suspects=False,
        log=said.append,
    )
    taps = {address: node.tap.traffic() for address, node in nodes.items()}
    data = {address: node.sent_on_data_routes() for address, node in nodes.items()}
    started = time.perf_counter()
    [outcome] = repairer.step().repaired
    seconds = time.perf_counter() - started
    if outcome.path is not RepairPath.MSR:  # not the case measured: say why
        print("\n".join(f"  repairer: {line}" for line in said), file=sys.stderr)
    moved = {address: node.tap.traffic() - taps[address] for address, node in nodes.items()}
    helpers = {address for address in nodes if address not in (outcome.new_node, outcome.old_node)}
    params = CodeParams(Scheme.MSR, k, n)
    body = outcome.share_bytes - HEADER_SIZE
    to_newcomer = moved[outcome.new_node].to_server + sum(
        nodes[address].sent_on_data_routes() - data[address] for address in helpers
    )
    from_helpers = sum(moved[address].to_client for address in helpers)
    owner.storage.rm(stored.file_id)
    owner.close()
    return Measured(
        outcome.path.value,
        params.d * body // params.alpha,
        to_newcomer,
        from_helpers,
        k * outcome.share_bytes,
        seconds,
        outcome.gas,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 MiB files only and a 16 MiB large one")
    args = parser.parse_args()
    sizes = [MIB] if args.quick else [MIB, 64 * MIB]
    large = 16 * MIB if args.quick else 256 * MIB
    with private_state(), tempfile.TemporaryDirectory(prefix="kura-bench-repair-") as scratch:
        manager.up(NODES)
        try:
            with deploy(account=0) as kura:
                nodes = start_nodes(kura)
                try:
                    run(kura, nodes, Path(scratch), sizes, large)
                finally:
                    for node in nodes.values():
                        node.tap.close()
                        node.server.close()
        finally:
            manager.down()


def run(kura: Kura, nodes: dict[str, Node], folder: Path, sizes: list[int], large: int) -> None:
    print("repair of one lost share over HTTP; bytes counted at the repair services' sockets")
    print(
        f"{'k-of-n':>7} {'file':>8} {'path':>8} {'d·beta':>12} {'to newcomer':>12} {'÷ d·beta':>8} "
        f"{'from helpers':>12} {'÷ d·beta':>8} {'naive (k shares)':>16} {'seconds':>8} {'commit gas':>10}"
    )
    for k, n in ((4, 8), (3, 5)):  # 4-of-8 first: it needs nine Active nodes, and each case retires one
        for size in sizes:
            m = repair_once(kura, nodes, folder, k, n, size)
            print(
                f"{k:>3}-of-{n:<3} {size // MIB:>5} MiB {m.path:>8} {m.d_beta:>12,} {m.to_newcomer:>12,} "
                f"{m.to_newcomer / m.d_beta:>8.4f} {m.from_helpers:>12,} {m.from_helpers / m.d_beta:>8.4f} "
                f"{m.naive:>16,} {m.seconds:>8.2f} {m.gas:>10,}"
            )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    m = repair_once(kura, nodes, folder, 3, 5, large)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"\n{large // MIB} MiB file, MSR 3-of-5, repaired over HTTP ({m.path} path) in {m.seconds:.1f} s: "
        f"{m.to_newcomer:,} bytes to the newcomer ({m.to_newcomer / m.d_beta:.4f} × d·beta), "
        f"{m.from_helpers:,} from the helpers ({m.from_helpers / m.d_beta:.4f} × d·beta); peak RSS of this process "
        f"(newcomer, helpers' servers, repairer and client) {peak / MIB:.0f} MiB, "
        f"{before / MIB:.0f} MiB before this repair"
    )


if __name__ == "__main__":
    main()
