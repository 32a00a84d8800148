"""Rebuilding a lost Shamir key share without anyone learning the key: enrollment by masked partial sums.

A file's AES key is Shamir-shared over GF(2^8), share ``x`` holding ``f(x)``
(:mod:`kura.crypto.shamir`). To give a newcomer the lost share ``f(t)``, ``k``
helpers at points ``x_1..x_k`` use Lagrange interpolation *at t*:
``f(t) = sum_j w_j f(x_j)`` with ``w_j = prod_{m != j} (t - x_m) / (x_j - x_m)``.
Sending ``w_j f(x_j)`` in the clear would hand the newcomer every helper's share
(``w_j`` is public), so each helper first sends every other helper a fresh random
mask, and then sends the newcomer its *randomised partial sum*

    c_j = w_j f(x_j) + sum_m r_{j->m} - sum_m r_{m->j}

Every mask is added once and subtracted once, so ``sum_j c_j = f(t)``; and because
each ``r`` is uniform and unseen by the newcomer, any ``k - 1`` of the ``c_j`` are
uniform and independent: the newcomer's view is a uniformly random split of
``f(t)``, independent of the helpers' shares and so of the key (beyond ``f(t)``,
one share, which reveals nothing on its own). In GF(2^8) addition and subtraction
are both XOR. Masks travel helper to helper and partial sums helper to newcomer,
each encrypted to its recipient, so a repairer relaying them sees only ciphertext.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

import numpy as np

from kura.crypto import gf256
from kura.crypto.params import MAX_SHARES
from kura.crypto.shamir import RandomBytes
from kura.errors import CodecError


def enrollment_weights(points: Sequence[int], target: int) -> np.ndarray:
    """The weights ``w`` with ``f(target) = sum_j w_j f(points_j)`` for every polynomial of degree < ``len(points)``.

    Raises:
        CodecError: if the points are not distinct values in ``1..255`` or ``target`` is among them or out of range.
    """
    if not points or len(set(points)) != len(points) or not all(1 <= x <= MAX_SHARES for x in points):
        raise CodecError(f"helper x-coordinates must be distinct values in 1..{MAX_SHARES}, got {list(points)}")
    if not 1 <= target <= MAX_SHARES or target in points:
        raise CodecError(f"the share to rebuild (x={target}) must be in 1..{MAX_SHARES} and not one of the helpers")
    weights = np.empty(len(points), dtype=np.uint8)
    for j, xj in enumerate(points):
        numerator, denominator = 1, 1
        for xm in points:
            if xm != xj:
                numerator = gf256.mul(numerator, target ^ xm)
                denominator = gf256.mul(denominator, xj ^ xm)
        weights[j] = gf256.mul(numerator, gf256.inv(denominator))
    return weights


class EnrollmentHelper:
    """One helper's side of the protocol.

    Args:
        point: This helper's x-coordinate.
        key_share: Its share of the key, ``f(point)``.
        points: Every helper's x-coordinate (this one included), exactly ``k`` of them.
        target: The x-coordinate of the share being rebuilt.
        rng: Source of the masks.

    Raises:
        CodecError: for unusable points.
    """

    def __init__(self, point: int, key_share: bytes, points: Sequence[int], target: int,
                 rng: RandomBytes = secrets.token_bytes) -> None:
        if point not in points:
            raise CodecError(f"helper x={point} is not among the helpers {list(points)}")
        self.point = point
        self._weight = int(enrollment_weights(points, target)[list(points).index(point)])
        self._share = np.frombuffer(key_share, dtype=np.uint8)
        self._sent = {peer: rng(len(key_share)) for peer in points if peer != point}

    def masks(self) -> dict[int, bytes]:
        """Round 1: the fresh mask for each other helper, by its x-coordinate (send each to it alone)."""
        return dict(self._sent)

    def partial_sum(self, received: Mapping[int, bytes]) -> bytes:
        """Round 2: ``c_j``, from the masks every other helper sent this one (send it to the newcomer alone).

        Raises:
            CodecError: unless exactly one mask of the right size came from every other helper.
        """
        if set(received) != set(self._sent):
            raise CodecError(f"helper x={self.point} needs one mask from each of {sorted(self._sent)}, "
                             f"got {sorted(received)}")
        total = gf256.MUL_TABLE[self._weight][self._share].copy()
        for mask in [*self._sent.values(), *received.values()]:
            if len(mask) != self._share.size:
                raise CodecError(f"a mask of {len(mask)} bytes for a key share of {self._share.size}")
            total ^= np.frombuffer(mask, dtype=np.uint8)
        return total.tobytes()


def combine_partial_sums(sums: Sequence[bytes]) -> bytes:
    """The newcomer's side: the rebuilt share ``f(target)`` is the sum of every helper's partial sum.

    Raises:
        CodecError: if there are none or their sizes differ.
    """
    if not sums or len({len(s) for s in sums}) != 1:
        raise CodecError("need at least one partial sum, all of one size")
    total = np.zeros(len(sums[0]), dtype=np.uint8)
    for value in sums:
        total ^= np.frombuffer(value, dtype=np.uint8)
    return total.tobytes()


def run_enrollment(shares: Mapping[int, bytes], target: int, rng: RandomBytes = secrets.token_bytes) -> bytes:
    """The whole protocol in one process (for tests and simulations): the rebuilt share ``f(target)``.

    Args:
        shares: ``k`` helpers' key shares by x-coordinate.
        target: The x-coordinate to rebuild.
        rng: Source of the masks.
    """
    points = sorted(shares)
    helpers = {x: EnrollmentHelper(x, shares[x], points, target, rng) for x in points}
    outgoing = {x: helper.masks() for x, helper in helpers.items()}
    sums = [helper.partial_sum({peer: outgoing[peer][x] for peer in points if peer != x})
            for x, helper in helpers.items()]
    return combine_partial_sums(sums)
