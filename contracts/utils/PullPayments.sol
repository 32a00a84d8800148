// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title PullPayments
/// @notice The one withdraw pattern every kura contract uses: business logic only *credits* a
/// balance; payees pull it with `withdrawPayments`. No ETH is ever pushed inside business logic.
/// @dev Uses OpenZeppelin's storage-based ReentrancyGuard: kura targets Shanghai so it also runs
/// on Ganache, which rules out the transient-storage variant.
abstract contract PullPayments is ReentrancyGuard {
    mapping(address payee => uint256 amount) private _payments;

    /// @notice `amount` wei was credited to `payee`.
    /// @param payee Who may withdraw it.
    /// @param amount Wei credited.
    event PaymentCredited(address indexed payee, uint256 amount);

    /// @notice `payee` withdrew `amount` wei.
    /// @param payee Who withdrew.
    /// @param amount Wei sent.
    event PaymentWithdrawn(address indexed payee, uint256 amount);

    /// @notice `payee` has nothing to withdraw.
    error NothingToWithdraw(address payee);

    /// @notice Sending `amount` wei to `payee` failed; the balance was kept.
    error PaymentFailed(address payee, uint256 amount);

    /// @notice Send the caller everything credited to it.
    function withdrawPayments() external nonReentrant {
        uint256 amount = _payments[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _payments[msg.sender] = 0;
        emit PaymentWithdrawn(msg.sender, amount);
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert PaymentFailed(msg.sender, amount);
    }

    /// @notice Wei waiting for `payee`.
    /// @param payee The account to look up.
    /// @return amount Wei it may withdraw.
    function payments(address payee) public view returns (uint256 amount) {
        return _payments[payee];
    }

    /// @dev Credit `amount` wei to `payee`; the caller must already hold it.
    function _credit(address payee, uint256 amount) internal {
        _payments[payee] += amount;
        emit PaymentCredited(payee, amount);
    }
}
