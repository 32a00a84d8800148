"""Publishing and resolving sealed manifests on IPFS, named by the digest the chain stores.

A sealed manifest is one raw IPFS block; its SHA-256 digest is the on-chain
pointer and its CID follows from it (:mod:`kura.ipfs.cid`). It is pinned on
several nodes (it is encrypted, so replication leaks nothing) and fetched from
whichever answers first; the bytes are checked against the digest before use.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
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
    return publish_many_then([(sealed, nodes)], pool, lambda digests: then(digests[0]), replicas=replicas)


def publish_many_then(
    manifests: Sequence[tuple[bytes, Sequence[StorageNode]]],
    pool: NodePool,
    then: Callable[[list[bytes]], T],
    *,
    replicas: int = MANIFEST_REPLICAS,
) -> T:
    """:func:`publish_then` for many manifests, each with its own nodes, in one request per node and round.

    Each manifest goes to the first of its nodes that accepts it (the manifests of a node that fails move on to
    their next node); once every manifest is held by one node, ``then(digests)`` runs while the other replicas are
    written, and returns only after they are.

    Raises:
        StorageError: if a manifest found no node (``then`` is not called; those stored stay for the caller to
            :func:`retract`).
    """
    digests = [digest_of(sealed) for sealed, _ in manifests]
    untried = [list(nodes)[:replicas] for _, nodes in manifests]
    held = [False] * len(manifests)
    errors: dict[str, str] = {}
    while waiting := [number for number, ok in enumerate(held) if not ok and untried[number]]:
        for node, stored in _run(_puts(manifests, [(number, untried[number].pop(0)) for number in waiting], pool)):
            if isinstance(stored, IpfsError):
                errors[node] = str(stored)
            else:
                for number in stored:
                    held[number] = True
    if not all(held):
        reasons = "; ".join(f"{node}: {reason}" for node, reason in errors.items()) or "no nodes"
        raise StorageError(f"no storage node accepted manifest {held.index(False) + 1} of {len(manifests)} ({reasons})")
    rest = [(number, node) for number, nodes in enumerate(untried) for node in nodes]
    replicas_written = [_REPLICAS.submit(job) for job in _puts(manifests, rest, pool)]
    try:
        return then(digests)
    finally:
        wait(replicas_written)


Put = Callable[[], tuple[str, list[int] | IpfsError]]
"""One node's request: its name, and the manifests it stored or the error it gave."""


def _run(puts: Sequence[Put]) -> list[tuple[str, list[int] | IpfsError]]:
    """Run ``puts`` at once (a single one in this thread)."""
    if len(puts) == 1:
        return [puts[0]()]
    return list(_REPLICAS.map(lambda put: put(), puts))


def _puts(
    manifests: Sequence[tuple[bytes, Sequence[StorageNode]]], targets: Sequence[tuple[int, StorageNode]], pool: NodePool
) -> list[Put]:
    """One request per node for the ``(manifest number, node)`` pairs of ``targets``."""
    by_node: dict[str, list[int]] = defaultdict(list)
    nodes: dict[str, StorageNode] = {}
    for number, node in targets:
        by_node[node.name].append(number)
        nodes[node.name] = node

    def put(name: str) -> tuple[str, list[int] | IpfsError]:
        numbers = by_node[name]
        try:
            pool.client(nodes[name]).block_put_many([manifests[number][0] for number in numbers])
        except IpfsError as exc:
            return name, exc
        return name, numbers

    return [partial(put, name) for name in by_node]


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
