// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlocklistToken
/// @notice A token whose issuer can block addresses, as some stablecoins do: a blocked address can neither send
/// nor receive. Used to show that a blocked party only ever locks its own payouts.
contract BlocklistToken is ERC20 {
    /// @notice Addresses that can neither send nor receive.
    mapping(address account => bool) public blocked;

    /// @param account The blocked sender or recipient.
    error BlocklistTokenBlocked(address account);

    constructor() ERC20("Blocklist Token", "BLOCK") {}

    /// @notice Mints `amount` to `to`; anyone may mint.
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Blocks or unblocks `account`; anyone may, this being a test token.
    /// @param account The account.
    /// @param isBlocked Whether it is blocked from now on.
    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    /// @dev Refuses any movement from or to a blocked address.
    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert BlocklistTokenBlocked(from);
        if (blocked[to]) revert BlocklistTokenBlocked(to);
        super._update(from, to, value);
    }
}
