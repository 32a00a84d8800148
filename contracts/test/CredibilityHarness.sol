// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Credibility} from "../libraries/Credibility.sol";

/// @title CredibilityHarness
/// @notice Test-only: exposes the Credibility library so tests can compare it with the Python WAD twin.
contract CredibilityHarness {
    /// @notice `Credibility.ofNode`.
    function ofNode(uint256 passed, uint256 f) external pure returns (uint256) {
        return Credibility.ofNode(passed, f);
    }

    /// @notice `Credibility.decide`.
    function decide(bytes32[] memory results, uint256[] memory credibilities)
        external
        pure
        returns (bytes32 winner, uint256 credibility)
    {
        return Credibility.decide(results, credibilities);
    }
}
