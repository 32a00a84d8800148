"""Exact integer noise for differential privacy, the reference of what ``dp_cohort_aggregate.wat`` draws.

No floating point anywhere: every sample is an exact function of a ChaCha20 keystream.

- :class:`ChaCha20Stream`: the keystream of ChaCha20 (RFC 8439) under a 32-byte key, with a zero
  nonce and the block counter starting at 0, read as little-endian 64-bit words. The module's own
  ChaCha20 is checked against this one, which is OpenSSL's (through ``cryptography``).
- :class:`ExactSampler`: on top of it, a uniform integer below ``n`` (rejection: no modulo bias),
  Bernoulli(n/d), Bernoulli(exp(-n/d)) for ``0 <= n/d <= 1`` (Canonne, Kamath & Steinke 2020,
  "The Discrete Gaussian for Differential Privacy", Algorithm 1) and the discrete Laplace
  distribution of scale ``t/s`` (their Algorithm 2): ``P[Z = z]`` is proportional to
  ``exp(-|z| * s / t)``.

Every draw is one 64-bit word or, for a rejected uniform, several; the order of draws is part of the
module's definition, so the WebAssembly and this reference consume the keystream identically.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from kura.errors import ComputeToDataError

SEED_SIZE = 32
"""Bytes of a noise seed (the ChaCha20 key)."""
_BLOCKS_PER_REFILL = 16
_WORDS_PER_REFILL = _BLOCKS_PER_REFILL * 64 // 8
_U64 = 2**64


class ChaCha20Stream:
    """The ChaCha20 keystream under ``seed`` (nonce 0, counter from 0) as little-endian 64-bit words."""

    def __init__(self, seed: bytes) -> None:
        """Start the keystream.

        Args:
            seed: The 32-byte ChaCha20 key.

        Raises:
            ComputeToDataError: if ``seed`` is not 32 bytes.
        """
        if len(seed) != SEED_SIZE:
            raise ComputeToDataError(f"a noise seed is {SEED_SIZE} bytes, got {len(seed)}")
        # cryptography's 16-byte ChaCha20 nonce is RFC 8439's 32-bit block counter then its 96-bit nonce.
        self._cipher = Cipher(algorithms.ChaCha20(seed, bytes(16)), mode=None).encryptor()
        self._words: tuple[int, ...] = ()
        self._next = 0
        self.drawn = 0
        """How many words have been read so far."""

    def next_u64(self) -> int:
        """The next 64-bit word of the keystream (bytes ``8i .. 8i+7``, little-endian)."""
        if self._next == len(self._words):
            block = self._cipher.update(bytes(_WORDS_PER_REFILL * 8))
            self._words = struct.unpack(f"<{_WORDS_PER_REFILL}Q", block)
            self._next = 0
        word = self._words[self._next]
        self._next += 1
        self.drawn += 1
        return word


class ExactSampler:
    """Exact samplers over one :class:`ChaCha20Stream`; the draws follow the module's order exactly."""

    def __init__(self, seed: bytes) -> None:
        """Sample from the keystream of ``seed``.

        Raises:
            ComputeToDataError: if ``seed`` is not 32 bytes.
        """
        self.stream = ChaCha20Stream(seed)

    def uniform_below(self, n: int) -> int:
        """A uniform integer in ``[0, n)``: draw words until one is at least ``2^64 mod n``, take it mod ``n``.

        The accepted words are ``2^64 - (2^64 mod n)`` values, a multiple of ``n``, so every residue is
        equally likely.

        Args:
            n: The bound, ``1 <= n < 2^64``.
        """
        threshold = (_U64 - n) % n
        while True:
            word = self.stream.next_u64()
            if word >= threshold:
                return word % n

    def bernoulli(self, n: int, d: int) -> bool:
        """True with probability ``n/d`` (``0 <= n``, ``1 <= d < 2^64``): a uniform below ``d`` compared with ``n``."""
        return self.uniform_below(d) < n

    def bernoulli_exp(self, n: int, d: int) -> bool:
        """True with probability ``exp(-n/d)`` for ``0 <= n <= d`` (CKS 2020, Algorithm 1, the ``gamma <= 1`` branch).

        With gamma = n/d: K starts at 1 and grows while Bernoulli(gamma/K) succeeds; the result is
        whether K ends odd. Bernoulli(gamma/K) is one uniform below ``d*K`` compared with ``n``.
        """
        k = 1
        while self.bernoulli(n, d * k):
            k += 1
        return k % 2 == 1

    def discrete_laplace(self, t: int, s: int) -> int:
        """A discrete Laplace sample of scale ``t/s``: ``P[z]`` proportional to ``exp(-|z| s/t)`` (CKS 2020, Alg. 2).

        Draw U uniform below t and keep it with probability exp(-U/t); add t times the number of
        successes of Bernoulli(exp(-1)) before the first failure; that X is geometric with parameter
        1 - exp(-1/t), and Y = floor(X/s) geometric with parameter 1 - exp(-s/t). A fair sign B
        follows; (B = negative, Y = 0) is rejected so that zero is not counted twice.

        Args:
            t: Numerator of the scale, ``1 <= t``.
            s: Denominator of the scale, ``1 <= s``.
        """
        while True:
            u = self.uniform_below(t)
            if not self.bernoulli_exp(u, t):
                continue
            v = 0
            while self.bernoulli_exp(1, 1):
                v += 1
            y = (u + t * v) // s
            negative = self.bernoulli(1, 2)
            if negative and y == 0:
                continue
            return -y if negative else y
