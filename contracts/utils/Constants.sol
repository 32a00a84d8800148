// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev Basis points in one (100 %): the unit of every slash and reward fraction.
uint16 constant BPS = 10_000;

/// @dev Blocks back from the current one whose hashes `blockhash` still returns (zero beyond them).
uint256 constant BLOCKHASH_WINDOW = 256;
