// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Credibility
/// @notice Sarmenta's credibility-based fault tolerance in WAD fixed point (1e18 = 1): the on-chain
/// mirror, bit for bit, of `worker_credibility_wad` (with blacklisting), `group_credibilities_wad`
/// and `decide_wad` in `offchain/kura/compute/credibility.py`. Read the rounding rules there; every
/// floor and ceiling below is the one the Python twin takes at the same step.
library Credibility {
    uint256 internal constant WAD = 1e18;
    /// @dev Euler's number times WAD, rounded down (it sits in a denominator: the safe side).
    uint256 internal constant E_WAD = 2_718_281_828_459_045_235;
    /// @notice The most results one decision may weigh.
    uint256 internal constant MAX_RESULTS = 32;
    uint256 private constant PAD_DIVISOR = 1e30;
    uint256 private constant MANTISSA_LOW = 1e36;
    uint256 private constant MANTISSA_HIGH = 1e54;

    /// @notice More than `MAX_RESULTS` results were given to one decision.
    error TooManyResults(uint256 count);

    /// @notice Credibility (WAD) of a node that passed `passed` spot-checks when a fraction `f` (WAD,
    /// at most WAD) of nodes may be saboteurs: max(1 − f, 1 − ⌈f / ((1 − f)·k·e)⌉), or 1 − f when k = 0.
    function ofNode(uint256 passed, uint256 f) internal pure returns (uint256) {
        uint256 prior = WAD - f;
        if (passed == 0 || f == 0) return prior;
        if (f == WAD) return 0;
        uint256 denominator = (WAD - f) * passed * E_WAD;
        uint256 error = (f * WAD * WAD + denominator - 1) / denominator;
        uint256 bound = error < WAD ? WAD - error : 0;
        return bound > prior ? bound : prior;
    }

    /// @notice The best result group among `results` (one per node, the node's WAD credibility at the
    /// same index in `credibilities`) and its credibility
    /// P(this group right, every other wrong) / P(at most one group right).
    /// Ties go to the smallest result; no results give (0, 0).
    function decide(bytes32[] memory results, uint256[] memory credibilities)
        internal
        pure
        returns (bytes32 winner, uint256 credibility)
    {
        uint256 n = results.length;
        if (n > MAX_RESULTS) revert TooManyResults(n);
        if (n == 0) return (bytes32(0), 0);
        bytes32[] memory keys = _sortedKeys(results);
        uint256[] memory group = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 g = 0;
            while (keys[g] != results[i]) ++g;
            group[i] = g;
        }
        uint256[] memory aligned = _terms(keys.length, group, credibilities);
        uint256 total = 0;
        for (uint256 j = 0; j < aligned.length; ++j) total += aligned[j];
        total += total / PAD_DIVISOR + aligned.length;
        for (uint256 a = 0; a < keys.length; ++a) {
            uint256 c = aligned[a + 1] * WAD / total;
            if (a == 0 || c > credibility) (winner, credibility) = (keys[a], c);
        }
    }

    /// @dev Distinct values of `results`, ascending (insertion sort: at most MAX_RESULTS of them).
    function _sortedKeys(bytes32[] memory results) private pure returns (bytes32[] memory keys) {
        keys = new bytes32[](results.length);
        uint256 count = 0;
        for (uint256 i = 0; i < results.length; ++i) {
            bytes32 r = results[i];
            uint256 at = count;
            bool seen = false;
            for (uint256 k = 0; k < count; ++k) {
                if (keys[k] == r) {
                    seen = true;
                    break;
                }
                if (keys[k] > r) {
                    at = k;
                    break;
                }
            }
            if (seen) continue;
            for (uint256 k = count; k > at; --k) keys[k] = keys[k - 1];
            keys[at] = r;
            ++count;
        }
        assembly ("memory-safe") {
            // Keep the distinct values only (count <= results.length).
            mstore(keys, count)
        }
    }

    /// @dev The g + 1 terms ("all wrong", then "group a right" for each a), aligned to the largest:
    /// mantissa/depth products in group order then result order, as `group_credibilities_wad` does.
    function _terms(uint256 groups, uint256[] memory group, uint256[] memory credibilities)
        private
        pure
        returns (uint256[] memory aligned)
    {
        uint256 width = groups + 1;
        uint256[] memory mantissas = new uint256[](width);
        uint256[] memory depths = new uint256[](width);
        for (uint256 j = 0; j < width; ++j) (mantissas[j], depths[j]) = (MANTISSA_LOW, 2);
        for (uint256 a = 0; a < groups; ++a) {
            for (uint256 i = 0; i < group.length; ++i) {
                if (group[i] != a) continue;
                uint256 cr = credibilities[i];
                for (uint256 j = 0; j < width; ++j) {
                    // mantissa < 1e54 and the factor <= 1e18, so the product stays below 1e72 < 2^256.
                    uint256 m = mantissas[j] * (j == a + 1 ? cr : WAD - cr);
                    uint256 depth = depths[j] + 1;
                    if (m >= MANTISSA_HIGH) {
                        m /= WAD;
                        depth -= 1;
                    }
                    (mantissas[j], depths[j]) = (m, depth);
                }
            }
        }
        uint256 top = type(uint256).max;
        for (uint256 j = 0; j < width; ++j) {
            if (mantissas[j] != 0 && depths[j] < top) top = depths[j];
        }
        aligned = new uint256[](width);
        for (uint256 j = 0; j < width; ++j) {
            uint256 m = mantissas[j];
            if (m == 0 || depths[j] - top >= 3) continue;
            aligned[j] = m / WAD ** (depths[j] - top);
        }
    }
}
