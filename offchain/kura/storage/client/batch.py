"""Many files stored together: shares and manifests sent to each node in one request, one registration per batch.

A put of one file costs a few fixed round trips (a probe, n uploads, a manifest, a
transaction); for a folder of small files (a hospital's FHIR resources are a few KB
each) those round trips, not the bytes, are the cost. :func:`put_batch` stores a
batch of files with one probe, one multi-block request per node for all their
shares, one per node for all their manifests, and one ``registerBatch``
transaction. Each file is still a file of its own: its own random id, key,
shares, manifest and on-chain head, so it is read, rotated, transferred and
removed on its own.

Small files (up to :data:`INLINE_LIMIT` bytes) are encoded in memory and their
shares stored as single raw blocks; larger ones stream through
:func:`~kura.storage.client.placement.place_while_writing` as a single put does, and
join the batch's registration. Each file's shares go to ``n`` distinct nodes chosen
at random among those that answer; a node that fails has its shares moved to spare
nodes that hold no other share of the same file. If anything fails for good, every
share and manifest of the batch is unpinned again and nothing is registered.
"""

from __future__ import annotations

import random
import secrets
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from kura.chain.file_registry import Registration
from kura.codes.params import CodeParams
from kura.crypto.codec import EncodedFile, encode_bytes
from kura.errors import IpfsError, StorageError
from kura.ipfs.cid import raw_cid
from kura.results import Result
from kura.storage.client import sharefiles
from kura.storage.client.placement import Placement, place_while_writing, unpin
from kura.storage.shared import manifest_store
from kura.storage.shared.commitment import shares_root
from kura.storage.shared.manifest import Manifest, ShareEntry, seal
from kura.storage.shared.nodes import NodePool, Probe

INLINE_LIMIT = 512 << 10
"""Largest file (bytes) whose shares are encoded in memory and stored as single raw blocks (a raw block holds
at most 1 MiB, and a Shamir share is as large as the file)."""
MAX_FILES = 256
"""Files registered in one transaction: at the per-file gas of a batch (``benchmarks/README.md``), far below a
block's gas limit."""
MAX_BYTES = 64 << 20
"""Plaintext bytes of the small files of one batch, which are held in memory as shares until stored."""

Progress = Callable[[int], None]


@dataclass(frozen=True)
class BatchedFile(Result):
    """One file of a batch: where it went.

    Attributes:
        path: The file stored.
        file_id: Its on-chain id.
        manifest_cid: Its sealed manifest's CID.
        placements: Where each share went.
        failed_nodes: Nodes that failed on the way (name → reason) and were replaced.
    """

    path: Path
    file_id: bytes
    manifest_cid: str
    placements: tuple[Placement, ...]
    failed_nodes: dict[str, str]


@dataclass(frozen=True)
class StoredBatch(Result):
    """The files of one registration transaction, and its gas."""

    files: tuple[BatchedFile, ...]
    register_gas: int


@dataclass
class _Staged:
    """A file whose shares are stored and whose manifest is not yet written."""

    path: Path
    file_id: bytes
    encoded: EncodedFile
    placements: list[Placement]
    failed: dict[str, str]


def batches(paths: Sequence[Path]) -> list[list[Path]]:
    """``paths`` cut into batches of at most :data:`MAX_FILES` files and :data:`MAX_BYTES` of small files."""
    cut: list[list[Path]] = [[]]
    held = 0
    for path in paths:
        size = path.stat().st_size
        inline = size if size <= INLINE_LIMIT else 0
        if cut[-1] and (len(cut[-1]) == MAX_FILES or held + inline > MAX_BYTES):
            cut.append([])
            held = 0
        cut[-1].append(path)
        held += inline
    return [batch for batch in cut if batch]


class _Uploads:
    """Puts the small files' shares on their nodes, one request per node, replacing nodes that fail."""

    def __init__(self, pool: NodePool, live: Sequence[Probe], progress: Progress | None) -> None:
        self.pool = pool
        self.live = list(live)
        self.progress = progress
        self.failed: dict[str, str] = {}

    def store(
        self, files: Sequence[_Staged], blobs: Sequence[Sequence[bytes]], targets: Sequence[Sequence[Probe]]
    ) -> None:
        """Store share ``i`` of ``files[f]`` (``blobs[f][i]``) on ``targets[f][i]``, appending each placement.

        Raises:
            StorageError: if a share finds no node (the placed ones stay in ``files`` for the caller to unpin).
        """
        by_node: dict[str, list[tuple[int, int]]] = defaultdict(list)
        probes = {probe.node.name: probe for probe in self.live}
        for number, chosen in enumerate(targets):
            for index, probe in enumerate(chosen):
                by_node[probe.node.name].append((number, index))

        def send(name: str) -> tuple[str, list[str] | IpfsError]:
            jobs = by_node[name]
            try:
                cids = self.pool.client(probes[name].node).block_put_many([blobs[f][i] for f, i in jobs])
            except IpfsError as exc:
                return name, exc
            if self.progress is not None:
                self.progress(sum(len(blobs[f][i]) for f, i in jobs))
            return name, cids

        with ThreadPoolExecutor(max_workers=max(1, len(by_node))) as workers:
            outcomes = list(workers.map(send, list(by_node)))
        retry: list[tuple[int, int]] = []
        for name, outcome in outcomes:
            if isinstance(outcome, IpfsError):
                self.failed[name] = str(outcome)
                retry.extend(by_node[name])
                continue
            for (number, index), cid in zip(by_node[name], outcome, strict=True):
                probe = probes[name]
                files[number].placements.append(Placement(index, probe.node, probe.peer_id, cid))
        for number, index in retry:
            self._spare(files[number], index, blobs[number][index])

    def _spare(self, file: _Staged, index: int, blob: bytes) -> None:
        """Put one share on a live node that has not failed and holds no other share of its file."""
        taken = {placement.node.name for placement in file.placements}
        for probe in self.live:
            if probe.node.name in taken or probe.node.name in self.failed:
                continue
            try:
                cid = self.pool.client(probe.node).block_put_many([blob])[0]
            except IpfsError as exc:
                self.failed[probe.node.name] = str(exc)
                continue
            file.placements.append(Placement(index, probe.node, probe.peer_id, cid))
            file.failed.update(self.failed)
            return
        raise StorageError(
            f"share {index} of {file.path} could not be placed: its nodes failed ({'; '.join(self.failed.values())}) "
            "and no spare node is left"
        )


