// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PullPayments} from "../utils/PullPayments.sol";

/// @title ReentrantCaller
/// @notice Test-only attacker: a payee whose `receive` makes one call of the attacker's choosing back into
/// the contract that is paying it (a second withdraw, or a release, reclaim or refund of what was just
/// paid), to show that no nested call gets value out twice.
contract ReentrantCaller {
    /// @notice Wei this contract received.
    uint256 public received;
    /// @notice How many nested calls succeeded (an attack that worked would make this > 0).
    uint256 public reentries;
    /// @notice Selector of the error that refused the nested call (0 if none was tried or it passed).
    bytes4 public refusal;

    address private _target;
    bytes private _payload;

    // An attacker's receive is complex on purpose: it is the re-entry this contract tests.
    // solhint-disable no-complex-fallback
    /// @notice Accept ETH and, if armed, make the nested call once.
    receive() external payable {
        received += msg.value;
        address target = _target;
        if (target == address(0)) return;
        _target = address(0);
        // A low-level call, so the attacker can send any payload and record the refusal instead of reverting.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = target.call(_payload);
        if (ok) {
            ++reentries;
        } else {
            refusal = bytes4(reason);
        }
    }
    // solhint-enable no-complex-fallback

    /// @notice Make the next payment received trigger one call of `payload` to `target`.
    /// @param target The contract to call back into.
    /// @param payload The calldata of the nested call.
    function arm(address target, bytes calldata payload) external {
        _target = target;
        _payload = payload;
    }

    /// @notice Withdraw everything `target` credited to this contract (its `receive` re-enters).
    /// @param target The contract that owes this one a payment.
    function withdrawFrom(PullPayments target) external {
        target.withdrawPayments();
    }
}
