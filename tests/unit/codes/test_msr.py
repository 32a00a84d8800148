"""Product-matrix MSR code: known answers, MDS decoding, exact repair, repair traffic, streaming, bad input."""

from __future__ import annotations

import itertools
import random
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes import gf256
from kura.codes.msr import ProductMatrixMSR, evaluation_points, max_shares
from kura.errors import CodecError, NotEnoughSharesError, ShareIntegrityError


@cache
def code(k: int, n: int) -> ProductMatrixMSR:
    return ProductMatrixMSR(k, n)


def random_bytes(size: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size=size, dtype=np.uint8).tobytes()


def test_known_answer_k2() -> None:
    """k = 2: alpha = 1, S1 = [a], S2 = [b], node i stores a + x_i·b with x_i = i + 1."""
    a, b = 0x53, 0xCA
    shares = code(2, 3).encode(bytes([a, b]))
    assert [share.tolist() for share in shares] == [[a ^ gf256.mul(x, b)] for x in (1, 2, 3)]


def test_known_answer_k3_layout() -> None:
    """k = 3: S1 = [[m0, m1], [m1, m2]], S2 = [[m3, m4], [m4, m5]]; node 0 (x = 1) sums all four rows of M."""
    message = bytes([1, 2, 4, 8, 16, 32])
    share = code(3, 5).encode(message)[0]
    m0, m1, m2, m3, m4, m5 = message
    assert share.tolist() == [m0 ^ m1 ^ m3 ^ m4, m1 ^ m2 ^ m4 ^ m5]
    x = 2  # node 1: psi = [1, 2, 4, 8]
    node1 = code(3, 5).encode(message)[1]
    expected = [
        m0 ^ gf256.mul(x, m1) ^ gf256.mul(4, m3) ^ gf256.mul(8, m4),
        m1 ^ gf256.mul(x, m2) ^ gf256.mul(4, m4) ^ gf256.mul(8, m5),
    ]
    assert node1.tolist() == expected


def test_sizes_follow_params() -> None:
    msr = code(4, 8)
    assert (msr.params.alpha, msr.params.d, msr.params.beta) == (3, 6, 1)
    assert msr.stripe_bytes == 12 * msr.stripe_width
    assert msr.share_size(0) == 0
    assert msr.share_size(1) == 3
    assert msr.share_size(12) == 3
    assert msr.share_size(13) == 6


def check_repair(msr: ProductMatrixMSR, shares: list[np.ndarray], lost: int, helpers: list[int]) -> None:
    symbols = {helper: msr.repair_symbols(helper, shares[helper], lost) for helper in helpers}
    sent = sum(symbol.size for symbol in symbols.values())
    assert sent == msr.params.d * msr.params.beta * shares[lost].size // msr.params.alpha
    assert np.array_equal(msr.repair(lost, symbols), shares[lost])


@pytest.mark.parametrize(("k", "n"), [(2, 3), (2, 5), (3, 5), (3, 6), (4, 7), (4, 8)])
def test_every_subset_decodes_and_repairs(k: int, n: int) -> None:
    msr = code(k, n)
    data = random_bytes(2 * msr.stripe_bytes + 1001, k * 100 + n)
    shares = msr.encode(data)
    for subset in itertools.combinations(range(n), k):
        assert msr.decode({index: shares[index] for index in subset}, len(data)) == data
    for lost in range(n):
        for helpers in itertools.combinations([i for i in range(n) if i != lost], msr.params.d):
            check_repair(msr, shares, lost, list(helpers))


@st.composite
def msr_cases(draw: st.DrawFn) -> tuple[int, int, bytes, random.Random]:
    k = draw(st.integers(min_value=2, max_value=6))
    n = draw(st.integers(min_value=2 * k - 1, max_value=min(2 * k + 4, max_shares(k))))
    return k, n, draw(st.binary(max_size=5000)), draw(st.randoms(use_true_random=False))


@settings(max_examples=150, deadline=None)
@given(msr_cases())
def test_any_k_decode_any_d_repair(case: tuple[int, int, bytes, random.Random]) -> None:
    k, n, data, rng = case
    msr = code(k, n)
    shares = msr.encode(data)
    assert len(shares) == n and all(share.size == msr.share_size(len(data)) for share in shares)
    subset = rng.sample(range(n), k)
    assert msr.decode({index: shares[index] for index in subset}, len(data)) == data
    lost = rng.randrange(n)
    helpers = rng.sample([i for i in range(n) if i != lost], msr.params.d)
    check_repair(msr, shares, lost, helpers)
    if data:
        padded = msr.share_size(len(data)) // msr.params.alpha * msr.params.k * msr.params.alpha
        sent = msr.params.d * shares[0].size // msr.params.alpha
        assert sent / padded == pytest.approx(msr.params.repair_fraction)
    with pytest.raises(NotEnoughSharesError):
        msr.decode({index: shares[index] for index in subset[:-1]}, len(data))