def put_batch(
    register: Callable[[Sequence[Registration]], int],
    pool: NodePool,
    reader_key: ec.EllipticCurvePublicKey,
    paths: Sequence[Path],
    params: CodeParams,
    *,
    progress: Progress | None = None,
    work_dir: Path | None = None,
    rng: random.Random | None = None,
) -> StoredBatch:
    """Store ``paths`` (one batch, see :func:`batches`) and register them in one transaction.

    Args:
        register: Registers the batch on chain and returns the transaction's gas.
        pool: The storage nodes.
        reader_key: The owner's public key, to which each manifest is sealed.
        paths: The files.
        params: Scheme, k and n, for every file.
        progress: Called with byte counts as shares are stored.
        work_dir: Where large files' temporary share files go.
        rng: Chooses the nodes (the system's randomness by default).

    Raises:
        StorageError: if fewer than n nodes answer, shares or manifests find no node, or the chain refuses
            the batch; nothing stays registered or pinned then.
    """
    live = pool.probe()
    if len(live) < params.n:
        raise StorageError(
            f"need {params.n} distinct live storage nodes but only {len(live)} answer: start more nodes or choose a "
            "smaller n"
        )
    chooser = rng or random.SystemRandom()
    staged: list[_Staged] = []
    digests: list[bytes] = []
    try:
        inline: list[_Staged] = []
        blobs: list[list[bytes]] = []
        for path in paths:
            if path.stat().st_size > INLINE_LIMIT:
                staged.append(_stream_one(path, params, pool, progress, work_dir))
                continue
            file_id = secrets.token_bytes(32)
            encoded, shares = encode_bytes(path.read_bytes(), params, file_id=file_id)
            inline.append(_Staged(path, file_id, encoded, [], {}))
            staged.append(inline[-1])
            blobs.append(shares)
        uploads = _Uploads(pool, live, progress)
        uploads.store(inline, blobs, [chooser.sample(live, params.n) for _ in inline])
        del blobs
        manifests = [_manifest(file, params) for file in staged]
        sealed = [seal(manifest, [reader_key]) for manifest in manifests]
        digests = [manifest_store.digest_of(blob) for blob in sealed]
        holders = [[p.node for p in sorted(file.placements, key=lambda p: p.index)] for file in staged]
        gas = manifest_store.publish_many_then(
            list(zip(sealed, holders, strict=True)),
            pool,
            lambda stored: register(
                [
                    Registration(file.file_id, digest, shares_root(manifest.shares))
                    for file, digest, manifest in zip(staged, stored, manifests, strict=True)
                ]
            ),
        )
    except BaseException:
        unpin([placement for file in staged for placement in file.placements], pool)
        for digest in digests:
            manifest_store.retract(digest, pool)
        raise
    return StoredBatch(
        tuple(
            BatchedFile(
                file.path,
                file.file_id,
                raw_cid(digest),
                tuple(sorted(file.placements, key=lambda p: p.index)),
                file.failed,
            )
            for file, digest in zip(staged, digests, strict=True)
        ),
        gas,
    )


def _stream_one(
    path: Path, params: CodeParams, pool: NodePool, progress: Progress | None, work_dir: Path | None
) -> _Staged:
    """A large file, encoded and uploaded as a single put does."""
    file_id = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="kura-put-", dir=work_dir) as folder:
        encoded, report = place_while_writing(
            sharefiles.share_paths(params, Path(folder)),
            lambda sinks: sharefiles.encode_to(path, params, file_id, sinks),
            pool,
            progress=progress,
        )
    return _Staged(path, file_id, encoded, list(report.placements), dict(report.failed_nodes))


def share_entry(placement: Placement, encoded: EncodedFile) -> ShareEntry:
    """The manifest's entry for a placed share of ``encoded``."""
    info = encoded.share(placement.index)
    return ShareEntry(
        index=placement.index,
        cid=placement.cid,
        node=placement.node.name,
        api_url=placement.node.api_url,
        peer_id=placement.peer_id,
        operator=placement.node.operator,
        size=info.size,
        chunk_count=info.chunk_count,
        merkle_root=info.merkle_root,
    )


def _manifest(file: _Staged, params: CodeParams) -> Manifest:
    entries = tuple(share_entry(p, file.encoded) for p in sorted(file.placements, key=lambda p: p.index))
    return Manifest(
        file_id=file.file_id,
        name=file.path.name,
        scheme=params.scheme,
        k=params.k,
        n=params.n,
        size=file.encoded.plaintext_size,
        codec=file.encoded.codec_fields(),
        shares=entries,
        created_at=int(time.time()),
    )
