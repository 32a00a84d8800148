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

The same protocol rebuilds a whole Shamir-shared *body* (the pure-Shamir scheme shares
every byte of a file): :meth:`EnrollmentHelper.partial_stream` applies the helper's
weight to its body block by block and masks it with keystreams expanded from the
same 32-byte masks (AES-256-CTR under a key derived from each mask), so the masks
that travel stay 32 bytes whatever the file size. The partial stream goes straight
to the newcomer, so it is also padded with a keystream of a fresh seed the helper
sends the newcomer encrypted: whoever watches the wire sees keystream, not
``w_j f(x_j)``. The newcomer XORs the ``k`` unpadded streams
(:func:`combine_partial_streams`): ``k`` whole bodies travel per rebuilt share.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kura.codes import gf256
from kura.crypto.shamir import RandomBytes, lagrange_weights
from kura.errors import CodecError

_BODY_MASK = b"kura/repair/body-mask/v1"
_ZERO_NONCE = bytes(16)


class Keystream:
    """AES-256-CTR keystream of one 32-byte seed, read in order (the seed is used for nothing else).

    Args:
        seed: 32 secret bytes.
        derive: Hash the seed with this label into the AES key first (so a seed that is also used as a
            mask of its own never keys AES directly); empty to use the seed as the key.

    Raises:
        CodecError: if the seed is not 32 bytes.
    """

    def __init__(self, seed: bytes, derive: bytes = b"") -> None:
        if len(seed) != 32:
            raise CodecError(f"a keystream seed has 32 bytes, got {len(seed)}")
        key = hashlib.sha256(derive + seed).digest() if derive else seed
        self._cipher = Cipher(algorithms.AES(key), modes.CTR(_ZERO_NONCE)).encryptor()

    def next(self, size: int) -> np.ndarray:
        """The next ``size`` keystream bytes."""
        return np.frombuffer(self._cipher.update(bytes(size)), dtype=np.uint8)


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

    def __init__(
        self, point: int, key_share: bytes, points: Sequence[int], target: int, rng: RandomBytes = secrets.token_bytes
    ) -> None:
        if point not in points:
            raise CodecError(f"helper x={point} is not among the helpers {list(points)}")
        self.point = point
        self._weight = int(lagrange_weights(points, at=target)[list(points).index(point)])
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
        self._check(received)
        total = gf256.MUL_TABLE[self._weight][self._share].copy()
        for mask in [*self._sent.values(), *received.values()]:
            total ^= np.frombuffer(mask, dtype=np.uint8)
        return total.tobytes()

    def partial_stream(self, blocks: Iterable[bytes], received: Mapping[int, bytes], pad: bytes) -> Iterator[bytes]:
        """Round 2 for a whole body: ``w_j·body ⊕ masks``, padded with ``pad``'s keystream, block by block.

        Args:
            blocks: This helper's Shamir-shared body, in blocks of any sizes.
            received: The masks every other helper sent this one (as for :meth:`partial_sum`).
            pad: A fresh 32-byte seed the newcomer receives encrypted (see :func:`combine_partial_streams`).

        Yields:
            The padded partial stream, one block per input block.

        Raises:
            CodecError: unless exactly one mask of the right size came from every other helper.
        """
        self._check(received)
        masks = [Keystream(mask, _BODY_MASK) for mask in [*self._sent.values(), *received.values()]]
        masks.append(Keystream(pad))
        table = gf256.MUL_TABLE[self._weight]
        for block in blocks:
            total = table[np.frombuffer(block, dtype=np.uint8)]
            for mask in masks:
                total ^= mask.next(total.size)
            yield total.tobytes()

    def _check(self, received: Mapping[int, bytes]) -> None:
        if set(received) != set(self._sent):
            raise CodecError(
                f"helper x={self.point} needs one mask from each of {sorted(self._sent)}, got {sorted(received)}"
            )
        for mask in received.values():
            if len(mask) != self._share.size:
                raise CodecError(f"a mask of {len(mask)} bytes for a key share of {self._share.size}")


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


def combine_partial_streams(
    streams: Sequence[Callable[[int], bytes]], pads: Sequence[bytes], size: int, block: int
) -> Iterator[bytes]:
    """The newcomer's side for a whole body: XOR the ``k`` partial streams, each unpadded, ``block`` bytes at a time.

    Args:
        streams: Each helper's padded partial stream, as a function returning its next ``n`` bytes.
        pads: Each helper's pad seed, in the same order.
        size: Bytes of the body.
        block: Bytes per block.

    Yields:
        The rebuilt body, block by block.

    Raises:
        CodecError: if the streams and pads differ in number, or a stream ends early.
    """
    if len(streams) != len(pads) or not streams:
        raise CodecError(f"{len(streams)} partial streams for {len(pads)} pads")
    keys = [Keystream(pad) for pad in pads]
    for start in range(0, size, block):
        length = min(block, size - start)
        total = np.zeros(length, dtype=np.uint8)
        for stream, key in zip(streams, keys, strict=True):
            part = stream(length)
            if len(part) != length:
                raise CodecError(f"a partial stream sent {len(part)} bytes where {length} were due")
            total ^= np.frombuffer(part, dtype=np.uint8)
            total ^= key.next(length)
        yield total.tobytes()


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
    sums = [
        helper.partial_sum({peer: outgoing[peer][x] for peer in points if peer != x}) for x, helper in helpers.items()
    ]
    return combine_partial_sums(sums)
