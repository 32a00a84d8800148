"""GF(2^8) arithmetic: known answers, field laws against a bitwise oracle, matmul and inverse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.codes import gf256
from kura.errors import CodecError

elements = st.integers(min_value=0, max_value=255)
nonzero = st.integers(min_value=1, max_value=255)


def carryless_mul(a: int, b: int) -> int:
    """Shift-and-add multiplication modulo 0x11D, independent of the log tables."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0x100:
            a ^= 0x11D
    return product


def naive_matmul(matrix: np.ndarray, data: np.ndarray) -> np.ndarray:
    rows, inner = matrix.shape
    out = np.zeros((rows, data.shape[1]), dtype=np.uint8)
    for i in range(rows):
        for col in range(data.shape[1]):
            acc = 0
            for j in range(inner):
                acc ^= carryless_mul(int(matrix[i, j]), int(data[j, col]))
            out[i, col] = acc
    return out


@pytest.mark.parametrize(
    ("a", "b", "product"),
    [(2, 0x80, 0x1D), (0x80, 0x80, 0x13), (3, 7, 9), (0, 0x53, 0), (1, 0xCA, 0xCA), (0xFF, 0xFF, 0xE2)],
)
def test_known_products(a: int, b: int, product: int) -> None:
    assert gf256.mul(a, b) == product
    assert carryless_mul(a, b) == product


def test_generator_has_order_255() -> None:
    powers = {gf256.power(2, i) for i in range(255)}
    assert len(powers) == 255 and 0 not in powers
    assert gf256.power(2, 255) == 1


@given(elements, elements)
def test_mul_matches_bitwise_oracle(a: int, b: int) -> None:
    assert gf256.mul(a, b) == carryless_mul(a, b) == gf256.mul(b, a)


def test_mul_table_matches_oracle_everywhere() -> None:
    expected = np.array([[carryless_mul(a, b) for b in range(256)] for a in range(256)], dtype=np.uint8)
    assert np.array_equal(gf256.MUL_TABLE, expected)


@given(elements, elements, elements)
def test_distributive_and_associative(a: int, b: int, c: int) -> None:
    assert gf256.mul(a, b ^ c) == gf256.mul(a, b) ^ gf256.mul(a, c)
    assert gf256.mul(gf256.mul(a, b), c) == gf256.mul(a, gf256.mul(b, c))


@given(nonzero)
def test_inverse_element(a: int) -> None:
    assert gf256.mul(a, gf256.inv(a)) == 1


@given(elements, st.integers(min_value=0, max_value=600))
def test_power_is_repeated_mul(a: int, exponent: int) -> None:
    expected = 1
    for _ in range(exponent):
        expected = carryless_mul(expected, a)
    assert gf256.power(a, exponent) == expected


def test_scalar_errors() -> None:
    with pytest.raises(CodecError, match="no inverse"):
        gf256.inv(0)
    with pytest.raises(CodecError, match="not a GF"):
        gf256.mul(256, 1)
    with pytest.raises(CodecError, match="negative"):
        gf256.power(3, -1)


def small_matmul_cases() -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
        rows = draw(st.integers(min_value=1, max_value=5))
        inner = draw(st.integers(min_value=1, max_value=5))
        length = draw(st.integers(min_value=0, max_value=9))
        matrix = np.array(draw(st.lists(elements, min_size=rows * inner, max_size=rows * inner)), np.uint8)
        data = np.array(draw(st.lists(elements, min_size=inner * length, max_size=inner * length)), np.uint8)
        return matrix.reshape(rows, inner), data.reshape(inner, length)

    return build()


@given(small_matmul_cases())
def test_reference_matmul_matches_naive(case: tuple[np.ndarray, np.ndarray]) -> None:
    matrix, data = case
    assert np.array_equal(gf256.reference_matmul(matrix, data), naive_matmul(matrix, data))


@settings(max_examples=200)
@given(
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=1, max_value=20),
    st.sampled_from([0, 1, 7, 31, 32, 33, 63, 64, 65, 255, 1000, 4097]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_matmul_matches_reference(rows: int, inner: int, length: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 256, size=(rows, inner), dtype=np.uint8)
    data = rng.integers(0, 256, size=(inner, length), dtype=np.uint8)
    expected = gf256.reference_matmul(matrix, data)
    assert np.array_equal(gf256.matmul(matrix, data), expected)
    out = np.full((rows, length), 0xAA, dtype=np.uint8)
    gf256.matmul_into(matrix, data, out)
    assert np.array_equal(out, expected)


def test_fast_kernel_is_in_use() -> None:
    """pyeclib (which bundles ISA-L) is a dependency: the slow reference must not be what runs."""
    assert gf256.KERNEL == "isa-l"


def test_matmul_on_strided_views() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.integers(0, 256, size=(4, 3), dtype=np.uint8)
    base = rng.integers(0, 256, size=(3, 2000), dtype=np.uint8)
    for data in (base[:, 100:1100], base[:, ::3], base[::-1, 5:]):
        expected = naive_matmul(matrix, data[:, :40])
        assert np.array_equal(gf256.matmul(matrix, data)[:, :40], expected)
    wide_out = np.zeros((4, 3000), dtype=np.uint8)
    gf256.matmul_into(matrix, base[:, :1000], wide_out[:, 1000:2000])
    assert np.array_equal(wide_out[:, 1000:2000], gf256.reference_matmul(matrix, base[:, :1000]))
    assert not wide_out[:, :1000].any() and not wide_out[:, 2000:].any()


def test_matmul_rejects_bad_operands() -> None:
    with pytest.raises(CodecError, match="line up"):
        gf256.matmul(np.zeros((2, 3), np.uint8), np.zeros((2, 5), np.uint8))
    with pytest.raises(CodecError, match="uint8"):
        gf256.matmul(np.zeros((2, 2), np.int64), np.zeros((2, 5), np.uint8))
    with pytest.raises(CodecError, match="shape"):
        gf256.matmul_into(np.zeros((2, 2), np.uint8), np.zeros((2, 5), np.uint8), np.zeros((2, 4), np.uint8))
    buffer = np.zeros((2, 5), np.uint8)
    with pytest.raises(CodecError, match="own input"):
        gf256.matmul_into(np.eye(2, dtype=np.uint8), buffer, buffer)


@settings(max_examples=100)
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=2**32 - 1))
def test_inverse_of_vandermonde(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.permutation(256)[:size].tolist()
    matrix = gf256.vandermonde(points, size)
    product = gf256.reference_matmul(matrix, gf256.inverse(matrix))
    assert np.array_equal(product, np.eye(size, dtype=np.uint8))


@given(st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=2**32 - 1))
def test_inverse_random_or_singular(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 256, size=(size, size), dtype=np.uint8)
    try:
        inverse = gf256.inverse(matrix)
    except CodecError as error:
        assert "singular" in str(error)
        return
    assert np.array_equal(naive_matmul(inverse, matrix), np.eye(size, dtype=np.uint8))


