"""The Merkle rule shared with ShareMerkle.sol: known answers, proofs, streaming, bad proofs.

Every test runs on both kernels: the native one (``offchain/native``, built by set-up)
and the Python reference.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.crypto import merkle, merkle_native
from kura.errors import CodecError

SLOTS = merkle_native.MAX_HEIGHT * merkle_native.SLOT_BYTES


@pytest.fixture(autouse=True, params=["native", "python"])
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "native":
        assert merkle.KERNEL == "native", "the native Merkle kernel is not built: run `make setup`"
    else:
        monkeypatch.setattr(merkle, "_NATIVE", None)
    return request.param


def native() -> merkle_native.NativeMerkle:
    kernel = merkle_native.load()
    assert kernel is not None, "the native Merkle kernel is not built: run `make setup`"
    return kernel


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reference_root(data: bytes, chunk: int = 1024) -> bytes:
    """The rule as the module docstring states it, written the slow, obvious way."""
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
    level = [sha(b"\x00" + c) for c in chunks]
    width = 1
    while width < len(level):
        width *= 2
    level += [bytes(32)] * (width - len(level))
    while len(level) > 1:
        level = [sha(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def test_root_of_empty_data_is_the_leaf_of_the_empty_chunk() -> None:
    assert merkle.merkle_root(b"") == sha(b"\x00")
    assert merkle.merkle_root(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_one_chunk_root_is_its_leaf() -> None:
    assert merkle.merkle_root(b"abc") == sha(b"\x00abc")
    assert merkle.merkle_root(b"z" * 1024) == sha(b"\x00" + b"z" * 1024)


def test_two_chunks_last_one_short_and_unpadded() -> None:
    data = b"z" * 1024 + b"q"
    assert merkle.merkle_root(data) == sha(b"\x01" + sha(b"\x00" + b"z" * 1024) + sha(b"\x00q"))


def test_three_chunks_are_padded_with_a_zero_leaf() -> None:
    data = b"a" * 1024 + b"b" * 1024 + b"c"
    left = sha(b"\x01" + sha(b"\x00" + b"a" * 1024) + sha(b"\x00" + b"b" * 1024))
    right = sha(b"\x01" + sha(b"\x00c") + bytes(32))
    assert merkle.merkle_root(data) == sha(b"\x01" + left + right)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        (4096, "2997503201b42d166d044fc61c26619bc7b74e78afc3cc36c3d70464996785e7"),
        (5000, "0b3468a18d52d12da54c263c60d67bae0a04214b57709d9e733b3dabda236043"),
    ],
)
def test_known_answer_over_a_counting_pattern(size: int, expected: str) -> None:
    # Fixed here so that a change of the rule (which would break the contract) cannot pass by
    # changing the reference along with the code.
    data = bytes(i % 251 for i in range(size))
    assert merkle.merkle_root(data).hex() == expected


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=9000), chunk=st.sampled_from([1, 3, 57, 1024]))
def test_root_matches_the_reference(data: bytes, chunk: int) -> None:
    assert merkle.merkle_root(data, chunk) == reference_root(data, chunk)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=20_000), cuts=st.lists(st.integers(0, 20_000), max_size=6))
def test_streaming_builder_is_independent_of_how_data_is_cut(data: bytes, cuts: list[int]) -> None:
    builder = merkle.MerkleBuilder()
    start = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        builder.update(data[start:cut])
        start = cut
    builder.update(data[start:])
    assert builder.root() == merkle.merkle_root(data)
    assert builder.leaf_count == merkle.chunk_count(len(data)) == len(merkle.leaf_hashes(data))


def test_builder_root_can_be_asked_midway() -> None:
    builder = merkle.MerkleBuilder()
    builder.update(b"x" * 3000)
    assert builder.root() == merkle.merkle_root(b"x" * 3000)
    builder.update(b"y" * 2000)
    assert builder.root() == merkle.merkle_root(b"x" * 3000 + b"y" * 2000)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=12_000), pick=st.integers(0, 10**6))
def test_every_chunk_has_a_proof_that_verifies(data: bytes, pick: int) -> None:
    count = merkle.chunk_count(len(data))
    index = pick % count
    chunk = data[index * 1024 : (index + 1) * 1024]
    proof = merkle.merkle_proof(data, index)
    root = merkle.merkle_root(data)
    assert len(proof) == merkle.depth(count)
    assert merkle.verify_proof(root, index, chunk, proof, count)


def data_and_proof() -> tuple[bytes, bytes, list[bytes], int]:
    data = bytes(i % 253 for i in range(5 * 1024 + 100))
    return data, merkle.merkle_root(data), merkle.merkle_proof(data, 2), merkle.chunk_count(len(data))


def test_proof_fails_for_a_changed_chunk() -> None:
    data, root, proof, count = data_and_proof()
    chunk = bytearray(data[2048:3072])
    chunk[7] ^= 1
    assert not merkle.verify_proof(root, 2, bytes(chunk), proof, count)


def test_proof_fails_for_another_index() -> None:
    data, root, proof, count = data_and_proof()
    assert not merkle.verify_proof(root, 3, data[2048:3072], proof, count)


def test_proof_fails_for_an_index_beyond_the_leaves() -> None:
    data, root, proof, count = data_and_proof()
    assert not merkle.verify_proof(root, 2 + 8, data[2048:3072], proof, count)
    assert not merkle.verify_proof(root, count, data[2048:3072], proof, count)


def test_proof_fails_with_the_wrong_depth() -> None:
    data, root, proof, count = data_and_proof()
    assert not merkle.verify_proof(root, 2, data[2048:3072], proof[:-1], count)
    assert not merkle.verify_proof(root, 2, data[2048:3072], [*proof, bytes(32)], count)


def test_an_inner_node_cannot_pass_as_a_leaf() -> None:
    data, root, proof, count = data_and_proof()
    inner = merkle.inner_hash(merkle.leaf_hash(data[2048:3072]), proof[0])
    assert not merkle.verify_proof(root, 1, inner, proof[1:], count)


def test_proof_rejects_oversized_and_empty_chunks() -> None:
    data, root, proof, count = data_and_proof()
    assert not merkle.verify_proof(root, 2, data[2048:3073], proof, count)
    empty_root = merkle.merkle_root(b"")
    assert merkle.verify_proof(empty_root, 0, b"", [], 1)
    assert not merkle.verify_proof(root, 2, b"", proof, count)


def test_records_as_chunks() -> None:
    records = b"".join(bytes([i]) * 57 for i in range(5))
    assert merkle.merkle_root(records, chunk_size=57) == reference_root(records, 57)
    assert merkle.chunk_count(len(records), 57) == 5


def test_bad_arguments() -> None:
    with pytest.raises(CodecError, match="at least one leaf"):
        merkle.depth(0)
    with pytest.raises(CodecError, match="positive"):
        merkle.MerkleBuilder(0)
    with pytest.raises(CodecError, match="does not exist"):
        merkle.merkle_proof(b"abc", 1)


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=5000),
    chunk=st.sampled_from([1, 7, 64, 1024]),
    leaf_count=st.integers(0, 2**63),
    slots=st.binary(min_size=SLOTS, max_size=SLOTS),
)
def test_native_kernel_matches_the_reference_from_any_state(
    data: bytes, chunk: int, leaf_count: int, slots: bytes
) -> None:
    native_slots, python_slots = bytearray(slots), bytearray(slots)
    native_count = native().push_chunks(data, chunk, native_slots, leaf_count)
    python_count = merkle.reference_push_chunks(data, chunk, python_slots, leaf_count)
    assert native_count == python_count == leaf_count + len(data) // chunk
    assert native_slots == python_slots


def test_native_kernel_refuses_a_zero_chunk_and_a_leaf_count_overflow() -> None:
    slots = bytearray(SLOTS)
    with pytest.raises(CodecError, match="refused chunk size 0"):
        native().push_chunks(b"abc", 0, slots, 0)
    with pytest.raises(CodecError, match="refused"):
        native().push_chunks(b"ab", 1, slots, 2**64 - 2)
    assert slots == bytearray(SLOTS)
    assert native().push_chunks(b"a", 1, slots, 2**64 - 2) == 2**64 - 1
    with pytest.raises(CodecError, match="slot bytes"):
        native().push_chunks(b"a" * 4096, 1024, bytearray(32), 0)


def test_python_kernel_warns_once_that_the_native_one_is_missing(caplog: pytest.LogCaptureFixture, kernel: str) -> None:
    merkle._warn_python_kernel.cache_clear()
    merkle.merkle_root(b"x" * 5000)
    merkle.merkle_root(b"y" * 5000)
    warnings = [r for r in caplog.records if "native Merkle kernel is not built" in r.getMessage()]
    assert len(warnings) == (1 if kernel == "python" else 0)
