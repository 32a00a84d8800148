"""The on-chain commitment to a file's shares (``FileRegistry.sharesRoot``).

A Merkle root, by the same rule as a share's chunks (:mod:`kura.crypto.merkle`),
over one leaf per share whose bytes are, as Solidity's ``abi.encodePacked``::

    uint8 index ‖ address node ‖ uint32 chunkCount ‖ bytes32 shareRoot      (57 bytes)

so an auditor can prove on chain which node must hold which share, and what its
chunks' root is, without the chain storing n roots.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from eth_utils import to_canonical_address

from kura.crypto.merkle import merkle_root
from kura.storage.shared.manifest import ShareEntry

LEAF_BYTES = 57


def share_leaf(entry: ShareEntry) -> bytes:
    """The packed commitment leaf of one share."""
    return (
        struct.pack(">B", entry.index)
        + to_canonical_address(entry.operator)
        + struct.pack(">I", entry.chunk_count)
        + entry.merkle_root
    )


def shares_root(entries: Sequence[ShareEntry]) -> bytes:
    """The commitment over ``entries`` (ordered by share index)."""
    leaves = b"".join(share_leaf(entry) for entry in sorted(entries, key=lambda e: e.index))
    return merkle_root(leaves, chunk_size=LEAF_BYTES)
