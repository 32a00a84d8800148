"""Systematic Reed–Solomon: systematic shares, MDS decoding, k = 1, k = n, n = 255, streaming, bad input."""

from __future__ import annotations

import itertools
import random
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes import gf256
from kura.codes.rs import ReedSolomon
from kura.errors import CodecError, NotEnoughSharesError, ShareIntegrityError


@cache
def code(k: int, n: int) -> ReedSolomon:
    return ReedSolomon(k, n)


def random_bytes(size: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size=size, dtype=np.uint8).tobytes()


def test_known_answer_parity() -> None:
    """k = 2, n = 3 on points 0, 1, 2: G = V·V_2^-1 gives the parity row [3, 2] (f(2) = a·(1+2) + b·2)."""
    a, b = 0x11, 0x80
    shares = code(2, 3).encode(bytes([a, b]))
    assert [share.tolist() for share in shares] == [[a], [b], [gf256.mul(3, a) ^ gf256.mul(2, b)]]


def test_systematic_shares_hold_the_data() -> None:
    rs = code(4, 7)
    data = random_bytes(2 * rs.stripe_bytes + 4 * 300, 1)
    shares = rs.encode(data)
    width = rs.stripe_width
    stripes = [(start, width) for start in range(0, 2 * width, width)] + [(2 * width, 300)]
    rebuilt = b"".join(shares[row][start : start + size].tobytes() for start, size in stripes for row in range(4))
    assert rebuilt == data


@pytest.mark.parametrize(("k", "n"), [(1, 1), (1, 4), (2, 3), (3, 5), (4, 8), (5, 5)])
def test_every_subset_decodes(k: int, n: int) -> None:
    rs = code(k, n)
    data = random_bytes(2 * rs.stripe_bytes + 555, k + n)
    shares = rs.encode(data)
    for subset in itertools.combinations(range(n), k):
        assert rs.decode({index: shares[index] for index in subset}, len(data)) == data


def test_k1_replicates() -> None:
    shares = code(1, 3).encode(b"kura")
    assert all(share.tobytes() == b"kura" for share in shares)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda k: st.tuples(st.just(k), st.integers(min_value=k, max_value=k + 12))
    ),
    st.binary(max_size=5000),
    st.randoms(use_true_random=False),
)
def test_any_k_shares_decode(kn: tuple[int, int], data: bytes, rng: random.Random) -> None:
    k, n = kn
    rs = code(k, n)
    shares = rs.encode(data)
    assert all(share.size == rs.share_size(len(data)) == -(-len(data) // k) for share in shares)
    subset = rng.sample(range(n), k)
    assert rs.decode({index: shares[index] for index in subset}, len(data)) == data
    if k > 1:
        with pytest.raises(NotEnoughSharesError):
            rs.decode({index: shares[index] for index in subset[1:]}, len(data))


def test_max_n() -> None:
    rs = code(10, 255)
    data = random_bytes(20000, 2)
    shares = rs.encode(data)
    rng = random.Random(5)
    for _ in range(10):
        subset = rng.sample(range(255), 10)
        assert rs.decode({index: shares[index] for index in subset}, len(data)) == data
    with pytest.raises(CodecError, match="n <= 255"):
        ReedSolomon(10, 256)


def test_segments_of_whole_stripes_concatenate() -> None:
    rs = code(3, 5)
    data = random_bytes(2 * rs.stripe_bytes + 10, 6)
    whole = rs.encode(data)
    first, second = rs.encode(data[: rs.stripe_bytes]), rs.encode(data[rs.stripe_bytes :])
    for index in range(5):
        assert np.array_equal(np.concatenate([first[index], second[index]]), whole[index])


def test_bad_input() -> None:
    rs = code(3, 5)
    data = random_bytes(99, 7)
    shares = rs.encode(data)
    with pytest.raises(ShareIntegrityError, match="share 4 is 34 bytes but 33"):
        rs.decode({0: shares[0], 1: shares[1], 4: np.append(shares[4], 0).astype(np.uint8)}, len(data))
    with pytest.raises(NotEnoughSharesError, match="2 shares given but 3"):
        rs.decode({0: shares[0], 1: shares[1]}, len(data))
    with pytest.raises(CodecError, match="negative"):
        rs.share_size(-1)
    with pytest.raises(CodecError, match="negative"):
        rs.decode({0: shares[0], 1: shares[1], 2: shares[2]}, -1)
    with pytest.raises(CodecError, match="1-D uint8"):
        rs.decode_into({0: shares[0], 1: shares[1], 2: shares[2]}, np.empty((3, 33), dtype=np.uint8))


@pytest.mark.parametrize("extra", [0, 1, 3 * 1000 - 1])
def test_decode_into_a_reused_buffer(extra: int) -> None:
    rs = code(3, 5)
    data = random_bytes(2 * rs.stripe_bytes + extra, extra)
    shares = rs.encode(data)
    out = np.full(len(data), 0xEE, dtype=np.uint8)
    rs.decode_into({index: shares[index] for index in (1, 3, 4)}, out)
    assert out.tobytes() == data
