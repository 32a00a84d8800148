"""The share format: a versioned header and the body; the share's Merkle root is its identity.

Each share is a self-describing stream (format version 2, big-endian)::

    header (112 bytes)
        magic            4   b"KURA"
        version          1   2
        scheme           1   1 = shamir, 2 = rs, 3 = msr
        k, n, index      3   threshold, share count, this share's index (0-based; Shamir x = index + 1)
        file id         32   random per file version (the share salt)
        plaintext size   8
        sealed size      8   bytes the erasure code carries (the AEAD stream; = plaintext size for shamir)
        body size        8
        segment size     4   AEAD plaintext bytes per segment (0 for shamir)
        chunk size       4   Merkle chunk size, 1024
        nonce prefix     7   AEAD nonce prefix (zeros for shamir)
        key share       32   this share of the Shamir-shared AES key (zeros for shamir)
    body (body size bytes)

A share is identified by one digest: the Merkle root (:mod:`kura.crypto.merkle`)
over the whole share as stored, header included, so an audit proves possession of
the key share too. The manifest records it, the chain commits to it (through the
shares root of ``FileRegistry``), and every check of a share, from a download to a
repair, recomputes it: each share byte is hashed once when it is written and once
when it is checked, never twice. (Format 1 also kept a SHA-256 trailer and a
whole-share SHA-256, which only repeated that pass.) :class:`ShareWriter` computes
the root while the share is written, :class:`ShareVerifier` while it is read.

Because the file id is random per file version and sits in every header (and the
AES key and Shamir coefficients are fresh too), equal files never give equal
shares, so share CIDs do not reveal that two users store the same file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from kura.codes.params import CodeParams, Scheme
from kura.crypto.aead import KEY_SIZE, NONCE_PREFIX_SIZE
from kura.crypto.merkle import CHUNK_SIZE, MerkleBuilder
from kura.errors import CodecError, ShareIntegrityError

MAGIC = b"KURA"
FORMAT_VERSION = 2
FILE_ID_SIZE = 32
_LAYOUT = struct.Struct(">4sBBBBB32sQQQII7s32s")
HEADER_SIZE = _LAYOUT.size
_READ_BLOCK = 1 << 20

_SCHEME_CODES = {Scheme.SHAMIR: 1, Scheme.RS: 2, Scheme.MSR: 3}
_SCHEMES = {code: scheme for scheme, code in _SCHEME_CODES.items()}

Buffer = bytes | bytearray | memoryview


def _truncated_header(present: int) -> ShareIntegrityError:
    return ShareIntegrityError(f"truncated header: {present} bytes, a share header has {HEADER_SIZE}")


@dataclass(frozen=True)
class ShareHeader:
    """The header of one share.

    Attributes:
        params: Scheme, k and n of the file.
        index: This share's index, ``0 <= index < n``.
        file_id: 32 random bytes naming the file version.
        plaintext_size: Bytes of the original file.
        sealed_size: Bytes the erasure code carries (AEAD stream, or the plaintext for Shamir).
        body_size: Bytes of this share's body.
        segment_size: AEAD plaintext bytes per segment (0 for Shamir).
        nonce_prefix: AEAD nonce prefix (zeros for Shamir).
        key_share: This share's Shamir share of the AES key (zeros for Shamir).
        chunk_size: Merkle chunk size.
    """

    params: CodeParams
    index: int
    file_id: bytes
    plaintext_size: int
    sealed_size: int
    body_size: int
    segment_size: int
    nonce_prefix: bytes
    key_share: bytes
    chunk_size: int = CHUNK_SIZE

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.params.n:
            raise CodecError(f"share index {self.index} is outside 0..{self.params.n - 1}")
        sizes = {
            "file id": (self.file_id, FILE_ID_SIZE),
            "nonce prefix": (self.nonce_prefix, NONCE_PREFIX_SIZE),
            "key share": (self.key_share, KEY_SIZE),
        }
        for name, (value, size) in sizes.items():
            if len(value) != size:
                raise CodecError(f"the {name} has {size} bytes, got {len(value)}")
        if min(self.plaintext_size, self.sealed_size, self.body_size, self.segment_size) < 0:
            raise CodecError("share sizes cannot be negative")
        if self.chunk_size != CHUNK_SIZE:
            raise CodecError(f"format {FORMAT_VERSION} uses Merkle chunks of {CHUNK_SIZE} bytes, got {self.chunk_size}")

    @property
    def share_size(self) -> int:
        """Bytes of the whole share: header and body."""
        return HEADER_SIZE + self.body_size

    def to_bytes(self) -> bytes:
        """The header's 112-byte encoding."""
        return _LAYOUT.pack(
            MAGIC,
            FORMAT_VERSION,
            _SCHEME_CODES[self.params.scheme],
            self.params.k,
            self.params.n,
            self.index,
            self.file_id,
            self.plaintext_size,
            self.sealed_size,
            self.body_size,
            self.segment_size,
            self.chunk_size,
            self.nonce_prefix,
            self.key_share,
        )

    @classmethod
    def from_bytes(cls, data: Buffer) -> ShareHeader:
        """Parse a header from the first bytes of a share.

        Raises:
            ShareIntegrityError: if the data is too short, is not a kura share, has
                another format version, or holds impossible values.
        """
        if len(data) < HEADER_SIZE:
            raise _truncated_header(len(data))
        (
            magic,
            version,
            scheme,
            k,
            n,
            index,
            file_id,
            plaintext_size,
            sealed_size,
            body_size,
            segment_size,
            chunk_size,
            nonce_prefix,
            key_share,
        ) = _LAYOUT.unpack_from(data)
        if magic != MAGIC:
            raise ShareIntegrityError(f"wrong magic {bytes(magic)!r}: this is not a kura share")
        if version != FORMAT_VERSION:
            raise ShareIntegrityError(
                f"share format version {version}, this kura reads version {FORMAT_VERSION}: upgrade kura"
            )
        if scheme not in _SCHEMES:
            raise ShareIntegrityError(f"unknown scheme code {scheme} in the share header")
        try:
            return cls(
                CodeParams(_SCHEMES[scheme], k, n),
                index,
                file_id,
                plaintext_size,
                sealed_size,
                body_size,
                segment_size,
                nonce_prefix,
                key_share,
                chunk_size,
            )
        except CodecError as exc:
            raise ShareIntegrityError(f"impossible share header: {exc}") from exc


