// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title TestToken
/// @notice Fee token for local networks and tests: EIP-2612 permit, and anyone may mint. Never for production.
contract TestToken is ERC20, ERC20Permit {
    constructor() ERC20("Inference Test USD", "tUSD") ERC20Permit("Inference Test USD") {}

    /// @notice Mints `amount` to `to`; a faucet for local use.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
