"""Chunked AES-256-GCM (STREAM): round trips, sizes, and every way of tampering with the stream."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.crypto import aead
from kura.errors import CodecError, DecryptionError

KEY = bytes(range(32))
PREFIX = b"\x07" * 7
FILE_A = b"A" * 32
FILE_B = b"B" * 32


def seal(data: bytes, segment: int, file_id: bytes = FILE_A, key: bytes = KEY) -> bytes:
    sealer = aead.StreamSealer(key, PREFIX, file_id, segment)
    return b"".join(bytes(s) for s in aead.encrypt_stream(io.BytesIO(data), len(data), sealer))


def unseal(sealed: bytes, segment: int, file_id: bytes = FILE_A, key: bytes = KEY, pieces: int = 1) -> bytes:
    out = io.BytesIO()
    writer = aead.DecryptingWriter(out, aead.StreamOpener(key, PREFIX, file_id, segment), len(sealed))
    step = max(1, len(sealed) // pieces)
    for start in range(0, len(sealed), step):
        writer.write(sealed[start : start + step])
    writer.finish()
    return out.getvalue()


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=3000), segment=st.integers(1, 700), pieces=st.integers(1, 9))
def test_round_trip_whatever_the_write_sizes(data: bytes, segment: int, pieces: int) -> None:
    sealed = seal(data, segment)
    assert len(sealed) == aead.ciphertext_size(len(data), segment)
    assert aead.plaintext_size(len(sealed), segment) == len(data)
    assert unseal(sealed, segment, pieces=pieces) == data


def test_known_answer_segment_layout() -> None:
    """Each segment is plain AES-GCM under prefix ‖ counter ‖ last flag, with the file id as AAD."""
    data = b"x" * 10 + b"y" * 4
    sealed = seal(data, 10)
    gcm = AESGCM(KEY)
    assert sealed[:26] == gcm.encrypt(PREFIX + b"\x00\x00\x00\x00\x00", b"x" * 10, FILE_A)
    assert sealed[26:] == gcm.encrypt(PREFIX + b"\x00\x00\x00\x01\x01", b"y" * 4, FILE_A)


def test_empty_plaintext_is_one_sealed_empty_segment() -> None:
    sealed = seal(b"", 16)
    assert len(sealed) == aead.TAG_SIZE
    assert unseal(sealed, 16) == b""


def test_sizes() -> None:
    assert aead.ciphertext_size(0, 4) == 16
    assert aead.ciphertext_size(4, 4) == 20
    assert aead.ciphertext_size(5, 4) == 5 + 32
    with pytest.raises(DecryptionError, match="truncated"):
        aead.plaintext_size(4 + 16 + 3, 4)
    with pytest.raises(DecryptionError, match="truncated"):
        aead.plaintext_size(0, 4)


DATA = bytes(range(256)) * 4  # 1024 bytes, 4 segments of 256


def test_flipped_bit_is_detected() -> None:
    sealed = bytearray(seal(DATA, 256))
    sealed[300] ^= 0x10
    with pytest.raises(DecryptionError, match="segment 1 failed authentication"):
        unseal(bytes(sealed), 256)


def test_truncation_at_a_segment_boundary_is_detected() -> None:
    sealed = seal(DATA, 256)
    with pytest.raises(DecryptionError, match=r"segment 2 \(the last\) failed"):
        unseal(sealed[: 3 * 272], 256)


def test_truncated_stream_is_detected_by_finish() -> None:
    sealed = seal(DATA, 256)
    out = io.BytesIO()
    writer = aead.DecryptingWriter(out, aead.StreamOpener(KEY, PREFIX, FILE_A, 256), len(sealed))
    writer.write(sealed[:500])
    with pytest.raises(DecryptionError, match="ended 588 bytes early"):
        writer.finish()


def test_extra_bytes_are_refused() -> None:
    sealed = seal(DATA, 256)
    out = io.BytesIO()
    writer = aead.DecryptingWriter(out, aead.StreamOpener(KEY, PREFIX, FILE_A, 256), len(sealed))
    with pytest.raises(DecryptionError, match="longer"):
        writer.write(sealed + b"!")


def test_reordered_segments_are_detected() -> None:
    sealed = seal(DATA, 256)
    swapped = sealed[272:544] + sealed[:272] + sealed[544:]
    with pytest.raises(DecryptionError, match="segment 0 failed"):
        unseal(swapped, 256)


def test_segments_spliced_from_another_file_are_detected() -> None:
    mine, theirs = seal(DATA, 256, FILE_A), seal(DATA, 256, FILE_B)
    with pytest.raises(DecryptionError, match="segment 1 failed"):
        unseal(mine[:272] + theirs[272:544] + mine[544:], 256)
    with pytest.raises(DecryptionError):
        unseal(theirs, 256, FILE_A)


def test_wrong_key_is_detected() -> None:
    with pytest.raises(DecryptionError, match="key is wrong"):
        unseal(seal(DATA, 256), 256, key=bytes(32))


def test_short_source_is_reported() -> None:
    sealer = aead.StreamSealer(KEY, PREFIX, FILE_A, 256)
    with pytest.raises(CodecError, match="ended after 100 of 256"):
        list(aead.encrypt_stream(io.BytesIO(b"z" * 100), 300, sealer))


def test_sealer_refuses_misuse() -> None:
    sealer = aead.StreamSealer(KEY, PREFIX, FILE_A, 8)
    with pytest.raises(CodecError, match="only the last segment"):
        sealer.seal(b"abc", last=False)
    sealer.seal(b"abc", last=True)
    with pytest.raises(CodecError, match="already processed"):
        sealer.seal(b"abc", last=True)
    with pytest.raises(CodecError, match="32-byte key"):
        aead.StreamSealer(b"short", PREFIX, FILE_A)
    with pytest.raises(CodecError, match="nonce prefix"):
        aead.StreamSealer(KEY, b"\x00" * 12, FILE_A)


def test_fresh_keys_and_prefixes() -> None:
    assert len(aead.new_key()) == 32 and aead.new_key() != aead.new_key()
    assert len(aead.new_nonce_prefix()) == 7