@dataclass(frozen=True)
class ShareInfo:
    """What the manifest records about one written share.

    Attributes:
        index: Share index.
        size: Bytes of the whole share (header and body).
        merkle_root: Merkle root over the whole share's chunks: the share's identity, audited on chain.
        chunk_count: Leaves of that tree.
    """

    index: int
    size: int
    merkle_root: bytes
    chunk_count: int


class ShareWriter:
    """Writes one share to ``sink``: the header at once, then the body as it comes.

    It adds every byte to the share's Merkle tree as it writes, so a share is
    written and hashed in one pass. One writer is not thread-safe, but writers of
    different shares may run on different threads at once (the hashing releases the GIL).

    Args:
        sink: Where the share goes.
        header: The share's header (its ``body_size`` is what :meth:`write_body` must deliver).
    """

    def __init__(self, sink: BinaryIO, header: ShareHeader) -> None:
        self._sink = sink
        self._header = header
        self._merkle = MerkleBuilder(header.chunk_size)
        self._body_written = 0
        self._put(header.to_bytes())

    def _put(self, data: Buffer) -> None:
        self._merkle.update(data)
        self._sink.write(data)

    def write_body(self, data: Buffer) -> None:
        """Append body bytes (hash them into the share's tree and write them to the sink).

        Raises:
            CodecError: if more body bytes arrive than the header announces.
        """
        self._body_written += len(data)
        if self._body_written > self._header.body_size:
            raise CodecError(f"share {self._header.index} got more body bytes than its {self._header.body_size}")
        self._put(data)

    def finish(self) -> ShareInfo:
        """Return the share's facts once its whole body is written.

        Raises:
            CodecError: if fewer body bytes were written than the header announces.
        """
        if self._body_written != self._header.body_size:
            raise CodecError(
                f"share {self._header.index} got {self._body_written} body bytes, "
                f"its header says {self._header.body_size}"
            )
        return ShareInfo(self._header.index, self._header.share_size, self._merkle.root(), self._merkle.leaf_count)


def read_header(stream: BinaryIO) -> ShareHeader:
    """Read and parse a share's header from the current position of ``stream``.

    Raises:
        ShareIntegrityError: as :meth:`ShareHeader.from_bytes`.
    """
    return ShareHeader.from_bytes(stream.read(HEADER_SIZE))


