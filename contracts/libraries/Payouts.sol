// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Payouts
/// @notice The money math: how a challenge's settled fees of an epoch split between the modelers' pool and the
/// creator, admin and platform shares, and how the pool divides among modelers by points. Rounding never loses
/// a unit: the pool takes the split's remainder, and the platform takes what the floored rewards leave.
library Payouts {
    uint256 internal constant BPS = 10_000;
    uint16 internal constant DEFAULT_SHARE_BPS = 500;

    struct Shares {
        uint16 creatorBps; // creator's share of every settled fee
        uint16 adminBps; // challenge admin's share
        uint16 platformBps; // treasury's share; the modelers' pool takes the rest
    }

    /// @param totalBps The sum of the three shares; it must leave something for the pool.
    error PayoutsSharesTooHigh(uint256 totalBps);

    function defaults() internal pure returns (Shares memory) {
        return Shares(DEFAULT_SHARE_BPS, DEFAULT_SHARE_BPS, DEFAULT_SHARE_BPS);
    }

    function validate(Shares memory s) internal pure {
        uint256 total = uint256(s.creatorBps) + s.adminBps + s.platformBps;
        if (total >= BPS) revert PayoutsSharesTooHigh(total);
    }

    /// @notice Splits `settled` fees; the pool takes the remainder so the four parts sum to `settled` exactly.
    function split(
        Shares memory s,
        uint256 settled
    ) internal pure returns (uint256 pool, uint256 creator, uint256 admin, uint256 platform) {
        creator = (settled * s.creatorBps) / BPS;
        admin = (settled * s.adminBps) / BPS;
        platform = (settled * s.platformBps) / BPS;
        // The three shares are each at most settled * bps / BPS with bps summing below BPS: no underflow.
        unchecked {
            pool = settled - creator - admin - platform;
        }
    }

    /// @notice The reward for `points` out of `totalPoints`: `pool * points / totalPoints`, floored.
    /// @dev The pool is below 2^128 and points below 2^40, so the product cannot overflow.
    function reward(uint256 pool, uint256 points, uint256 totalPoints) internal pure returns (uint256) {
        return (pool * points) / totalPoints;
    }
}
