"""Product-matrix minimum-storage regenerating (MSR) code, d = 2k − 2 (Rashmi, Shah, Kumar 2011).

Per stripe the ``B = k·alpha`` message symbols (``alpha = k − 1``) fill two
symmetric ``alpha × alpha`` matrices ``S1`` and ``S2`` (each holds
``alpha(alpha+1)/2`` symbols in its upper triangle), stacked into the
``d × alpha`` message matrix ``M = [S1; S2]``. Node ``i`` stores
``psi_i^T M`` (``alpha`` symbols), where ``psi_i = [phi_i, lambda_i phi_i]`` is
row ``i`` of the Vandermonde matrix ``[1, x_i, ..., x_i^(d-1)]``: so ``phi_i``
holds the first ``alpha`` powers of ``x_i`` and ``lambda_i = x_i^alpha``. The
construction needs any ``d`` rows of ``Psi`` independent and any ``alpha`` rows
of ``Phi`` independent (true for distinct ``x_i``) and the ``lambda_i``
distinct, which bounds ``n`` (see :func:`max_shares`).

* Decoding: everything is linear, so any ``k`` shares are ``B`` linear
  combinations of the ``B`` message symbols; their block of the generator is
  invertible (the code is MDS) and its inverse decodes.
* Repair of node ``f``: helper ``j`` sends ``psi_j^T M phi_f`` (one symbol,
  ``beta = 1``); from ``d`` of them the newcomer solves ``Psi_H (M phi_f)`` for
  ``M phi_f = [S1 phi_f; S2 phi_f]`` and, by the symmetry of ``S1`` and ``S2``,
  stores ``(S1 phi_f)^T + lambda_f (S2 phi_f)^T = phi_f^T M`` again — the lost
  share, bit for bit. Repair traffic is ``d`` symbols per stripe instead of the
  ``k·alpha`` of re-downloading ``k`` shares.

Every step is one small matrix applied to all stripes at once with
:func:`kura.codes.gf256.matmul_striped_into`; see :mod:`kura.codes._striped`
for the share layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import gcd

import numpy as np

from kura.codes import gf256
from kura.codes._striped import StripedLinearCode, as_byte_array
from kura.codes.params import MAX_SHARES, CodeParams, Scheme
from kura.errors import CodecError, NotEnoughSharesError, ShareIntegrityError


def evaluation_points(k: int) -> list[int]:
    """Every usable ``x_i`` for a given ``k``, in the order nodes get them.

    Points ``1, 2, ...`` then ``0``, keeping each one whose ``x^alpha`` is new,
    so the ``lambda_i = x_i^alpha`` stay distinct.

    Args:
        k: The threshold (``>= 2``).

    Returns:
        The points; node ``i`` uses element ``i``.
    """
    alpha = k - 1
    points: list[int] = []
    seen: set[int] = set()
    for x in [*range(1, 256), 0]:
        lam = gf256.power(x, alpha)
        if lam not in seen:
            seen.add(lam)
            points.append(x)
    return points[:MAX_SHARES]


def max_shares(k: int) -> int:
    """The largest ``n`` the code supports for ``k``: ``1 + 255 / gcd(k − 1, 255)``, at most 255.

    ``x ↦ x^(k−1)`` takes ``255 / gcd(k − 1, 255)`` distinct values on the non-zero
    elements, plus ``0``.
    """
    return min(MAX_SHARES, 1 + 255 // gcd(k - 1, 255))


def _message_layout(alpha: int) -> np.ndarray:
    """``layout[t, r, c]``: which message symbol sits at ``S_{t+1}[r, c]`` (symmetric in ``r, c``)."""
    layout = np.empty((2, alpha, alpha), dtype=np.int64)
    symbol = 0
    for matrix in range(2):
        for row in range(alpha):
            for column in range(row, alpha):
                layout[matrix, row, column] = layout[matrix, column, row] = symbol
                symbol += 1
    return layout


class ProductMatrixMSR(StripedLinearCode):
    """The product-matrix MSR code with ``k`` of ``n`` shares and ``d = 2k − 2`` repair helpers.

    Attributes:
        params: ``CodeParams(Scheme.MSR, k, n)``: alpha = k − 1, beta = 1, d = 2k − 2.
        stripe_width: Bytes per symbol in a full stripe.
        stripe_bytes: Input bytes per full stripe (``k·alpha·stripe_width``).
    """

    def __init__(self, k: int, n: int) -> None:
        """Build the code.

        Args:
            k: Shares needed to decode (``>= 2``).
            n: Shares made (``2k − 1 <= n <= max_shares(k)``).

        Raises:
            CodecError: if ``(k, n)`` is impossible; the message gives the largest ``n`` for ``k``.
        """
        params = CodeParams(Scheme.MSR, k, n)
        limit = max_shares(k)
        if n > limit:
            raise CodecError(
                f"the product-matrix MSR code over GF(2^8) supports at most n={limit} shares for k={k} "
                f"(x^{k - 1} takes only {limit} distinct values): lower n or pick another k"
            )
        alpha, d = params.alpha, params.d
        points = evaluation_points(k)[:n]
        self._psi = gf256.vandermonde(points, d)
        self._lambdas = [gf256.power(x, alpha) for x in points]
        if len(set(self._lambdas)) != n:
            raise CodecError(f"internal: lambda values are not distinct for k={k}, n={n}")
        layout = _message_layout(alpha)
        generator = np.zeros((n * alpha, k * alpha), dtype=np.uint8)
        for node in range(n):
            for column in range(alpha):
                for row in range(d):
                    symbol = layout[row // alpha, row % alpha, column]
                    generator[node * alpha + column, symbol] ^= self._psi[node, row]
        super().__init__(params, generator)
        self._repairers: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def repair_symbols(self, helper: int, share: bytes | bytearray | memoryview | np.ndarray, lost: int) -> np.ndarray:
        """What ``helper`` sends to rebuild share ``lost``: ``beta = 1`` symbol per stripe.

        Args:
            helper: The index of the share held.
            share: Its bytes (a whole share).
            lost: The index of the share being rebuilt.

        Returns:
            ``uint8`` array of ``len(share) / alpha`` bytes.

        Raises:
            CodecError: if an index is out of range or ``helper == lost``.
            ShareIntegrityError: if the share's length is not a multiple of alpha.
        """
        self.check_index(helper, "helper")
        self.check_index(lost, "lost")
        if helper == lost:
            raise CodecError(f"share {lost} cannot help repair itself: choose d other helpers")
        array = as_byte_array(share, f"share {helper}")
        alpha = self.params.alpha
        if array.size % alpha:
            raise ShareIntegrityError(
                f"share {helper} is {array.size} bytes, not a multiple of alpha={alpha}: it is truncated or "
                "belongs to another code"
            )
        out = np.empty(array.size // alpha, dtype=np.uint8)
        phi_lost = np.ascontiguousarray(self._psi[lost : lost + 1, :alpha])
        gf256.matmul_striped_into(phi_lost, [array], [out], self.stripe_width)
        return out

    def repair(
        self, lost: int, helper_symbols: Mapping[int, bytes | bytearray | memoryview | np.ndarray]
    ) -> np.ndarray:
        """Rebuild share ``lost`` from ``d`` helpers' :meth:`repair_symbols` (lowest ``d`` indices used).

        Args:
            lost: The index of the share to rebuild.
            helper_symbols: Each helper's repair symbols by its share index.

        Returns:
            The lost share, bit-identical to the one :meth:`encode` made.

        Raises:
            NotEnoughSharesError: if fewer than ``d`` helpers answered.
            ShareIntegrityError: if the helpers' symbols differ in length.
            CodecError: if an index is out of range or ``lost`` is among the helpers.
        """
        d = self.params.d
        self.check_index(lost, "lost")
        for helper in helper_symbols:
            self.check_index(helper, "helper")
        if lost in helper_symbols:
            raise CodecError(f"share {lost} is being repaired and cannot be its own helper")
        if len(helper_symbols) < d:
            raise NotEnoughSharesError(
                f"{len(helper_symbols)} helpers answered but repair needs d={d}: ask other holders, or "
                "decode from k shares and re-encode"
            )
        helpers = tuple(sorted(helper_symbols)[:d])
        size = as_byte_array(helper_symbols[helpers[0]], f"helper {helpers[0]}").size
        sources = [self.share_array(helper, helper_symbols[helper], size) for helper in helpers]
        out = np.empty(size * self.params.alpha, dtype=np.uint8)
        gf256.matmul_striped_into(self._repairer(lost, helpers), sources, [out], self.stripe_width)
        return out

    def _repairer(self, lost: int, helpers: tuple[int, ...]) -> np.ndarray:
        """``[I, lambda_lost I] · Psi_helpers^-1``: helper symbols to the lost share's ``alpha`` symbols."""
        key = (lost, helpers)
        matrix = self._repairers.get(key)
        if matrix is None:
            alpha = self.params.alpha
            combine = np.zeros((alpha, 2 * alpha), dtype=np.uint8)
            combine[:, :alpha] = np.eye(alpha, dtype=np.uint8)
            combine[:, alpha:] = gf256.MUL_TABLE[self._lambdas[lost]][np.eye(alpha, dtype=np.uint8)]
            matrix = gf256.matmul(combine, gf256.inverse(np.ascontiguousarray(self._psi[list(helpers)])))
            self._repairers[key] = matrix
        return matrix
