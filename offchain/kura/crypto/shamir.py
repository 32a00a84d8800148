"""Shamir's threshold secret sharing over GF(2^8), byte-wise and vectorised.

Every byte ``s`` of the secret gets its own polynomial
``f(x) = s + a_1 x + ... + a_{k-1} x^{k-1}`` over GF(2^8) (the field of
:mod:`kura.codes.gf256`) with uniformly random ``a_i``; share ``x`` (for
``x = 1..n``) holds ``f(x)`` for every byte. Any ``k`` shares give ``f(0)`` back
by Lagrange interpolation; any ``k - 1`` are consistent with every possible
secret, each by exactly one polynomial, so they reveal nothing about it.

All bytes are shared at once as one matrix product, ``V · C``, where ``V`` is the
``n × k`` Vandermonde matrix of the points ``1..n`` and ``C`` stacks the secret
over ``k - 1`` rows of random coefficients, so sharing a large secret (the
pure-Shamir scheme shares whole files) runs at the speed of ``gf256.matmul``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

import numpy as np

from kura.codes import gf256
from kura.codes.params import MAX_SHARES
from kura.errors import CodecError

RandomBytes = Callable[[int], bytes]
"""A source of uniformly random bytes, like :func:`secrets.token_bytes`."""


def _check_threshold(k: int, n: int) -> None:
    if not 1 <= k <= n <= MAX_SHARES:
        raise CodecError(f"Shamir sharing needs 1 <= k <= n <= {MAX_SHARES}, got k={k}, n={n}")


def split_rows(secret: np.ndarray, k: int, n: int, rng: RandomBytes = secrets.token_bytes) -> np.ndarray:
    """Share a ``uint8`` vector: row ``x - 1`` of the result is share ``x``.

    Args:
        secret: The bytes to share, as a 1-D ``uint8`` array.
        k: Shares needed to recover it.
        n: Shares to make (x-coordinates ``1..n``).
        rng: Source of the random coefficients.

    Returns:
        A ``uint8`` array of shape ``(n, len(secret))``.

    Raises:
        CodecError: if not ``1 <= k <= n <= 255``.
    """
    _check_threshold(k, n)
    size = secret.shape[0]
    coefficients = np.empty((k, size), dtype=np.uint8)
    coefficients[0] = secret
    if k > 1:
        coefficients[1:] = np.frombuffer(rng((k - 1) * size), dtype=np.uint8).reshape(k - 1, size)
    return gf256.matmul(gf256.vandermonde(list(range(1, n + 1)), k), coefficients)


def lagrange_weights(points: Sequence[int], at: int = 0) -> np.ndarray:
    """The weights ``w`` with ``f(at) = sum_j w_j f(x_j)`` for every polynomial of degree < ``len(points)``.

    ``at = 0`` recovers the secret; another ``at`` rebuilds the share at that x-coordinate
    (:mod:`kura.crypto.key_repair`).

    Raises:
        CodecError: if the points are not distinct values in ``1..255``, or ``at`` is one of them or outside
            ``0..255``.
    """
    if not points or len(set(points)) != len(points) or not all(1 <= x <= MAX_SHARES for x in points):
        raise CodecError(f"share x-coordinates must be distinct values in 1..{MAX_SHARES}, got {list(points)}")
    if not 0 <= at <= MAX_SHARES or at in points:
        raise CodecError(
            f"the x-coordinate to evaluate at ({at}) must be in 0..{MAX_SHARES} and not one of the shares given"
        )
    weights = np.empty(len(points), dtype=np.uint8)
    for j, xj in enumerate(points):
        numerator, denominator = 1, 1
        for xm in points:
            if xm != xj:
                numerator = gf256.mul(numerator, at ^ xm)
                denominator = gf256.mul(denominator, xj ^ xm)
        weights[j] = gf256.mul(numerator, gf256.inv(denominator))
    return weights


def combine_rows(points: Sequence[int], rows: np.ndarray) -> np.ndarray:
    """Recover a secret from shares given as rows of a ``uint8`` array.

    Args:
        points: The x-coordinate of each row.
        rows: ``uint8`` array of shape ``(len(points), size)``.

    Returns:
        The secret as a 1-D ``uint8`` array of ``size`` bytes.

    Raises:
        CodecError: if the points are not distinct values in ``1..255`` or do not match the rows.
    """
    if rows.ndim != 2 or rows.shape[0] != len(points):
        raise CodecError(f"{len(points)} x-coordinates for an array of shape {rows.shape}")
    return gf256.matmul(lagrange_weights(points).reshape(1, -1), rows)[0]


def split(secret: bytes, k: int, n: int, rng: RandomBytes = secrets.token_bytes) -> list[tuple[int, bytes]]:
    """Split ``secret`` into ``n`` shares, any ``k`` of which recover it.

    Args:
        secret: The bytes to share (any length, 0 included).
        k: Threshold.
        n: Number of shares.
        rng: Source of the random coefficients (default: the OS's CSPRNG).

    Returns:
        ``(x, share)`` pairs for ``x = 1..n``; each share is as long as the secret.

    Raises:
        CodecError: if not ``1 <= k <= n <= 255``.
    """
    rows = split_rows(np.frombuffer(secret, dtype=np.uint8), k, n, rng)
    return [(x, rows[x - 1].tobytes()) for x in range(1, n + 1)]


def combine(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """Recover the secret from ``k`` or more shares of one split.

    Fewer than ``k`` shares give a wrong value that cannot be told apart from the
    right one (that is the point of the scheme): callers must know ``k``.

    Args:
        shares: ``(x, share)`` pairs as returned by :func:`split`.

    Returns:
        The secret.

    Raises:
        CodecError: if there are no shares, x-coordinates repeat or fall outside
            ``1..255``, or the shares differ in length.
    """
    if not shares:
        raise CodecError("no shares to combine: pass at least k shares")
    sizes = {len(value) for _, value in shares}
    if len(sizes) != 1:
        raise CodecError(f"shares of one secret have one length, got lengths {sorted(sizes)}: one is truncated")
    rows = np.array([np.frombuffer(value, dtype=np.uint8) for _, value in shares], dtype=np.uint8)
    rows = rows.reshape(len(shares), sizes.pop())
    return combine_rows([x for x, _ in shares], rows).tobytes()
