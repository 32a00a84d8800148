// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Secp256k1} from "../libraries/Secp256k1.sol";

/// @title Secp256k1Harness
/// @notice Test-only: exposes the `Secp256k1` library so its checks can be compared with a reference.
contract Secp256k1Harness {
    /// @notice See `Secp256k1.isOnCurve`.
    /// @param x The point's x.
    /// @param y The point's y.
    /// @return onCurve Whether (x, y) is a point of the curve.
    function isOnCurve(uint256 x, uint256 y) external pure returns (bool onCurve) {
        return Secp256k1.isOnCurve(x, y);
    }

    /// @notice See `Secp256k1.toAddress`.
    /// @param x The point's x.
    /// @param y The point's y.
    /// @return account The address whose key the point is.
    function toAddress(uint256 x, uint256 y) external pure returns (address account) {
        return Secp256k1.toAddress(x, y);
    }

    /// @notice See `Secp256k1.mulMatches`.
    /// @param x The x of the multiplied point.
    /// @param y The y of the multiplied point.
    /// @param scalar The multiplier.
    /// @param product The address of the expected product.
    /// @return matches Whether `scalar` × (x, y) has address `product`.
    function mulMatches(uint256 x, uint256 y, uint256 scalar, address product) external pure returns (bool matches) {
        return Secp256k1.mulMatches(x, y, scalar, product);
    }
}
