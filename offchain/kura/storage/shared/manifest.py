"""The manifest: everything needed to find, verify and rebuild a file, sealed for its readers.

The manifest lists the file's scheme and parameters, the codec's parameters, and
for every share its CID, node and verification data. It is serialised as
canonical JSON, encrypted with a fresh random key (AES-256-GCM), and that key is
wrapped with ECIES for each reader (the owner, later grantees). The sealed blob
names no reader — a reader finds its wrapped key by trying them — so the blob,
which lives on IPFS and is pointed to from the chain, reveals neither owner nor file.

Sealed format (version 1)::

    b"KURAMF" ‖ 0x01 ‖ reader count (1 byte) ‖ wrapped keys (each 2-byte length ‖ ECIES blob)
      ‖ nonce (12) ‖ AES-256-GCM(canonical JSON, aad = b"kura/manifest/v1")

A manifest can also be sealed under a key given by the caller and wrapped for nobody (reader count 0):
whoever holds that key reads it. The data market sells such a *dataset key*: the listing commits to its
hash, and the seller delivers it sealed to the buyer (:mod:`kura.market.exchange`).
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kura.codes.params import Scheme
from kura.crypto import ecies
from kura.errors import DecryptionError, StorageError

MAGIC = b"KURAMF"
FORMAT = 2
"""Format 2: share entries name a share by its Merkle root alone (format 1 also kept a whole-share SHA-256)."""
_AAD = b"kura/manifest/v1"
MAX_READERS = 255


@dataclass(frozen=True)
class ShareEntry:
    """One share of the file.

    Attributes:
        index: Share index (0-based).
        cid: IPFS CID of the share.
        node: Name of the node holding it, for messages.
        api_url: RPC API of that node.
        peer_id: libp2p peer id of that node.
        operator: On-chain address of that node (zero address when nodes are not registered).
        size: Bytes in the share (header included).
        chunk_count: Merkle leaves over the share.
        merkle_root: Root over the share's chunks: the share's identity (downloads, repairs and audits check it).
    """

    index: int
    cid: str
    node: str
    api_url: str
    peer_id: str
    operator: str
    size: int
    chunk_count: int
    merkle_root: bytes

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {**self.__dict__, "merkle_root": self.merkle_root.hex()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShareEntry:
        """Parse the plain-JSON form."""
        return cls(**{**data, "merkle_root": bytes.fromhex(data["merkle_root"])})


@dataclass(frozen=True)
class Manifest:
    """A stored file's manifest.

    Attributes:
        file_id: The random on-chain id of the file.
        name: The file's original name (only readers can see it).
        scheme: How it was split.
        k: Shares needed to rebuild it.
        n: Shares stored.
        size: Plaintext bytes.
        codec: The codec's own parameters (nonce prefix, segment size, ...), as the codec serialises them.
        shares: One entry per stored share, by index.
        created_at: Unix time the manifest was written.
    """

    file_id: bytes
    name: str
    scheme: Scheme
    k: int
    n: int
    size: int
    codec: dict[str, Any]
    shares: tuple[ShareEntry, ...]
    created_at: int

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces)."""
        data = {
            "format": FORMAT,
            "file_id": self.file_id.hex(),
            "name": self.name,
            "scheme": self.scheme.value,
            "k": self.k,
            "n": self.n,
            "size": self.size,
            "codec": self.codec,
            "shares": [share.to_json() for share in self.shares],
            "created_at": self.created_at,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        """Parse canonical JSON.

        Raises:
            StorageError: for another format version or a malformed manifest.
        """
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise StorageError(f"manifest format {data.get('format')} is not supported (this kura reads {FORMAT})")
            return cls(
                file_id=bytes.fromhex(data["file_id"]),
                name=data["name"],
                scheme=Scheme(data["scheme"]),
                k=data["k"],
                n=data["n"],
                size=data["size"],
                codec=data["codec"],
                shares=tuple(ShareEntry.from_json(s) for s in data["shares"]),
                created_at=data["created_at"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"malformed manifest: {exc}") from exc

    def share(self, index: int) -> ShareEntry:
        """The entry of share ``index``.

        Raises:
            StorageError: if the manifest has no such share.
        """
        for entry in self.shares:
            if entry.index == index:
                return entry
        raise StorageError(f"the manifest of {self.file_id.hex()} has no share {index}")


@dataclass(frozen=True)
class ManifestGrant:
    """Read access to a file without being its owner: a manifest sealed under ``key``, stored as the raw IPFS
    block whose SHA-256 is ``digest`` (what a data-market listing commits to and a sale delivers)."""

    digest: bytes
    key: bytes = field(repr=False)


def seal(manifest: Manifest, readers: Sequence[ec.EllipticCurvePublicKey]) -> bytes:
    """Encrypt ``manifest`` for ``readers`` (at least one).

    Raises:
        StorageError: for no readers or more than 255.
    """
    if not 1 <= len(readers) <= MAX_READERS:
        raise StorageError(f"a manifest needs 1 to {MAX_READERS} readers, got {len(readers)}")
    return _seal(manifest, AESGCM.generate_key(bit_length=256), readers)


def seal_with_key(manifest: Manifest, key: bytes) -> bytes:
    """Encrypt ``manifest`` under ``key`` (32 bytes), wrapped for no reader: whoever holds ``key`` reads it.

    Raises:
        StorageError: if the key is not 32 bytes.
    """
    if len(key) != 32:
        raise StorageError(f"a manifest key has 32 bytes, not {len(key)}")
    return _seal(manifest, key, ())


def _seal(manifest: Manifest, key: bytes, readers: Sequence[ec.EllipticCurvePublicKey]) -> bytes:
    nonce = os.urandom(12)
    wrapped = b"".join(
        struct.pack(">H", len(blob)) + blob for blob in (ecies.encrypt(reader, key, aad=_AAD) for reader in readers)
    )
    body = AESGCM(key).encrypt(nonce, manifest.to_bytes(), _AAD)
    return MAGIC + bytes([FORMAT, len(readers)]) + wrapped + nonce + body


def open_sealed(sealed: bytes, reader: ec.EllipticCurvePrivateKey | bytes) -> Manifest:
    """Decrypt a sealed manifest with one reader's private key, or with the key it was sealed under.

    Raises:
        DecryptionError: if the blob is not a sealed manifest, ``reader`` is not one of its readers (or not
            its key), or it was altered.
    """
    if sealed[: len(MAGIC)] != MAGIC or len(sealed) < len(MAGIC) + 2 or sealed[len(MAGIC)] != FORMAT:
        raise DecryptionError("not a sealed kura manifest (wrong magic or version)")
    count, offset = sealed[len(MAGIC) + 1], len(MAGIC) + 2
    key: bytes | None = None
    for _ in range(count):
        try:
            (length,) = struct.unpack_from(">H", sealed, offset)
        except struct.error as exc:
            raise DecryptionError("the sealed manifest is truncated") from exc
        blob = sealed[offset + 2 : offset + 2 + length]
        offset += 2 + length
        if key is None and not isinstance(reader, bytes):
            try:
                key = ecies.decrypt(reader, blob, aad=_AAD)
            except DecryptionError:
                continue
    if isinstance(reader, bytes):
        if len(reader) != 32:
            raise DecryptionError(f"a manifest key has 32 bytes, not {len(reader)}")
        key = reader
    if key is None:
        raise DecryptionError("this account is not a reader of the manifest (wrong key or owner)")
    nonce, body = sealed[offset : offset + 12], sealed[offset + 12 :]
    try:
        return Manifest.from_bytes(AESGCM(key).decrypt(nonce, body, _AAD))
    except InvalidTag as exc:
        raise DecryptionError("the sealed manifest was altered, or this is not its key") from exc
