"""The Merkle rule of OpenZeppelin's ``MerkleProof.verify``: keccak256 over sorted pairs.

This is not :mod:`kura.crypto.merkle` (sha256 with leaf/inner prefixes, for share
audits through the sha256 precompile). Consent snapshots are checked on chain by
OpenZeppelin's ``MerkleProof.verify(proof, root, leaf)``, so their tree follows it:

- ``pair(a, b) = keccak256(min(a, b) ‖ max(a, b))`` (``Hashes.commutativeKeccak256``):
  a proof is a plain list of sibling hashes, bottom-up, with no left/right bits.
- The leaves are given in the order the caller fixes (a snapshot sorts its
  members). Each level pairs neighbours ``(0, 1), (2, 3), ...``; an odd last node
  moves up unchanged. The root of one leaf is that leaf.
- A proof of leaf ``i`` lists, from the bottom, the sibling of its node at each
  level where it has one (levels where it moves up alone add nothing).
- The empty tree has root ``bytes32(0)``, which no proof reaches (a keccak256
  output is never all zeros in practice), so it admits nobody.

Leaves are not hashed again here: the caller builds them from a preimage whose
length is not 64 bytes (see :func:`kura.market.snapshot.leaf`), so no inner node
can be passed off as a leaf.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

from kura.errors import ConsentError

HASH_SIZE = 32
EMPTY_ROOT = bytes(HASH_SIZE)
"""The root of a tree without leaves."""


def pair_hash(a: bytes, b: bytes) -> bytes:
    """``keccak256`` of the two hashes in ascending order (OpenZeppelin's ``commutativeKeccak256``)."""
    return keccak(a + b) if a < b else keccak(b + a)


def _check_leaves(leaves: Sequence[bytes]) -> None:
    for index, leaf in enumerate(leaves):
        if len(leaf) != HASH_SIZE:
            raise ConsentError(f"Merkle leaf {index} has {len(leaf)} bytes; every leaf is a 32-byte hash")


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last (one level for one leaf)."""
    level = list(leaves)
    levels = [level]
    while len(level) > 1:
        paired = [pair_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
        levels.append(level)
    return levels


def root(leaves: Sequence[bytes]) -> bytes:
    """The root over ``leaves`` in their order; :data:`EMPTY_ROOT` for none.

    Raises:
        ConsentError: if a leaf is not 32 bytes.
    """
    _check_leaves(leaves)
    return _levels(leaves)[-1][0] if leaves else EMPTY_ROOT


class MerkleTree:
    """A built tree, for many proofs over the same leaves.

    Args:
        leaves: 32-byte leaf hashes, in tree order.

    Raises:
        ConsentError: if a leaf is not 32 bytes.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        _check_leaves(leaves)
        self._levels = _levels(leaves) if leaves else [[]]

    @property
    def root(self) -> bytes:
        """The root; :data:`EMPTY_ROOT` for a tree without leaves."""
        top = self._levels[-1]
        return top[0] if top else EMPTY_ROOT

    def __len__(self) -> int:
        return len(self._levels[0])

    def proof(self, index: int) -> list[bytes]:
        """The sibling hashes, bottom-up, that lead from leaf ``index`` to the root.

        Raises:
            ConsentError: if there is no leaf ``index``.
        """
        if not 0 <= index < len(self):
            raise ConsentError(f"leaf {index} does not exist: the tree has {len(self)} leaves")
        siblings = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                siblings.append(level[sibling])
            index >>= 1
        return siblings


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` (OpenZeppelin's ``processProof``)."""
    node = leaf
    for sibling in proof:
        node = pair_hash(node, sibling)
    return node


def verify(proof: Sequence[bytes], root_hash: bytes, leaf: bytes) -> bool:
    """Whether ``proof`` leads from ``leaf`` to ``root_hash``: what ``MerkleProof.verify`` answers on chain."""
    return process_proof(leaf, proof) == root_hash
