"""Publishing and resolving sealed manifests on IPFS, named by the digest the chain stores.

A sealed manifest is one raw IPFS block; its SHA-256 digest is the on-chain
pointer and its CID follows from it (:mod:`kura.ipfs.cid`). It is pinned on
several nodes (it is encrypted, so replication leaks nothing) and fetched from
whichever answers first; the bytes are checked against the digest before use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from kura.errors import IpfsError, StorageError
from kura.ipfs.cid import raw_cid
from kura.storage.nodes import NodePool, StorageNode

MANIFEST_REPLICAS = 3


def publish(sealed: bytes, pool: NodePool, nodes: Sequence[StorageNode], *, replicas: int = MANIFEST_REPLICAS) -> bytes:
    """Store and pin ``sealed`` on the first ``replicas`` of ``nodes``, in parallel; return its SHA-256 digest.

    Raises:
        StorageError: if no node accepted it.
    """
    digest = hashlib.sha256(sealed).digest()
    targets = list(nodes)[:replicas]

    def put(node: StorageNode) -> str | None:
        try:
            pool.client(node).block_put(sealed, pin=True)
        except IpfsError as exc:
            return f"{node.name}: {exc}"
        return None

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as workers:
        outcomes = list(workers.map(put, targets))
    errors = [error for error in outcomes if error is not None]
    if len(errors) == len(outcomes):
        raise StorageError(f"no storage node accepted the manifest ({'; '.join(errors) or 'no nodes'})")
    return digest


def resolve(digest: bytes, pool: NodePool, *, timeout: float = 30.0) -> bytes:
    """The sealed manifest with SHA-256 ``digest``, from the first node that serves it intact.

    Raises:
        StorageError: if no node serves bytes matching the digest.
    """
    cid = raw_cid(digest)
    problems = []
    for probe in pool.probe():
        try:
            blob = pool.client(probe.node).block_get(cid, timeout=timeout)
        except IpfsError as exc:
            problems.append(f"{probe.node.name}: {exc}")
            continue
        if hashlib.sha256(blob).digest() == digest:
            return blob
        problems.append(f"{probe.node.name}: served bytes that do not match the digest")
    raise StorageError(f"manifest {cid} could not be fetched ({'; '.join(problems) or 'no node answers'})")


def retract(digest: bytes, pool: NodePool) -> None:
    """Unpin the manifest block from every node (an old version after rotation, or a deleted file)."""
    cid = raw_cid(digest)
    for node in pool.nodes:
        try:
            pool.client(node).pin_rm(cid)
        except IpfsError:
            continue
