"""The sorted-pair keccak256 Merkle rule (OpenZeppelin ``MerkleProof``): proofs verify, forgeries do not."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from kura.errors import ConsentError
from kura.market import merkle

hashes = st.binary(min_size=32, max_size=32)
leaf_lists = st.lists(hashes, min_size=1, max_size=40, unique=True)


def test_pair_hash_is_keccak_of_the_sorted_pair() -> None:
    low, high = bytes(31) + b"\x01", b"\xff" * 32
    assert merkle.pair_hash(low, high) == merkle.pair_hash(high, low) == keccak(low + high)


def test_known_small_trees() -> None:
    a, b, c = (keccak(bytes([n])) for n in range(3))
    assert merkle.root([a]) == a
    assert merkle.root([a, b]) == merkle.pair_hash(a, b)
    assert merkle.root([a, b, c]) == merkle.pair_hash(merkle.pair_hash(a, b), c)
    tree = merkle.MerkleTree([a, b, c])
    assert tree.proof(2) == [merkle.pair_hash(a, b)]
    assert tree.proof(0) == [b, c]


def test_empty_tree_has_zero_root_and_admits_nobody() -> None:
    tree = merkle.MerkleTree([])
    assert tree.root == merkle.root([]) == merkle.EMPTY_ROOT
    assert not merkle.verify([], tree.root, keccak(b"anyone"))
    with pytest.raises(ConsentError, match="leaf 0 does not exist"):
        tree.proof(0)


def test_leaves_must_be_32_bytes() -> None:
    with pytest.raises(ConsentError, match="leaf 1 has 31 bytes"):
        merkle.root([bytes(32), bytes(31)])


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_every_leaf_proof_verifies_and_matches_the_root_function(leaves: list[bytes]) -> None:
    tree = merkle.MerkleTree(leaves)
    assert tree.root == merkle.root(leaves)
    for index, leaf in enumerate(leaves):
        proof = tree.proof(index)
        assert len(proof) <= (len(leaves) - 1).bit_length()
        assert merkle.verify(proof, tree.root, leaf)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, hashes, st.data())
def test_outsiders_and_altered_proofs_fail(leaves: list[bytes], outsider: bytes, data: st.DataObject) -> None:
    tree = merkle.MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = tree.proof(index)
    if outsider not in leaves:
        assert not merkle.verify(proof, tree.root, outsider)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        flipped = bytes([proof[position][0] ^ 1]) + proof[position][1:]
        assert not merkle.verify([*proof[:position], flipped, *proof[position + 1 :]], tree.root, leaves[index])
        assert not merkle.verify(proof[:-1], tree.root, leaves[index])