def test_inverse_rejects_singular_and_non_square() -> None:
    singular = np.array([[1, 2], [2, 4]], dtype=np.uint8)  # second row = 2 · first row
    with pytest.raises(CodecError, match="singular"):
        gf256.inverse(singular)
    with pytest.raises(CodecError, match="square"):
        gf256.inverse(np.zeros((2, 3), np.uint8))


def test_vandermonde_rows() -> None:
    matrix = gf256.vandermonde([0, 1, 2, 3], 4)
    assert matrix.tolist() == [[1, 0, 0, 0], [1, 1, 1, 1], [1, 2, 4, 8], [1, 3, 5, 15]]
    assert gf256.vandermonde([5], 0).shape == (1, 0)


def striped_oracle(matrix: np.ndarray, sources: list[np.ndarray], targets_count: int, width: int) -> list[np.ndarray]:
    """Cut every buffer into stripes by hand and multiply each stripe with the reference kernel."""
    source_rows = matrix.shape[1] // len(sources)
    target_rows = matrix.shape[0] // targets_count
    row_length = sources[0].size // source_rows
    outputs: list[list[np.ndarray]] = [[] for _ in range(targets_count)]
    start = 0
    while start < row_length:
        stripe_width = min(width, row_length - start)
        offset = start * source_rows
        block = np.concatenate(
            [src[offset : offset + source_rows * stripe_width].reshape(source_rows, stripe_width) for src in sources]
        )
        product = gf256.reference_matmul(matrix, block)
        for index in range(targets_count):
            outputs[index].append(product[index * target_rows : (index + 1) * target_rows].ravel())
        start += stripe_width
    return [np.concatenate(parts) if parts else np.zeros(0, np.uint8) for parts in outputs]


@pytest.mark.parametrize("native", [True, False])
@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=3),
    st.sampled_from([1, 3, 64, 100]),
    st.integers(min_value=0, max_value=450),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_matmul_striped_matches_oracle(
    native: bool,
    n_sources: int,
    source_rows: int,
    n_targets: int,
    target_rows: int,
    width: int,
    row_length: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 256, size=(n_targets * target_rows, n_sources * source_rows), dtype=np.uint8)
    sources = [rng.integers(0, 256, size=source_rows * row_length, dtype=np.uint8) for _ in range(n_sources)]
    targets = [np.full(target_rows * row_length, 0x5A, dtype=np.uint8) for _ in range(n_targets)]
    with pytest.MonkeyPatch.context() as patch:
        if not native:
            patch.setattr(gf256, "_NATIVE", None)
        gf256.matmul_striped_into(matrix, sources, targets, width)
    for got, expected in zip(targets, striped_oracle(matrix, sources, n_targets, width), strict=True):
        assert np.array_equal(got, expected)


def test_reference_fallback_of_matmul_into(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 256, size=(3, 4), dtype=np.uint8)
    data = rng.integers(0, 256, size=(4, 50), dtype=np.uint8)
    expected = gf256.matmul(matrix, data)
    monkeypatch.setattr(gf256, "_NATIVE", None)
    assert np.array_equal(gf256.matmul(matrix, data), expected)


def test_matmul_striped_rejects_mismatched_buffers() -> None:
    matrix = np.ones((2, 2), dtype=np.uint8)
    with pytest.raises(CodecError, match="whole stripes"):
        gf256.matmul_striped_into(matrix, [np.zeros(5, np.uint8)], [np.zeros(4, np.uint8)], 8)
    with pytest.raises(CodecError, match="differ in length"):
        gf256.matmul_striped_into(matrix, [np.zeros(4, np.uint8), np.zeros(6, np.uint8)], [np.zeros(8, np.uint8)], 8)
    with pytest.raises(CodecError, match="share_size"):
        gf256.matmul_striped_into(matrix, [np.zeros(4, np.uint8)], [np.zeros(8, np.uint8)], 8)
    buffer = np.zeros(8, np.uint8)
    with pytest.raises(CodecError, match="own input"):
        gf256.matmul_striped_into(matrix, [buffer[:4]], [buffer[2:6]], 8)
