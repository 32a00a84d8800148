"""The end-to-end demo: a private devnet, the kura contracts, and IPFS + chain round trips.

It runs in its own temporary state folder, so it never touches a devnet the user
already runs, and always shuts down what it started.
"""

from __future__ import annotations

import os
import random
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.deployments import Deployment
from kura.config import NetworkConfig, resolve_network
from kura.crypto.params import CodeParams, Scheme
from kura.devnet import manager
from kura.errors import KuraError
from kura.ipfs import KuboClient
from kura.storage.client import StorageClient
from kura.storage.nodes import NodePool, nodes_of

Step = Callable[[str], None]


@contextmanager
def private_state() -> Iterator[Path]:
    """Point ``KURA_STATE`` at a fresh temporary folder for the duration of the block."""
    previous = os.environ.get("KURA_STATE")
    with tempfile.TemporaryDirectory(prefix="kura-demo-") as folder:
        os.environ["KURA_STATE"] = folder
        try:
            yield Path(folder)
        finally:
            if previous is None:
                os.environ.pop("KURA_STATE", None)
            else:
                os.environ["KURA_STATE"] = previous


def synthetic_records(rows: int, seed: int = 7) -> bytes:
    """De-identified synthetic patient records, as CSV ``age,sex,diagnosis_code,systolic_bp,hba1c_x10``."""
    rng = random.Random(seed)
    lines = [
        f"{rng.randint(18, 90)},{rng.choice('FM')},{rng.choice(['E11', 'I10', 'J45', 'C50', 'N18'])},"
        f"{rng.randint(95, 185)},{rng.randint(48, 110)}"
        for _ in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _storage_round_trip(step: Step, chain: Chain, deployment: Deployment, network: NetworkConfig) -> dict[str, object]:
    """Store synthetic records confidentially, read them back, rotate the manifest."""
    params = CodeParams(Scheme.MSR, 3, 5)
    records = synthetic_records(20_000)
    with tempfile.TemporaryDirectory(prefix="kura-demo-files-") as folder, NodePool(nodes_of(network)) as pool:
        source = Path(folder) / "hospital-a-records.csv"
        source.write_bytes(records)
        client = StorageClient(chain, deployment, pool, chain.account(1))
        stored = client.put(source, params)
        placed = ", ".join(f"{p.index}→{p.node.name}" for p in stored.placements)
        step(f"stored {len(records):,} bytes of synthetic records as {stored.file_id.hex()[:16]}…: MSR 3-of-5, "
             f"shares {placed} ({stored.register_gas:,} gas to register)")
        for lost in stored.placements[:2]:
            pool.client(lost.node).pin_rm(lost.cid)
            pool.client(lost.node).gc()
        step(f"dropped shares {stored.placements[0].index} and {stored.placements[1].index} from their nodes")
        back = Path(folder) / "back.csv"
        result = client.get(stored.file_id, back)
        if back.read_bytes() != records:
            raise KuraError("the records read back differ from the ones stored")
        step(f"read them back from shares {list(result.shares_used)}: identical")
        version, rotate_gas = client.rotate(stored.file_id)
        record = client.registry.file_of(stored.file_id)
        if record.version != version:
            raise KuraError("FileRegistry did not record the rotation")
        step(f"rotated the manifest key: FileRegistry.fileOf shows version {record.version} ({rotate_gas:,} gas)")
    return {"file_id": stored.file_id.hex(), "register_gas": stored.register_gas, "rotate_gas": rotate_gas,
            "shares_used": list(result.shares_used)}


def run_demo(step: Step, *, kubo_nodes: int = manager.DEFAULT_KUBO_NODES) -> dict[str, object]:
    """Bring up a devnet, deploy, move an IPFS block node 1 → node N, and store, lose, rebuild and rotate a file.

    Returns:
        The figures the demo measured (for ``--json``).

    Raises:
        KuraError: if any step fails (the devnet is shut down first).
    """
    report: dict[str, object] = {}
    with private_state():
        started = time.monotonic()
        state = manager.up(kubo_nodes, progress=step)
        try:
            report["devnet_up_seconds"] = round(time.monotonic() - started, 2)
            report["pids"] = [process.pid for process in state.processes]
            network = resolve_network("devnet")
            chain = Chain.connect(network)
            deployment = deploy_all(chain, chain.account(0), progress=step)

            first, last = state.kubo[0], state.kubo[-1]
            block = secrets.token_bytes(4096)
            with KuboClient(first.api_url) as source, KuboClient(last.api_url) as sink:
                cid = source.add(block)
                step(f"added a {len(block)}-byte block on {first.process.name}: {cid}")
                if sink.has_local(cid):
                    raise KuraError(f"{last.process.name} unexpectedly held {cid} before fetching it")
                fetched = sink.cat(cid, timeout=30)
            if fetched != block:
                raise KuraError(f"{last.process.name} returned different bytes for {cid}")
            step(f"read it back from {last.process.name} over bitswap: identical")

            report.update(cid=cid, chain_id=chain.chain_id,
                          contracts={n: d.address for n, d in deployment.contracts.items()})
            report.update(_storage_round_trip(step, chain, deployment, network))
        finally:
            stopped = manager.down(progress=step)
            step(f"devnet down: {stopped} processes stopped")
    return report
