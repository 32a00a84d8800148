"""End-to-end storage on a private devnet: kura put/get vs raw Kubo add/cat of the same shares, and gas.

    .venv/bin/python benchmarks/bench_storage.py [--quick]

Reference, measured in the same run on the same nodes: adding n share files of
the same file, made by kura's encoder, straight to n nodes (one upload each, all
at once, as a put does), and catting k of them back. Each repeat adds a freshly
encoded set: Kubo skips writing blocks it already has, so adding the same files
twice would time a cheaper operation than a put, whose shares are always new.
Targets (issue 15): at 1 MiB, put - raw add <= 15 ms and get - raw cat <= 10 ms
(the fixed cost of a put and of a get); from 16 MiB up, put and get <= 1.5x the reference.

Each repeat times a put, a get and then the reference, so both see the machine in
the same state; the figures are the medians of the repeats' differences and ratios
(robust to a slow or lucky moment on a noisy machine).

Many small files: ``put_many`` of N files of 10 KiB (batches of 256, one
registration transaction each) against the raw add of the same shares, made by
kura's encoder: each node gets its shares in one multi-block request (the fastest
way Kubo takes them), and, for scale, one ``add`` per share. Target: <= 2x the
multi-block reference and <= 30k gas a file.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

from kura.chain.client import Chain
from kura.chain.contracts import Contracts
from kura.chain.deploy import deploy_all
from kura.codes.params import CodeParams, Scheme
from kura.config import resolve_network
from kura.crypto.codec import encode_bytes
from kura.demo import private_state
from kura.devnet import manager
from kura.storage.client.files import StorageClient, sharefiles
from kura.storage.shared.nodes import NodePool, StorageNode, nodes_of

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
    pairs = list(zip(nodes, cids, strict=True))[: params.k]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=params.k) as workers:
        list(workers.map(lambda pair: b"".join(pool.client(pair[0]).cat_stream(pair[1])), pairs))
    return add_time, time.perf_counter() - started


def paired_difference(ours: Sequence[float], reference: Sequence[float]) -> float:
    """The median over repeats of our time - the reference's time in the same repeat, in seconds."""
    return median(a - b for a, b in zip(ours, reference, strict=True))


def small_files_reference(pool: NodePool, sources: Sequence[Path], params: CodeParams) -> tuple[float, float]:
    """Seconds to store fresh shares of ``sources`` on random distinct nodes: one multi-block request per node,
    and one ``add`` per share (8 at once)."""
    shares = [encode_bytes(source.read_bytes(), params)[1] for source in sources]
    chooser = random.Random(7)
    by_node: dict[StorageNode, list[bytes]] = defaultdict(list)
    single: list[tuple[StorageNode, bytes]] = []
    for blobs in shares:
        for node, blob in zip(chooser.sample(pool.nodes, params.n), blobs, strict=True):
            by_node[node].append(blob)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(by_node)) as workers:
        list(workers.map(lambda item: pool.client(item[0]).block_put_many(item[1]), by_node.items()))
    bulk = time.perf_counter() - started
    for blobs in (encode_bytes(source.read_bytes(), params)[1] for source in sources):
        single.extend(zip(chooser.sample(pool.nodes, params.n), blobs, strict=True))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as workers:
        list(workers.map(lambda item: pool.client(item[0]).add(item[1]), single))
    return bulk, time.perf_counter() - started


def small_files(client: StorageClient, pool: NodePool, folder: Path, count: int, params: CodeParams) -> None:
    """Time ``put_many`` of ``count`` files of 10 KiB against the raw references, and print gas a file."""
    sources = []
    for i in range(count):
        sources.append(Path(folder) / f"resource-{i}.json")
        sources[-1].write_bytes(os.urandom(10 << 10))
    client.put_many(sources[:8], params)  # warm-up
    started = time.perf_counter()
    batches = client.put_many(sources, params)
    ours = time.perf_counter() - started
    bulk, single = small_files_reference(pool, sources, params)
    gas = sum(batch.register_gas for batch in batches) / count
    print(
        f"\n{count} files of 10 KiB: put_many {ours:.2f} s in {len(batches)} transactions; raw add of the same "
        f"shares {bulk:.2f} s (one request per node) -> {ours / bulk:.2f}x (target <= 2), {single:.2f} s (one "
        f"add per share) -> {ours / single:.2f}x; {gas:,.0f} gas a file (target <= 30,000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one small size only, 200 small files")
    args = parser.parse_args()
    sizes = [1 * MIB] if args.quick else [1 * MIB, 16 * MIB, 64 * MIB]
    params = CodeParams(Scheme.MSR, 3, 5)
    with private_state():
        manager.up(6)
        try:
            chain = Chain.connect(resolve_network("devnet"))
            deployment = deploy_all(chain, chain.account(0))
            with NodePool(nodes_of(resolve_network("devnet"))) as pool, tempfile.TemporaryDirectory() as folder:
                client = StorageClient(Contracts(chain, deployment), pool, chain.account(1))
                print(
                    f"{'size':>8} {'put s':>8} {'raw add s':>10} {'put-raw ms':>11} {'put/raw':>8} "
                    f"{'get s':>8} {'raw cat s':>10} {'get-raw ms':>11} {'get/raw':>8}"
                )
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
                    puts, gets, adds, cats = zip(*timings, strict=True)
                    print(
                        f"{size // MIB:>6}Mi {median(puts):>8.3f} {median(adds):>10.3f} "
                        f"{1e3 * paired_difference(puts, adds):>11.1f} {paired(puts, adds):>8.2f} "
                        f"{median(gets):>8.3f} {median(cats):>10.3f} "
                        f"{1e3 * paired_difference(gets, cats):>11.1f} {paired(gets, cats):>8.2f}"
                    )
                register = stored.register_gas
                _, rotate_gas = client.rotate(stored.file_id)
                remove_gas = client.remove(stored.file_id).gas
                print(
                    f"\ngas: register {register:,} (target <= 100,000), rotate {rotate_gas:,} (target <= 60,000), "
                    f"delete {remove_gas:,}"
                )
                print("targets: put-raw <= 15 ms and get-raw <= 10 ms at 1 MiB; put/raw and get/raw <= 1.5 from 16 MiB")
                small_files(client, pool, Path(folder), 200 if args.quick else 1000, params)
        finally:
            manager.down()


if __name__ == "__main__":
    main()
