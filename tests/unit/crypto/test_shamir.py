"""Shamir over GF(2^8): round trips, a known answer, and that k - 1 shares say nothing."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from kura.codes import gf256
from kura.crypto import shamir
from kura.errors import CodecError


@st.composite
def splits(draw: st.DrawFn) -> tuple[bytes, int, int, list[int]]:
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, n))
    secret = draw(st.binary(max_size=300))
    chosen = draw(st.permutations(range(n)))[: draw(st.integers(k, n))]
    return secret, k, n, chosen


@settings(max_examples=100, deadline=None)
@given(case=splits())
def test_any_k_or_more_shares_recover_the_secret(case: tuple[bytes, int, int, list[int]]) -> None:
    secret, k, n, chosen = case
    shares = shamir.split(secret, k, n)
    assert [x for x, _ in shares] == list(range(1, n + 1))
    assert all(len(value) == len(secret) for _, value in shares)
    assert shamir.combine([shares[i] for i in chosen]) == secret


def test_largest_n() -> None:
    shares = shamir.split(b"manifest key", 200, 255)
    assert shamir.combine(shares[55:]) == b"manifest key"


def test_k_equals_one_copies_the_secret() -> None:
    assert shamir.split(b"abc", 1, 3) == [(1, b"abc"), (2, b"abc"), (3, b"abc")]


def test_known_answer() -> None:
    """f(x) = 5 + 3x over GF(2^8)/0x11D: f(1) = 6, f(2) = 5 ^ 6 = 3, f(3) = 5 ^ (3*3 = 5) = 0."""
    shares = shamir.split(b"\x05", 2, 3, rng=lambda size: b"\x03" * size)
    assert shares == [(1, b"\x06"), (2, b"\x03"), (3, b"\x00")]
    assert shamir.combine(shares[1:]) == b"\x05"


def evaluate(coefficients: tuple[int, ...], x: int) -> int:
    value = 0
    for coefficient in reversed(coefficients):
        value = gf256.mul(value, x) ^ coefficient
    return value


@pytest.mark.parametrize(("k", "n"), [(2, 3), (3, 4)])
def test_k_minus_one_shares_fit_every_secret_exactly_once(k: int, n: int) -> None:
    """Enumerate every polynomial: whatever the secret, each (k-1)-subset is explained by exactly one."""
    shares = shamir.split(b"\xa7", k, n)
    table = gf256.MUL_TABLE
    for subset in itertools.combinations(shares, k - 1):
        # values[c, s] = f(x) for the c-th choice of (a_1..a_{k-1}) and secret s, for each x in the subset.
        tails = np.array(list(itertools.product(range(256), repeat=k - 1)), dtype=np.uint8)
        matches = np.ones((len(tails), 256), dtype=bool)
        for x, value in subset:
            tail = np.zeros(len(tails), dtype=np.uint8)
            for power, column in enumerate(tails.T, start=1):
                tail ^= table[column, gf256.power(x, power)]
            matches &= (tail[:, None] ^ np.arange(256, dtype=np.uint8)[None, :]) == value[0]
        assert (matches.sum(axis=0) == 1).all()


def uniformity_pvalue(samples: np.ndarray, cells: int) -> float:
    counts = np.bincount(samples, minlength=cells)
    return float(chisquare(counts).pvalue)


def subset_statistics(secret_byte: int, rng: Callable[[int], bytes]) -> tuple[float, float]:
    """p-values for: the bytes two shares (x = 1, 2) of a 3-of-5 split hold at one position are a
    uniform pair; and adjacent bytes of share 1 are independent (their XOR is uniform)."""
    samples = 1 << 19
    rows = shamir.split_rows(np.full(samples, secret_byte, dtype=np.uint8), 3, 5, rng)
    pairs = rows[0].astype(np.int64) * 256 + rows[1]
    adjacent = rows[0][0::2] ^ rows[0][1::2]
    return uniformity_pvalue(pairs, 65536), uniformity_pvalue(adjacent, 256)


@pytest.mark.parametrize("secret_byte", [0x00, 0xFF])
def test_k_minus_one_shares_are_uniform_whatever_the_secret(secret_byte: int) -> None:
    generator = random.Random(secret_byte)
    joint, adjacent = subset_statistics(secret_byte, generator.randbytes)
    assert joint > 1e-4 and adjacent > 1e-4


def test_the_statistics_catch_reused_coefficients() -> None:
    """Two broken splits the statistics above must reject: a_1 = a_2, and one a_1 for neighbouring bytes."""
    generator = random.Random(7)

    def same_row_twice(size: int) -> bytes:
        row = generator.randbytes(size // 2)
        return row + row

    def same_for_neighbours(size: int) -> bytes:
        return bytes(b for b in generator.randbytes(size // 2) for _ in range(2))

    assert subset_statistics(0x5A, same_row_twice)[0] < 1e-9
    assert subset_statistics(0x5A, same_for_neighbours)[1] < 1e-9


def test_empty_secret() -> None:
    shares = shamir.split(b"", 2, 3)
    assert shares == [(1, b""), (2, b""), (3, b"")]
    assert shamir.combine(shares[:2]) == b""


def test_bad_inputs() -> None:
    with pytest.raises(CodecError, match="1 <= k <= n <= 255"):
        shamir.split(b"x", 3, 2)
    with pytest.raises(CodecError, match="1 <= k <= n <= 255"):
        shamir.split(b"x", 1, 256)
    with pytest.raises(CodecError, match="distinct"):
        shamir.combine([(1, b"a"), (1, b"b")])
    with pytest.raises(CodecError, match="distinct"):
        shamir.combine([(0, b"a")])
    with pytest.raises(CodecError, match="truncated"):
        shamir.combine([(1, b"ab"), (2, b"a")])
    with pytest.raises(CodecError, match="at least k"):
        shamir.combine([])
