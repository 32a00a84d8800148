// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ShareMerkle
/// @notice kura's one Merkle rule, shared with `kura.crypto.merkle` (off chain) bit for bit. It
/// commits both to a share's chunks and, in `FileRegistry.sharesRoot`, to a file's shares.
/// @dev The rule:
///  - data is cut into chunks of `CHUNK_SIZE` = 1024 bytes; the last one may be shorter (never empty,
///    except that empty data is one empty chunk);
///    a commitment over records (e.g. the 57-byte share leaves) uses each record as one chunk;
///  - leaf   = sha256(0x00 ‖ chunk);
///  - leaves are padded with bytes32(0) up to the next power of two (one leaf needs no padding);
///  - inner  = sha256(0x01 ‖ left ‖ right); the root of a single leaf is that leaf;
///  - a proof lists the siblings bottom-up; bit j of the leaf index (least significant first) says
///    whether the node at height j is a right child (1: hash sibling ‖ node) or a left one (0).
/// The 0x00 / 0x01 prefixes keep leaves and inner nodes apart, so a proof of the wrong depth cannot
/// pass off an inner node as a leaf (that would need a SHA-256 collision).
library ShareMerkle {
    /// @notice Bytes per chunk of a share.
    uint256 internal constant CHUNK_SIZE = 1024;

    /// @notice True if `proof` shows that `leaf` sits at position `index` of the tree with root `root`.
    /// @dev Fails when `index` does not fit in `proof.length` bits, so one leaf has exactly one index.
    /// @param root The tree's root.
    /// @param leaf The leaf hash.
    /// @param index The leaf's claimed position.
    /// @param proof Its siblings, bottom-up.
    /// @return valid True if the proof holds.
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        view
        returns (bool valid)
    {
        if (proof.length < 256 && index >> proof.length != 0) return false;
        return rootFrom(leaf, index, proof) == root;
    }

    /// @notice The root reached from `leaf` at `index` through the siblings in `proof`.
    /// @param leaf The leaf hash.
    /// @param index The leaf's position.
    /// @param proof Its siblings, bottom-up.
    /// @return node The root.
    function rootFrom(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal view returns (bytes32 node) {
        node = leaf;
        // Hashing in scratch memory through the precompile saves an allocation per level over abi.encodePacked.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // 65 bytes of scratch past the free-memory pointer: 0x01 ‖ left ‖ right.
            let buf := mload(0x40)
            mstore8(buf, 0x01)
            let end := add(proof.offset, shl(5, proof.length))
            for { let p := proof.offset } lt(p, end) { p := add(p, 0x20) } {
                let sibling := calldataload(p)
                switch and(index, 1)
                case 0 {
                    mstore(add(buf, 0x01), node)
                    mstore(add(buf, 0x21), sibling)
                }
                default {
                    mstore(add(buf, 0x01), sibling)
                    mstore(add(buf, 0x21), node)
                }
                // SHA-256 precompile at address 2.
                if iszero(staticcall(gas(), 0x02, buf, 0x41, 0x00, 0x20)) { revert(0, 0) }
                node := mload(0x00)
                index := shr(1, index)
            }
        }
    }

    /// @notice `leafHash` of data given in calldata (a chunk answering an audit), hashed from one scratch copy.
    /// @param data A chunk.
    /// @return leaf Its leaf hash.
    function leafHashCalldata(bytes calldata data) internal view returns (bytes32 leaf) {
        // Copying the chunk once, past the free-memory pointer, saves the two copies abi.encodePacked makes.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore8(buf, 0x00)
            calldatacopy(add(buf, 0x01), data.offset, data.length)
            // SHA-256 precompile at address 2.
            if iszero(staticcall(gas(), 0x02, buf, add(data.length, 0x01), 0x00, 0x20)) { revert(0, 0) }
            leaf := mload(0x00)
        }
    }

    /// @notice The leaf hash of `data`: sha256(0x00 ‖ data).
    /// @param data A chunk, or a record of a commitment over records.
    /// @return leaf Its leaf hash.
    function leafHash(bytes memory data) internal pure returns (bytes32 leaf) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    /// @notice Height of a tree over `leafCount` leaves: ceil(log2(leafCount)), 0 for one leaf.
    /// @dev `leafCount` must be at least 1.
    /// @param leafCount Leaves of the tree.
    /// @return height Its height, the length of every proof in it.
    function depth(uint256 leafCount) internal pure returns (uint256 height) {
        uint256 width = 1;
        while (width < leafCount) {
            unchecked {
                // width < leafCount <= 2^256 - 1, so doubling stays in range until the loop ends.
                width <<= 1;
                ++height;
            }
        }
    }
}
