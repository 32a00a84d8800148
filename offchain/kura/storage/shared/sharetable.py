"""The public share table: where each share of a file lives and what it must hash to.

Auditors and repairers are not readers of the (sealed) manifest, but to open a
challenge or rebuild a share they need the leaves of the on-chain commitment and
the shares' locations. The owner opts a file into the self-healing network by
publishing this table on IPFS and announcing its digest on chain
(``ShareRepairs.publishTable``); a repairer publishes the updated table with every
repair. The table is self-verifying: its leaves must hash to the file's current
``sharesRoot`` on chain, so nobody needs to trust whoever served it.

It holds no plaintext, no key and no file name: only share CIDs, sizes, digests
and holders, all of which challenges already reveal on chain.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kura.chain.contracts import Contracts
from kura.chain.share_repairs import TablePointer
from kura.codes.params import Scheme
from kura.crypto.merkle import merkle_proof
from kura.errors import NotDeployedError, StorageError
from kura.storage.shared import manifest_store
from kura.storage.shared.commitment import LEAF_BYTES, share_leaf, shares_root
from kura.storage.shared.manifest import Manifest, ShareEntry
from kura.storage.shared.nodes import NodePool, StorageNode

FORMAT = 2
"""Format 2: share entries name a share by its Merkle root alone (format 1 also kept a whole-share SHA-256)."""


@dataclass(frozen=True)
class ShareTable:
    """The public description of a file's shares.

    Attributes:
        file_id: The file.
        scheme: How it was split.
        k: Shares needed to rebuild it.
        n: Shares stored.
        shares: One entry per share, by index (``operator`` is the holder's registry address).
    """

    file_id: bytes
    scheme: Scheme
    k: int
    n: int
    shares: tuple[ShareEntry, ...]

    @classmethod
    def of_manifest(cls, manifest: Manifest) -> ShareTable:
        """The table of a manifest (what its owner publishes)."""
        return cls(
            manifest.file_id,
            manifest.scheme,
            manifest.k,
            manifest.n,
            tuple(sorted(manifest.shares, key=lambda e: e.index)),
        )

    def to_bytes(self) -> bytes:
        """Canonical JSON."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "file_id": self.file_id.hex(),
            "scheme": self.scheme.value,
            "k": self.k,
            "n": self.n,
            "shares": [entry.to_json() for entry in self.shares],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> ShareTable:
        """Parse canonical JSON.

        Raises:
            StorageError: for another format or a malformed table.
        """
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise StorageError(
                    f"share table format {data.get('format')} is not supported (this kura reads {FORMAT})"
                )
            return cls(
                bytes.fromhex(data["file_id"]),
                Scheme(data["scheme"]),
                int(data["k"]),
                int(data["n"]),
                tuple(ShareEntry.from_json(entry) for entry in data["shares"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"malformed share table: {exc}") from exc

    @property
    def root(self) -> bytes:
        """The commitment its leaves make (must equal ``FileRegistry.sharesRoot``)."""
        return shares_root(self.shares)

    def entry(self, index: int) -> ShareEntry:
        """The entry of share ``index``.

        Raises:
            StorageError: if there is none.
        """
        for entry in self.shares:
            if entry.index == index:
                return entry
        raise StorageError(f"the share table of {self.file_id.hex()} has no share {index}")

    def leaf_proof(self, index: int) -> list[bytes]:
        """Siblings of share ``index``'s leaf in the commitment (for challenges and repairs)."""
        leaves = b"".join(share_leaf(entry) for entry in self.shares)
        position = [entry.index for entry in self.shares].index(self.entry(index).index)
        return merkle_proof(leaves, position, chunk_size=LEAF_BYTES)

    def with_entry(self, entry: ShareEntry) -> ShareTable:
        """The table with share ``entry.index`` replaced by ``entry``."""
        self.entry(entry.index)
        return replace(self, shares=tuple(entry if e.index == entry.index else e for e in self.shares))


def publish(table: ShareTable, pool: NodePool, nodes: Sequence[StorageNode]) -> bytes:
    """Pin the table on a few of ``nodes`` and return its SHA-256 digest (the on-chain pointer).

    Raises:
        StorageError: if no node accepted it.
    """
    return manifest_store.publish(table.to_bytes(), pool, nodes)


def resolve(digest: bytes, pool: NodePool, *, expected_root: bytes | None = None) -> ShareTable:
    """Fetch and parse the table with SHA-256 ``digest``; check it against the on-chain root if given.

    Raises:
        StorageError: if no node serves it, or its leaves do not make ``expected_root``.
    """
    table = ShareTable.from_bytes(manifest_store.resolve(digest, pool))
    if expected_root is not None and table.root != expected_root:
        raise StorageError(
            f"the share table of {table.file_id.hex()} does not match the shares commitment on chain: "
            "it is stale (a newer repair exists) or forged"
        )
    return table


def pointer(contracts: Contracts, file_id: bytes) -> TablePointer | None:
    """The on-chain pointer to the latest share table of ``file_id``, or None (not enrolled, or no
    ShareRepairs in this deployment)."""
    try:
        return contracts.repairs.tables().get(file_id)
    except NotDeployedError:
        return None


def current(contracts: Contracts, file_id: bytes, pool: NodePool) -> ShareTable:
    """The latest public share table of ``file_id``, checked against its on-chain shares commitment.

    Raises:
        StorageError: if the file has no share table (its owner has not enrolled it for audits and repair),
            or the table does not match the chain.
        ContractRevertError: ``UnknownFile`` / ``FileIsDeleted``.
    """
    latest = contracts.repairs.tables().get(file_id)
    if latest is None:
        raise StorageError(
            f"file {file_id.hex()} has no public share table: it was stored with --no-enroll or on "
            "nodes that are not registered; its owner can enrol it with `kura store enroll`"
        )
    return resolve(latest.table_digest, pool, expected_root=contracts.files.file_of(file_id).shares_root)


def merge(manifest: Manifest, table: ShareTable) -> Manifest:
    """The manifest with every share's location taken from a (verified) newer table.

    Raises:
        StorageError: if the table belongs to another file or describes other shares.
    """
    if table.file_id != manifest.file_id or (table.k, table.n) != (manifest.k, manifest.n):
        raise StorageError(f"the share table of {table.file_id.hex()} does not describe this file")
    merged = []
    for entry in manifest.shares:
        newer = table.entry(entry.index)
        if (newer.size, newer.merkle_root) != (entry.size, entry.merkle_root):
            raise StorageError(f"the share table changes the contents of share {entry.index}: refusing it")
        merged.append(newer)
    return replace(manifest, shares=tuple(merged))


def catch_up(manifest: Manifest, shares_root_on_chain: bytes, contracts: Contracts, pool: NodePool) -> Manifest:
    """The manifest with the share locations of the latest repair record of its file, if that record
    matches the on-chain commitment; the manifest unchanged otherwise (the caller then refuses it).

    Repairers cannot decrypt the manifest, so they publish a new share table with each repair; the
    owner's client merges it here and folds it into the sealed manifest at the next rotation.
    """
    latest = pointer(contracts, manifest.file_id)
    if latest is None:
        return manifest
    return merge(manifest, resolve(latest.table_digest, pool, expected_root=shares_root_on_chain))
