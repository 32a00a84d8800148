// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IComputeGate} from "../interfaces/IComputeGate.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title TestComputeGate
/// @notice Test-only compute gate: posts gated tasks and answers `mayCompute` as its mode says, from an honest
/// allow-list to a gate that reverts, burns its gas or answers garbage, to show the market treats every
/// misbehaving answer as "no".
contract TestComputeGate is IComputeGate {
    /// @notice How `mayCompute` answers.
    enum Mode {
        AllowSet,
        AllowAll,
        Revert,
        BurnGas,
        Garbage
    }

    /// @notice The current mode.
    Mode public mode;
    /// @notice Nodes `AllowSet` lets compute.
    mapping(address node => bool allowed) public allowed;

    /// @notice `mayCompute` was asked while the mode is `Revert`.
    error GateClosed();

    /// @notice Set how `mayCompute` answers.
    /// @param mode_ The new mode.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Let `node` compute (or not) in mode `AllowSet`.
    /// @param node The node.
    /// @param yes Whether it may.
    function allow(address node, bool yes) external {
        allowed[node] = yes;
    }

    /// @notice Post `params` to `market` as this gate, forwarding `msg.value` as the escrow.
    /// @param market The TaskMarket.
    /// @param params The task (its `gate` should be this contract).
    /// @return taskId The new task.
    function post(ITaskMarket market, ITaskMarket.TaskParams calldata params)
        external
        payable
        returns (uint256 taskId)
    {
        return market.post{value: msg.value}(params);
    }

    /// @inheritdoc IComputeGate
    function mayCompute(uint256, address node) external view returns (bool) {
        Mode current = mode;
        if (current == Mode.AllowAll) return true;
        if (current == Mode.Revert) revert GateClosed();
        if (current == Mode.BurnGas) {
            uint256 spin = 0;
            while (gasleft() > 0) ++spin;
        }
        if (current == Mode.Garbage) {
            // An answer that is neither `true` nor `false` as the ABI encodes a bool.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                mstore(0, 2)
                return(0, 64)
            }
        }
        return allowed[node];
    }
}
