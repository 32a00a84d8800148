"""Arithmetic in GF(2^8) with the polynomial ``x^8 + x^4 + x^3 + x^2 + 1`` (0x11D), generator 2.

This is the field of classic Reed–Solomon codes (ISA-L, zfec, jerasure). Every
codec in kura — Shamir sharing, Reed–Solomon, the product-matrix MSR code —
reduces its bulk work to :func:`matmul`: a small matrix over the field times a
``(c, L)`` array of bytes. The product runs on a fast native kernel when one is
available (see :mod:`kura.codes._gf256_native`) and otherwise on
:func:`reference_matmul`, a plain numpy implementation that is also the oracle
the tests compare the native kernel against.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from kura.codes import _gf256_native
from kura.errors import CodecError

_log = logging.getLogger(__name__)

POLYNOMIAL = 0x11D
"""The reduction polynomial ``x^8 + x^4 + x^3 + x^2 + 1``."""
GENERATOR = 2
"""A primitive element: its powers run through all 255 non-zero elements."""


def _build_tables() -> tuple[np.ndarray, np.ndarray]:
    exp = np.zeros(512, dtype=np.uint8)
    log = np.zeros(256, dtype=np.int32)
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= POLYNOMIAL
    exp[255:510] = exp[0:255]
    return exp, log


EXP, LOG = _build_tables()
"""``EXP[i] = 2^i`` for ``0 <= i < 510``; ``LOG[a]`` is the discrete log of ``a != 0`` (``LOG[0]`` is unused)."""


def _build_mul_table() -> np.ndarray:
    logs = LOG[1:]
    table = np.zeros((256, 256), dtype=np.uint8)
    table[1:, 1:] = EXP[logs[:, None] + logs[None, :]]
    return table


MUL_TABLE = _build_mul_table()
"""``MUL_TABLE[a, b] = a·b``; row ``a`` is the 256-entry table of multiplication by ``a``."""


def _check_element(value: int, name: str) -> None:
    if not 0 <= value <= 255:
        raise CodecError(f"{name}={value} is not a GF(2^8) element: use an integer in 0..255")


def mul(a: int, b: int) -> int:
    """Multiply two field elements.

    Args:
        a: An element, 0..255.
        b: An element, 0..255.

    Returns:
        ``a·b`` in GF(2^8).

    Raises:
        CodecError: if ``a`` or ``b`` is outside 0..255.
    """
    _check_element(a, "a")
    _check_element(b, "b")
    return int(MUL_TABLE[a, b])


def inv(a: int) -> int:
    """Multiplicative inverse of a non-zero element.

    Args:
        a: An element, 1..255.

    Returns:
        The ``b`` with ``a·b = 1``.

    Raises:
        CodecError: if ``a`` is 0 (it has no inverse) or outside 0..255.
    """
    _check_element(a, "a")
    if a == 0:
        raise CodecError("0 has no inverse in GF(2^8): a zero pivot or a repeated evaluation point")
    return int(EXP[255 - LOG[a]])


def power(a: int, exponent: int) -> int:
    """Raise an element to a non-negative integer power (``0^0 = 1``).

    Args:
        a: An element, 0..255.
        exponent: A non-negative integer.

    Returns:
        ``a^exponent`` in GF(2^8).

    Raises:
        CodecError: if ``a`` is outside 0..255 or ``exponent`` is negative.
    """
    _check_element(a, "a")
    if exponent < 0:
        raise CodecError(f"exponent={exponent} is negative: use inv() first")
    if exponent == 0:
        return 1
    if a == 0:
        return 0
    return int(EXP[(int(LOG[a]) * exponent) % 255])


def _check_operands(matrix: np.ndarray, data: np.ndarray) -> None:
    if matrix.dtype != np.uint8 or data.dtype != np.uint8:
        raise CodecError(f"matmul needs uint8 arrays, got {matrix.dtype} and {data.dtype}")
    if matrix.ndim != 2 or data.ndim != 2:
        raise CodecError(f"matmul needs 2-D arrays, got shapes {matrix.shape} and {data.shape}")
    if matrix.shape[1] != data.shape[0]:
        raise CodecError(
            f"matmul shapes do not line up: matrix {matrix.shape} · data {data.shape} "
            "(matrix columns must equal data rows)"
        )


def _check_out(matrix: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    expected = (matrix.shape[0], data.shape[1])
    if out.dtype != np.uint8 or out.shape != expected:
        raise CodecError(f"matmul_into needs a uint8 output of shape {expected}, got {out.dtype} {out.shape}")
    if out.shape[1] > 1 and out.strides[1] != 1:
        raise CodecError("matmul_into needs an output whose rows are contiguous: pass np.empty((r, L), np.uint8)")
    if np.may_share_memory(out, data):
        raise CodecError("matmul_into cannot write over its own input: pass a separate output buffer")


def reference_matmul_into(matrix: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    """Plain numpy ``matrix · data`` over GF(2^8) into ``out`` (the oracle for the native kernel).

    Each term ``matrix[i, j]·data[j]`` is one lookup in that constant's 256-entry
    row of :data:`MUL_TABLE`; terms are added with XOR.

    Args:
        matrix: ``uint8`` array of shape ``(r, c)``.
        data: ``uint8`` array of shape ``(c, L)``.
        out: ``uint8`` array of shape ``(r, L)`` whose rows are contiguous; overwritten.

    Raises:
        CodecError: if the shapes or dtypes do not fit.
    """
    _check_operands(matrix, data)
    _check_out(matrix, data, out)
    out[...] = 0
    scratch = np.empty(data.shape[1], dtype=np.uint8)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            coefficient = int(matrix[i, j])
            if coefficient == 0:
                continue
            if coefficient == 1:
                np.bitwise_xor(out[i], data[j], out=out[i])
            else:
                np.take(MUL_TABLE[coefficient], data[j], out=scratch)
                np.bitwise_xor(out[i], scratch, out=out[i])


def reference_matmul(matrix: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Plain numpy ``matrix · data`` over GF(2^8) (the oracle for the native kernel).

    Args:
        matrix: ``uint8`` array of shape ``(r, c)``.
        data: ``uint8`` array of shape ``(c, L)``.

    Returns:
        ``uint8`` array of shape ``(r, L)``.

    Raises:
        CodecError: if the shapes or dtypes do not fit.
    """
    _check_operands(matrix, data)
    out = np.empty((matrix.shape[0], data.shape[1]), dtype=np.uint8)
    reference_matmul_into(matrix, data, out)
    return out


