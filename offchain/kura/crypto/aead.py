"""Chunked authenticated encryption of a stream: AES-256-GCM in the STREAM construction.

A plaintext of any size (0 included) is cut into segments of ``segment_size``
bytes; the last segment holds the rest (it is empty only when the whole
plaintext is). Segment ``i`` is sealed on its own with AES-256-GCM under::

    nonce = prefix (7 bytes, random per file version) ‖ i (4 bytes, big-endian) ‖ last (1 byte: 0x01 or 0x00)
    associated data = the caller's bytes (kura passes the file id)

and stored as ``ciphertext ‖ tag (16)``; the sealed segments are concatenated.
Because the position and the last-segment flag are in the nonce and the file id
in the associated data, every way of cutting, reordering, dropping or splicing
segments (within a file or across files) fails authentication, and so does a
stream cut exactly at a segment boundary (its new last segment was sealed with
flag 0). This is the STREAM construction of Hoang, Reyhanitabar, Rogaway and
Vizár ("Online authenticated-encryption and its nonce-reuse misuse-resistance",
CRYPTO 2015), with the nonce layout Tink uses.

Memory stays at a few segments whatever the size: segments are sealed and
opened into preallocated buffers (``encrypt_into`` / ``decrypt_into``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kura.errors import CodecError, DecryptionError

KEY_SIZE = 32
"""AES-256 key bytes."""
NONCE_PREFIX_SIZE = 7
"""Random nonce bytes per file version; 4 counter bytes and 1 flag byte follow."""
TAG_SIZE = 16
"""GCM tag bytes appended to every segment."""
DEFAULT_SEGMENT_SIZE = 1 << 18
"""Plaintext bytes per segment (256 KiB): the tags cost 0.006 %, and the segment buffers stay
in cache (larger fresh buffers cost more in page faults than the fewer calls save)."""
MAX_SEGMENTS = 1 << 32
"""The counter has 4 bytes."""


Buffer = bytes | bytearray | memoryview


class Writable(Protocol):
    """Anything with a binary ``write`` (a file, a buffer, another writer)."""

    def write(self, data: Buffer, /) -> object:
        """Take ``data``."""


def new_key() -> bytes:
    """A fresh random 256-bit key (one per file version)."""
    return secrets.token_bytes(KEY_SIZE)


def new_nonce_prefix() -> bytes:
    """A fresh random nonce prefix (one per file version)."""
    return secrets.token_bytes(NONCE_PREFIX_SIZE)


def segment_count(plaintext_size: int, segment_size: int) -> int:
    """How many segments a plaintext of ``plaintext_size`` bytes is sealed in (at least 1).

    Raises:
        CodecError: if the size is negative, the segment size is not positive, or the
            plaintext needs more than 2^32 segments.
    """
    if segment_size <= 0 or plaintext_size < 0:
        raise CodecError(f"impossible stream: {plaintext_size} bytes in segments of {segment_size}")
    count = max(1, -(-plaintext_size // segment_size))
    if count > MAX_SEGMENTS:
        raise CodecError(
            f"{plaintext_size} bytes need {count} segments of {segment_size}, more than the 2^32 a nonce can "
            "count: use a larger segment size"
        )
    return count


def ciphertext_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Bytes of the sealed stream of a ``plaintext_size``-byte plaintext."""
    return plaintext_size + TAG_SIZE * segment_count(plaintext_size, segment_size)


