"""End-to-end storage on a private devnet: kura put/get vs raw Kubo add/cat of the same shares, and gas.

    .venv/bin/python benchmarks/bench_storage.py [--quick]

Reference, measured in the same run on the same nodes: adding n share files of
the same file, made by kura's encoder, straight to n nodes (one upload each, all
at once, as a put does), and catting k of them back. Each repeat adds a freshly
encoded set: Kubo skips writing blocks it already has, so adding the same files
twice would time a cheaper operation than a put, whose shares are always new.
The target is put <= 2x that reference.

Each repeat times a put, a get and then the reference, so both see the machine in
the same state; the figures are the median of the repeats' ratios (robust to a
slow or lucky moment on a noisy machine) and, for comparison, best put / best
reference.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from statistics import median
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.config import resolve_network
from kura.crypto.params import CodeParams, Scheme
from kura.demo import private_state
from kura.devnet import manager
from kura.storage import sharefiles
from kura.storage.client import StorageClient
from kura.storage.nodes import NodePool, StorageNode, nodes_of

MIB = 1 << 20
REPEATS = 5
SMALL_REPEATS_MIB = 16
"""Files below this size get more best-of repeats (their timings are a few tens of ms, noisy)."""


def repeats_for(size: int) -> int:
    return max(REPEATS, min(3 * REPEATS, SMALL_REPEATS_MIB * MIB // size))


def paired(ours: Sequence[float], reference: Sequence[float]) -> float:
    """The median over repeats of our time / the reference's time in the same repeat."""
    return median(a / b for a, b in zip(ours, reference, strict=True))


def raw_reference(pool: NodePool, source: Path, params: CodeParams, folder: Path) -> tuple[float, float]:
    """Seconds to add a fresh set of the file's ``n`` shares to ``n`` nodes, and to cat ``k`` of them back."""
    shares = sharefiles.encode(source, params, os.urandom(32), folder).paths
    nodes = pool.nodes[: len(shares)]

    def add_one(node: StorageNode, path: Path) -> str:
        with open(path, "rb") as share:
            return pool.client(node).add(share)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(shares)) as workers:
        cids = list(workers.map(add_one, nodes, shares.values()))
    add_time = time.perf_counter() - started
    pairs = list(zip(nodes, cids))[: params.k]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=params.k) as workers:
        list(workers.map(lambda pair: b"".join(pool.client(pair[0]).cat_stream(pair[1])), pairs))
    return add_time, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one small size only")
    args = parser.parse_args()
    sizes = [1 * MIB] if args.quick else [1 * MIB, 16 * MIB, 64 * MIB]
    params = CodeParams(Scheme.MSR, 3, 5)
    with private_state():
        manager.up(6)
        try:
            chain = Chain.connect(resolve_network("devnet"))
            deployment = deploy_all(chain, chain.account(0))
            with NodePool(nodes_of(resolve_network("devnet"))) as pool, tempfile.TemporaryDirectory() as folder:
                client = StorageClient(chain, deployment, pool, chain.account(1))
                print(f"{'size':>8} {'put s':>8} {'raw add s':>10} {'put/raw':>8} {'(best)':>7} "
                      f"{'get s':>8} {'raw cat s':>10} {'get/raw':>8} {'(best)':>7}")
                for size in sizes:
                    source = Path(folder) / f"f{size}"
                    source.write_bytes(os.urandom(size))
                    client.put(source, params)  # warm-up: connections, thread pools, the code's matrices
                    timings = []
                    for repeat in range(repeats_for(size)):
                        started = time.perf_counter()
                        stored = client.put(source, params)
                        put_time = time.perf_counter() - started
                        started = time.perf_counter()
                        client.get(stored.file_id, Path(folder) / "back")
                        get_time = time.perf_counter() - started
                        work = Path(folder) / f"shares-{size}-{repeat}"
                        work.mkdir()
                        timings.append((put_time, get_time, *raw_reference(pool, source, params, work)))
                    puts, gets, adds, cats = zip(*timings)
                    print(f"{size // MIB:>6}Mi {median(puts):>8.3f} {median(adds):>10.3f} {paired(puts, adds):>8.2f} "
                          f"{min(puts) / min(adds):>7.2f} {median(gets):>8.3f} {median(cats):>10.3f} "
                          f"{paired(gets, cats):>8.2f} {min(gets) / min(cats):>7.2f}")
                register = stored.register_gas
                _, rotate_gas = client.rotate(stored.file_id)
                remove_gas = client.remove(stored.file_id).gas
                print(f"\ngas: register {register:,} (target <= 150,000), rotate {rotate_gas:,} (target <= 60,000), "
                      f"delete {remove_gas:,}")
        finally:
            manager.down()


if __name__ == "__main__":
    main()
