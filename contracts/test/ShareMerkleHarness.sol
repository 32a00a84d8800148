// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ShareMerkle} from "../libraries/ShareMerkle.sol";

/// @title ShareMerkleHarness
/// @notice Test-only: exposes the ShareMerkle library so tests can compare it with the Python rule.
contract ShareMerkleHarness {
    /// @notice See `ShareMerkle.leafHash`.
    function leafHash(bytes calldata data) external pure returns (bytes32) {
        return ShareMerkle.leafHash(data);
    }

    /// @notice See `ShareMerkle.depth`.
    function depth(uint256 leafCount) external pure returns (uint256) {
        return ShareMerkle.depth(leafCount);
    }

    /// @notice See `ShareMerkle.rootFrom`.
    function rootFrom(bytes32 leaf, uint256 index, bytes32[] calldata proof) external view returns (bytes32) {
        return ShareMerkle.rootFrom(leaf, index, proof);
    }

    /// @notice See `ShareMerkle.verify`.
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof) external view returns (bool) {
        return ShareMerkle.verify(root, leaf, index, proof);
    }
}
