"""Reading repair streams in the blocks the codes need, without holding a share in memory.

A helper reads its own share from Kubo as a stream of chunks (:class:`StreamedShare`:
header first, then the body in blocks, its layout checked); a newcomer reads
each helper's repair stream exactly block by block (:class:`ExactReader`). Block
sizes follow the codes' stripes (:func:`repair_block`), so every block is coded on
its own and the blocks concatenate to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kura.codes.params import CodeParams, Scheme
from kura.crypto.codec import erasure_code
from kura.crypto.share import HEADER_SIZE, ShareHeader, check_belongs
from kura.errors import ShareIntegrityError

BLOCK_TARGET = 4 << 20
"""About how many body bytes one repair block holds."""


def repair_block(params: CodeParams) -> int:
    """Body bytes per block for the repair of a ``params`` share: whole MSR stripes, or any size for Shamir.

    For MSR a share holds ``alpha`` rows of ``stripe_width`` bytes per stripe, so a block of whole stripes
    has its own repair symbols (``block / alpha`` bytes), and the last, narrower stripe ends the last block.
    """
    if params.scheme is Scheme.SHAMIR:
        return BLOCK_TARGET
    per_stripe = erasure_code(params).stripe_bytes // params.k
    return per_stripe * max(1, BLOCK_TARGET // per_stripe)


def sealed_batch(params: CodeParams) -> int:
    """Sealed (ciphertext) bytes decoded per block on the re-encode path: whole stripes of the code."""
    stripe = erasure_code(params).stripe_bytes
    return stripe * max(1, BLOCK_TARGET // stripe)


def block_sizes(total: int, block: int) -> Iterator[int]:
    """The sizes of ``total`` bytes cut into ``block``-byte blocks (the last one shorter)."""
    for start in range(0, total, block):
        yield min(block, total - start)


class ExactReader:
    """Read exact byte counts from a stream that arrives in chunks of any size.

    Args:
        chunks: The stream.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self.consumed = 0
        """Bytes handed out so far."""

    def read(self, size: int) -> bytes:
        """The next ``size`` bytes, fewer only where the stream ends."""
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        self.consumed += len(data)
        return data

    def exactly(self, size: int, what: str) -> bytes:
        """The next ``size`` bytes.

        Raises:
            ShareIntegrityError: naming ``what`` if the stream ends first.
        """
        data = self.read(size)
        if len(data) != size:
            raise ShareIntegrityError(f"{what} ended after {self.consumed} bytes, {size - len(data)} bytes short")
        return data

    def close(self) -> None:
        """Release the stream (a connection, say) whether or not it was read to the end."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class StreamedShare:
    """A node's own share read from a stream of chunks, its layout checked on the way: the header names the
    file and index asked for, and the body is exactly as long as the header says. The content is not hashed
    here: the node's store names the bytes by their hash, and whoever receives what is made from them (a
    repair's newcomer) checks the Merkle root.

    Args:
        chunks: The whole share as stored (header, body).
        file_id: The file it must belong to.
        index: The index it must have.

    Raises:
        ShareIntegrityError: if the header is wrong (at once) or the share is truncated.
    """

    def __init__(self, chunks: Iterable[bytes], file_id: bytes, index: int) -> None:
        self._reader = ExactReader(chunks)
        head = self._reader.exactly(HEADER_SIZE, f"share {index}")
        self.header = ShareHeader.from_bytes(head)
        check_belongs(self.header, file_id, index)

    def close(self) -> None:
        """Stop reading (the rest of the share is left unchecked)."""
        self._reader.close()

    def body(self, block: int) -> Iterator[bytes]:
        """The body in ``block``-byte blocks; after the last, the share must end.

        Raises:
            ShareIntegrityError: if the body is short or bytes follow it (raised after the last block: a
                consumer must not keep what it made of the blocks then).
        """
        what = f"share {self.header.index}"
        for size in block_sizes(self.header.body_size, block):
            yield self._reader.exactly(size, what)
        if self._reader.read(1):
            raise ShareIntegrityError(f"{what} is longer than its header announces: it is damaged")