_NATIVE = _gf256_native.load()
if _NATIVE is None:
    _log.warning(
        "ISA-L was not found (neither the pyeclib wheel's copy nor a system libisal): GF(2^8) matmul "
        "runs on the numpy reference kernel, about 100x slower; run `pip install pyeclib` to fix"
    )

KERNEL = "isa-l" if _NATIVE is not None else "numpy"
"""Which kernel :func:`matmul` runs on: ``"isa-l"`` or the ``"numpy"`` reference."""


def _row_addresses(array: np.ndarray) -> np.ndarray:
    return array.ctypes.data + array.strides[0] * np.arange(array.shape[0], dtype=np.int64)


def matmul_into(matrix: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    """``matrix · data`` over GF(2^8), written into a preallocated buffer.

    Args:
        matrix: ``uint8`` array of shape ``(r, c)``.
        data: ``uint8`` array of shape ``(c, L)``; copied first if its rows are not contiguous.
        out: ``uint8`` array of shape ``(r, L)`` whose rows are contiguous (any
            row stride); overwritten. It must not overlap ``data``.

    Raises:
        CodecError: if the shapes or dtypes do not fit, or ``out`` overlaps ``data``.
    """
    _check_operands(matrix, data)
    _check_out(matrix, data, out)
    if _NATIVE is None:
        reference_matmul_into(matrix, data, out)
        return
    rows, inner = matrix.shape
    length = data.shape[1]
    if rows == 0 or length == 0:
        return
    if inner == 0:
        out[...] = 0
        return
    if length > 1 and data.strides[1] != 1:
        data = np.ascontiguousarray(data)
    _NATIVE.run(_NATIVE.tables(matrix), length, _row_addresses(data), _row_addresses(out))


def matmul(matrix: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``matrix · data`` over GF(2^8): the bulk kernel of every kura codec.

    Args:
        matrix: ``uint8`` array of shape ``(r, c)``.
        data: ``uint8`` array of shape ``(c, L)``.

    Returns:
        ``uint8`` array of shape ``(r, L)``.

    Raises:
        CodecError: if the shapes or dtypes do not fit.
    """
    _check_operands(matrix, data)
    out = np.empty((matrix.shape[0], data.shape[1]), dtype=np.uint8)
    matmul_into(matrix, data, out)
    return out


def striped_row_length(buffer_len: int, rows_per_stripe: int) -> int:
    """Bytes per row, over all stripes, of a striped buffer (see :func:`matmul_striped_into`).

    Args:
        buffer_len: Length of the buffer in bytes.
        rows_per_stripe: Rows each stripe of the buffer holds.

    Returns:
        ``buffer_len // rows_per_stripe``.

    Raises:
        CodecError: if ``buffer_len`` is not a whole number of rows.
    """
    if rows_per_stripe <= 0 or buffer_len % rows_per_stripe:
        raise CodecError(
            f"a striped buffer of {buffer_len} bytes cannot hold whole stripes of {rows_per_stripe} rows: "
            "it is truncated or belongs to another code"
        )
    return buffer_len // rows_per_stripe


def _striped_buffers(buffers: Sequence[np.ndarray], rows: int, role: str) -> tuple[int, int]:
    """Rows per buffer and the common row length of striped buffers."""
    if not buffers or rows % len(buffers):
        raise CodecError(f"{len(buffers)} {role} buffers cannot share {rows} matrix rows/columns evenly")
    per_buffer = rows // len(buffers)
    lengths = set()
    for buffer in buffers:
        if buffer.dtype != np.uint8 or buffer.ndim != 1 or not buffer.flags.c_contiguous:
            raise CodecError(
                f"striped {role} buffers must be contiguous 1-D uint8 arrays, got {buffer.dtype} {buffer.shape}"
            )
        lengths.add(striped_row_length(buffer.size, per_buffer))
    if len(lengths) != 1:
        raise CodecError(
            f"striped {role} buffers differ in length ({sorted(lengths)} bytes per row): pass equal shares"
        )
    return per_buffer, lengths.pop()


def _stripe_row_addresses(buffers: Sequence[np.ndarray], per_buffer: int, width: int) -> np.ndarray:
    """Addresses of every buffer's rows in a first stripe of rows ``width`` bytes long."""
    bases = np.array([buffer.ctypes.data for buffer in buffers], dtype=np.int64)
    within = np.arange(per_buffer, dtype=np.int64) * width
    return (bases[:, None] + within[None, :]).ravel()


def _stripe_views(buffers: Sequence[np.ndarray], per_buffer: int, start: int, width: int) -> list[np.ndarray]:
    return [buffer[start : start + per_buffer * width].reshape(per_buffer, width) for buffer in buffers]


def matmul_striped_into(
    matrix: np.ndarray, sources: Sequence[np.ndarray], targets: Sequence[np.ndarray], width: int
) -> None:
    """Apply ``matrix`` to every stripe of striped buffers: kura's share layout.

    A *striped* buffer is a run of stripes; each stripe holds the same number of
    rows of ``width`` bytes one after another, except that the last stripe may be
    narrower (``row_length % width`` bytes per row, where ``row_length`` is the
    buffer's length divided by its rows per stripe). The ``c`` columns of
    ``matrix`` are the rows of one stripe of all ``sources`` in order (each source
    holds ``c / len(sources)`` rows per stripe), and its ``r`` rows are those of
    all ``targets`` (``r / len(targets)`` each). Stripe by stripe, targets become
    ``matrix ·`` sources. Because every stripe is coded on its own, concatenating
    the outputs of buffers split at stripe boundaries gives the output of the
    whole buffers.

    Args:
        matrix: ``uint8`` array of shape ``(r, c)``.
        sources: Contiguous 1-D ``uint8`` arrays, all of the same row length.
        targets: Contiguous 1-D ``uint8`` arrays with that row length too; overwritten.
            They must not overlap the sources or each other.
        width: Bytes per row of a full stripe (``> 0``).

    Raises:
        CodecError: if the buffers do not hold whole, equal stripes, or a target
            overlaps a source.
    """
    if matrix.dtype != np.uint8 or matrix.ndim != 2 or width <= 0:
        raise CodecError(
            f"matmul_striped_into needs a 2-D uint8 matrix and width > 0, got {matrix.dtype} {matrix.shape}, {width}"
        )
    rows, inner = matrix.shape
    source_rows, source_length = _striped_buffers(sources, inner, "source")
    target_rows, target_length = _striped_buffers(targets, rows, "target")
    if source_length != target_length:
        raise CodecError(
            f"sources hold {source_length} bytes per row but targets {target_length}: size the output with share_size()"
        )
    if any(np.may_share_memory(source, target) for source in sources for target in targets):
        raise CodecError("matmul_striped_into cannot write over its own input: pass a separate output buffer")
    full, tail = divmod(source_length, width)
    if _NATIVE is None:
        for stripe, stripe_width in [(s, width) for s in range(full)] + ([(full, tail)] if tail else []):
            gathered = np.concatenate(_stripe_views(sources, source_rows, stripe * source_rows * width, stripe_width))
            product = reference_matmul(matrix, gathered)
            views = _stripe_views(targets, target_rows, stripe * target_rows * width, stripe_width)
            for index, view in enumerate(views):
                view[...] = product[index * target_rows : (index + 1) * target_rows]
        return
    if source_length == 0:
        return
    tables = _NATIVE.tables(matrix)
    source_stripe = _stripe_row_addresses(sources, source_rows, width)
    target_stripe = _stripe_row_addresses(targets, target_rows, width)
    source_now = np.empty_like(source_stripe)
    target_now = np.empty_like(target_stripe)
    for stripe in range(full):
        np.add(source_stripe, stripe * source_rows * width, out=source_now)
        np.add(target_stripe, stripe * target_rows * width, out=target_now)
        _NATIVE.run(tables, width, source_now, target_now)
    if tail:
        _NATIVE.run(
            tables,
            tail,
            _stripe_row_addresses(sources, source_rows, tail) + full * source_rows * width,
            _stripe_row_addresses(targets, target_rows, tail) + full * target_rows * width,
        )


def inverse(matrix: np.ndarray) -> np.ndarray:
    """Invert a square matrix over GF(2^8) by Gauss–Jordan elimination.

    Args:
        matrix: ``uint8`` array of shape ``(m, m)``.

    Returns:
        The ``uint8`` inverse, shape ``(m, m)``.

    Raises:
        CodecError: ``"singular ..."`` if the matrix has no inverse, or if it is
            not a square ``uint8`` matrix.
    """
    if matrix.dtype != np.uint8 or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise CodecError(f"inverse needs a square uint8 matrix, got {matrix.dtype} {matrix.shape}")
    size = matrix.shape[0]
    work = np.concatenate([matrix, np.eye(size, dtype=np.uint8)], axis=1)
    for column in range(size):
        nonzero = np.nonzero(work[column:, column])[0]
        if nonzero.size == 0:
            raise CodecError(
                f"singular {size}x{size} matrix over GF(2^8) (no pivot in column {column}): "
                "the chosen shares or points are not independent"
            )
        pivot_row = column + int(nonzero[0])
        if pivot_row != column:
            work[[column, pivot_row]] = work[[pivot_row, column]]
        work[column] = MUL_TABLE[inv(int(work[column, column]))][work[column]]
        factors = work[:, column].copy()
        factors[column] = 0
        work ^= MUL_TABLE[factors[:, None], work[column][None, :]]
    return np.ascontiguousarray(work[:, size:])


def vandermonde(points: Sequence[int], columns: int) -> np.ndarray:
    """The Vandermonde matrix with rows ``[1, x, x^2, ..., x^(columns-1)]``.

    Args:
        points: Field elements ``x``, one per row.
        columns: Number of columns (``>= 0``).

    Returns:
        ``uint8`` array of shape ``(len(points), columns)``.

    Raises:
        CodecError: if a point is outside 0..255 or ``columns`` is negative.
    """
    if columns < 0:
        raise CodecError(f"columns={columns} is negative")
    result = np.empty((len(points), columns), dtype=np.uint8)
    for row, point in enumerate(points):
        for column in range(columns):
            result[row, column] = power(point, column)
    return result
