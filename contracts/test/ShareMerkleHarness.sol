// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ShareMerkle} from "../libraries/ShareMerkle.sol";

/// @title ShareMerkleHarness
/// @notice Test-only: exposes the ShareMerkle library so tests can compare it with the Python rule.
contract ShareMerkleHarness {
    /// @notice See `ShareMerkle.rootFrom`.
    /// @param leaf The leaf hash.
    /// @param index Its position.
    /// @param proof Its siblings, bottom-up.
    /// @return root The root they lead to.
    function rootFrom(bytes32 leaf, uint256 index, bytes32[] calldata proof) external view returns (bytes32 root) {
        return ShareMerkle.rootFrom(leaf, index, proof);
    }

    /// @notice See `ShareMerkle.verify`.
    /// @param root The tree's root.
    /// @param leaf The leaf hash.
    /// @param index Its claimed position.
    /// @param proof Its siblings, bottom-up.
    /// @return valid True if the proof holds.
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (bool valid)
    {
        return ShareMerkle.verify(root, leaf, index, proof);
    }

    /// @notice See `ShareMerkle.leafHashCalldata`.
    /// @param data The chunk.
    /// @return leaf Its leaf hash.
    function leafHashCalldata(bytes calldata data) external view returns (bytes32 leaf) {
        return ShareMerkle.leafHashCalldata(data);
    }

    /// @notice See `ShareMerkle.leafHash`.
    /// @param data The chunk.
    /// @return leaf Its leaf hash.
    function leafHash(bytes calldata data) external pure returns (bytes32 leaf) {
        return ShareMerkle.leafHash(data);
    }

    /// @notice See `ShareMerkle.depth`.
    /// @param leafCount Leaves of the tree.
    /// @return height The tree's height.
    function depth(uint256 leafCount) external pure returns (uint256 height) {
        return ShareMerkle.depth(leafCount);
    }
}
