"""``StorageClient``: put, get, list, inspect, rotate and delete confidential files.

A put encodes the file into n self-verifying shares (encrypt, erasure-code,
Shamir-share the key), places each on a different live node, seals a manifest
for the owner, stores it on one node and only then registers the file on chain
(the other manifest replicas are written meanwhile) — so a failure at any step
leaves nothing registered, and what was uploaded is unpinned. Unless told not to,
it then enrols the file for audits and repair: it publishes the file's public share
table (pinned while the file registers) and announces it on chain, so the file is
repairable from the moment it is stored.
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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.contracts import Contracts
from kura.chain.file_registry import FileRecord, Registration
from kura.chain.stamp import mint_stamp
from kura.codes.params import CodeParams
from kura.crypto import ecies
from kura.errors import ContractRevertError, KuraError, StorageError
from kura.ipfs.cid import raw_cid
from kura.results import Result
from kura.storage.client import sharefiles
from kura.storage.client.batch import StoredBatch, batches, put_batch, share_entry
from kura.storage.client.fetch import fetch_shares
from kura.storage.client.placement import Placement, place_while_writing, unpin
from kura.storage.shared import manifest_store, sharetable
from kura.storage.shared.commitment import shares_root
from kura.storage.shared.manifest import Manifest, ManifestGrant, open_sealed, seal, seal_with_key
from kura.storage.shared.nodes import ZERO_ADDRESS, NodePool, Probe
from kura.storage.shared.sharetable import ShareTable

Progress = Callable[[int], None]
_STAMP_MINTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kura-stamp")
"""Mints registration stamps while puts upload their shares (one stamp at a time)."""
_TABLE_PINNER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kura-table")
"""Pins a new file's public share table while the file registers on chain."""
_UNREGISTERED = (
    "its shares are on nodes that are not registered in the NodeRegistry (--nodes config), so nobody "
    "can audit or repair them: store it on registered nodes to enrol it"
)


def _finished(pinning: Future[bytes] | None) -> bytes | None:
    """The digest a table pin ended with, or None if there was none or it failed."""
    if pinning is None or pinning.exception() is not None:
        return None
    return pinning.result()


def _enrolment_table(manifest: Manifest) -> ShareTable | None:
    """The share table to publish for ``manifest``'s file, or None if a holder is not a registered node."""
    if any(entry.operator == ZERO_ADDRESS for entry in manifest.shares):
        return None
    return ShareTable.of_manifest(manifest)


_BACKGROUND = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kura-get")
"""Probes the nodes while a get reads the chain."""


@dataclass(frozen=True)
class StoredFile(Result):
    """The result of a put.

    Attributes:
        table_digest: The published share table's SHA-256 (the file is enrolled for audits and repair), or None.
        not_enrolled: Why the file is not enrolled (empty when it is): opted out, shares on nodes that are not
            registered, or the enrolment failed after the file was stored (`kura store enroll` tries again).
    """

    file_id: bytes
    manifest_cid: str
    placements: tuple[Placement, ...]
    failed_nodes: dict[str, str]
    register_gas: int
    table_digest: bytes | None = None
    not_enrolled: str = ""


@dataclass(frozen=True)
class Removed(Result):
    """The result of a delete: gas of the on-chain delete, and the deposit sent back (wei, 0 if none)."""

    gas: int
    refunded: int


@dataclass(frozen=True)
class Retrieved(Result):
    """The result of a get."""

    size: int
    shares_used: tuple[int, ...]
    bad_nodes: dict[str, str]


_UNKNOWN = {
    "UnknownFile": "unknown file 0x{}: no file with this id is registered on this chain (`kura store ls` lists yours)",
    "FileIsDeleted": "file 0x{} was deleted by its owner",
}


