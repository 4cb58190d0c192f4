// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceMarket} from "../interfaces/IInferenceMarket.sol";

/// @title ForwardingHost
/// @notice A host that is a contract, as a hosting service or a multisig might be: its operator's answers are
/// forwarded to the market, which sees this contract as the caller.
contract ForwardingHost {
    /// @notice The market answered.
    IInferenceMarket public immutable MARKET;
    /// @notice The only account whose answers are forwarded.
    address public immutable OPERATOR;

    /// @param caller The account that is not the operator.
    error ForwardingHostNotOperator(address caller);

    /// @param market The market answered.
    /// @param operator The only account whose answers are forwarded.
    constructor(IInferenceMarket market, address operator) {
        MARKET = market;
        OPERATOR = operator;
    }

    modifier onlyOperator() {
        if (msg.sender != OPERATOR) revert ForwardingHostNotOperator(msg.sender);
        _;
    }

    /// @notice Forwards one answer to the market.
    /// @param requestId The request.
    /// @param key The request's key.
    /// @param index The answering modeler's position in the request's list.
    /// @param output The inference output.
    function answer(
        uint256 requestId,
        IInferenceMarket.RequestKey calldata key,
        uint256 index,
        bytes calldata output
    ) external onlyOperator {
        MARKET.answer(requestId, key, index, output);
    }

    /// @notice Forwards a batch of answers to the market.
    /// @param answers The answers.
    function answerBatch(IInferenceMarket.Answer[] calldata answers) external onlyOperator {
        MARKET.answerBatch(answers);
    }
}
