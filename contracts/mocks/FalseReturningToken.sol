// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FalseReturningToken
/// @notice A token that, while failing, answers `transfer` and `transferFrom` with `false` and moves nothing instead
/// of reverting, as some early tokens do. SafeERC20 must turn that into a revert.
contract FalseReturningToken is ERC20 {
    /// @notice While true, transfers return false and move nothing.
    bool public failing;

    constructor() ERC20("False Returning Token", "FALSE") {}

    /// @notice Mints `amount` to `to`; anyone may mint.
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Makes transfers fail silently (true) or work (false).
    /// @param failing_ The new mode.
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    /// @notice As ERC20's, or `false` without moving anything while failing.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return ok Whether the transfer happened.
    function transfer(address to, uint256 value) public override returns (bool ok) {
        if (failing) return false;
        return super.transfer(to, value);
    }

    /// @notice As ERC20's, or `false` without moving anything (nor spending the allowance) while failing.
    /// @param from The owner.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return ok Whether the transfer happened.
    function transferFrom(address from, address to, uint256 value) public override returns (bool ok) {
        if (failing) return false;
        return super.transferFrom(from, to, value);
    }
}
