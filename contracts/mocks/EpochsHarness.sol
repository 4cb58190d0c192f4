// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Epochs} from "../libraries/Epochs.sol";
import {Payouts} from "../libraries/Payouts.sol";

/// @title EpochsHarness
/// @notice Exposes the time and payout libraries so the TypeScript helpers can be checked against them.
contract EpochsHarness {
    using Epochs for Epochs.Config;
    using Payouts for Payouts.Shares;

    function defaults() external pure returns (Epochs.Config memory) {
        return Epochs.defaults();
    }

    function validate(Epochs.Config calldata c) external pure {
        c.validate();
    }

    struct Times {
        uint256 epoch;
        uint256 start;
        uint256 windowStart;
        bool inWindow;
        uint256 activationEpoch;
        uint256 deadline;
        uint256 finalAt;
        uint256 claimsOpenAt;
    }

    /// @notice Every time derived from `timestamp` under `c`, in one call.
    function times(Epochs.Config calldata c, uint256 timestamp) external pure returns (Times memory t) {
        t.epoch = c.epochOf(timestamp);
        t.start = c.startOf(t.epoch);
        t.windowStart = c.windowStart(t.epoch);
        t.inWindow = c.inWindow(timestamp);
        t.activationEpoch = c.activationEpoch(t.epoch);
        t.deadline = c.deadline(timestamp);
        t.finalAt = c.finalAt(t.epoch);
        t.claimsOpenAt = c.claimsOpenAt(t.epoch);
    }

    function split(
        Payouts.Shares calldata s,
        uint256 settled
    ) external pure returns (uint256 pool, uint256 creator, uint256 admin, uint256 platform) {
        return s.split(settled);
    }

    function validateShares(Payouts.Shares calldata s) external pure {
        s.validate();
    }

    function reward(uint256 pool, uint256 points, uint256 totalPoints) external pure returns (uint256) {
        return Payouts.reward(pool, points, totalPoints);
    }
}
