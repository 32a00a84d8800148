"""The share format: header round trip, writer facts, and every rejection of a bad share."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes.params import CodeParams, Scheme
from kura.crypto import merkle, share
from kura.errors import CodecError, ShareIntegrityError

FILE_ID = bytes(range(32))
OTHER_ID = bytes(32)


def header(index: int = 1, body_size: int = 3000, **changes: object) -> share.ShareHeader:
    fields: dict[str, object] = dict(
        params=CodeParams(Scheme.MSR, 3, 5),
        index=index,
        file_id=FILE_ID,
        plaintext_size=8000,
        sealed_size=8016,
        body_size=body_size,
        segment_size=1 << 20,
        nonce_prefix=b"\x01" * 7,
        key_share=b"\x02" * 32,
    )
    fields.update(changes)
    return share.ShareHeader(**fields)  # type: ignore[arg-type]


def written(head: share.ShareHeader, body: bytes) -> tuple[bytes, share.ShareInfo]:
    sink = io.BytesIO()
    writer = share.ShareWriter(sink, head)
    writer.write_body(body[:1000])
    writer.write_body(body[1000:])
    info = writer.finish()
    return sink.getvalue(), info


BODY = bytes(i % 241 for i in range(3000))


@settings(max_examples=50, deadline=None)
@given(
    scheme=st.sampled_from(list(Scheme)),
    k=st.integers(2, 120),
    extra=st.integers(0, 120),
    pick=st.integers(0, 254),
    sizes=st.tuples(*[st.integers(0, 2**63) for _ in range(3)]),
)
def test_header_round_trip(scheme: Scheme, k: int, extra: int, pick: int, sizes: tuple[int, int, int]) -> None:
    params = CodeParams(scheme, k, min(2 * k - 1 + extra, 255))
    head = header(
        index=pick % params.n, params=params, plaintext_size=sizes[0], sealed_size=sizes[1], body_size=sizes[2]
    )
    encoded = head.to_bytes()
    assert len(encoded) == share.HEADER_SIZE == 112
    assert share.ShareHeader.from_bytes(encoded) == head


def test_header_layout_known_answer() -> None:
    encoded = header().to_bytes()
    assert encoded[:10] == b"KURA\x02\x03\x03\x05\x01" + FILE_ID[:1]
    assert encoded[41:49] == struct.pack(">Q", 8000)
    assert encoded[-32:] == b"\x02" * 32


def test_writer_facts_are_those_of_the_whole_share() -> None:
    data, info = written(header(), BODY)
    assert len(data) == info.size == share.HEADER_SIZE + len(BODY)
    assert data[share.HEADER_SIZE :] == BODY
    assert info.merkle_root == merkle.merkle_root(data)
    assert info.chunk_count == merkle.chunk_count(len(data))
    assert share.verify_stream(io.BytesIO(data), FILE_ID, 1, info.merkle_root) == header()
    assert share.check_layout(data, FILE_ID, 1) == header()


def test_writer_refuses_a_wrong_body_length() -> None:
    writer = share.ShareWriter(io.BytesIO(), header(body_size=10))
    writer.write_body(b"x" * 9)
    with pytest.raises(CodecError, match="got 9 body bytes"):
        writer.finish()
    with pytest.raises(CodecError, match="more body bytes"):
        writer.write_body(b"xx")


GOOD, GOOD_INFO = written(header(), BODY)


def reject(data: bytes, match: str, file_id: bytes = FILE_ID, index: int = 1, root: bytes | None = None) -> None:
    with pytest.raises(ShareIntegrityError, match=match):
        share.verify_stream(io.BytesIO(data), file_id, index, GOOD_INFO.merkle_root if root is None else root)


def test_wrong_magic() -> None:
    reject(b"KRUA" + GOOD[4:], "wrong magic")


def test_unknown_version() -> None:
    reject(GOOD[:4] + b"\x01" + GOOD[5:], "format version 1, this kura reads version 2")


def test_unknown_scheme_and_impossible_values() -> None:
    reject(GOOD[:5] + b"\x09" + GOOD[6:], "unknown scheme")
    reject(GOOD[:8] + b"\x07" + GOOD[9:], "index 7 is outside")
    reject(GOOD[:6] + b"\x04" + GOOD[7:], "n >= 2k - 1")


def test_truncated_header_and_body() -> None:
    reject(GOOD[:50], "truncated header")
    reject(GOOD[:2000], "truncated body")
    reject(GOOD[:-1], "truncated body: 2999 of 3000")


def test_trailing_garbage() -> None:
    reject(GOOD + b"\x00", "longer than")


def test_hash_mismatch_in_body_and_header() -> None:
    body_flip = bytearray(GOOD)
    body_flip[500] ^= 1
    reject(bytes(body_flip), "hash mismatch: share 1's Merkle root differs")
    header_flip = bytearray(GOOD)
    header_flip[100] ^= 1  # inside the key share
    reject(bytes(header_flip), "hash mismatch: share 1's Merkle root differs")


def test_committed_root_mismatch() -> None:
    """An intact share of the right file and index, but not the one committed (a replaced share)."""
    reject(GOOD, "Merkle root differs from the committed one", root=merkle.merkle_root(b"other"))


def test_layout_check_refuses_what_it_can_see_without_hashing() -> None:
    with pytest.raises(ShareIntegrityError, match="has 3111 bytes, its header announces 3112"):
        share.check_layout(GOOD[:-1], FILE_ID, 1)
    with pytest.raises(ShareIntegrityError, match="has 3113 bytes"):
        share.check_layout(GOOD + b"\x00", FILE_ID, 1)
    with pytest.raises(ShareIntegrityError, match="expected 2: it was swapped"):
        share.check_layout(GOOD, FILE_ID, 2)
    with pytest.raises(ShareIntegrityError, match="truncated header"):
        share.check_layout(GOOD[:20], FILE_ID, 1)


def test_share_of_another_file_or_index() -> None:
    reject(GOOD, "belongs to file", file_id=OTHER_ID)
    reject(GOOD, "has index 1, expected 2: it was swapped", index=2)


def test_header_refuses_impossible_fields() -> None:
    with pytest.raises(CodecError, match="file id has 32 bytes"):
        header(file_id=b"short")
    with pytest.raises(CodecError, match="chunks of 1024"):
        header(chunk_size=512)
    with pytest.raises(CodecError, match="outside"):
        header(index=5)


def outcome(data: bytes, cuts: list[int]) -> str:
    """What a verifier fed ``data`` in the pieces ``cuts`` makes of it: the header, or the error."""
    verifier = share.ShareVerifier(FILE_ID, 1, GOOD_INFO.merkle_root)
    try:
        start = 0
        for cut in [*sorted(min(c, len(data)) for c in cuts), len(data)]:
            verifier.update(data[start:cut])
            start = cut
        return repr(verifier.finish())
    except ShareIntegrityError as exc:
        return f"error: {exc}"


@settings(max_examples=80, deadline=None)
@given(
    damage=st.sampled_from(["none", "cut", "extend", "flip"]),
    where=st.integers(0, len(GOOD) - 1),
    extra=st.binary(min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, len(GOOD) + 40), max_size=8),
)
def test_verifier_decides_the_same_however_the_share_is_cut(
    damage: str, where: int, extra: bytes, cuts: list[int]
) -> None:
    data = bytearray(GOOD)
    if damage == "cut":
        del data[where:]
    elif damage == "extend":
        data += extra
    elif damage == "flip":
        data[where] ^= 1
    whole = outcome(bytes(data), [])
    assert outcome(bytes(data), cuts) == whole
    assert (whole == repr(header())) == (damage == "none")


def test_verifier_refuses_a_wrong_header_before_the_body_arrives() -> None:
    verifier = share.ShareVerifier(OTHER_ID, 1, GOOD_INFO.merkle_root)
    with pytest.raises(ShareIntegrityError, match="belongs to file"):
        verifier.update(GOOD[: share.HEADER_SIZE])
