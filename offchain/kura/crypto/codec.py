"""The file codec: a file in, ``n`` share streams out, and back.

Schemes (``params.scheme``):

- **MSR** (default) and **RS** — Krawczyk's "secret sharing made short": the file
  is sealed with a fresh random AES-256 key (:mod:`kura.crypto.aead`, the file id
  as associated data), the sealed stream is erasure-coded into ``n`` bodies (any
  ``k`` rebuild it), and the 32-byte key is Shamir-shared ``k``-of-``n``
  (:mod:`kura.crypto.shamir`) into the share headers. Fewer than ``k`` shares
  hold fewer than ``k`` key shares, so they reveal nothing of the key, and the
  sealed stream without the key reveals nothing of the file.
- **SHAMIR** — every byte of the file is Shamir-shared; each body is as large
  as the file. Information-theoretic; for small data such as manifests.

Each share is written in the format of :mod:`kura.crypto.share` (header and body,
with the Merkle root as its identity). Encoding and decoding stream in batches of whole
code stripes, so memory stays at a few batches (a few MiB) whatever the file
size, and each share byte is hashed exactly once (into its share's Merkle tree).
Decoding verifies shares (header, file id, index and the manifest's Merkle root)
before it uses any of them, and uses the first ``k`` that pass.
"""

from __future__ import annotations

import functools
import io
import os
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any, BinaryIO, Protocol, Self

import numpy as np

from kura.codes.msr import ProductMatrixMSR
from kura.codes.params import CodeParams, Scheme
from kura.codes.rs import ReedSolomon
from kura.crypto import aead, shamir
from kura.crypto.share import (
    FILE_ID_SIZE,
    FORMAT_VERSION,
    HEADER_SIZE,
    ShareHeader,
    ShareInfo,
    ShareWriter,
    check_belongs,
    read_header,
    verify_stream,
)
from kura.errors import CodecError, NotEnoughSharesError, ShareIntegrityError

Progress = Callable[[int], None]
"""Called with a count of plaintext bytes each time a batch is done."""

_CODED_BATCH = 1 << 20
"""Sealed bytes per erasure-coded batch (rounded to whole stripes): small enough that the rows of one batch are
hashed while the next is sealed and coded, even in a file of a few MiB."""
_SHAMIR_OUTPUT = 8 << 20
"""Share bytes produced per Shamir batch, all n shares together."""
_HASH_POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="kura-share-hash")
"""Threads hashing and writing share rows (the hashing runs outside the GIL), shared by every encode of the
process and started on first use."""
_INLINE_ROWS = 256 << 10
"""Below this many bytes a batch's rows are hashed and written by the caller: handing them to the pool would
cost more than the work (small files, the tails of large ones)."""
_NO_PREFIX = bytes(aead.NONCE_PREFIX_SIZE)
_NO_KEY = bytes(aead.KEY_SIZE)


class ErasureCode(Protocol):
    """What the codec needs of an erasure code (:class:`ProductMatrixMSR`, :class:`ReedSolomon`)."""

    stripe_bytes: int

    def share_size(self, data_len: int) -> int:
        """Bytes per share for ``data_len`` bytes of data."""

    def encode_into(self, data: np.ndarray, out: np.ndarray) -> None:
        """Encode ``data`` into ``out`` of shape ``(n, share_size(len(data)))``."""

    def decode(self, shares: Mapping[int, bytes | np.ndarray], data_len: int) -> bytes:
        """Rebuild ``data_len`` bytes from ``k`` shares by index."""


@functools.lru_cache(maxsize=32)
def erasure_code(params: CodeParams) -> ErasureCode:
    """The erasure code of ``params`` (MSR or RS), built once per parameter set and then shared.

    Raises:
        CodecError: for the Shamir scheme, which has no erasure code.
    """
    if params.scheme is Scheme.MSR:
        return ProductMatrixMSR(params.k, params.n)
    if params.scheme is Scheme.RS:
        return ReedSolomon(params.k, params.n)
    raise CodecError(f"the {params.scheme.value} scheme has no erasure code")


