// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

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

    /// @notice Forward a call (with value) so the attacker can register, challenge, exit and so on.
    function execute(address target, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @notice Withdraw from `target`; `receive` will try to withdraw again while the first one runs.
    function attack(PullPayments target) external {
        _target = target;
        target.withdrawPayments();
    }

    /// @notice Accept ETH and try to re-enter the payer once.
    receive() external payable {
        received += 1;
        PullPayments target = _target;
        if (address(target) == address(0) || received > 1) return;
        try target.withdrawPayments() {
            reentries += 1;
        } catch (bytes memory reason) {
            refusal = bytes4(reason);
        }
    }
}
