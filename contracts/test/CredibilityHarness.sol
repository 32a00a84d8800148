// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Credibility} from "../libraries/Credibility.sol";

/// @title CredibilityHarness
/// @notice Test-only: exposes the Credibility library so tests can compare it with the Python WAD twin.
contract CredibilityHarness {
    /// @notice `Credibility.decide`.
    /// @param results One result per node.
    /// @param credibilities Each node's credibility, WAD.
    /// @return winner The best result group.
    /// @return credibility Its credibility, WAD.
    function decide(bytes32[] calldata results, uint256[] calldata credibilities)
        external
        pure
        returns (bytes32 winner, uint256 credibility)
    {
        return Credibility.decide(results, credibilities);
    }

    /// @notice `Credibility.ofNode`.
    /// @param passed Spot-checks the node passed since it was last caught.
    /// @param f Assumed saboteur fraction, WAD.
    /// @return credibility The node's credibility, WAD.
    function ofNode(uint256 passed, uint256 f) external pure returns (uint256 credibility) {
        return Credibility.ofNode(passed, f);
    }

    /// @notice `Credibility.rejected`.
    /// @param credibility A result group's credibility, WAD.
    /// @param theta The acceptance threshold, WAD.
    /// @return judgedWrong Whether the group is judged wrong.
    function rejected(uint256 credibility, uint256 theta) external pure returns (bool judgedWrong) {
        return Credibility.rejected(credibility, theta);
    }

    /// @notice `Credibility.ofAnswer`.
    /// @param results One result per node.
    /// @param credibilities Each node's credibility, WAD.
    /// @param answer The answer whose credibility is asked.
    /// @return credibility The answer's credibility, WAD.
    function ofAnswer(bytes32[] calldata results, uint256[] calldata credibilities, bytes32 answer)
        external
        pure
        returns (uint256 credibility)
    {
        return Credibility.ofAnswer(results, credibilities, answer);
    }
}
