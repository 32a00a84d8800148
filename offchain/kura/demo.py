"""The end-to-end demo: a private devnet, the kura contracts, and IPFS + chain round trips.

It runs in its own temporary state folder, so it never touches a devnet the user
already runs, and always shuts down what it started.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.file_registry import FileRegistryClient
from kura.config import resolve_network
from kura.devnet import manager
from kura.errors import KuraError
from kura.ipfs import KuboClient

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


def run_demo(step: Step, *, kubo_nodes: int = manager.DEFAULT_KUBO_NODES) -> dict[str, object]:
    """Bring up a devnet, deploy, show an IPFS block travelling node 1 → node N and a contract round trip.

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

            registry = FileRegistryClient(chain, deployment)
            file_id, digest, root = secrets.token_bytes(32), secrets.token_bytes(32), secrets.token_bytes(32)
            receipt = registry.register(file_id, digest, root, owner=chain.account(0))
            record = registry.file_of(file_id)
            if (record.manifest_digest, record.shares_root, record.version) != (digest, root, 1):
                raise KuraError("FileRegistry returned a different record than the one registered")
            step(f"FileRegistry.register → fileOf round trip ok ({receipt['gasUsed']:,} gas)")
            report.update(cid=cid, chain_id=chain.chain_id, register_gas=int(receipt["gasUsed"]),
                          contracts={n: d.address for n, d in deployment.contracts.items()})
        finally:
            stopped = manager.down(progress=step)
            step(f"devnet down: {stopped} processes stopped")
    return report
