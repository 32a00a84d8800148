"""What every linear erasure code of kura shares: the striped layout, encode and decode.

A code here is a ``(n·alpha) × B`` generator matrix ``G`` over GF(2^8): a stripe
of ``B`` message symbols becomes ``alpha`` symbols on each of ``n`` shares, and
any ``k`` shares (``k·alpha = B`` symbols) give the message back through the
inverse of their ``B × B`` block of ``G``.

Symbols are *wide*: one symbol is a run of ``width`` bytes, every byte position
coded on its own with the same coefficients. A full stripe is therefore ``B``
rows of ``width`` input bytes (``stripe_bytes = B·width``, consecutive in the
input) and ``alpha`` rows of ``width`` bytes on each share. The input is
zero-padded to a whole number of ``B``-byte columns, not of stripes: the last
stripe is just narrower (``ceil(tail / B)`` bytes per row). So shares are
``alpha·ceil(len / B)`` bytes, the stripe structure of a share follows from its
length alone, and inputs cut at multiples of ``stripe_bytes`` and encoded piece
by piece give the same shares, concatenated, as one call. Wide symbols let the
GF(2^8) kernel read the input and write the shares in place (no transposes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kura.codes import gf256
from kura.codes.params import CodeParams
from kura.errors import CodecError, NotEnoughSharesError, ShareIntegrityError

_MAX_WIDTH = 16 * 1024
_MIN_WIDTH = 1024
_STRIPE_TARGET_BYTES = 1 << 20


def stripe_width(message_rows: int) -> int:
    """Bytes per symbol: the largest power of two with ``message_rows·width <= 1 MiB``, in 1 KiB..16 KiB.

    Wide enough that the per-stripe call overhead is small next to the kernel's
    work, narrow enough that a stripe stays cache-sized and the codec's batches
    hold several stripes.
    """
    width = _MIN_WIDTH
    while width * 2 <= _MAX_WIDTH and message_rows * width * 2 <= _STRIPE_TARGET_BYTES:
        width *= 2
    return width


def as_byte_array(data: bytes | bytearray | memoryview | np.ndarray, what: str) -> np.ndarray:
    """View bytes-like data (or a 1-D ``uint8`` array) as a contiguous 1-D ``uint8`` array, without copying.

    Raises:
        CodecError: for an array that is not 1-D ``uint8``.
    """
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8 or data.ndim != 1:
            raise CodecError(f"{what} must be a 1-D uint8 array or bytes, got {data.dtype} {data.shape}")
        return np.ascontiguousarray(data)
    return np.frombuffer(data, dtype=np.uint8)


class StripedLinearCode:
    """A linear ``k``-of-``n`` code on the striped layout; subclasses supply the generator.

    Attributes:
        params: Scheme, k, n and the derived alpha, d, beta.
        stripe_width: Bytes per symbol in a full stripe.
        stripe_bytes: Input bytes per full stripe (``k·alpha·stripe_width``); inputs cut at
            multiples of it encode to concatenable shares.
    """

    def __init__(self, params: CodeParams, generator: np.ndarray) -> None:
        self.params = params
        self._message_rows = params.k * params.alpha
        if generator.shape != (params.n * params.alpha, self._message_rows):
            raise CodecError(f"generator of shape {generator.shape} does not fit {params}")
        self._generator = generator
        self.stripe_width = stripe_width(self._message_rows)
        self.stripe_bytes = self._message_rows * self.stripe_width
        self._decoders: dict[tuple[int, ...], np.ndarray] = {}

    def share_size(self, data_len: int) -> int:
        """Bytes per share for ``data_len`` input bytes (padded to whole ``k·alpha``-byte columns).

        Raises:
            CodecError: if ``data_len`` is negative.
        """
        if data_len < 0:
            raise CodecError(f"data_len={data_len} is negative")
        return self.params.alpha * -(-data_len // self._message_rows)

    def encode(self, data: bytes | bytearray | memoryview | np.ndarray) -> list[np.ndarray]:
        """Encode ``data`` into ``n`` shares.

        Args:
            data: The input bytes.

        Returns:
            ``n`` ``uint8`` arrays of :meth:`share_size` bytes, share ``i`` at index ``i``.
        """
        array = as_byte_array(data, "data")
        out = np.empty((self.params.n, self.share_size(array.size)), dtype=np.uint8)
        self.encode_into(array, out)
        return list(out)

    def encode_into(self, data: bytes | bytearray | memoryview | np.ndarray, out: np.ndarray) -> None:
        """Encode ``data`` into a preallocated ``(n, share_size(len(data)))`` buffer.

        Only the last, partial stripe is copied (to pad it); the rest is read in place.

        Args:
            data: The input bytes.
            out: ``uint8`` array of shape ``(n, share_size(len(data)))`` with contiguous rows.

        Raises:
            CodecError: if ``out`` has the wrong shape or dtype, or overlaps ``data``.
        """
        array = as_byte_array(data, "data")
        expected = (self.params.n, self.share_size(array.size))
        if out.dtype != np.uint8 or out.shape != expected or (expected[1] > 1 and out.strides[1] != 1):
            raise CodecError(
                f"encode_into needs a uint8 output of shape {expected} with contiguous rows, got "
                f"{out.dtype} {out.shape}"
            )
        split_in, split_out = self._full_stripes(array.size)
        if split_in:
            gf256.matmul_striped_into(self._generator, [array[:split_in]], list(out[:, :split_out]), self.stripe_width)
        if split_in < array.size:
            tail = np.zeros(self._tail_columns(array.size) * self._message_rows, dtype=np.uint8)
            tail[: array.size - split_in] = array[split_in:]
            gf256.matmul_striped_into(self._generator, [tail], list(out[:, split_out:]), self.stripe_width)

    def _full_stripes(self, data_len: int) -> tuple[int, int]:
        """Input bytes and share bytes taken by the full stripes of ``data_len`` input bytes."""
        full_stripes = data_len // self.stripe_bytes
        return full_stripes * self.stripe_bytes, full_stripes * self.stripe_width * self.params.alpha

    def _tail_columns(self, data_len: int) -> int:
        """Bytes per row of the last, narrower stripe (0 if there is none)."""
        return -(-(data_len % self.stripe_bytes) // self._message_rows)

    def decode(self, shares: Mapping[int, bytes | bytearray | memoryview | np.ndarray], data_len: int) -> bytes:
        """Rebuild the input from any ``k`` shares (the ``k`` lowest indices are used, extra ones ignored).

        Args:
            shares: Share bytes by share index (``0..n-1``).
            data_len: Bytes of the original input.

        Returns:
            The ``data_len`` input bytes.

        Raises:
            NotEnoughSharesError: if fewer than ``k`` shares are given.
            ShareIntegrityError: if a used share is not ``share_size(data_len)`` bytes.
            CodecError: for an index outside ``0..n-1`` or a negative ``data_len``.
        """
        if data_len < 0:
            raise CodecError(f"data_len={data_len} is negative")
        out = np.empty(data_len, dtype=np.uint8)
        self.decode_into(shares, out)
        return out.tobytes()

    def decode_into(self, shares: Mapping[int, bytes | bytearray | memoryview | np.ndarray], out: np.ndarray) -> None:
        """Like :meth:`decode`, into a preallocated buffer of the input's length (no extra copy).

        Args:
            shares: Share bytes by share index (``0..n-1``).
            out: Contiguous 1-D ``uint8`` array of the original input's length; overwritten.

        Raises:
            NotEnoughSharesError: if fewer than ``k`` shares are given.
            ShareIntegrityError: if a used share is not ``share_size(len(out))`` bytes.
            CodecError: for an index outside ``0..n-1``, or a bad ``out``.
        """
        k = self.params.k
        for index in shares:
            self.check_index(index, "share")
        if len(shares) < k:
            raise NotEnoughSharesError(
                f"{len(shares)} shares given but {k} are needed to decode ({self.params.scheme.value} {k}-of-"
                f"{self.params.n}): fetch more shares"
            )
        if out.dtype != np.uint8 or out.ndim != 1 or not out.flags.c_contiguous:
            raise CodecError(f"decode_into needs a contiguous 1-D uint8 output, got {out.dtype} {out.shape}")
        chosen = sorted(shares)[:k]
        size = self.share_size(out.size)
        sources = [self.share_array(index, shares[index], size) for index in chosen]
        decoder = self._decoder(tuple(chosen))
        split_out, split_in = self._full_stripes(out.size)
        if split_out:
            gf256.matmul_striped_into(
                decoder, [source[:split_in] for source in sources], [out[:split_out]], self.stripe_width
            )
        if split_out < out.size:
            tail = np.empty(self._tail_columns(out.size) * self._message_rows, dtype=np.uint8)
            gf256.matmul_striped_into(decoder, [source[split_in:] for source in sources], [tail], self.stripe_width)
            out[split_out:] = tail[: out.size - split_out]

    def check_index(self, index: int, role: str) -> None:
        """Raise CodecError unless ``0 <= index < n``."""
        if not 0 <= index < self.params.n:
            raise CodecError(f"{role} index {index} is outside 0..{self.params.n - 1} for n={self.params.n}")

    def share_array(self, index: int, share: bytes | bytearray | memoryview | np.ndarray, size: int) -> np.ndarray:
        """A share as a ``uint8`` array, checked to be ``size`` bytes.

        Raises:
            ShareIntegrityError: if it has another length.
        """
        array = as_byte_array(share, f"share {index}")
        if array.size != size:
            raise ShareIntegrityError(
                f"share {index} is {array.size} bytes but {size} were expected: it is truncated, padded or "
                "belongs to another file; drop it and use another share"
            )
        return array

    def generator_rows(self, indices: Sequence[int]) -> np.ndarray:
        """The rows of the generator that produce the given shares, in order."""
        alpha = self.params.alpha
        return np.concatenate([self._generator[index * alpha : (index + 1) * alpha] for index in indices])

    def _decoder(self, indices: tuple[int, ...]) -> np.ndarray:
        decoder = self._decoders.get(indices)
        if decoder is None:
            decoder = gf256.inverse(self.generator_rows(indices))
            self._decoders[indices] = decoder
        return decoder
