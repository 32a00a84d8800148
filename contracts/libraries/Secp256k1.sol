// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Secp256k1
/// @notice The few secp256k1 facts kura's fair exchange checks on chain: a point is on the curve, and
/// a point is a given multiple of another.
/// @dev No elliptic-curve multiplication runs on chain. `mulMatches` uses the `ecrecover` precompile as a
/// multiplication oracle (Vitalik Buterin's observation, used the same way by Chainlink's VRF verifier):
/// `ecrecover(h, v, r, s)` returns the address of `r⁻¹·(s·R − h·G)`, where R is the point with x = r and
/// the y parity given by v. With h = 0 and s = k·r mod n that is the address of k·R. The answer is an
/// address (160 bits of keccak256 of the point), so "k·R = Q" holds up to a second preimage of a
/// 160-bit hash, which nobody can find.
library Secp256k1 {
    /// @notice The field prime p.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    /// @notice The group order n.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// @notice x of the generator G.
    uint256 internal constant GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798;
    /// @notice y of the generator G.
    uint256 internal constant GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8;

    /// @notice True iff (x, y) is an affine point of y² = x³ + 7 over GF(p).
    /// @dev (0, y) and (x, 0) are never on this curve (7 is not a square mod p, and the group has odd
    /// order so no point has y = 0), so zero coordinates are refused before the arithmetic.
    /// @param x The point's x.
    /// @param y The point's y.
    /// @return onCurve Whether (x, y) is a point of the curve (coordinates reduced below p).
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool onCurve) {
        if (x == 0 || y == 0 || x >= P || y >= P) return false;
        return mulmod(y, y, P) == addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
    }

    /// @notice The Ethereum address of the point (x, y): the last 20 bytes of keccak256(x ‖ y).
    /// @param x The point's x.
    /// @param y The point's y.
    /// @return account The address whose key the point is.
    function toAddress(uint256 x, uint256 y) internal pure returns (address account) {
        return address(uint160(uint256(keccak256(abi.encodePacked(x, y)))));
    }

    /// @notice True iff `scalar` × (x, y) is the point whose address is `product`.
    /// @dev (x, y) must be on the curve (callers check it once, where the point enters). The precompile
    /// needs 0 < x < n as its r and 0 < s < n, so a scalar outside [1, n) or a point with x ≥ n (a chance
    /// of about 2⁻¹²⁸ for a random point) is refused rather than answered wrongly.
    /// @param x The x of the multiplied point.
    /// @param y The y of the multiplied point (only its parity is used).
    /// @param scalar The multiplier.
    /// @param product The address of the expected product.
    /// @return matches Whether `scalar` × (x, y) has address `product` (false, too, for a refused input).
    function mulMatches(uint256 x, uint256 y, uint256 scalar, address product) internal pure returns (bool matches) {
        if (scalar == 0 || scalar >= N || x >= N || product == address(0)) return false;
        uint8 v = y & 1 == 0 ? 27 : 28;
        return ecrecover(bytes32(0), v, bytes32(x), bytes32(mulmod(scalar, x, N))) == product;
    }
}
