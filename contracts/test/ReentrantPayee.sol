// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PullPayments} from "../utils/PullPayments.sol";

/// @title ReentrantPayee
/// @notice Test-only attacker: a payee whose `receive` calls `withdrawPayments` again on the contract
/// that is paying it, to show that the pull-payment withdraw cannot be re-entered.
contract ReentrantPayee {
    /// @notice How many ETH transfers `receive` accepted.
    uint256 public received;
    /// @notice Selector of the error that refused the nested withdraw (0 if none was tried or it passed).
    bytes4 public refusal;
    /// @notice How many nested withdraws succeeded (an attack that worked would make this > 0).
    uint256 public reentries;

    PullPayments private _target;

    // An attacker's receive is complex on purpose: it is the re-entry this contract tests.
    // solhint-disable no-complex-fallback
    /// @notice Accept ETH and try to re-enter the payer once.
    receive() external payable {
        ++received;
        PullPayments target = _target;
        if (address(target) == address(0) || received > 1) return;
        try target.withdrawPayments() {
            ++reentries;
        } catch (bytes memory reason) {
            refusal = bytes4(reason);
        }
    }
    // solhint-enable no-complex-fallback

    /// @notice Forward a call (with value) so the attacker can register, challenge, exit and so on.
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @return result What the call returned; a revert is passed on unchanged.
    function execute(address target, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{value: msg.value}(data);
        if (!ok) {
            // Re-raise the callee's revert data as is, so the test sees the real custom error.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @notice Withdraw from `target`; `receive` will try to withdraw again while the first one runs.
    /// @param target The contract that owes this one a payment.
    function attack(PullPayments target) external {
        _target = target;
        target.withdrawPayments();
    }
}
