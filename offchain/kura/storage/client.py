"""``StorageClient``: put, get, list, inspect, rotate and delete confidential files.

A put encodes the file into n self-verifying shares (encrypt, erasure-code,
Shamir-share the key), places each on a different live node, seals a manifest
for the owner, stores it on one node and only then registers the file on chain
(the other manifest replicas are written meanwhile) — so a failure at any step
leaves nothing registered, and what was uploaded is unpinned.
A get reads the chain record, resolves and opens the manifest, checks it against
the on-chain shares commitment, fetches k verified shares (fastest nodes first)
and decodes into a temporary file that replaces the target only when complete.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRecord, FileRegistryClient
from kura.chain.stamp import mint_stamp
from kura.crypto import ecies
from kura.crypto.params import CodeParams
from kura.crypto.share import ShareInfo
from kura.errors import ContractRevertError, KuraError, StorageError
from kura.ipfs.cid import raw_cid
from kura.storage import manifests, sharefiles, sharetable
from kura.storage.commitment import shares_root
from kura.storage.fetch import fetch_shares
from kura.storage.manifest import Manifest, ShareEntry, open_sealed, seal
from kura.storage.nodes import NodePool, Probe
from kura.storage.placement import Placement, place_while_writing, unpin

Progress = Callable[[int], None]
_STAMP_MINTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kura-stamp")
"""Mints registration stamps while puts upload their shares (one stamp at a time)."""


@dataclass(frozen=True)
class StoredFile:
    """The result of a put."""

    file_id: bytes
    manifest_cid: str
    placements: tuple[Placement, ...]
    failed_nodes: dict[str, str]
    register_gas: int


@dataclass(frozen=True)
class Removed:
    """The result of a delete: gas of the on-chain delete, and the deposit sent back (wei, 0 if none)."""

    gas: int
    refunded: int


@dataclass(frozen=True)
class Retrieved:
    """The result of a get."""

    size: int
    shares_used: tuple[int, ...]
    bad_nodes: dict[str, str]


def _entry(placement: Placement, info: ShareInfo) -> ShareEntry:
    return ShareEntry(
        index=placement.index, cid=placement.cid, node=placement.node.name, api_url=placement.node.api_url,
        peer_id=placement.peer_id, operator=placement.node.operator, size=info.size, chunk_count=info.chunk_count,
        merkle_root=info.merkle_root, sha256=info.sha256,
    )


def parse_file_id(text: str) -> bytes:
    """A file id from its hex form (``0x`` optional).

    Raises:
        StorageError: if it is not 32 bytes of hex.
    """
    value = text.removeprefix("0x")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise StorageError(f"{text!r} is not a file id (64 hex digits, as printed by `kura store put`)")
    return raw


class StorageClient:
    """Confidential file storage for one owner account.

    Args:
        chain: Connection to the chain.
        deployment: Where the kura contracts are.
        pool: The storage nodes.
        owner: The account that owns (and can read) the files.
    """

    def __init__(self, chain: Chain, deployment: Deployment, pool: NodePool, owner: LocalAccount) -> None:
        self.chain = chain
        self.registry = FileRegistryClient(chain, deployment)
        self.pool = pool
        self.owner = owner
        self._owner_key = ecies.load_private_key(owner.key)
        self._first_block = deployment.contracts["FileRegistry"].block
        self.deployment = deployment

    def put(self, path: Path, params: CodeParams, *, progress: Progress | None = None,
            work_dir: Path | None = None, stamp: bool = False) -> StoredFile:
        """Store the file at ``path`` as ``params.n`` shares, any ``params.k`` of which rebuild it.

        Args:
            path: The file.
            params: Scheme, k and n.
            progress: Called with byte counts as shares are uploaded.
            work_dir: Where the temporary share files go (default: the system's temp folder).
            stamp: Register on a proof-of-work stamp (minted while the shares upload, about
                2^difficulty hashes) instead of locking the registry's deposit.

        Raises:
            StorageError: if there are too few live nodes, uploads fail beyond the spares, the
                registry takes no stamps (with ``stamp``), or the chain refuses the registration
                (nothing stays registered or pinned then).
        """
        source = Path(path)
        if not source.is_file():
            raise StorageError(f"{source} is not a readable file")
        file_id = secrets.token_bytes(32)
        register = self._stamped_registration(file_id) if stamp else self._deposit_registration(file_id)
        with tempfile.TemporaryDirectory(prefix="kura-put-", dir=work_dir) as folder:
            encoded, report = place_while_writing(
                sharefiles.share_paths(params, Path(folder)),
                lambda sinks: sharefiles.encode_to(source, params, file_id, sinks),
                self.pool, progress=progress,
            )
            digest: bytes | None = None
            try:
                entries = tuple(_entry(p, encoded.share(p.index)) for p in report.placements)
                manifest = Manifest(
                    file_id=file_id, name=source.name, scheme=params.scheme, k=params.k, n=params.n,
                    size=encoded.plaintext_size, codec=encoded.codec_fields(), shares=entries,
                    created_at=int(time.time()),
                )
                sealed = seal(manifest, [self._owner_key.public_key()])
                digest = manifests.digest_of(sealed)
                receipt = manifests.publish_then(
                    sealed, self.pool, [p.node for p in report.placements],
                    lambda pointer: register(pointer, shares_root(entries)),
                )
            except BaseException:
                unpin(report.placements, self.pool)
                if digest is not None:
                    manifests.retract(digest, self.pool)
                raise
        return StoredFile(file_id, raw_cid(digest), report.placements, report.failed_nodes, int(receipt["gasUsed"]))

    def _deposit_registration(self, file_id: bytes) -> Callable[[bytes, bytes], TxReceipt]:
        return lambda digest, root: self.registry.register(file_id, digest, root, owner=self.owner)

    def _stamped_registration(self, file_id: bytes) -> Callable[[bytes, bytes], TxReceipt]:
        """Start minting the stamp for ``file_id`` now; the registration waits for it."""
        bits = self.registry.difficulty_bits()
        if bits == 0:
            raise StorageError("this registry takes no stamps: register with a deposit instead (drop --stamp)")
        minting = _STAMP_MINTER.submit(mint_stamp, self.owner.address, file_id, bits)
        return lambda digest, root: self.registry.register_with_stamp(
            file_id, digest, root, minting.result(), owner=self.owner
        )

    def manifest(self, file_id: bytes, *, probes: Sequence[Probe] | None = None) -> tuple[FileRecord, Manifest]:
        """The chain record and the opened manifest of ``file_id``.

        Args:
            file_id: The file.
            probes: A probe of the pool made just now, to reuse instead of probing again.

        Raises:
            ContractRevertError: ``UnknownFile`` / ``FileIsDeleted``.
            DecryptionError: if this account is not a reader.
            StorageError: if the manifest does not match the on-chain commitment, even after merging
                the share table of the repairs made since it was sealed.
        """
        record = self.registry.file_of(file_id)
        manifest = open_sealed(manifests.resolve(record.manifest_digest, self.pool, probes=probes), self._owner_key)
        if manifest.file_id == file_id and shares_root(manifest.shares) != record.shares_root:
            manifest = sharetable.catch_up(manifest, record.shares_root, self.chain, self.deployment, self.pool)
        if manifest.file_id != file_id or shares_root(manifest.shares) != record.shares_root:
            raise StorageError(
                f"the manifest of {file_id.hex()} does not match the shares commitment on chain: refusing to use it"
            )
        return record, manifest

    def get(self, file_id: bytes, target: Path, *, progress: Progress | None = None) -> Retrieved:
        """Rebuild ``file_id`` into ``target`` (replaced only once the whole file is verified).

        Raises:
            NotEnoughSharesError: naming every node that failed, if fewer than k shares verify.
        """
        probes = self.pool.probe()
        _, manifest = self.manifest(file_id, probes=probes)
        target = Path(target)
        with tempfile.TemporaryDirectory(prefix="kura-get-", dir=target.parent) as folder:
            work = Path(folder)
            placements = [
                Placement(e.index, self.pool.by_api(e.api_url), e.peer_id, e.cid) for e in manifest.shares
            ]
            report = fetch_shares(
                placements, manifest.k, self.pool, work,
                lambda placement: sharefiles.verifier(manifest, placement.index), progress=progress, probes=probes,
            )
            partial = work / "partial"
            sharefiles.decode(report.shares, manifest, partial)
            os.replace(partial, target)
        return Retrieved(manifest.size, tuple(sorted(report.shares)), report.bad_nodes)

    def list(self) -> list[FileRecord]:
        """The live files this account owns (from the registry's events)."""
        event = self.registry.contract.events.FileRegistered
        logs = event.get_logs(from_block=self._first_block, argument_filters={"owner": self.owner.address})
        files = []
        for log in logs:
            try:
                files.append(self.registry.file_of(bytes(log.args.fileId)))
            except ContractRevertError as exc:
                if exc.error_name != "FileIsDeleted":
                    raise
        return files

    def rotate(self, file_id: bytes) -> tuple[int, int]:
        """Re-seal the manifest with a fresh key, repoint the chain, and retract the old blob.

        Returns:
            The new version and the gas the rotation used.
        """
        record, manifest = self.manifest(file_id)
        sealed = seal(manifest, [self._owner_key.public_key()])
        holders = [self.pool.by_api(share.api_url) for share in manifest.shares]
        digest = manifests.publish(sealed, self.pool, holders)
        try:
            receipt = self.registry.rotate(file_id, record.version, digest, owner=self.owner)
        except KuraError:
            manifests.retract(digest, self.pool)
            raise
        manifests.retract(record.manifest_digest, self.pool)
        return record.version + 1, int(receipt["gasUsed"])

    def remove(self, file_id: bytes) -> Removed:
        """Delete ``file_id`` on chain, unpin its shares and manifest, and pull back the deposit it was
        registered with (the registry credits it on delete)."""
        record, manifest = self.manifest(file_id)
        receipt = self.registry.remove(file_id, owner=self.owner)
        unpin(
            [Placement(e.index, self.pool.by_api(e.api_url), e.peer_id, e.cid) for e in manifest.shares], self.pool
        )
        manifests.retract(record.manifest_digest, self.pool)
        refunded = self.registry.payments(self.owner.address)
        if refunded:
            self.registry.withdraw_payments(payee=self.owner)
        return Removed(int(receipt["gasUsed"]), refunded)