def plaintext_size(sealed_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """The plaintext size behind a sealed stream of ``sealed_size`` bytes.

    Raises:
        DecryptionError: if no plaintext seals to exactly that many bytes.
    """
    sealed_segment = segment_size + TAG_SIZE
    full, rest = divmod(sealed_size, sealed_segment)
    if rest == 0 and full >= 1:
        full, rest = full - 1, sealed_segment
    if rest < TAG_SIZE or segment_size <= 0:
        raise DecryptionError(
            f"{sealed_size} bytes cannot be a stream sealed in segments of {segment_size}: it was truncated"
        )
    return full * segment_size + rest - TAG_SIZE


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class _Segments:
    """Shared state of a sealer or opener: key, nonce prefix, associated data, next counter."""

    def __init__(self, key: bytes, nonce_prefix: bytes, associated_data: bytes, segment_size: int) -> None:
        if len(key) != KEY_SIZE:
            raise CodecError(f"AES-256-GCM needs a {KEY_SIZE}-byte key, got {len(key)} bytes")
        if len(nonce_prefix) != NONCE_PREFIX_SIZE:
            raise CodecError(f"the nonce prefix has {NONCE_PREFIX_SIZE} bytes, got {len(nonce_prefix)}")
        if segment_size <= 0:
            raise CodecError(f"the segment size must be positive, got {segment_size}")
        self._aead = AESGCM(key)
        self._prefix = nonce_prefix
        self._associated_data = associated_data
        self.segment_size = segment_size
        self._counter = 0
        self._finished = False

    def _next_nonce(self, size: int, last: bool) -> bytes:
        if self._finished:
            raise CodecError("the stream's last segment was already processed: start a new stream")
        if size > self.segment_size or (size != self.segment_size and not last):
            raise CodecError(
                f"segment {self._counter} has {size} bytes; only the last segment may differ from {self.segment_size}"
            )
        if self._counter >= MAX_SEGMENTS:
            raise CodecError("the stream has more than 2^32 segments: use a larger segment size")
        nonce = _nonce(self._prefix, self._counter, last)
        self._counter += 1
        self._finished = last
        return nonce


class StreamSealer(_Segments):
    """Seals one plaintext stream, segment by segment, in order.

    Args:
        key: 32-byte AES-256 key.
        nonce_prefix: 7 random bytes, never reused with the same key.
        associated_data: Bytes every segment is bound to (the file id).
        segment_size: Plaintext bytes per segment.

    Raises:
        CodecError: if the key, prefix or segment size has the wrong size.
    """

    def __init__(
        self, key: bytes, nonce_prefix: bytes, associated_data: bytes, segment_size: int = DEFAULT_SEGMENT_SIZE
    ) -> None:
        super().__init__(key, nonce_prefix, associated_data, segment_size)
        self._out = memoryview(bytearray(segment_size + TAG_SIZE))

    def seal(self, plaintext: Buffer, *, last: bool) -> memoryview:
        """Seal the next segment.

        Args:
            plaintext: ``segment_size`` bytes, or at most that many for the last segment.
            last: Whether this is the stream's final segment.

        Returns:
            ``ciphertext ‖ tag`` in a buffer that the next call overwrites.

        Raises:
            CodecError: if the segment has the wrong size or the stream is already finished.
        """
        nonce = self._next_nonce(len(plaintext), last)
        out = self._out[: len(plaintext) + TAG_SIZE]
        self._aead.encrypt_into(nonce, plaintext, self._associated_data, out)
        return out


class StreamOpener(_Segments):
    """Opens one sealed stream, segment by segment, in order.

    Args:
        key: 32-byte AES-256 key.
        nonce_prefix: The prefix the stream was sealed with.
        associated_data: The bytes it was bound to (the file id).
        segment_size: Plaintext bytes per segment.

    Raises:
        CodecError: if the key, prefix or segment size has the wrong size.
    """

    def __init__(
        self, key: bytes, nonce_prefix: bytes, associated_data: bytes, segment_size: int = DEFAULT_SEGMENT_SIZE
    ) -> None:
        super().__init__(key, nonce_prefix, associated_data, segment_size)
        self._out = memoryview(bytearray(segment_size))

    def open(self, sealed: Buffer, *, last: bool) -> memoryview:
        """Authenticate and decrypt the next segment.

        Args:
            sealed: ``ciphertext ‖ tag`` of one segment.
            last: Whether this must be the stream's final segment.

        Returns:
            The plaintext, in a buffer that the next call overwrites.

        Raises:
            DecryptionError: if the segment does not authenticate.
            CodecError: if the segment has an impossible size or the stream is already finished.
        """
        if len(sealed) < TAG_SIZE:
            raise DecryptionError(f"segment {self._counter} has {len(sealed)} bytes, less than a tag: it was truncated")
        index = self._counter
        nonce = self._next_nonce(len(sealed) - TAG_SIZE, last)
        out = self._out[: len(sealed) - TAG_SIZE]
        try:
            self._aead.decrypt_into(nonce, sealed, self._associated_data, out)
        except InvalidTag:
            raise DecryptionError(
                f"segment {index}{' (the last)' if last else ''} failed authentication: the ciphertext was altered, "
                "truncated, reordered or spliced from another file, or the key is wrong"
            ) from None
        return out


def read_exactly(src: BinaryIO, buffer: memoryview) -> None:
    """Fill ``buffer`` from ``src``, across short reads.

    Raises:
        CodecError: if ``src`` ends first.
    """
    filled = 0
    while filled < len(buffer):
        got = src.readinto(buffer[filled:])  # type: ignore[attr-defined]
        if not got:
            raise CodecError(f"the input ended after {filled} of {len(buffer)} expected bytes: it shrank or was cut")
        filled += got


def encrypt_stream(src: BinaryIO, size: int, sealer: StreamSealer) -> Iterator[memoryview]:
    """Read ``size`` bytes from ``src`` and yield their sealed segments in order.

    Each yielded buffer is valid until the next one is requested.

    Raises:
        CodecError: if ``src`` holds fewer than ``size`` bytes.
    """
    count = segment_count(size, sealer.segment_size)
    buffer = memoryview(bytearray(min(size, sealer.segment_size)))
    for index in range(count):
        length = min(sealer.segment_size, size - index * sealer.segment_size)
        read_exactly(src, buffer[:length])
        yield sealer.seal(buffer[:length], last=index == count - 1)


class DecryptingWriter:
    """A sink for a sealed stream: opens each segment as soon as it is complete and writes the plaintext on.

    Args:
        dst: Where the plaintext goes.
        opener: The stream's opener.
        sealed_size: Total bytes of the sealed stream (so the last segment is known).

    Raises:
        DecryptionError: if ``sealed_size`` is impossible for the segment size.
    """

    def __init__(self, dst: Writable, opener: StreamOpener, sealed_size: int) -> None:
        plaintext_size(sealed_size, opener.segment_size)
        self._dst = dst
        self._opener = opener
        self._remaining = sealed_size
        self._pending = bytearray()
        self._sealed_segment = opener.segment_size + TAG_SIZE

    def write(self, data: Buffer) -> None:
        """Take the next ciphertext bytes.

        Raises:
            DecryptionError: if a completed segment does not authenticate, or more bytes
                arrive than the stream has.
        """
        if len(data) > self._remaining - len(self._pending):
            raise DecryptionError(f"the sealed stream is longer than the {self._remaining} bytes expected")
        view = memoryview(data)
        while len(view):
            want = min(self._sealed_segment, self._remaining) - len(self._pending)
            if not self._pending and len(view) >= want:
                self._emit(view[:want])
            else:
                self._pending += view[:want]
                if len(self._pending) == min(self._sealed_segment, self._remaining):
                    self._emit(self._pending)
                    self._pending.clear()
            view = view[want:]

    def _emit(self, sealed: Buffer) -> None:
        self._remaining -= len(sealed)
        self._dst.write(self._opener.open(sealed, last=self._remaining == 0))

    def finish(self) -> None:
        """Check that the whole stream arrived.

        Raises:
            DecryptionError: if it was cut short.
        """
        if self._remaining:
            missing = self._remaining - len(self._pending)
            raise DecryptionError(f"the sealed stream ended {missing} bytes early: it was truncated")
