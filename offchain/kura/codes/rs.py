"""Systematic Reed–Solomon code, ``k`` of ``n`` shares over GF(2^8).

The generator is ``G = V · V_k^-1`` where ``V`` is the ``n × k`` Vandermonde
matrix of the points ``0, 1, ..., n − 1`` and ``V_k`` its first ``k`` rows. Its
top ``k`` rows are the identity, so shares ``0..k−1`` are the input itself (in
the striped layout of :mod:`kura.codes._striped`), and any ``k`` rows are
``V_K · V_k^-1``, invertible because the points are distinct: any ``k`` shares
decode. Repair of one share re-downloads ``k`` shares (:attr:`CodeParams.repair_fraction`
is ``1``), which is what :mod:`kura.codes.msr` improves on.
"""

from __future__ import annotations

from kura.codes import gf256
from kura.codes._striped import StripedLinearCode
from kura.codes.params import CodeParams, Scheme


class ReedSolomon(StripedLinearCode):
    """Systematic Reed–Solomon with ``k`` of ``n`` shares (``alpha = 1``).

    Attributes:
        params: ``CodeParams(Scheme.RS, k, n)``.
        stripe_width: Bytes per symbol in a full stripe.
        stripe_bytes: Input bytes per full stripe (``k·stripe_width``).
    """

    def __init__(self, k: int, n: int) -> None:
        """Build the code.

        Args:
            k: Shares needed to decode (``>= 1``).
            n: Shares made (``k <= n <= 255``).

        Raises:
            CodecError: if not ``1 <= k <= n <= 255``.
        """
        params = CodeParams(Scheme.RS, k, n)
        vandermonde = gf256.vandermonde(list(range(n)), k)
        super().__init__(params, gf256.matmul(vandermonde, gf256.inverse(vandermonde[:k].copy())))
