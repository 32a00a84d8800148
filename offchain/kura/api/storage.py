"""``Kura.storage``: confidential files on the storage nodes, pointers on chain.

This is where the rule for choosing storage nodes lives (:class:`NodeSource`), and where a file id given
as text becomes bytes, so the command line and library users share both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kura.codes.params import CodeParams, Scheme
from kura.config import NodeSource
from kura.errors import StorageError
from kura.results import Result
from kura.storage.client.batch import StoredBatch
from kura.storage.client.files import (
    Removed,
    Retrieved,
    StorageClient,
    StoredFile,
    parse_file_id,
    writable_target,
)
from kura.storage.client.health import ShareHealth, ShareState, share_health
from kura.storage.shared import sharetable
from kura.storage.shared.directory import NodeDirectory
from kura.storage.shared.nodes import NodePool, nodes_of

if TYPE_CHECKING:
    from kura.api.session import Kura

Progress = Callable[[int], None]
FileId = bytes | str
"""A file id: 32 bytes, or their hex form as ``kura store put`` prints it (``0x`` optional)."""


@dataclass(frozen=True)
class FileInfo(Result):
    """A file's on-chain record, what its (decrypted) manifest says, and the health of its shares.

    Attributes:
        deposit: Wei the registry holds for the file (0 when it was registered on a stamp).
        enrolled: True if its share table is published (audits and repairers tend it).
        health: How many shares are healthy, lost, challenged and unreachable.
        shares: Each share: where it is and how it is doing.
    """

    file_id: bytes
    owner: str
    version: int
    name: str
    size: int
    scheme: Scheme
    k: int
    n: int
    deposit: int
    created_at: int
    updated_at: int
    enrolled: bool
    health: dict[str, int]
    shares: tuple[ShareHealth, ...]


@dataclass(frozen=True)
class FileEntry(Result):
    """One live file of the account, as listed."""

    file_id: bytes
    version: int
    updated_at: int


@dataclass(frozen=True)
class RedundancyPoint(Result):
    """How many shares of a file were healthy from one moment (a block's timestamp) on."""

    timestamp: int
    healthy: int


@dataclass(frozen=True)
class Redundancy(Result):
    """A file's healthy shares over time, from the chain: all ``n`` at registration, one fewer for each share an
    audit found lost (``ShareLost``), one more when that share is repaired onto a new node (``ShareRepaired``).

    A share repaired because its node left the network (no audit lost it) was never counted lost, so it does not
    show as a dip.
    """

    file_id: bytes
    n: int
    points: tuple[RedundancyPoint, ...]


@dataclass(frozen=True)
class Rotated(Result):
    """A file's manifest re-sealed and repointed."""

    file_id: bytes
    version: int
    gas: int


def healthy_over_time(n: int, created_at: int, changes: Sequence[tuple[int, int, bool]]) -> tuple[RedundancyPoint, ...]:
    """Healthy shares of a file of ``n`` shares over time: ``n`` from ``created_at``, then one point per change.

    Args:
        n: Shares stored.
        created_at: When the file was registered.
        changes: ``(timestamp, share index, lost)`` in chain order: ``lost`` when an audit found the share lost,
            else it was repaired onto a new node (a share repaired that was never counted lost changes nothing).
    """
    points = [RedundancyPoint(created_at, n)]
    lost: set[int] = set()
    for timestamp, index, is_loss in changes:
        if is_loss:
            lost.add(index)
        else:
            lost.discard(index)
        points.append(RedundancyPoint(timestamp, n - len(lost)))
    return tuple(points)


def files_in(paths: Sequence[str | Path]) -> list[Path]:
    """The files ``paths`` name: files as given, folders replaced by every file under them (sorted).

    Raises:
        StorageError: if a path does not exist, or names no file at all.
    """
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            found.extend(sorted(path for path in given.rglob("*") if path.is_file()))
        elif given.is_file():
            found.append(given)
        else:
            raise StorageError(f"{given} is neither a file nor a folder")
    if not found:
        raise StorageError(f"no files in {', '.join(map(str, paths)) or 'the paths given'}: nothing to store")
    return found


def file_id_of(value: FileId) -> bytes:
    """A file id as bytes.

    Raises:
        StorageError: if it is not 32 bytes (or 64 hex digits).
    """
    if isinstance(value, bytes):
        if len(value) != 32:
            raise StorageError(f"a file id has 32 bytes, not {len(value)}")
        return value
    return parse_file_id(value)


class Storage:
    """Confidential file storage for the session's account (the owner and reader of its files)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    @cached_property
    def pool(self) -> NodePool:
        """The storage nodes this session uses (chosen by its node source).

        Raises:
            StorageError: with ``registry`` and no active registered node, or with ``config`` and no
                configured IPFS API.
        """
        session = self._session
        source = session.node_source
        registered = [] if source is NodeSource.CONFIG else NodeDirectory(session.contracts).storage_nodes()
        if source is NodeSource.REGISTRY and not registered:
            raise StorageError(
                "the NodeRegistry lists no active storage node: register nodes with `kura node run`, "
                "or use the configured nodes (nodes='config', --nodes config)"
            )
        return NodePool(registered or nodes_of(session.network), proxy=session.network.socks_proxy)

    @cached_property
    def client(self) -> StorageClient:
        """The storage client underneath (for what the API does not cover)."""
        return StorageClient(self._session.contracts, self.pool, self._session.account)

    def put(
        self,
        path: str | Path,
        *,
        k: int = 3,
        n: int = 5,
        scheme: str | Scheme = Scheme.MSR,
        stamp: bool = False,
        enroll: bool = True,
        progress: Progress | None = None,
    ) -> StoredFile:
        """Encrypt the file at ``path``, split it into ``n`` shares (any ``k`` rebuild it) on ``n`` distinct
        nodes, register it on chain, and enrol it for audits and repair.

        Args:
            path: The file.
            k: Shares needed to rebuild it.
            n: Shares stored.
            scheme: ``msr`` (regenerating code), ``rs`` or ``shamir``.
            stamp: Register on a proof-of-work stamp instead of locking the registry's deposit.
            enroll: Publish the file's share table so audits and repairers tend it from the start (only possible
                on registered nodes; ``not_enrolled`` in the result says why when it is not).
            progress: Called with byte counts as shares upload.

        Raises:
            CodecError: impossible (scheme, k, n).
            StorageError: too few live nodes, uploads failing beyond the spares, or a refused registration
                (nothing stays registered or pinned then).
        """
        params = CodeParams(Scheme(scheme), k, n)
        return self.client.put(Path(path), params, progress=progress, stamp=stamp, enroll=enroll)

    def put_many(
        self,
        paths: Sequence[str | Path],
        *,
        k: int = 3,
        n: int = 5,
        scheme: str | Scheme = Scheme.MSR,
        progress: Progress | None = None,
    ) -> list[StoredBatch]:
        """Store many files (folders stand for every file under them) in batches: one registration
        transaction, and one request per node for shares and for manifests, per batch. Each file keeps its
        own id, shares and manifest, and is read, rotated and removed on its own.

        Args:
            paths: Files and folders.
            k: Shares needed to rebuild each file.
            n: Shares stored per file.
            scheme: ``msr`` (regenerating code), ``rs`` or ``shamir``.
            progress: Called with byte counts as shares are stored.

        Returns:
            One result per batch, with every file's id.

        Raises:
            CodecError: impossible (scheme, k, n).
            StorageError: a path that is missing or names no file, too few live nodes, uploads failing beyond
                the spares, or a refused registration (that batch leaves nothing registered or pinned).
        """
        params = CodeParams(Scheme(scheme), k, n)
        return self.client.put_many(files_in(paths), params, progress=progress)

    def planned_upload(
        self, path: str | Path | Sequence[str | Path], *, k: int = 3, n: int = 5, scheme: str | Scheme = Scheme.MSR
    ) -> int:
        """About how many bytes a put of ``path`` (or of many files and folders) uploads, for a progress bar."""
        params = CodeParams(Scheme(scheme), k, n)
        files = files_in([path] if isinstance(path, str | Path) else path)
        return sum(int(file.stat().st_size * params.storage_overhead) + 4096 * n for file in files)

    def get(self, file_id: FileId, target: str | Path, *, progress: Progress | None = None) -> Retrieved:
        """Rebuild ``file_id`` from ``k`` verified shares into ``target`` (replaced only once complete).

        Raises:
            NotEnoughSharesError: naming every node that failed, if fewer than k shares verify.
            DecryptionError: if this account cannot read the file.
        """
        return self.client.get(file_id_of(file_id), Path(target), progress=progress)

    def check_target(self, target: str | Path) -> Path:
        """``target`` as a path a get can write to (checked before anything is downloaded).

        Raises:
            StorageError: if it is a folder, its folder is missing, or it cannot be written.
        """
        return writable_target(target)

    def planned_download(self, file_id: FileId) -> int:
        """Bytes a get of ``file_id`` downloads (``k`` shares)."""
        _, manifest = self.client.manifest(file_id_of(file_id))
        return sum(share.size for share in manifest.shares[: manifest.k])

    def info(self, file_id: FileId) -> FileInfo:
        """The on-chain record and the decrypted manifest of ``file_id``, and the health of each share (what the
        chain says of it, and whether its node still serves it).

        Raises:
            ContractRevertError: ``UnknownFile`` / ``FileIsDeleted``.
            DecryptionError: if this account cannot read the manifest.
        """
        record, manifest = self.client.manifest(file_id_of(file_id))
        shares = share_health(self._session.contracts, self.pool, record.file_id, manifest.shares)
        return FileInfo(
            file_id=record.file_id,
            owner=record.owner,
            version=record.version,
            name=manifest.name,
            size=manifest.size,
            scheme=manifest.scheme,
            k=manifest.k,
            n=manifest.n,
            deposit=self.client.registry.deposit_of(record.file_id),
            created_at=record.created_at,
            updated_at=record.updated_at,
            enrolled=sharetable.pointer(self._session.contracts, record.file_id) is not None,
            health={state.value: sum(s.state is state for s in shares) for state in ShareState},
            shares=tuple(shares),
        )

    def redundancy(self, file_id: FileId) -> Redundancy:
        """The healthy shares of ``file_id`` over time (see :class:`Redundancy`).

        Raises:
            ContractRevertError: ``UnknownFile`` / ``FileIsDeleted``.
            DecryptionError: if this account cannot read the manifest (it says ``n``).
        """
        contracts = self._session.contracts
        record, manifest = self.client.manifest(file_id_of(file_id))
        changes = []
        for log in contracts.audits.contract.events.ShareLost().get_logs(
            from_block=contracts.first_block("StorageAudits"), argument_filters={"fileId": record.file_id}
        ):
            changes.append((log.blockNumber, log.logIndex, int(log.args.index), True))
        for log in contracts.repairs.contract.events.ShareRepaired().get_logs(
            from_block=contracts.first_block("ShareRepairs"), argument_filters={"fileId": record.file_id}
        ):
            changes.append((log.blockNumber, log.logIndex, int(log.args.index), False))
        clock = self._session.clock
        timeline = [(clock.time_of(block), index, lost) for block, _, index, lost in sorted(changes)]
        return Redundancy(record.file_id, manifest.n, healthy_over_time(manifest.n, record.created_at, timeline))

    def ls(self) -> list[FileEntry]:
        """The live files this account owns."""
        return [FileEntry(f.file_id, f.version, f.updated_at) for f in self.client.list()]

    def rotate(self, file_ids: Sequence[FileId] | None = None) -> list[Rotated]:
        """Re-seal the manifests of ``file_ids`` (default: every file of the account) with fresh keys,
        repoint the chain, and retract the old versions."""
        targets = [file_id_of(f) for f in file_ids] if file_ids else [f.file_id for f in self.client.list()]
        return [Rotated(target, *self.client.rotate(target)) for target in targets]

    def rm(self, file_id: FileId) -> Removed:
        """Delete ``file_id`` on chain, unpin its shares and manifest, and take its deposit back."""
        return self.client.remove(file_id_of(file_id))

    def enroll(self, file_id: FileId) -> bytes:
        """Publish ``file_id``'s share table so audits and the repairer can tend it; returns the table digest."""
        target = file_id_of(file_id)
        self.client.write_pointers(target)
        return self.client.enroll(target)

    def close(self) -> None:
        """Close the connections to the storage nodes."""
        if "pool" in self.__dict__:
            self.pool.close()
