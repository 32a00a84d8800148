// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Credibility
/// @notice Sarmenta's credibility-based fault tolerance in WAD fixed point (1e18 = 1): the on-chain
/// mirror, bit for bit, of `worker_credibility_wad`, `group_credibilities_wad`, `decide_wad` and
/// `rejected_wad` in `offchain/kura/compute/credibility.py`. Read the rounding rules there; every
/// floor and ceiling below is the one the Python twin takes at the same step.
/// @dev Node credibility uses Sarmenta's bound *without* blacklisting, 1 − f/k: kura resets a caught
/// node's passed checks to 0 instead of barring it, and the sabotage simulator shows the error rate
/// under the acceptable one with this bound (and above it with the with-blacklisting bound).
library Credibility {
    uint256 internal constant WAD = 1e18;
    /// @notice The most results one decision may weigh.
    uint256 internal constant MAX_RESULTS = 32;
    uint256 private constant PAD_DIVISOR = 1e30;
    uint256 private constant MANTISSA_LOW = 1e36;
    uint256 private constant MANTISSA_HIGH = 1e54;

    /// @notice More than `MAX_RESULTS` results were given to one decision.
    error TooManyResults(uint256 count);

    /// @notice Credibility (WAD) of a node that passed `passed` spot-checks since it was last caught,
    /// when a fraction `f` (WAD, at most WAD) of nodes may be saboteurs: 1 − f when k = 0, else
    /// 1 − ⌈f / k⌉ (never below 1 − f, since ⌈f / k⌉ ≤ f).
    /// @param passed Spot-checks the node passed since it was last caught (k).
    /// @param f Assumed saboteur fraction, WAD.
    /// @return credibility The node's credibility, WAD.
    function ofNode(uint256 passed, uint256 f) internal pure returns (uint256 credibility) {
        if (passed == 0) return WAD - f;
        // f <= WAD and passed < 2^32: the sum cannot overflow.
        return WAD - (f + passed - 1) / passed;
    }

    /// @notice Whether a result group of credibility `credibility` is judged wrong at threshold `theta`
    /// (both WAD), whether or not any group was accepted: `credibility` ≤ 1 − θ.
    /// @param credibility The group's credibility, WAD.
    /// @param theta The acceptance threshold, WAD.
    /// @return judgedWrong Whether the group is judged wrong.
    function rejected(uint256 credibility, uint256 theta) internal pure returns (bool judgedWrong) {
        return credibility <= WAD - theta;
    }

    /// @notice The best result group among `results` (one per node, the node's WAD credibility at the
    /// same index in `credibilities`) and its credibility
    /// P(this group right, every other wrong) / P(at most one group right).
    /// Ties go to the smallest result; no results give (0, 0).
    /// @param results One result per node.
    /// @param credibilities Each node's credibility, WAD, at its result's index.
    /// @return winner The best result group.
    /// @return credibility That group's credibility, WAD.
    function decide(bytes32[] memory results, uint256[] memory credibilities)
        internal
        pure
        returns (bytes32 winner, uint256 credibility)
    {
        (bytes32[] memory keys, uint256[] memory groups,) = weigh(results, credibilities);
        for (uint256 a = 0; a < keys.length; ++a) {
            if (a == 0 || groups[a] > credibility) (winner, credibility) = (keys[a], groups[a]);
        }
    }

    /// @notice The WAD credibility of `answer` among `results`: its group's credibility if some result
    /// gave it, else the credibility that no group is right. With `rejected` it judges a worker or an
    /// auditor even when no group reached the threshold. No results give 0.
    /// @param results One result per node.
    /// @param credibilities Each node's credibility, WAD.
    /// @param answer The answer whose credibility is asked.
    /// @return credibility The answer's credibility, WAD.
    function ofAnswer(bytes32[] memory results, uint256[] memory credibilities, bytes32 answer)
        internal
        pure
        returns (uint256 credibility)
    {
        (bytes32[] memory keys, uint256[] memory groups, uint256 none) = weigh(results, credibilities);
        return lookup(keys, groups, none, answer);
    }

    /// @notice Every result group among `results` with its credibility, and the credibility that none is right
    /// (what `decide` and `ofAnswer` read; weigh once to judge many answers). No results give empty groups and 0.
    /// @param results One result per node.
    /// @param credibilities Each node's credibility, WAD.
    /// @return keys The distinct results, ascending.
    /// @return groups Each one's group credibility, WAD, at its key's index.
    /// @return none The credibility that no group is right, WAD.
    function weigh(bytes32[] memory results, uint256[] memory credibilities)
        internal
        pure
        returns (bytes32[] memory keys, uint256[] memory groups, uint256 none)
    {
        if (results.length == 0) return (keys, groups, 0);
        uint256[] memory aligned;
        uint256 total;
        (keys, aligned, total) = _weigh(results, credibilities);
        groups = new uint256[](keys.length);
        for (uint256 a = 0; a < keys.length; ++a) {
            groups[a] = aligned[a + 1] * WAD / total;
        }
        none = aligned[0] * WAD / total;
    }

    /// @notice The credibility of `answer` in what `weigh` returned: its group's, else `none`.
    /// @param keys The distinct results.
    /// @param groups Their group credibilities.
    /// @param none The credibility that no group is right.
    /// @param answer The answer.
    /// @return credibility The answer's credibility, WAD.
    function lookup(bytes32[] memory keys, uint256[] memory groups, uint256 none, bytes32 answer)
        internal
        pure
        returns (uint256 credibility)
    {
        for (uint256 a = 0; a < keys.length; ++a) {
            if (keys[a] == answer) return groups[a];
        }
        return none;
    }

    /// @dev The sorted distinct results, the aligned terms and their padded total (never 0: the pad adds
    /// the number of terms), as `_terms_wad` computes them.
    function _weigh(bytes32[] memory results, uint256[] memory credibilities)
        private
        pure
        returns (bytes32[] memory keys, uint256[] memory aligned, uint256 total)
    {
        uint256 n = results.length;
        if (n > MAX_RESULTS) revert TooManyResults(n);
        keys = _sortedKeys(results);
        uint256[] memory group = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 g = 0;
            while (keys[g] != results[i]) ++g;
            group[i] = g;
        }
        aligned = _terms(keys.length, group, credibilities);
        for (uint256 j = 0; j < aligned.length; ++j) total += aligned[j];
        total += total / PAD_DIVISOR + aligned.length;
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
        // Solidity cannot shorten a memory array; setting its length word in place can.
        // solhint-disable-next-line no-inline-assembly
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
                        --depth;
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