@pytest.mark.parametrize(("k", "n"), [(3, 5), (8, 16)])
def test_segments_of_whole_stripes_concatenate(k: int, n: int) -> None:
    msr = code(k, n)
    data = random_bytes(3 * msr.stripe_bytes + 777, 5)
    whole = msr.encode(data)
    cuts = [0, msr.stripe_bytes, 3 * msr.stripe_bytes, len(data)]
    pieces = [msr.encode(data[start:end]) for start, end in itertools.pairwise(cuts)]
    for index in range(n):
        assert np.array_equal(np.concatenate([piece[index] for piece in pieces]), whole[index])


def test_multi_stripe_large_k() -> None:
    msr = code(8, 16)
    data = random_bytes(2 * msr.stripe_bytes + 12345, 9)
    shares = msr.encode(data)
    assert msr.decode({index: shares[index] for index in range(8, 16)}, len(data)) == data
    check_repair(msr, shares, 0, list(range(2, 16)))


def test_max_n_and_its_limit() -> None:
    k = 4  # alpha = 3 divides 255: x^3 takes 85 non-zero values, plus 0
    assert max_shares(k) == 86
    assert len({gf256.power(x, 3) for x in evaluation_points(k)}) == 86
    msr = code(k, 86)
    data = random_bytes(5000, 1)
    shares = msr.encode(data)
    rng = random.Random(4)
    for _ in range(20):
        subset = [*rng.sample(range(85), k - 1), 85]  # always include the node at x = 0
        assert msr.decode({index: shares[index] for index in subset}, len(data)) == data
    check_repair(msr, shares, 85, rng.sample(range(85), msr.params.d))
    check_repair(msr, shares, 3, [85, *rng.sample(range(4, 85), msr.params.d - 1)])
    with pytest.raises(CodecError, match="at most n=86"):
        ProductMatrixMSR(4, 87)
    with pytest.raises(CodecError, match="at most n=18"):
        ProductMatrixMSR(16, 31)
    with pytest.raises(CodecError, match="n >= 2k - 1"):
        ProductMatrixMSR(3, 4)


def test_accepts_bytes_memoryview_and_arrays() -> None:
    msr = code(3, 5)
    data = random_bytes(1000, 2)
    shares = msr.encode(memoryview(data))
    out = np.empty((5, msr.share_size(len(data))), dtype=np.uint8)
    msr.encode_into(np.frombuffer(data, dtype=np.uint8), out)
    assert all(np.array_equal(row, share) for row, share in zip(out, shares, strict=True))
    chosen = {0: shares[0].tobytes(), 2: memoryview(shares[2].tobytes()), 4: shares[4]}
    assert msr.decode(chosen, len(data)) == data
    decoded = np.empty(len(data), dtype=np.uint8)
    msr.decode_into(chosen, decoded)
    assert decoded.tobytes() == data


def test_bad_input() -> None:
    msr = code(3, 5)
    data = random_bytes(100, 3)
    shares = msr.encode(data)
    with pytest.raises(ShareIntegrityError, match="share 1 is"):
        msr.decode({0: shares[0], 1: shares[1][:-2], 2: shares[2]}, len(data))
    with pytest.raises(CodecError, match=r"outside 0\.\.4"):
        msr.decode({0: shares[0], 1: shares[1], 7: shares[2]}, len(data))
    with pytest.raises(ShareIntegrityError, match="multiple of alpha"):
        msr.repair_symbols(1, shares[1][:-1], 0)
    with pytest.raises(CodecError, match="itself"):
        msr.repair_symbols(1, shares[1], 1)
    symbols = {helper: msr.repair_symbols(helper, shares[helper], 0) for helper in range(1, 5)}
    with pytest.raises(NotEnoughSharesError, match="d=4"):
        msr.repair(0, {helper: symbols[helper] for helper in range(1, 4)})
    with pytest.raises(ShareIntegrityError):
        msr.repair(0, {**symbols, 4: symbols[4][:-1]})
    with pytest.raises(CodecError, match="own helper"):
        msr.repair(1, {**symbols, 1: symbols[2]})
    with pytest.raises(CodecError, match="shape"):
        msr.encode_into(data, np.empty((5, 10), dtype=np.uint8))
    with pytest.raises(CodecError, match="1-D uint8"):
        msr.encode(np.zeros((2, 2), dtype=np.uint8))