@dataclass(frozen=True)
class EncodedFile:
    """What the manifest needs to find, verify and rebuild an encoded file.

    Attributes:
        file_id: 32 random bytes naming this file version (the share salt).
        params: Scheme, k and n.
        plaintext_size: Bytes of the file.
        sealed_size: Bytes that were shared (the AEAD stream; the plaintext for Shamir).
        segment_size: AEAD plaintext bytes per segment (0 for Shamir).
        nonce_prefix: AEAD nonce prefix (zeros for Shamir).
        shares: One entry per share, by index.
    """

    file_id: bytes
    params: CodeParams
    plaintext_size: int
    sealed_size: int
    segment_size: int
    nonce_prefix: bytes
    shares: tuple[ShareInfo, ...]

    def share(self, index: int) -> ShareInfo:
        """The entry of share ``index``.

        Raises:
            ShareIntegrityError: if the file has no such share.
        """
        for info in self.shares:
            if info.index == index:
                return info
        raise ShareIntegrityError(f"file {self.file_id.hex()} has no share {index} in its manifest")

    def codec_fields(self) -> dict[str, Any]:
        """The codec's own parameters as plain JSON, for the manifest's ``codec`` field."""
        return {
            "format": FORMAT_VERSION,
            "sealed_size": self.sealed_size,
            "segment_size": self.segment_size,
            "nonce_prefix": self.nonce_prefix.hex(),
        }

    @classmethod
    def from_manifest(
        cls,
        file_id: bytes,
        params: CodeParams,
        plaintext_size: int,
        codec: Mapping[str, Any],
        shares: Sequence[ShareInfo],
    ) -> EncodedFile:
        """Rebuild the description from a manifest's fields (the inverse of :meth:`codec_fields`).

        Raises:
            CodecError: if the codec fields are missing or of another format.
        """
        if codec.get("format") != FORMAT_VERSION:
            raise CodecError(
                f"codec format {codec.get('format')!r} in the manifest, this kura reads format {FORMAT_VERSION}"
            )
        try:
            return cls(
                file_id,
                params,
                plaintext_size,
                int(codec["sealed_size"]),
                int(codec["segment_size"]),
                bytes.fromhex(codec["nonce_prefix"]),
                tuple(sorted(shares, key=lambda s: s.index)),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise CodecError(f"the manifest's codec fields are incomplete or malformed: {exc!r}") from exc


def _stream_size(src: BinaryIO) -> int:
    try:
        start = src.tell()
        end = src.seek(0, io.SEEK_END)
        src.seek(start)
    except (OSError, io.UnsupportedOperation) as exc:
        raise CodecError("the codec needs a seekable input (a file or an in-memory buffer)") from exc
    return end - start


def _coded_batch(code: ErasureCode) -> int:
    return code.stripe_bytes * max(1, _CODED_BATCH // code.stripe_bytes)


class _BatchWriter:
    """Hands each batch's rows to the n share writers on a thread pool, one batch behind the caller.

    Each row is hashed into its share's Merkle tree (outside the GIL) and written by
    pool threads while the caller seals and encodes the next batch.
    A share's rows still reach its sink in order: a batch starts only after the
    previous one is done. Used as a context manager, it never leaves a row
    being written behind, even when the encode fails.
    """

    def __init__(self, writers: Sequence[ShareWriter], pool: Executor) -> None:
        self.writers = writers
        self._pool = pool
        self._pending: list[Future[None]] = []

    def write_rows(self, rows: np.ndarray) -> None:
        """Wait for the previous batch, then start writing ``rows`` (row ``i`` to share ``i``).

        The caller must leave ``rows`` unchanged until the next :meth:`write_rows` or
        :meth:`flush` returns.
        """
        self.flush()
        if rows.nbytes < _INLINE_ROWS:
            for writer, row in zip(self.writers, rows, strict=True):
                writer.write_body(row)
            return
        self._pending = [
            self._pool.submit(writer.write_body, row) for writer, row in zip(self.writers, rows, strict=True)
        ]

    def flush(self) -> None:
        """Wait until every row handed over so far is written, then re-raise a writer's error."""
        pending, self._pending = self._pending, []
        wait(pending)
        for future in pending:
            future.result()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.flush()
        else:
            wait(self._pending)


def encode_file(
    src: BinaryIO,
    params: CodeParams,
    sinks: Sequence[BinaryIO],
    progress: Progress | None = None,
    *,
    file_id: bytes | None = None,
    segment_size: int = aead.DEFAULT_SEGMENT_SIZE,
) -> EncodedFile:
    """Encode the rest of ``src`` into ``params.n`` shares, one per sink.

    Args:
        src: The file, read from its current position to its end (must be seekable, to learn its size).
        params: Scheme, k and n.
        sinks: ``params.n`` writable streams; share ``i`` goes to ``sinks[i]``.
        progress: Called with plaintext byte counts as they are encoded.
        file_id: 32 bytes naming this file version; fresh random bytes if not given.
            Never reuse one for different contents.
        segment_size: AEAD segment size (MSR and RS).

    Returns:
        The facts the manifest records.

    Raises:
        CodecError: if the sinks do not match ``n``, the file id has the wrong
            size, or ``src`` is not seekable or shrinks while being read.
    """
    if len(sinks) != params.n:
        raise CodecError(f"{len(sinks)} sinks for {params.n} shares: pass one sink per share")
    file_id = secrets.token_bytes(FILE_ID_SIZE) if file_id is None else file_id
    if len(file_id) != FILE_ID_SIZE:
        raise CodecError(f"a file id has {FILE_ID_SIZE} bytes, got {len(file_id)}")
    size = _stream_size(src)
    report: Progress = progress if progress is not None else (lambda _: None)
    if params.scheme is Scheme.SHAMIR:
        header = ShareHeader(params, 0, file_id, size, size, size, 0, _NO_PREFIX, _NO_KEY)
        with _BatchWriter(_open_writers(sinks, header, [_NO_KEY] * params.n), _HASH_POOL) as out:
            _share_plaintext(src, size, params, out, report)
    else:
        key, prefix = aead.new_key(), aead.new_nonce_prefix()
        sealed_size = aead.ciphertext_size(size, segment_size)
        code = erasure_code(params)
        header = ShareHeader(
            params, 0, file_id, size, sealed_size, code.share_size(sealed_size), segment_size, prefix, _NO_KEY
        )
        key_shares = [value for _, value in shamir.split(key, params.k, params.n)]
        sealer = aead.StreamSealer(key, prefix, file_id, segment_size)
        with _BatchWriter(_open_writers(sinks, header, key_shares), _HASH_POOL) as out:
            _code_sealed(aead.encrypt_stream(src, size, sealer), code, params.n, out, report)
    infos = tuple(writer.finish() for writer in out.writers)
    return EncodedFile(
        file_id, params, header.plaintext_size, header.sealed_size, header.segment_size, header.nonce_prefix, infos
    )


def _open_writers(sinks: Sequence[BinaryIO], template: ShareHeader, key_shares: Sequence[bytes]) -> list[ShareWriter]:
    return [
        ShareWriter(sink, replace(template, index=index, key_share=key_share))
        for index, (sink, key_share) in enumerate(zip(sinks, key_shares, strict=True))
    ]


def _share_plaintext(src: BinaryIO, size: int, params: CodeParams, out: _BatchWriter, report: Progress) -> None:
    batch = max(1, _SHAMIR_OUTPUT // params.n)
    buffer = np.empty(min(batch, size), dtype=np.uint8)
    for start in range(0, size, batch):
        chunk = buffer[: min(batch, size - start)]
        aead.read_exactly(src, chunk.data)
        out.write_rows(shamir.split_rows(chunk, params.k, params.n))
        report(len(chunk))


def _code_sealed(
    segments: Iterable[memoryview],
    code: ErasureCode,
    n: int,
    out: _BatchWriter,
    report: Progress,
) -> None:
    """Fill whole-stripe batches from the sealed segments and erasure-code each one.

    Two output buffers take turns, so one batch is encoded while ``out`` still writes the other.
    """
    batch_size = _coded_batch(code)
    batch = np.empty(batch_size, dtype=np.uint8)
    coded = np.empty((2, n, code.share_size(batch_size)), dtype=np.uint8)
    fill = turn = 0
    for sealed in segments:
        data = np.frombuffer(sealed, dtype=np.uint8)
        while data.size:
            take = min(batch_size - fill, data.size)
            batch[fill : fill + take] = data[:take]
            fill, data = fill + take, data[take:]
            if fill == batch_size:
                code.encode_into(batch, coded[turn])
                out.write_rows(coded[turn])
                fill, turn = 0, 1 - turn
        report(len(sealed) - aead.TAG_SIZE)
    if fill:
        tail = coded[turn][:, : code.share_size(fill)]
        code.encode_into(batch[:fill], tail)
        out.write_rows(tail)


def decode_file(
    shares: Mapping[int, BinaryIO],
    dst: BinaryIO,
    expected: EncodedFile,
    progress: Progress | None = None,
    *,
    verified: bool = False,
) -> tuple[int, ...]:
    """Verify shares and rebuild the file into ``dst``.

    Shares are verified in index order (header, file id, index, the manifest's
    Merkle root, and agreement with ``expected``), ``k`` at a time on the hashing
    threads, until ``k`` pass; only those are read again to decode.

    Args:
        shares: Share index → seekable stream positioned at the share's start.
        dst: Where the plaintext goes.
        expected: The file's description from its manifest.
        progress: Called with plaintext byte counts as they are written.
        verified: Every stream already passed the whole check against ``expected`` (a
            :class:`~kura.crypto.share.ShareVerifier` with the manifest's Merkle root, fed while the
            share was downloaded) and cannot have changed since: only the headers are read again.

    Returns:
        The indices of the shares used.

    Raises:
        NotEnoughSharesError: if fewer than ``k`` shares pass, naming each bad share and why.
        DecryptionError: if the sealed stream does not authenticate (MSR, RS).
    """
    params = expected.params
    good: dict[int, tuple[BinaryIO, ShareHeader]] = {}
    bad: dict[int, str] = {}
    candidates = sorted(shares)
    while len(good) < params.k and candidates:
        batch, candidates = candidates[: params.k - len(good)], candidates[params.k - len(good) :]
        checks = {index: _HASH_POOL.submit(_check_share, shares[index], index, expected, verified) for index in batch}
        for index, check in checks.items():
            try:
                good[index] = (shares[index], check.result())
            except (ShareIntegrityError, OSError) as exc:
                bad[index] = str(exc)
    if len(good) < params.k:
        reasons = "; ".join(f"share {index}: {reason}" for index, reason in sorted(bad.items())) or "none given"
        raise NotEnoughSharesError(
            f"{len(good)} of the {params.k} shares needed verify (valid: {sorted(good)}; bad: {reasons}): "
            "fetch more shares of this file"
        )
    sink = _CountingSink(dst, progress)
    streams = {index: stream for index, (stream, _) in good.items()}
    if params.scheme is Scheme.SHAMIR:
        _combine_plaintext(streams, expected.plaintext_size, params.n, sink)
    else:
        key = shamir.combine([(index + 1, header.key_share) for index, (_, header) in good.items()])
        opener = aead.StreamOpener(key, expected.nonce_prefix, expected.file_id, expected.segment_size)
        writer = aead.DecryptingWriter(sink, opener, expected.sealed_size)
        _decode_sealed(streams, erasure_code(params), expected.sealed_size, writer)
        writer.finish()
    return tuple(sorted(good))


def _check_share(stream: BinaryIO, index: int, expected: EncodedFile, verified: bool) -> ShareHeader:
    """Check share ``index`` against ``expected`` and leave ``stream`` at the start of its body.

    Raises:
        ShareIntegrityError: if it is not that share, intact (only its header is read when ``verified``).
        OSError: if the stream cannot be read.
    """
    start = stream.tell()
    if verified:
        header = read_header(stream)
        check_belongs(header, expected.file_id, index)
    else:
        header = verify_stream(stream, expected.file_id, index, expected.share(index).merkle_root)
    _check_expected(header, expected)
    stream.seek(start + HEADER_SIZE)
    return header


def _check_expected(header: ShareHeader, expected: EncodedFile) -> None:
    """A share whose root is right must also describe the file the manifest describes."""
    wanted = (
        expected.params,
        expected.plaintext_size,
        expected.sealed_size,
        expected.segment_size,
        expected.nonce_prefix,
        expected.share(header.index).size,
    )
    found = (
        header.params,
        header.plaintext_size,
        header.sealed_size,
        header.segment_size,
        header.nonce_prefix,
        header.share_size,
    )
    if wanted != found:
        raise ShareIntegrityError(
            f"the share header {found} disagrees with the manifest {wanted}: the share or the manifest is wrong"
        )


class _CountingSink:
    """Passes writes on to ``dst`` and reports their sizes."""

    def __init__(self, dst: aead.Writable, progress: Progress | None) -> None:
        self._dst = dst
        self._progress = progress

    def write(self, data: bytes | bytearray | memoryview) -> object:
        written = self._dst.write(data)
        if self._progress is not None:
            self._progress(len(data))
        return written


def _read_block(stream: BinaryIO, size: int, index: int) -> bytes:
    block = stream.read(size)
    if len(block) != size:
        raise ShareIntegrityError(f"share {index} changed while it was being decoded: it is now too short")
    return block


def _decode_sealed(streams: Mapping[int, BinaryIO], code: ErasureCode, sealed_size: int, out: aead.Writable) -> None:
    batch_size = _coded_batch(code)
    for start in range(0, sealed_size, batch_size):
        length = min(batch_size, sealed_size - start)
        share_bytes = code.share_size(length)
        blocks = {index: _read_block(stream, share_bytes, index) for index, stream in streams.items()}
        out.write(code.decode(blocks, length))


def _combine_plaintext(streams: Mapping[int, BinaryIO], size: int, n: int, out: aead.Writable) -> None:
    batch = max(1, _SHAMIR_OUTPUT // n)
    points = [index + 1 for index in streams]
    for start in range(0, size, batch):
        length = min(batch, size - start)
        rows = np.stack([np.frombuffer(_read_block(s, length, i), dtype=np.uint8) for i, s in streams.items()])
        out.write(shamir.combine_rows(points, rows).data)


def encode_bytes(data: bytes, params: CodeParams, *, file_id: bytes | None = None) -> tuple[EncodedFile, list[bytes]]:
    """Encode an in-memory ``data`` (small files, manifests); see :func:`encode_file`."""
    sinks = [io.BytesIO() for _ in range(params.n)]
    encoded = encode_file(io.BytesIO(data), params, sinks, file_id=file_id)
    return encoded, [sink.getvalue() for sink in sinks]


def decode_bytes(shares: Mapping[int, bytes], expected: EncodedFile) -> bytes:
    """Rebuild in-memory data from shares by index; see :func:`decode_file`."""
    out = io.BytesIO()
    decode_file({index: io.BytesIO(value) for index, value in shares.items()}, out, expected)
    return out.getvalue()
