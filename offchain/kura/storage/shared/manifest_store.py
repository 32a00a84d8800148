"""Publishing and resolving sealed manifests on IPFS, named by the digest the chain stores.

A sealed manifest is one raw IPFS block; its SHA-256 digest is the on-chain
pointer and its CID follows from it (:mod:`kura.ipfs.cid`). It is pinned on
several nodes (it is encrypted, so replication leaks nothing) and fetched from
whichever answers first; the bytes are checked against the digest before use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from kura.errors import IpfsError, StorageError
from kura.ipfs.cid import raw_cid
from kura.storage.shared.nodes import NodePool, Probe, StorageNode

MANIFEST_REPLICAS = 3
_REPLICAS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="kura-manifest")
"""Threads writing the other manifest replicas while the caller registers, kept for the process."""
T = TypeVar("T")


def digest_of(sealed: bytes) -> bytes:
    """The on-chain pointer of a sealed manifest: its SHA-256 digest."""
    return hashlib.sha256(sealed).digest()


def publish(sealed: bytes, pool: NodePool, nodes: Sequence[StorageNode], *, replicas: int = MANIFEST_REPLICAS) -> bytes:
    """Store and pin ``sealed`` on the first ``replicas`` of ``nodes``; return its SHA-256 digest.

    Raises:
        StorageError: if no node accepted it.
    """
    return publish_then(sealed, pool, nodes, lambda digest: digest, replicas=replicas)


def publish_then(
    sealed: bytes,
    pool: NodePool,
    nodes: Sequence[StorageNode],
    then: Callable[[bytes], T],
    *,
    replicas: int = MANIFEST_REPLICAS,
) -> T:
    """Store and pin ``sealed`` on the first ``replicas`` of ``nodes``; run ``then(digest)`` as soon as one has it.

    The first node that accepts the manifest is written to before anything else
    happens, so ``then`` (registering the digest on chain, say) never points at a
    manifest stored nowhere; the other replicas are written while ``then`` runs.
    A replica that fails is tolerated, as long as one node holds the manifest.

    Returns:
        What ``then`` returned.

    Raises:
        StorageError: if no node accepted the manifest (``then`` is not called).
    """
    digest = digest_of(sealed)
    targets = list(nodes)[:replicas]
    errors: list[str] = []

    def put(node: StorageNode) -> bool:
        try:
            pool.client(node).block_put(sealed, pin=True)
        except IpfsError as exc:
            errors.append(f"{node.name}: {exc}")
            return False
        return True

    while targets and not put(targets[0]):
        targets.pop(0)
    if not targets:
        raise StorageError(f"no storage node accepted the manifest ({'; '.join(errors) or 'no nodes'})")
    replicas_written = [_REPLICAS.submit(put, node) for node in targets[1:]]
    try:
        return then(digest)
    finally:
        wait(replicas_written)


def resolve(digest: bytes, pool: NodePool, *, timeout: float = 30.0, probes: Sequence[Probe] | None = None) -> bytes:
    """The sealed manifest with SHA-256 ``digest``, from the first node that serves it intact.

    Args:
        digest: The on-chain pointer.
        pool: The nodes to ask, fastest first.
        timeout: Seconds to wait for one node.
        probes: A probe of ``pool`` made just now, to reuse instead of probing again.

    Raises:
        StorageError: if no node serves bytes matching the digest.
    """
    cid = raw_cid(digest)
    problems = []
    for probe in pool.probe() if probes is None else probes:
        try:
            blob = pool.client(probe.node).block_get(cid, timeout=timeout)
        except IpfsError as exc:
            problems.append(f"{probe.node.name}: {exc}")
            continue
        if digest_of(blob) == digest:
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
