"""The file codec: round trips for every scheme, rejection of bad shares, salt, bounded memory."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes.params import CodeParams, Scheme
from kura.crypto import codec, merkle, share
from kura.errors import DecryptionError, NotEnoughSharesError

MSR = CodeParams(Scheme.MSR, 3, 5)


@st.composite
def params(draw: st.DrawFn) -> CodeParams:
    scheme = draw(st.sampled_from(list(Scheme)))
    if scheme is Scheme.MSR:
        k = draw(st.integers(2, 4))
        return CodeParams(scheme, k, draw(st.integers(2 * k - 1, 8)))
    n = draw(st.integers(1, 8))
    return CodeParams(scheme, draw(st.integers(1, n)), n)


@settings(max_examples=60, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=3000), st.integers(0, 70_000).map(lambda size: os.urandom(size))),
    code=params(),
    order=st.randoms(use_true_random=False),
    segment=st.sampled_from([64, 1000, 1 << 20]),
)
def test_any_k_shares_rebuild_the_file(data: bytes, code: CodeParams, order: object, segment: int) -> None:
    sinks = [io.BytesIO() for _ in range(code.n)]
    seen: list[int] = []
    encoded = codec.encode_file(io.BytesIO(data), code, sinks, seen.append, segment_size=segment)
    assert sum(seen) == len(data) == encoded.plaintext_size
    blobs = [sink.getvalue() for sink in sinks]
    chosen = order.sample(range(code.n), code.k)  # type: ignore[attr-defined]
    assert codec.decode_bytes({i: blobs[i] for i in chosen}, encoded) == data
    for info, blob in zip(encoded.shares, blobs, strict=True):
        assert info.size == len(blob)
        assert info.merkle_root == merkle.merkle_root(blob)
        assert info.chunk_count == merkle.chunk_count(len(blob))


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 4321])
def test_batches_join_up(monkeypatch: pytest.MonkeyPatch, scheme: Scheme, size: int) -> None:
    """Small batches so that a few KiB cross many batch and segment boundaries."""
    monkeypatch.setattr(codec, "_CODED_BATCH", 1000)
    monkeypatch.setattr(codec, "_SHAMIR_OUTPUT", 5000)
    code = CodeParams(scheme, 3, 5)
    data = os.urandom(size)
    sinks = [io.BytesIO() for _ in range(5)]
    encoded = codec.encode_file(io.BytesIO(data), code, sinks, segment_size=300)
    shares = {i: io.BytesIO(sinks[i].getvalue()) for i in (4, 0, 2)}
    out = io.BytesIO()
    assert codec.decode_file(shares, out, encoded) == (0, 2, 4)
    assert out.getvalue() == data


@pytest.mark.parametrize("scheme", [Scheme.MSR, Scheme.RS])
def test_many_batches_keep_each_share_in_order(monkeypatch: pytest.MonkeyPatch, scheme: Scheme) -> None:
    """One stripe per batch: the two output buffers alternate many times while rows are written
    on the pool, and every share must still come out whole and in order."""
    monkeypatch.setattr(codec, "_CODED_BATCH", 1)
    code = CodeParams(scheme, 3, 5)
    data = os.urandom(codec.erasure_code(code).stripe_bytes * 15 // 2)
    sinks = [io.BytesIO() for _ in range(5)]
    encoded = codec.encode_file(io.BytesIO(data), code, sinks, segment_size=10_000)
    for index, sink in enumerate(sinks):
        assert merkle.merkle_root(sink.getvalue()) == encoded.share(index).merkle_root
    out = io.BytesIO()
    codec.decode_file({i: io.BytesIO(sinks[i].getvalue()) for i in (1, 3, 4)}, out, encoded)
    assert out.getvalue() == data


@pytest.mark.parametrize("scheme", list(Scheme))
def test_each_share_byte_is_hashed_once(monkeypatch: pytest.MonkeyPatch, scheme: Scheme) -> None:
    """Encoding feeds every share byte to its Merkle tree exactly once, and a decode hashes each byte of
    the k shares it checks exactly once: the root is a share's only digest."""
    fed: list[int] = []
    update = merkle.MerkleBuilder.update

    def counted(builder: merkle.MerkleBuilder, data: merkle.Buffer) -> None:
        fed.append(memoryview(data).nbytes)
        update(builder, data)

    monkeypatch.setattr(merkle.MerkleBuilder, "update", counted)
    monkeypatch.setattr(codec, "_CODED_BATCH", 3000)
    code = CodeParams(scheme, 3, 5)
    encoded, blobs = codec.encode_bytes(os.urandom(20_000), code)
    assert sum(fed) == sum(len(blob) for blob in blobs) == sum(info.size for info in encoded.shares)
    fed.clear()
    codec.decode_bytes({i: blobs[i] for i in (0, 2, 4)}, encoded)
    assert sum(fed) == len(blobs[0]) + len(blobs[2]) + len(blobs[4])


class _CountingNullSink(io.RawIOBase):
    """Swallows bytes, counting writes and bytes, so a big encode needs no memory or disk for its output."""

    def __init__(self) -> None:
        self.size = 0
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        length = memoryview(data).nbytes  # type: ignore[arg-type]
        self.size += length
        self.writes += 1
        return length


