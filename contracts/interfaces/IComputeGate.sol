// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IComputeGate
/// @notice A contract that decides which compute nodes may run a task it posted (compute-to-data: a data
/// holder lets only the nodes it trusts see its data). A task posted with `TaskParams.gate` set can only be
/// posted by that gate; the TaskMarket asks it at `claim` whether the worker may compute, and at every auditor
/// draw whether each candidate may. The market calls it with a bounded gas allowance (`TaskMarket.GATE_GAS`)
/// and reads exactly one 32-byte word: a gate that reverts, runs out of that gas or answers anything but an
/// ABI-encoded `true` says "no".
interface IComputeGate {
    /// @notice Whether `node` may compute task `taskId` (as its worker or as one of its auditors).
    /// @param taskId The task, posted by this gate.
    /// @param node The compute node or auditor candidate.
    /// @return allowed True to let it compute.
    function mayCompute(uint256 taskId, address node) external view returns (bool allowed);
}
