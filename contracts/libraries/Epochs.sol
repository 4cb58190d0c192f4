// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Epochs
/// @notice The time rules of the protocol in one place: epochs anchored to the Unix epoch (a Thursday),
/// the Monday promotion window, list activation, the SLA deadline, and when an epoch's figures are final
/// and its claims open. Every contract and script computes time through these rules.
library Epochs {
    /// @notice One week: epoch `e` is `[e * WEEK, (e + 1) * WEEK)`, Thursday 00:00:00 to Wednesday 23:59:59 UTC.
    uint32 internal constant WEEK = 7 days;
    /// @notice Monday 23:59:00 UTC is 4 days 23 h 59 min after Thursday 00:00:00 UTC.
    uint32 internal constant DEFAULT_WINDOW_OFFSET = 4 days + 23 hours + 59 minutes;
    uint32 internal constant DEFAULT_SLA = 600;
    /// @notice Claims for epoch `e` open at the end of the following Thursday.
    uint32 internal constant DEFAULT_CLAIM_DELAY = 1 days;
    uint8 internal constant DEFAULT_ACTIVATION_DELAY = 1;

    /// @notice Epoch numbers are stored in 24 bits; an hour-long floor keeps them in range until the year 3900.
    uint32 internal constant MIN_EPOCH_LENGTH = 1 hours;
    /// @notice The last epoch the contracts store (24 bits); no timestamp of a coherent deployment reaches it
    /// before the year 3900, so a larger epoch is a caller's error.
    uint256 internal constant MAX_EPOCH = type(uint24).max;
    /// @notice Bounds the walk back over pending lists when looking up the active one.
    uint8 internal constant MAX_ACTIVATION_DELAY = 8;

    struct Config {
        uint32 epochLength; // seconds per epoch
        uint32 windowOffset; // the promotion window opens this long after an epoch starts and ends with the epoch
        uint32 sla; // a request made at t must be answered at or before t + sla
        uint32 claimDelay; // claims for epoch e open this long after e ends
        uint8 activationDelay; // a list promoted in epoch e serves from epoch e + activationDelay
    }

    /// @param epochLength The proposed epoch length.
    /// @param minimum The shortest epoch allowed.
    error EpochsLengthTooShort(uint256 epochLength, uint256 minimum);
    /// @param windowOffset The proposed window opening, in seconds after the epoch start.
    /// @param epochLength The epoch length it must stay below.
    error EpochsWindowOutsideEpoch(uint256 windowOffset, uint256 epochLength);
    /// @param sla The proposed SLA; it must be positive and shorter than an epoch.
    /// @param epochLength The epoch length.
    error EpochsSlaOutOfRange(uint256 sla, uint256 epochLength);
    /// @param claimDelay The proposed claim delay; it must be at least the SLA so that figures are final.
    /// @param sla The SLA.
    error EpochsClaimDelayBelowSla(uint256 claimDelay, uint256 sla);
    /// @param activationDelay The proposed activation delay, in epochs.
    /// @param maximum The largest delay allowed.
    error EpochsActivationDelayOutOfRange(uint256 activationDelay, uint256 maximum);

    /// @param epoch The rejected epoch number.
    /// @param maximum The largest epoch number.
    error EpochsEpochOutOfRange(uint256 epoch, uint256 maximum);

    /// @notice The production values of the specification.
    function defaults() internal pure returns (Config memory) {
        return Config(WEEK, DEFAULT_WINDOW_OFFSET, DEFAULT_SLA, DEFAULT_CLAIM_DELAY, DEFAULT_ACTIVATION_DELAY);
    }

    /// @notice Reverts unless the settings are coherent: the window lies inside the epoch, the SLA is shorter
    /// than an epoch, claims wait at least the SLA, and a promoted list waits at least one epoch.
    function validate(Config memory c) internal pure {
        if (c.epochLength < MIN_EPOCH_LENGTH) revert EpochsLengthTooShort(c.epochLength, MIN_EPOCH_LENGTH);
        if (c.windowOffset >= c.epochLength) revert EpochsWindowOutsideEpoch(c.windowOffset, c.epochLength);
        if (c.sla == 0 || c.sla >= c.epochLength) revert EpochsSlaOutOfRange(c.sla, c.epochLength);
        if (c.claimDelay < c.sla) revert EpochsClaimDelayBelowSla(c.claimDelay, c.sla);
        if (c.activationDelay == 0 || c.activationDelay > MAX_ACTIVATION_DELAY) {
            revert EpochsActivationDelayOutOfRange(c.activationDelay, MAX_ACTIVATION_DELAY);
        }
    }

    /// @notice Reverts for an epoch number no timestamp can reach, before any time arithmetic can overflow.
    function checkEpoch(uint256 epoch) internal pure {
        if (epoch > MAX_EPOCH) revert EpochsEpochOutOfRange(epoch, MAX_EPOCH);
    }

    function epochOf(Config memory c, uint256 timestamp) internal pure returns (uint256) {
        return timestamp / c.epochLength;
    }

    function startOf(Config memory c, uint256 epoch) internal pure returns (uint256) {
        return epoch * c.epochLength;
    }

    /// @notice First second of the promotion window of `epoch`; the window ends with the epoch.
    function windowStart(Config memory c, uint256 epoch) internal pure returns (uint256) {
        return epoch * c.epochLength + c.windowOffset;
    }

    function inWindow(Config memory c, uint256 timestamp) internal pure returns (bool) {
        return timestamp % c.epochLength >= c.windowOffset;
    }

    /// @notice The epoch from which a list promoted during `epoch` serves.
    function activationEpoch(Config memory c, uint256 epoch) internal pure returns (uint256) {
        return epoch + c.activationDelay;
    }

    /// @notice The last second at which a request made at `createdAt` may be answered.
    function deadline(Config memory c, uint256 createdAt) internal pure returns (uint256) {
        return createdAt + c.sla;
    }

    /// @notice From this time every request of `epoch` is answered or expired, so its figures are final.
    function finalAt(Config memory c, uint256 epoch) internal pure returns (uint256) {
        return (epoch + 1) * c.epochLength + c.sla;
    }

    /// @notice Claims for `epoch` open at this time.
    function claimsOpenAt(Config memory c, uint256 epoch) internal pure returns (uint256) {
        return (epoch + 1) * c.epochLength + c.claimDelay;
    }
}