class _BrokenSink(_CountingNullSink):
    """Fails on its first body write (after the header)."""

    def write(self, data: object) -> int:
        if self.writes:
            raise OSError("disk full")
        return super().write(data)


class _SlowSink(_CountingNullSink):
    """Takes its time over every write; ``writes`` counts the finished ones."""

    def write(self, data: object) -> int:
        time.sleep(0.05)
        return super().write(data)


def test_a_failing_sink_fails_the_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_CODED_BATCH", 1)
    sinks = [io.BytesIO(), _BrokenSink(), io.BytesIO(), io.BytesIO(), io.BytesIO()]
    with pytest.raises(OSError, match="disk full"):
        codec.encode_file(io.BytesIO(os.urandom(300_000)), MSR, sinks)


class _FailingSource(io.BytesIO):
    """A seekable input whose reads fail once ``limit`` bytes have been read."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def readinto(self, buffer: object) -> int:
        if self.tell() >= self.limit:
            raise OSError("input/output error")
        return super().readinto(buffer)  # type: ignore[arg-type]


def test_a_failing_input_leaves_no_row_being_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first batch is still being written (slowly) when the input fails: the encode must not
    return until those writes are over, or they would land in sinks the caller is cleaning up."""
    monkeypatch.setattr(codec, "_CODED_BATCH", 1)
    sinks = [_SlowSink() for _ in range(5)]
    stripe = codec.erasure_code(MSR).stripe_bytes
    with pytest.raises(OSError, match="input/output error"):
        codec.encode_file(_FailingSource(os.urandom(3 * stripe), stripe + 20_000), MSR, sinks, segment_size=10_000)
    finished = [sink.writes for sink in sinks]
    time.sleep(0.3)
    assert [sink.writes for sink in sinks] == finished
    assert min(finished) == 2  # the header and the first batch's row


def test_k_equals_n_and_k_equals_one() -> None:
    for code in (CodeParams(Scheme.RS, 4, 4), CodeParams(Scheme.SHAMIR, 1, 3), CodeParams(Scheme.RS, 1, 2)):
        encoded, blobs = codec.encode_bytes(b"edge" * 99, code)
        assert codec.decode_bytes(dict(enumerate(blobs[-code.k :], start=code.n - code.k)), encoded) == b"edge" * 99


def test_shamir_shares_are_as_large_as_the_file_and_rs_shares_a_kth() -> None:
    data = os.urandom(30_000)
    shamir_file, _ = codec.encode_bytes(data, CodeParams(Scheme.SHAMIR, 3, 5))
    rs_file, _ = codec.encode_bytes(data, CodeParams(Scheme.RS, 3, 5))
    overhead = share.HEADER_SIZE
    assert shamir_file.shares[0].size == len(data) + overhead
    assert rs_file.shares[0].size - overhead < len(data) / 3 + 100


DATA = os.urandom(50_000)
ENCODED, BLOBS = codec.encode_bytes(DATA, MSR)


def decode(shares: dict[int, bytes]) -> bytes:
    return codec.decode_bytes(shares, ENCODED)


def flipped(blob: bytes, offset: int) -> bytes:
    changed = bytearray(blob)
    changed[offset] ^= 1
    return bytes(changed)


def test_bad_share_is_skipped_when_another_is_there() -> None:
    out = io.BytesIO()
    shares = {
        0: io.BytesIO(flipped(BLOBS[0], 500)),
        1: io.BytesIO(BLOBS[1]),
        2: io.BytesIO(BLOBS[2]),
        3: io.BytesIO(BLOBS[3]),
    }
    assert codec.decode_file(shares, out, ENCODED) == (1, 2, 3)
    assert out.getvalue() == DATA


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (flipped(BLOBS[0], 500), "share 0: hash mismatch"),
        (BLOBS[0][:-100], "share 0: truncated body"),
        (BLOBS[0][:50], "share 0: truncated header"),
        (b"JUNK" + BLOBS[0][4:], "share 0: wrong magic"),
        (BLOBS[3], "share 0: the share has index 3, expected 0: it was swapped"),
    ],
)
def test_bad_share_is_named_when_too_few_remain(bad: bytes, reason: str) -> None:
    with pytest.raises(NotEnoughSharesError, match=reason) as caught:
        decode({0: bad, 1: BLOBS[1], 2: BLOBS[2]})
    assert "2 of the 3 shares needed verify (valid: [1, 2]" in str(caught.value)


def decode_verified(shares: dict[int, bytes]) -> bytes:
    out = io.BytesIO()
    codec.decode_file({i: io.BytesIO(blob) for i, blob in shares.items()}, out, ENCODED, verified=True)
    return out.getvalue()


def test_pre_verified_shares_skip_the_hash_but_not_the_header_or_the_aead() -> None:
    assert decode_verified({0: BLOBS[0], 2: BLOBS[2], 4: BLOBS[4]}) == DATA
    with pytest.raises(NotEnoughSharesError, match="share 0: the share has index 3"):
        decode_verified({0: BLOBS[3], 1: BLOBS[1], 2: BLOBS[2]})
    # A body changed after its check is no longer caught by the hashes, but the AEAD refuses it.
    with pytest.raises(DecryptionError, match="failed authentication"):
        decode_verified({0: flipped(BLOBS[0], 500), 1: BLOBS[1], 2: BLOBS[2]})