def writable_target(target: Path | str) -> Path:
    """``target`` if a file can be written there: its folder exists and is writable, and it is not a folder.

    Raises:
        StorageError: saying which of these fails.
    """
    path = Path(target)
    folder = path.parent
    if path.is_dir():
        raise StorageError(f"{path} is a directory: give the path of the file to write (e.g. {path / 'file'})")
    if not folder.is_dir():
        raise StorageError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        with tempfile.TemporaryFile(prefix="kura-get-", dir=folder):
            pass
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc} in {folder}") from exc
    return path


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
        contracts: The deployment's contracts.
        pool: The storage nodes.
        owner: The account that owns (and can read) the files.
    """

    def __init__(self, contracts: Contracts, pool: NodePool, owner: LocalAccount) -> None:
        self.contracts = contracts
        self.registry = contracts.files
        self.pool = pool
        self.owner = owner
        self._owner_key = ecies.load_private_key(owner.key)

    def put(
        self,
        path: Path,
        params: CodeParams,
        *,
        progress: Progress | None = None,
        work_dir: Path | None = None,
        stamp: bool = False,
        enroll: bool = True,
    ) -> StoredFile:
        """Store the file at ``path`` as ``params.n`` shares, any ``params.k`` of which rebuild it.

        Args:
            path: The file.
            params: Scheme, k and n.
            progress: Called with byte counts as shares are uploaded.
            work_dir: Where the temporary share files go (default: the system's temp folder).
            stamp: Register on a proof-of-work stamp (minted while the shares upload, about
                2^difficulty hashes) instead of locking the registry's deposit.
            enroll: Publish the share table so audits and repairers tend the file (when its shares are on
                registered nodes); a failure there leaves the file stored and says why in ``not_enrolled``.

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
                self.pool,
                progress=progress,
            )
            digest: bytes | None = None
            pinning: Future[bytes] | None = None
            try:
                entries = tuple(share_entry(p, encoded) for p in report.placements)
                manifest = Manifest(
                    file_id=file_id,
                    name=source.name,
                    scheme=params.scheme,
                    k=params.k,
                    n=params.n,
                    size=encoded.plaintext_size,
                    codec=encoded.codec_fields(),
                    shares=entries,
                    created_at=int(time.time()),
                )
                sealed = seal(manifest, [self._owner_key.public_key()])
                digest = manifest_store.digest_of(sealed)
                holders = [p.node for p in report.placements]
                table = _enrolment_table(manifest) if enroll else None
                pinning = _TABLE_PINNER.submit(sharetable.publish, table, self.pool, holders) if table else None
                receipt = manifest_store.publish_then(
                    sealed,
                    self.pool,
                    holders,
                    lambda pointer: register(pointer, shares_root(entries)),
                )
            except BaseException:
                unpin(report.placements, self.pool)
                for blob in (digest, _finished(pinning)):
                    if blob is not None:
                        manifest_store.retract(blob, self.pool)
                raise
        stored = StoredFile(file_id, raw_cid(digest), report.placements, report.failed_nodes, int(receipt["gasUsed"]))
        if not enroll:
            return replace(stored, not_enrolled="opted out (--no-enroll)")
        if pinning is None:
            return replace(stored, not_enrolled=_UNREGISTERED)
        try:
            table_digest = pinning.result()
            self.contracts.repairs.publish_table(file_id, table_digest, owner=self.owner)
        except KuraError as exc:
            return replace(stored, not_enrolled=f"enrolment failed ({exc}): run `kura store enroll`")
        return replace(stored, table_digest=table_digest)

    def enroll(self, file_id: bytes) -> bytes:
        """Opt ``file_id`` into audits and repair: publish its share table and announce it on chain (owner only).

        Returns:
            The table's SHA-256 digest.

        Raises:
            StorageError: if a share is on a node that is not registered (nobody could audit or repair it).
            ContractRevertError: ``NotFileOwner`` if this account does not own the file.
        """
        _, manifest = self.manifest(file_id)
        table = _enrolment_table(manifest)
        if table is None:
            raise StorageError(f"file {file_id.hex()}: {_UNREGISTERED}")
        holders = [self.pool.by_api(entry.api_url) for entry in manifest.shares]
        digest = sharetable.publish(table, self.pool, holders)
        self.contracts.repairs.publish_table(file_id, digest, owner=self.owner)
        return digest

    def put_many(
        self,
        paths: Sequence[Path],
        params: CodeParams,
        *,
        progress: Progress | None = None,
        work_dir: Path | None = None,
    ) -> list[StoredBatch]:
        """Store many files in batches: per batch, one request per node for the shares, one for the
        manifests, and one registration transaction (each file locks the registry's deposit).

        Each file keeps its own id, shares and manifest, so it is read, rotated and removed on its own.
        Batched files are not enrolled (that is one transaction per file): :meth:`enroll` those that audits
        and repairers should tend.

        Args:
            paths: The files (a batch is cut at :data:`~kura.storage.client.batch.MAX_FILES` files).
            params: Scheme, k and n, for every file.
            progress: Called with byte counts as shares are stored.
            work_dir: Where large files' temporary share files go.

        Returns:
            One result per batch, in order.

        Raises:
            StorageError: if a path is not a readable file, there are too few live nodes, uploads fail beyond
                the spares, or the chain refuses a batch (that batch leaves nothing registered or pinned; the
                batches before it stay stored).
        """
        sources = [Path(path) for path in paths]
        for source in sources:
            if not source.is_file():
                raise StorageError(f"{source} is not a readable file")
        reader = self._owner_key.public_key()

        def register(files: Sequence[Registration]) -> int:
            return int(self.registry.register_batch(files, owner=self.owner)["gasUsed"])

        return [
            put_batch(register, self.pool, reader, batch, params, progress=progress, work_dir=work_dir)
            for batch in batches(sources)
        ]

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

    def manifest(
        self, file_id: bytes, *, probes: Sequence[Probe] | None = None, grant: ManifestGrant | None = None
    ) -> tuple[FileRecord, Manifest]:
        """The chain record and the opened manifest of ``file_id``.

        Args:
            file_id: The file.
            probes: A probe of the pool made just now, to reuse instead of probing again.
            grant: Read the manifest sealed under a dataset key (a buyer's) instead of the owner's.

        Raises:
            ContractRevertError: ``UnknownFile`` / ``FileIsDeleted``.
            DecryptionError: if this account is not a reader.
            StorageError: if the manifest does not match the on-chain commitment, even after merging
                the share table of the repairs made since it was sealed.
        """
        return self._open_manifest(self.record(file_id), probes, grant)

    def _open_manifest(
        self, record: FileRecord, probes: Sequence[Probe] | None, grant: ManifestGrant | None = None
    ) -> tuple[FileRecord, Manifest]:
        """The manifest ``record`` points to, opened and checked against the chain (see :meth:`manifest`)."""
        file_id = record.file_id
        digest, opener = (record.manifest_digest, self._owner_key) if grant is None else (grant.digest, grant.key)
        manifest = open_sealed(manifest_store.resolve(digest, self.pool, probes=probes), opener)
        if manifest.file_id == file_id and shares_root(manifest.shares) != record.shares_root:
            manifest = sharetable.catch_up(manifest, record.shares_root, self.contracts, self.pool)
        if manifest.file_id != file_id or shares_root(manifest.shares) != record.shares_root:
            raise StorageError(
                f"the manifest of {file_id.hex()} does not match the shares commitment on chain: refusing to use it"
            )
        return record, manifest

    def record(self, file_id: bytes) -> FileRecord:
        """The live chain record of ``file_id``.

        Raises:
            ContractRevertError: ``UnknownFile`` or ``FileIsDeleted``, saying so in words.
        """
        try:
            return self.registry.file_of(file_id)
        except ContractRevertError as exc:
            words = _UNKNOWN.get(exc.error_name)
            if words is None:
                raise
            raise ContractRevertError(
                exc.error_name, exc.args_by_name, f"{words.format(file_id.hex())} ({exc.error_name})"
            ) from exc

    def get(
        self, file_id: bytes, target: Path, *, progress: Progress | None = None, grant: ManifestGrant | None = None
    ) -> Retrieved:
        """Rebuild ``file_id`` into ``target`` (replaced only once the whole file is verified).

        Args:
            file_id: The file.
            target: Where to write it.
            progress: Called with byte counts as shares download.
            grant: Read it through a manifest sealed under a dataset key (a buyer's) instead of as its owner.

        Raises:
            StorageError: if ``target`` cannot be written (checked before anything is fetched).
            NotEnoughSharesError: naming every node that failed, if fewer than k shares verify.
            DecryptionError: if this account (or the grant's key) cannot open the manifest.
        """
        target = writable_target(target)
        probing = _BACKGROUND.submit(self.pool.probe)  # the nodes answer while the chain does
        record = self.record(file_id)
        probes = probing.result()
        _, manifest = self._open_manifest(record, probes, grant)
        with tempfile.TemporaryDirectory(prefix="kura-get-", dir=target.parent) as folder:
            work = Path(folder)
            placements = [Placement(e.index, self.pool.by_api(e.api_url), e.peer_id, e.cid) for e in manifest.shares]
            report = fetch_shares(
                placements,
                manifest.k,
                self.pool,
                work,
                lambda placement: sharefiles.verifier(manifest, placement.index),
                progress=progress,
                probes=probes,
            )
            partial = work / "partial"
            sharefiles.decode(report.shares, manifest, partial)
            os.replace(partial, target)
        return Retrieved(manifest.size, tuple(sorted(report.shares)), report.bad_nodes)

    def list(self) -> list[FileRecord]:
        """The live files this account owns now: registered by it or transferred to it (from the registry's
        events), and not deleted or transferred away since."""
        events, start = self.registry.contract.events, self.contracts.first_block("FileRegistry")
        registered = events.FileRegistered.get_logs(from_block=start, argument_filters={"owner": self.owner.address})
        received = events.FileTransferred.get_logs(from_block=start, argument_filters={"to": self.owner.address})
        files = []
        for file_id in dict.fromkeys(bytes(log.args.fileId) for log in [*registered, *received]):
            try:
                record = self.registry.file_of(file_id)
            except ContractRevertError as exc:
                if exc.error_name != "FileIsDeleted":
                    raise
                continue
            if record.owner == self.owner.address:
                files.append(record)
        return files

    def rotate(self, file_id: bytes, *, sealed_to: LocalAccount | None = None) -> tuple[int, int]:
        """Re-seal the manifest to this account with a fresh key, repoint the chain, and retract the old blob.

        Args:
            file_id: The file (this account must own it).
            sealed_to: The account the current manifest is sealed to, if not this one (a file transferred to
                this account still has its previous owner's manifest until it is rotated).

        Returns:
            The new version and the gas the rotation used.

        Raises:
            DecryptionError: if the current manifest is not sealed to ``sealed_to`` (or this account).
        """
        if sealed_to is None:
            record, manifest = self.manifest(file_id)
        else:
            record, manifest = StorageClient(self.contracts, self.pool, sealed_to).manifest(file_id)
        self.write_pointers(file_id)
        sealed = seal(manifest, [self._owner_key.public_key()])
        holders = [self.pool.by_api(share.api_url) for share in manifest.shares]
        digest = manifest_store.publish(sealed, self.pool, holders)
        try:
            receipt = self.registry.rotate(file_id, record.version, digest, owner=self.owner)
        except KuraError:
            manifest_store.retract(digest, self.pool)
            raise
        manifest_store.retract(record.manifest_digest, self.pool)
        return record.version + 1, int(receipt["gasUsed"])

    def grant(self, file_id: bytes, key: bytes) -> ManifestGrant:
        """Seal ``file_id``'s manifest under ``key`` for whoever holds it (a buyer of a dataset key) and store
        the blob on the file's share holders.

        Raises:
            DecryptionError: if this account cannot open the file's manifest.
            StorageError: if the key is not 32 bytes or no holder stores the blob.
        """
        _, manifest = self.manifest(file_id)
        holders = [self.pool.by_api(share.api_url) for share in manifest.shares]
        return ManifestGrant(manifest_store.publish(seal_with_key(manifest, key), self.pool, holders), key)

    def write_pointers(self, file_id: bytes) -> int:
        """Store the on-chain pointers of a file registered in a batch, so it can be rotated or enrolled
        for audits; nothing to do for any other file.

        Returns:
            The gas used (0 if there was nothing to do).
        """
        if not self.registry.head_of(file_id)[1]:
            return 0
        return int(self.registry.write_pointers(file_id, sender=self.owner)["gasUsed"])

    def remove(self, file_id: bytes) -> Removed:
        """Delete ``file_id`` on chain, unpin its shares, manifest and share table, and pull back the deposit it
        was registered with (the registry credits it on delete)."""
        record, manifest = self.manifest(file_id)
        pointer = sharetable.pointer(self.contracts, file_id)
        receipt = self.registry.remove(file_id, owner=self.owner)
        unpin([Placement(e.index, self.pool.by_api(e.api_url), e.peer_id, e.cid) for e in manifest.shares], self.pool)
        manifest_store.retract(record.manifest_digest, self.pool)
        if pointer is not None:
            manifest_store.retract(pointer.table_digest, self.pool)
        refunded = self.registry.payments(self.owner.address)
        if refunded:
            self.registry.withdraw_payments(payee=self.owner)
        return Removed(int(receipt["gasUsed"]), refunded)
