"""kura's one Merkle rule, the same bit for bit as ``contracts/libraries/ShareMerkle.sol``.

The storage-audit contract checks proofs on chain with the ``sha256`` precompile,
so the rule is small and fixed:

- The data is cut into chunks of ``CHUNK_SIZE`` = 1024 bytes; the last chunk is
  the remaining bytes as they are (shorter, never padded). Empty data is one
  empty chunk, so there is always at least one leaf. (A commitment over
  fixed-size records, e.g. ``kura.storage.shared.commitment``, passes the record size
  as ``chunk_size``: each record is one chunk.)
- ``leaf = sha256(0x00 ‖ chunk)``.
- The leaves are padded with ``bytes32(0)`` leaves up to the next power of two
  (a single leaf needs none).
- ``inner = sha256(0x01 ‖ left ‖ right)``; the root of a single leaf is that leaf.
- A proof for leaf ``index`` lists the sibling hashes bottom-up; bit ``j`` of
  ``index`` (least significant first) is 1 when the node at height ``j`` is a
  right child (the parent is ``sha256(0x01 ‖ sibling ‖ node)``) and 0 when it is
  a left child. A tree over ``leaf_count`` leaves has proofs of exactly
  ``depth(leaf_count) = ceil(log2(leaf_count))`` hashes, and ``index`` must be
  below ``leaf_count``.

The 0x00/0x01 prefixes keep leaves and inner nodes apart, so a proof of the
wrong depth cannot pass an inner node off as a leaf.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Sequence

from kura.crypto import merkle_native
from kura.errors import CodecError

CHUNK_SIZE = 1024
"""Bytes per chunk (leaf) of a share."""
HASH_SIZE = 32
ZERO_LEAF = bytes(HASH_SIZE)
"""The padding leaf."""

_LEAF_PREFIX = hashlib.sha256(b"\x00")
_INNER_PREFIX = hashlib.sha256(b"\x01")
_SLOT = merkle_native.SLOT_BYTES
_log = logging.getLogger(__name__)

Buffer = bytes | bytearray | memoryview


def leaf_hash(chunk: Buffer) -> bytes:
    """``sha256(0x00 ‖ chunk)``."""
    state = _LEAF_PREFIX.copy()
    state.update(chunk)
    return state.digest()


def inner_hash(left: bytes, right: bytes) -> bytes:
    """``sha256(0x01 ‖ left ‖ right)``."""
    state = _INNER_PREFIX.copy()
    state.update(left)
    state.update(right)
    return state.digest()


def depth(leaf_count: int) -> int:
    """Height of the tree over ``leaf_count`` leaves: ``ceil(log2(leaf_count))``, 0 for one leaf.

    Raises:
        CodecError: if ``leaf_count`` is below 1.
    """
    if leaf_count < 1:
        raise CodecError(f"a Merkle tree has at least one leaf, got {leaf_count}")
    return (leaf_count - 1).bit_length()


def chunk_count(size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Leaves of the tree over ``size`` bytes: ``max(1, ceil(size / chunk_size))``."""
    return max(1, -(-size // chunk_size))


def _check_chunk_size(chunk_size: int) -> None:
    if chunk_size <= 0:
        raise CodecError(f"the chunk size must be positive, got {chunk_size}")


def leaf_hashes(data: Buffer, chunk_size: int = CHUNK_SIZE) -> list[bytes]:
    """The leaf hashes of ``data``'s chunks, in order (one for empty data).

    Raises:
        CodecError: if ``chunk_size`` is not positive.
    """
    _check_chunk_size(chunk_size)
    view = memoryview(data).cast("B")
    return [leaf_hash(view[start : start + chunk_size]) for start in range(0, max(len(view), 1), chunk_size)]


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the padded tree, leaves first, root last."""
    width = 1 << depth(len(leaves))
    level = list(leaves) + [ZERO_LEAF] * (width - len(leaves))
    levels = [level]
    while len(level) > 1:
        level = [inner_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def merkle_root(data: Buffer, chunk_size: int = CHUNK_SIZE) -> bytes:
    """The root over ``data``'s chunks.

    Raises:
        CodecError: if ``chunk_size`` is not positive.
    """
    builder = MerkleBuilder(chunk_size)
    builder.update(data)
    return builder.root()


def merkle_proof(data: Buffer, index: int, chunk_size: int = CHUNK_SIZE) -> list[bytes]:
    """The sibling hashes, bottom-up, that prove chunk ``index`` of ``data``.

    Raises:
        CodecError: if ``index`` is not a chunk of ``data`` or ``chunk_size`` is not positive.
    """
    leaves = leaf_hashes(data, chunk_size)
    if not 0 <= index < len(leaves):
        raise CodecError(f"chunk {index} does not exist: the data has {len(leaves)} chunks")
    proof = []
    for level in _levels(leaves)[:-1]:
        proof.append(level[index ^ 1])
        index >>= 1
    return proof


def root_from(leaf: bytes, index: int, proof: Sequence[bytes]) -> bytes:
    """The root reached from ``leaf`` at position ``index`` through the siblings in ``proof``."""
    node = leaf
    for sibling in proof:
        node = inner_hash(sibling, node) if index & 1 else inner_hash(node, sibling)
        index >>= 1
    return node


def verify_proof(
    root: bytes, index: int, chunk: Buffer, proof: Sequence[bytes], leaf_count: int, chunk_size: int = CHUNK_SIZE
) -> bool:
    """Whether ``chunk`` is chunk ``index`` of the data with root ``root`` and ``leaf_count`` chunks.

    The same checks as the contract: the proof has exactly ``depth(leaf_count)``
    hashes of 32 bytes, ``index < leaf_count``, and the chunk is at most
    ``chunk_size`` bytes and not empty unless it is the only one.
    """
    if leaf_count < 1 or not 0 <= index < leaf_count or len(proof) != depth(leaf_count):
        return False
    if len(chunk) > chunk_size or (len(chunk) == 0 and leaf_count != 1):
        return False
    if any(len(sibling) != HASH_SIZE for sibling in proof):
        return False
    return root_from(leaf_hash(chunk), index, proof) == root


def reference_push_chunks(data: Buffer, chunk_size: int, slots: bytearray, leaf_count: int) -> int:
    """Push the leaf of every whole chunk of ``data`` into a builder state; return the new leaf count.

    The state is a binary counter of complete subtree roots: slot ``h`` of
    ``slots`` (bytes ``32h`` to ``32h + 32``) holds the root of a complete subtree
    of height ``h`` exactly when bit ``h`` of ``leaf_count`` is set. This is the
    Python kernel, the oracle for the native one (:mod:`kura.crypto.merkle_native`).
    """
    view = memoryview(data).cast("B")
    for start in range(0, len(view) - len(view) % chunk_size, chunk_size):
        leaf_count = _push_leaf(slots, leaf_count, leaf_hash(view[start : start + chunk_size]))
    return leaf_count


def _slot(height: int) -> slice:
    """Where the subtree root of ``height`` sits in a builder state's slots."""
    return slice(height * _SLOT, (height + 1) * _SLOT)


def _push_leaf(slots: bytearray, leaf_count: int, leaf: bytes) -> int:
    """Add one leaf to the binary counter of subtree roots; return the new leaf count."""
    node, height = leaf, 0
    while leaf_count >> height & 1:
        node = inner_hash(bytes(slots[_slot(height)]), node)
        height += 1
    slots[_slot(height)] = node
    return leaf_count + 1


_NATIVE = merkle_native.load()

KERNEL = "native" if _NATIVE is not None else "python"
"""Which kernel :class:`MerkleBuilder` runs on: ``"native"`` or the ``"python"`` reference."""


@functools.cache
def _warn_python_kernel() -> None:
    _log.warning(
        "kura's native Merkle kernel is not built: share hashing runs on the Python kernel, several times "
        "slower; run `make setup` to build it (needs Rust's cargo)"
    )


def _push_chunks(data: Buffer, chunk_size: int, slots: bytearray, leaf_count: int) -> int:
    if _NATIVE is not None:
        return _NATIVE.push_chunks(data, chunk_size, slots, leaf_count)
    _warn_python_kernel()
    return reference_push_chunks(data, chunk_size, slots, leaf_count)


class MerkleBuilder:
    """Computes a Merkle root over data fed in pieces, in memory logarithmic in its size.

    It keeps a partial chunk and one complete subtree root per set bit of the
    number of leaves so far (a binary counter, see :func:`reference_push_chunks`),
    and pads with zero-leaf subtrees only when the root is asked for. Whole
    chunks are hashed by the native kernel when it is built.

    Args:
        chunk_size: Bytes per leaf.

    Raises:
        CodecError: if ``chunk_size`` is not positive.
    """

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        _check_chunk_size(chunk_size)
        self.chunk_size = chunk_size
        self._partial = bytearray()
        self._slots = bytearray(merkle_native.MAX_HEIGHT * _SLOT)
        self._leaves = 0

    def update(self, data: Buffer) -> None:
        """Feed the next bytes."""
        view = memoryview(data).cast("B")
        if self._partial:
            take = self.chunk_size - len(self._partial)
            self._partial += view[:take]
            view = view[take:]
            if len(self._partial) < self.chunk_size:
                return
            self._leaves = _push_chunks(self._partial, self.chunk_size, self._slots, self._leaves)
            self._partial.clear()
        whole = len(view) - len(view) % self.chunk_size
        if whole:
            self._leaves = _push_chunks(view[:whole], self.chunk_size, self._slots, self._leaves)
        self._partial += view[whole:]

    @property
    def leaf_count(self) -> int:
        """Leaves of the tree over everything fed so far (at least 1)."""
        return self._leaves + (1 if self._partial or self._leaves == 0 else 0)

    def root(self) -> bytes:
        """The root over everything fed so far (the builder can keep going afterwards)."""
        slots, count = bytearray(self._slots), self._leaves
        if self._partial or count == 0:
            count = _push_leaf(slots, count, leaf_hash(self._partial))
        top = count.bit_length() - 1
        if count == 1 << top:
            return bytes(slots[_slot(top)])
        node: bytes | None = None
        zero = ZERO_LEAF
        for height in range(top + 1):
            if count >> height & 1:
                node = inner_hash(bytes(slots[_slot(height)]), node if node is not None else zero)
            elif node is not None:
                node = inner_hash(node, zero)
            zero = inner_hash(zero, zero)
        assert node is not None
        return node