def test_share_of_another_file_is_rejected() -> None:
    _, others = codec.encode_bytes(DATA, MSR)
    with pytest.raises(NotEnoughSharesError, match="share 1: the share belongs to file"):
        decode({0: BLOBS[0], 1: others[1], 2: BLOBS[2]})


def test_k_minus_one_shares_are_not_enough() -> None:
    with pytest.raises(NotEnoughSharesError, match=r"2 of the 3 shares needed verify \(valid: \[0, 4\]; bad: none"):
        decode({0: BLOBS[0], 4: BLOBS[4]})


def test_a_share_that_disagrees_with_the_manifest_is_rejected() -> None:
    """A well-formed share whose header differs from the manifest (here: the plaintext size)."""
    header = share.ShareHeader.from_bytes(BLOBS[0])
    lying = share.ShareHeader(**{**header.__dict__, "plaintext_size": header.plaintext_size - 1})
    sink = io.BytesIO()
    writer = share.ShareWriter(sink, lying)
    writer.write_body(BLOBS[0][share.HEADER_SIZE :])
    info = writer.finish()
    manifest = codec.EncodedFile(**{**ENCODED.__dict__, "shares": (info, *ENCODED.shares[1:])})
    with pytest.raises(NotEnoughSharesError, match=r"share 0: the share header .* disagrees with the manifest"):
        codec.decode_bytes({0: sink.getvalue(), 1: BLOBS[1], 2: BLOBS[2]}, manifest)


def test_tampering_that_passes_the_hashes_fails_authentication() -> None:
    """If the manifest itself vouched for an altered body, the AEAD still catches it."""
    header = share.ShareHeader.from_bytes(BLOBS[1])
    body = flipped(BLOBS[1][share.HEADER_SIZE :], 10)
    sink = io.BytesIO()
    writer = share.ShareWriter(sink, header)
    writer.write_body(body)
    info = writer.finish()
    manifest = codec.EncodedFile(**{**ENCODED.__dict__, "shares": (ENCODED.shares[0], info, *ENCODED.shares[2:])})
    with pytest.raises(DecryptionError, match="failed authentication"):
        codec.decode_bytes({0: BLOBS[0], 1: sink.getvalue(), 2: BLOBS[2]}, manifest)


def test_equal_files_never_give_equal_shares() -> None:
    """A fresh file id (the salt), key and coefficients per encode: no share, hence no CID, repeats.

    Even a caller that reuses a file id gets different bodies."""
    for scheme in Scheme:
        code = CodeParams(scheme, 3, 5)
        first, first_blobs = codec.encode_bytes(b"same file" * 100, code)
        again, _ = codec.encode_bytes(b"same file" * 100, code)
        _, reused_blobs = codec.encode_bytes(b"same file" * 100, code, file_id=first.file_id)
        assert first.file_id != again.file_id
        assert not {i.merkle_root for i in first.shares} & {i.merkle_root for i in again.shares}
        for one, two in zip(first_blobs, reused_blobs, strict=True):
            assert one[share.HEADER_SIZE :] != two[share.HEADER_SIZE :]


def test_manifest_fields_round_trip() -> None:
    rebuilt = codec.EncodedFile.from_manifest(
        ENCODED.file_id, ENCODED.params, ENCODED.plaintext_size, ENCODED.codec_fields(), ENCODED.shares[::-1]
    )
    assert rebuilt == ENCODED


def test_sinks_must_match_n() -> None:
    with pytest.raises(codec.CodecError, match="one sink per share"):
        codec.encode_file(io.BytesIO(b"x"), MSR, [io.BytesIO()] * 4)


def test_big_encode_streams_in_bounded_memory(tmp_path: Path) -> None:
    size = 64 << 20
    source = tmp_path / "big"
    with source.open("wb") as out:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            out.write(block)
    sinks = [_CountingNullSink() for _ in range(MSR.n)]
    tracemalloc.start()
    try:
        with source.open("rb") as src:
            encoded = codec.encode_file(src, MSR, sinks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [sink.size for sink in sinks] == [info.size for info in encoded.shares]
    # A few batches, whatever the file size: far below the file.
    assert peak < 6 * codec._CODED_BATCH < size / 2, f"peak {peak / 2**20:.1f} MiB for a {size >> 20} MiB file"


def test_public_names_are_pinned() -> None:
    import kura.crypto

    assert sorted(kura.crypto.__all__) == [
        "CHUNK_SIZE",
        "EncodedFile",
        "MerkleBuilder",
        "ShareHeader",
        "ShareInfo",
        "decode_bytes",
        "decode_file",
        "encode_bytes",
        "encode_file",
        "merkle_proof",
        "merkle_root",
        "verify_proof",
        "verify_stream",
    ]
    assert all(hasattr(kura.crypto, name) for name in kura.crypto.__all__)
