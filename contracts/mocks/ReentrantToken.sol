// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title ReentrantToken
/// @notice A hostile fee token: once armed, it makes one call of its choosing in the middle of its next transfer,
/// after the balances moved, and bubbles up that call's revert. The market must refuse the reentry.
contract ReentrantToken is ERC20 {
    /// @notice The contract the armed call goes to; zero when disarmed.
    address public armedTarget;
    /// @dev The calldata of the armed call.
    bytes private _data;

    constructor() ERC20("Reentrant Token", "REENTER") {}

    /// @notice Mints `amount` to `to`; anyone may mint.
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms one call of `data` to `target_`, made by this token during its next transfer.
    /// @param target_ The contract to call.
    /// @param data The calldata.
    function arm(address target_, bytes calldata data) external {
        armedTarget = target_;
        _data = data;
    }

    /// @notice Lets `spender` spend this token's own balance, so that the token can itself pay for a request.
    /// @param spender The spender.
    /// @param amount The allowance.
    function approveSelf(address spender, uint256 amount) external {
        _approve(address(this), spender, amount);
    }

    /// @dev Moves the balances, then fires the armed call once (disarming first, so the call cannot loop).
    /// Mints and burns never fire it.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address callee = armedTarget;
        if (callee == address(0) || from == address(0) || to == address(0)) return;
        bytes memory data = _data;
        delete armedTarget;
        delete _data;
        Address.functionCall(callee, data);
    }
}