def check_belongs(header: ShareHeader, file_id: bytes, index: int) -> None:
    """Check that ``header`` is share ``index`` of file ``file_id``.

    Raises:
        ShareIntegrityError: naming the mismatch (a share of another file, or swapped with another index).
    """
    if header.file_id != file_id:
        raise ShareIntegrityError(
            f"the share belongs to file {header.file_id.hex()}, not {file_id.hex()}: it was swapped or misplaced"
        )
    if header.index != index:
        raise ShareIntegrityError(f"the share has index {header.index}, expected {index}: it was swapped")


class ShareVerifier:
    """Checks one share as its bytes arrive, in pieces of any size: the checks of :func:`verify_stream`.

    Feed the share with :meth:`update` (while it is downloaded, say) and call
    :meth:`finish`. A wrong header or a share that runs on past its announced
    size is refused as soon as it shows; the rest is decided by :meth:`finish`.

    Args:
        file_id: The file the share must belong to.
        index: The index it must have.
        merkle_root: The share's Merkle root, from the manifest or the chain's commitment.
    """

    def __init__(self, file_id: bytes, index: int, merkle_root: bytes) -> None:
        self._file_id = file_id
        self._index = index
        self._root = merkle_root
        self._merkle = MerkleBuilder(CHUNK_SIZE)
        self._head = bytearray()
        self._header: ShareHeader | None = None
        self._body_left = 0

    def update(self, data: Buffer) -> None:
        """Take the next bytes of the share.

        Raises:
            ShareIntegrityError: if the header is wrong or the share is longer than it announces.
        """
        view = memoryview(data).cast("B")
        if self._header is None:
            take = HEADER_SIZE - len(self._head)
            self._head += view[:take]
            view = view[take:]
            if len(self._head) < HEADER_SIZE:
                return
            header = ShareHeader.from_bytes(self._head)
            check_belongs(header, self._file_id, self._index)
            self._header = header
            self._merkle.update(self._head)
            self._body_left = header.body_size
        if len(view) > self._body_left:
            raise ShareIntegrityError(
                f"the share is longer than the {self._header.share_size} bytes its header announces"
            )
        self._merkle.update(view)
        self._body_left -= len(view)

    def finish(self) -> ShareHeader:
        """Decide on everything fed so far.

        Returns:
            The verified header.

        Raises:
            ShareIntegrityError: if the share is truncated or its Merkle root is not the expected one.
        """
        if self._header is None:
            raise _truncated_header(len(self._head))
        if self._body_left:
            present = self._header.body_size - self._body_left
            raise ShareIntegrityError(f"truncated body: {present} of {self._header.body_size} bytes present")
        if self._merkle.root() != self._root:
            raise ShareIntegrityError(
                f"hash mismatch: share {self._index}'s Merkle root differs from the committed one: "
                "its header or body was damaged or replaced"
            )
        return self._header


def verify_stream(stream: BinaryIO, file_id: bytes, index: int, merkle_root: bytes) -> ShareHeader:
    """Read a whole share from ``stream`` (to its end) and check every part of it.

    Checks, in order: the header parses (magic, version, values), it names
    ``file_id`` and ``index``, the body is complete, nothing follows, and the
    Merkle root over the whole share is ``merkle_root``. Reads in 1 MiB blocks,
    so memory stays small.

    Args:
        stream: The share, positioned at its start.
        file_id: The file it must belong to.
        index: The index it must have.
        merkle_root: The share's committed Merkle root.

    Returns:
        The verified header.

    Raises:
        ShareIntegrityError: saying which check failed.
    """
    verifier = ShareVerifier(file_id, index, merkle_root)
    while block := stream.read(_READ_BLOCK):
        verifier.update(block)
    return verifier.finish()


def check_layout(share: Buffer, file_id: bytes, index: int) -> ShareHeader:
    """Check a whole share's structure without hashing it: its header, that it is share ``index`` of
    ``file_id``, and that it is exactly as long as its header announces.

    For a node reading its own share back from its own store, where the content address already names the
    bytes; whoever receives what is made from it (a repair's newcomer) checks the Merkle root.

    Returns:
        The header.

    Raises:
        ShareIntegrityError: saying which check failed.
    """
    header = ShareHeader.from_bytes(share)
    check_belongs(header, file_id, index)
    if len(share) != header.share_size:
        raise ShareIntegrityError(
            f"share {index} has {len(share)} bytes, its header announces {header.share_size}: it is damaged"
        )
    return header
