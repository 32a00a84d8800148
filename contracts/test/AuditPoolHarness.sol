// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AuditPool} from "../libraries/AuditPool.sol";

/// @title AuditPoolHarness
/// @notice Test-only: exposes the AuditPool library, with an exclusion list as the draw's eligibility test,
/// so tests can compare the draw with a textbook Fisher–Yates shuffle over the pool's seats.
contract AuditPoolHarness {
    using AuditPool for AuditPool.Pool;

    AuditPool.Pool private _pool;
    uint256 private _filled;
    mapping(address node => bool excluded) private _excluded;

    /// @notice `AuditPool.add`.
    /// @param node The address to add.
    function add(address node) external {
        _pool.add(node);
    }

    /// @notice Add `count` fresh addresses (2^100 + 1, 2^100 + 2, ..., counting every address `fill` added).
    /// @param count How many.
    function fill(uint256 count) external {
        for (uint256 i = 0; i < count; ++i) {
            ++_filled;
            _pool.add(address(uint160((1 << 100) + _filled)));
        }
    }

    /// @notice `AuditPool.remove`.
    /// @param node The address to remove.
    function remove(address node) external {
        _pool.remove(node);
    }

    /// @notice Make `nodes` ineligible for the draw.
    /// @param nodes The addresses to exclude.
    function exclude(address[] calldata nodes) external {
        for (uint256 i = 0; i < nodes.length; ++i) {
            _excluded[nodes[i]] = true;
        }
    }

    /// @notice Every seat: its member (zero when empty) and the block it joined in.
    /// @return nodes The members by seat.
    /// @return joinedBlocks The blocks they joined in.
    function seats() external view returns (address[] memory nodes, uint32[] memory joinedBlocks) {
        AuditPool.Seat[] storage all = _pool.seats;
        nodes = new address[](all.length);
        joinedBlocks = new uint32[](all.length);
        for (uint256 i = 0; i < all.length; ++i) {
            (nodes[i], joinedBlocks[i]) = (all[i].node, all[i].joinedBlock);
        }
    }

    /// @notice `AuditPool.members`.
    /// @return members Every member, in seat order.
    function members() external view returns (address[] memory) {
        return _pool.members();
    }

    /// @notice `AuditPool.draw` with "not excluded" as the eligibility test.
    /// @param seed The draw's randomness.
    /// @param want How many members to draw.
    /// @param size Seats to draw over.
    /// @param asOf Latest block a drawn member may have joined in.
    /// @param maxLooks Most seats to look at.
    /// @return picked The members drawn, in draw order.
    function draw(bytes32 seed, uint256 want, uint256 size, uint256 asOf, uint256 maxLooks)
        external
        view
        returns (address[] memory picked)
    {
        return _pool.draw(seed, want, size, asOf, maxLooks, _notExcluded, 0);
    }

    /// @notice `AuditPool.MAX_SIZE`.
    /// @return size The most seats a pool holds.
    function maxSize() external pure returns (uint256 size) {
        return AuditPool.MAX_SIZE;
    }

    // Reached through the function pointer `draw` passes, which the linter does not follow.
    // solhint-disable-next-line no-unused-private-funcs
    function _notExcluded(address node, uint256) private view returns (bool) {
        return !_excluded[node];
    }
}
