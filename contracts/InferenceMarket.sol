// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IInferenceMarket} from "./interfaces/IInferenceMarket.sol";
import {Epochs} from "./libraries/Epochs.sol";
import {Payouts} from "./libraries/Payouts.sol";

/// @title InferenceMarket
/// @notice One deployment serves many challenges. See IInferenceMarket and docs/PROTOCOL.md for the rules.
/// @dev Storage is laid out for the answer path: an answer touches the request slot, one list entry and the
/// modeler's slot (host, opt-in time and current points together); the first answer to a request also adds its
/// fee to the epoch's figures. An epoch's total of points is summed once, when the epoch is finalized.
contract InferenceMarket is IInferenceMarket, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using Epochs for Epochs.Config;
    using Payouts for Payouts.Shares;

    bytes32 public constant CHALLENGE_MANAGER_ROLE = keccak256("CHALLENGE_MANAGER_ROLE");
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint256 public constant MAX_LIST_SIZE = 10;
    uint16 public constant DEFAULT_EVICTION_THRESHOLD_BPS = 5_000;
    /// @dev `optedInAt` of an evicted modeler: no request is ever made this late.
    uint40 private constant NEVER = type(uint40).max;
    /// @dev Tally flag: `points` and `rewardDust` hold the epoch's final totals.
    uint8 private constant FINALIZED = 1 << 7;

    struct Challenge {
        uint96 fee; // fee per request; zero only for a challenge that does not exist
        uint32 listCount; // lists promoted so far, ids 1..listCount; at most one per epoch
        uint32 latestActivation; // activation epoch of list listCount
    }

    struct ModelerList {
        uint32 activationEpoch; // serves from this epoch until the next list's activation
        address[MAX_LIST_SIZE] members; // best first; zero past the list's length
    }

    struct Modeler {
        address host; // answers for the modeler; zero until it opts in
        uint40 optedInAt; // requests made earlier are not open to it; NEVER from an eviction to a promotion
        uint24 pointsEpoch; // the epoch counted in `points` (epochs stay below 2^24: Epochs.MIN_EPOCH_LENGTH)
        uint32 points; // answers in pointsEpoch; older epochs move to _pastPoints (one point per request)
    }

    struct Request {
        uint40 createdAt; // block time of the request; answers are due by createdAt + sla
        uint16 answered; // bit i set once the modeler at list index i answered; non-zero means settled
        bytes25 commitment; // leading 25 bytes of keccak256(abi.encode(key)); 200 bits resist forgery
    }

    struct Tally {
        uint128 settledFees; // fees settled in the epoch; all held here until the epoch is final, so < supply
        uint40 answered; // requests with an answer in time, the eviction base; 2^40 is beyond any chain's gas
        uint32 listId; // the list that served the epoch, written by its requests; zero if none was made
        uint40 points; // answers in time, summed over the list at finalization; at most 10 per request
        uint8 rewardDust; // pool units the floored rewards leave, set at finalization; fewer than the list's size
        uint8 flags; // bit FeeRecipient set once that share was claimed; FINALIZED once the totals are summed
    }

    IERC20 public immutable token;

    uint32 private immutable EPOCH_LENGTH;
    uint32 private immutable WINDOW_OFFSET;
    uint32 private immutable SLA;
    uint32 private immutable CLAIM_DELAY;
    uint8 private immutable ACTIVATION_DELAY;
    uint16 private immutable CREATOR_BPS;
    uint16 private immutable ADMIN_BPS;
    uint16 private immutable PLATFORM_BPS;
    uint16 private immutable EVICTION_THRESHOLD_BPS;

    /// @dev Declared first so it shares Pausable's slot: a request reads the pause flag and bumps the count at once.
    uint64 private _requestCount;
    uint64 private _challengeCount;
    address public treasury;

    mapping(uint256 challengeId => Challenge) private _challenges;
    mapping(uint256 challengeId => address) private _creators;
    mapping(uint256 challengeId => address) private _admins;
    mapping(uint256 challengeId => mapping(uint256 listId => ModelerList)) private _lists;
    mapping(uint256 challengeId => mapping(address modeler => Modeler)) private _modelers;
    mapping(uint256 challengeId => mapping(address modeler => mapping(uint256 epoch => uint256))) private _pastPoints;
    mapping(uint256 challengeId => mapping(address modeler => mapping(uint256 word => uint256))) private _rewardClaimed;
    mapping(uint256 challengeId => mapping(uint256 epoch => Tally)) private _tallies;
    mapping(uint256 requestId => Request) private _requests;

    /// @param token_ The fee token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param treasury_ Receives platform shares.
    /// @param settings_ Deployment settings; `defaultSettings()` holds the production values.
    constructor(IERC20 token_, address admin, address treasury_, Settings memory settings_) {
        if (address(token_) == address(0)) revert MarketInvalidToken(address(token_));
        if (treasury_ == address(0)) revert MarketInvalidTreasury(treasury_);
        if (admin == address(0)) revert MarketInvalidAdmin(admin);
        Epochs
            .Config(
                settings_.epochLength,
                settings_.windowOffset,
                settings_.sla,
                settings_.claimDelay,
                settings_.activationDelay
            )
            .validate();
        Payouts.Shares(settings_.creatorBps, settings_.adminBps, settings_.platformBps).validate();
        if (settings_.evictionThresholdBps > Payouts.BPS) {
            revert MarketEvictionThresholdTooHigh(settings_.evictionThresholdBps);
        }
        token = token_;
        treasury = treasury_;
        EPOCH_LENGTH = settings_.epochLength;
        WINDOW_OFFSET = settings_.windowOffset;
        SLA = settings_.sla;
        CLAIM_DELAY = settings_.claimDelay;
        ACTIVATION_DELAY = settings_.activationDelay;
        CREATOR_BPS = settings_.creatorBps;
        ADMIN_BPS = settings_.adminBps;
        PLATFORM_BPS = settings_.platformBps;
        EVICTION_THRESHOLD_BPS = settings_.evictionThresholdBps;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        emit TreasuryChanged(address(0), treasury_);
    }

    // ------------------------------------------------------------------ operator and admins

    /// @inheritdoc IInferenceMarket
    function createChallenge(
        address creator,
        address admin,
        uint256 fee,
        string calldata metadata
    ) external onlyRole(CHALLENGE_MANAGER_ROLE) returns (uint256 challengeId) {
        if (creator == address(0) || admin == address(0)) revert MarketInvalidChallengeParty(creator, admin);
        _checkFee(fee);
        challengeId = ++_challengeCount;
        _challenges[challengeId].fee = uint96(fee);
        _creators[challengeId] = creator;
        _admins[challengeId] = admin;
        emit ChallengeCreated(challengeId, creator, admin, fee, metadata);
    }

    /// @inheritdoc IInferenceMarket
    function setFee(uint256 challengeId, uint256 fee) external {
        _checkChallengeAdmin(challengeId);
        _checkFee(fee);
        Challenge storage c = _challenges[challengeId];
        emit ChallengeFeeChanged(challengeId, c.fee, fee);
        c.fee = uint96(fee);
    }

    /// @inheritdoc IInferenceMarket
    function setChallengeAdmin(uint256 challengeId, address newAdmin) external {
        _checkChallengeAdmin(challengeId);
        if (newAdmin == address(0)) revert MarketInvalidChallengeParty(_creators[challengeId], newAdmin);
        emit ChallengeAdminChanged(challengeId, msg.sender, newAdmin);
        _admins[challengeId] = newAdmin;
    }

    /// @inheritdoc IInferenceMarket
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert MarketInvalidTreasury(newTreasury);
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }

    /// @inheritdoc IInferenceMarket
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IInferenceMarket
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ keeper

    /// @inheritdoc IInferenceMarket
    function promote(
        uint256 challengeId,
        address[] calldata modelers,
        bytes32 leaderboardHash
    ) external onlyRole(KEEPER_ROLE) whenNotPaused returns (uint256 listId) {
        Challenge memory c = _existingChallenge(challengeId);
        Epochs.Config memory time = _time();
        uint256 epoch = time.epochOf(block.timestamp);
        if (!time.inWindow(block.timestamp)) {
            revert MarketOutsideWindow(block.timestamp, time.windowStart(epoch), time.startOf(epoch + 1));
        }
        uint256 activation = time.activationEpoch(epoch);
        if (c.listCount != 0 && c.latestActivation >= activation) revert MarketAlreadyPromoted(challengeId, epoch);
        uint256 size = modelers.length;
        if (size == 0 || size > MAX_LIST_SIZE) revert MarketInvalidListSize(size);

        listId = c.listCount + 1;
        _storeList(challengeId, listId, modelers, activation, time.startOf(activation));
        // Activation epochs grow with promotion epochs, and epochs stay below 2^24: the casts are exact.
        _challenges[challengeId].listCount = uint32(listId);
        _challenges[challengeId].latestActivation = uint32(activation);
        emit ListPromoted(challengeId, listId, epoch, activation, leaderboardHash, modelers);
    }

    // ------------------------------------------------------------------ modelers and hosts

    /// @inheritdoc IInferenceMarket
    function register(uint256 challengeId, address host) external {
        _existingChallenge(challengeId);
        if (host == address(0)) revert MarketInvalidHost(host);
        Modeler storage m = _modelers[challengeId][msg.sender];
        if (m.host != address(0)) revert MarketModelerAlreadyRegistered(challengeId, msg.sender);
        m.host = host;
        // Only a registered modeler can be evicted, and only an eviction sets an opt-in ahead (NEVER, then a
        // re-listing's first second): an unregistered modeler's opt-in is still zero.
        m.optedInAt = uint40(block.timestamp);
        emit ModelerRegistered(challengeId, msg.sender, host, block.timestamp);
    }

    /// @inheritdoc IInferenceMarket
    function setHost(uint256 challengeId, address host) external {
        if (host == address(0)) revert MarketInvalidHost(host);
        Modeler storage m = _modelers[challengeId][msg.sender];
        if (m.host == address(0)) revert MarketModelerNotRegistered(challengeId, msg.sender);
        m.host = host;
        emit HostChanged(challengeId, msg.sender, host);
    }

    /// @inheritdoc IInferenceMarket
    function answer(uint256 requestId, RequestKey calldata key, uint256 index, bytes calldata output) external {
        bytes memory reason = _answer(requestId, key, index, output);
        if (reason.length != 0) LowLevelCall.bubbleRevert(reason);
    }

    /// @inheritdoc IInferenceMarket
    function answerBatch(Answer[] calldata answers) external returns (bytes[] memory reasons) {
        uint256 n = answers.length;
        if (n == 0) revert MarketEmptyBatch();
        reasons = new bytes[](n);
        uint256 skipped;
        for (uint256 i; i < n; ++i) {
            Answer calldata a = answers[i];
            bytes memory reason = _answer(a.requestId, a.key, a.index, a.output);
            if (reason.length != 0) {
                reasons[i] = reason;
                ++skipped;
                emit AnswerSkipped(a.requestId, a.index, reason);
            }
        }
        // A batch that changes nothing reverts, so a host's pre-flight call sees it and sends nothing.
        if (skipped == n) revert MarketBatchAnsweredNothing(reasons);
    }

    // ------------------------------------------------------------------ users

    /// @inheritdoc IInferenceMarket
    function request(
        uint256 challengeId,
        uint256 maxFee,
        bytes calldata input
    ) external whenNotPaused nonReentrant returns (uint256) {
        return _request(challengeId, maxFee, input);
    }

    /// @inheritdoc IInferenceMarket
    function requestWithPermit(
        uint256 challengeId,
        uint256 maxFee,
        bytes calldata input,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused nonReentrant returns (uint256) {
        // A front-run permit leaves the allowance in place; the transfer below is the real check.
        try IERC20Permit(address(token)).permit(msg.sender, address(this), maxFee, permitDeadline, v, r, s) {} catch {}
        return _request(challengeId, maxFee, input);
    }

    /// @inheritdoc IInferenceMarket
    function refund(uint256 requestId, RequestKey calldata key) external nonReentrant {
        (Request memory r, bytes memory reason) = _loadRequest(requestId, key);
        if (reason.length != 0) LowLevelCall.bubbleRevert(reason);
        if (r.answered != 0) revert MarketRequestAnswered(requestId);
        uint256 deadline = _time().deadline(r.createdAt);
        if (block.timestamp <= deadline) revert MarketDeadlineNotPassed(requestId, deadline, block.timestamp);
        delete _requests[requestId];
        emit RequestRefunded(requestId, key.challengeId, key.requester, key.fee);
        token.safeTransfer(key.requester, key.fee);
    }

    // ------------------------------------------------------------------ claims and eviction

    /// @inheritdoc IInferenceMarket
    function claimRewards(
        uint256 challengeId,
        address modeler,
        uint256[] calldata epochs
    ) external nonReentrant returns (uint256 amount) {
        if (epochs.length == 0) revert MarketEmptyBatch();
        Epochs.Config memory time = _time();
        Payouts.Shares memory shares = _shares();
        mapping(uint256 word => uint256) storage claimed = _rewardClaimed[challengeId][modeler];
        mapping(uint256 epoch => uint256) storage past = _pastPoints[challengeId][modeler];
        for (uint256 i; i < epochs.length; ++i) {
            uint256 epoch = epochs[i];
            _checkClaimOpen(time, epoch);
            uint256 word = claimed[epoch >> 8];
            if (word & (1 << (epoch & 255)) != 0) revert MarketAlreadyClaimed(challengeId, modeler, epoch);
            // As in _pointsOf: a past epoch's points are in _pastPoints unless it is the modeler's latest.
            uint256 points = past[epoch];
            if (points == 0) points = _pointsOf(challengeId, modeler, epoch);
            if (points == 0) revert MarketNothingToClaim(challengeId, modeler, epoch);
            claimed[epoch >> 8] = word | (1 << (epoch & 255));
            Tally memory t = _tallies[challengeId][epoch];
            if (t.flags & FINALIZED == 0) t = _finalize(time, challengeId, epoch, t);
            amount += _reward(shares, t, points);
        }
        emit RewardsClaimed(challengeId, modeler, epochs, amount);
        // Floors can round a small share to nothing; some tokens refuse zero transfers.
        if (amount != 0) token.safeTransfer(modeler, amount);
    }

    /// @inheritdoc IInferenceMarket
    function claimFees(
        uint256 challengeId,
        FeeRecipient kind,
        uint256[] calldata epochs
    ) external nonReentrant returns (uint256 amount) {
        if (epochs.length == 0) revert MarketEmptyBatch();
        _existingChallenge(challengeId);
        address recipient = _feeRecipient(challengeId, kind);
        Epochs.Config memory time = _time();
        Payouts.Shares memory shares = _shares();
        for (uint256 i; i < epochs.length; ++i) {
            amount += _claimFee(time, shares, challengeId, kind, recipient, epochs[i]);
        }
        token.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IInferenceMarket
    function finalize(uint256 challengeId, uint256 epoch) external {
        _existingChallenge(challengeId);
        Tally memory t = _tallies[challengeId][epoch];
        if (t.flags & FINALIZED != 0) revert MarketEpochAlreadyFinalized(challengeId, epoch);
        _finalize(_time(), challengeId, epoch, t);
    }

    /// @inheritdoc IInferenceMarket
    function evict(uint256 challengeId, uint256 epoch, uint256 listId, uint256 index) external {
        Epochs.checkEpoch(epoch);
        Epochs.Config memory time = _time();
        uint256 opensAt = time.finalAt(epoch);
        uint256 closesAt = time.startOf(epoch + 2);
        if (block.timestamp < opensAt || block.timestamp >= closesAt) {
            revert MarketEvictionClosed(epoch, opensAt, closesAt, block.timestamp);
        }
        Challenge memory c = _existingChallenge(challengeId);
        if (
            listId == 0 ||
            listId > c.listCount ||
            _lists[challengeId][listId].activationEpoch > epoch ||
            (listId < c.listCount && _lists[challengeId][listId + 1].activationEpoch <= epoch)
        ) revert MarketListNotActiveInEpoch(challengeId, listId, epoch);
        address modeler = _listMember(challengeId, listId, index);
        if (modeler == address(0)) revert MarketNotListed(challengeId, listId, index);
        Modeler storage m = _modelers[challengeId][modeler];
        if (m.host == address(0)) revert MarketModelerNotRegistered(challengeId, modeler);
        uint256 optedInAt = m.optedInAt;
        if (optedInAt == NEVER) revert MarketModelerEvicted(challengeId, modeler);
        // Judged only on an epoch that every request of was open to it: a registration or a re-listing after
        // an eviction later than the epoch's first second is not.
        uint256 epochStart = time.startOf(epoch);
        if (optedInAt > epochStart) revert MarketModelerOptedInLater(challengeId, modeler, optedInAt, epochStart);
        uint256 points = _pointsOf(challengeId, modeler, epoch);
        // Only requests that somebody answered count: an unanswerable one says nothing about one modeler.
        uint256 answered = _tallies[challengeId][epoch].answered;
        if (points * Payouts.BPS >= answered * EVICTION_THRESHOLD_BPS) {
            revert MarketModelerMetThreshold(challengeId, modeler, points, answered);
        }
        m.optedInAt = NEVER;
        emit ModelerEvicted(challengeId, modeler, epoch, points, answered);
    }

    // ------------------------------------------------------------------ views

    /// @notice The deployment settings.
    function settings() external view returns (Settings memory) {
        return
            Settings(
                EPOCH_LENGTH,
                WINDOW_OFFSET,
                SLA,
                CLAIM_DELAY,
                ACTIVATION_DELAY,
                CREATOR_BPS,
                ADMIN_BPS,
                PLATFORM_BPS,
                EVICTION_THRESHOLD_BPS
            );
    }

    /// @notice The production settings of the specification, for deployments and comparisons.
    function defaultSettings() external pure returns (Settings memory) {
        Epochs.Config memory t = Epochs.defaults();
        Payouts.Shares memory s = Payouts.defaults();
        return
            Settings(
                t.epochLength,
                t.windowOffset,
                t.sla,
                t.claimDelay,
                t.activationDelay,
                s.creatorBps,
                s.adminBps,
                s.platformBps,
                DEFAULT_EVICTION_THRESHOLD_BPS
            );
    }

    /// @notice The epoch containing `timestamp`.
    function epochAt(uint256 timestamp) external view returns (uint256) {
        return _time().epochOf(timestamp);
    }

    /// @notice The epoch now.
    function currentEpoch() external view returns (uint256) {
        return _time().epochOf(block.timestamp);
    }

    /// @notice The times of `epoch`: its start, its promotion window's start, its end (exclusive), when its
    /// figures are final (eviction opens) and when its claims open.
    function epochTimes(
        uint256 epoch
    ) external view returns (uint256 start, uint256 windowStart, uint256 end, uint256 finalAt, uint256 claimsOpenAt) {
        Epochs.checkEpoch(epoch);
        Epochs.Config memory time = _time();
        return (
            time.startOf(epoch),
            time.windowStart(epoch),
            time.startOf(epoch + 1),
            time.finalAt(epoch),
            time.claimsOpenAt(epoch)
        );
    }

    /// @notice Number of challenges; ids run from 1.
    function challengeCount() external view returns (uint256) {
        return _challengeCount;
    }

    /// @notice Number of requests made; ids run from 1.
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @notice A challenge's parties, fee and lists.
    function challenge(uint256 challengeId) external view returns (ChallengeInfo memory) {
        Challenge memory c = _existingChallenge(challengeId);
        return ChallengeInfo(_creators[challengeId], _admins[challengeId], c.fee, c.listCount, c.latestActivation);
    }

    /// @notice A promoted list: the epoch it serves from and its modelers, best first.
    function list(
        uint256 challengeId,
        uint256 listId
    ) external view returns (uint256 activationEpoch, address[] memory modelers) {
        ModelerList storage l = _lists[challengeId][listId];
        uint256 size;
        while (size < MAX_LIST_SIZE && l.members[size] != address(0)) ++size;
        modelers = new address[](size);
        for (uint256 i; i < size; ++i) {
            modelers[i] = l.members[i];
        }
        return (l.activationEpoch, modelers);
    }

    /// @notice The id of the list serving now, or zero if none serves yet.
    function activeListId(uint256 challengeId) external view returns (uint256) {
        return _activeListId(challengeId, _challenges[challengeId], _time().epochOf(block.timestamp));
    }

    /// @notice A modeler's registration with a challenge.
    function modelerInfo(uint256 challengeId, address modeler) external view returns (ModelerInfo memory) {
        Modeler memory m = _modelers[challengeId][modeler];
        return ModelerInfo(m.host, m.optedInAt, m.optedInAt == NEVER);
    }

    /// @notice A modeler's points (answers in time) in a challenge's epoch.
    function pointsOf(uint256 challengeId, address modeler, uint256 epoch) external view returns (uint256) {
        return _pointsOf(challengeId, modeler, epoch);
    }

    /// @notice A challenge's figures for an epoch, with the split of its settled fees. Until the epoch is
    /// finalized, `points` and `rewardDust` are summed now from the list's modelers.
    function epochFigures(uint256 challengeId, uint256 epoch) external view returns (EpochFigures memory f) {
        Tally memory t = _totals(challengeId, epoch);
        (f.pool, f.creatorShare, f.adminShare, f.platformShare) = _shares().split(t.settledFees);
        f.platformShare += t.rewardDust;
        f.rewardDust = t.rewardDust;
        f.settledFees = t.settledFees;
        f.answeredRequests = t.answered;
        f.points = t.points;
        f.listId = t.listId;
        f.finalized = t.flags & FINALIZED != 0;
    }

    /// @notice Where a request stands.
    function requestState(
        uint256 requestId
    ) external view returns (RequestStatus status, uint256 createdAt, uint256 deadline, uint256 answeredMask) {
        Request memory r = _requests[requestId];
        if (r.createdAt == 0) {
            status = requestId == 0 || requestId > _requestCount ? RequestStatus.None : RequestStatus.Refunded;
            return (status, 0, 0, 0);
        }
        deadline = _time().deadline(r.createdAt);
        if (r.answered != 0) status = RequestStatus.Answered;
        else if (block.timestamp <= deadline) status = RequestStatus.Open;
        else status = RequestStatus.Expired;
        return (status, r.createdAt, deadline, r.answered);
    }

    /// @notice What `claimRewards` would pay `modeler` for `epoch` now; zero once claimed. Claims may still be
    /// closed: see `epochTimes`.
    function claimableReward(uint256 challengeId, address modeler, uint256 epoch) external view returns (uint256) {
        if (_rewardClaimed[challengeId][modeler][epoch >> 8] & (1 << (epoch & 255)) != 0) return 0;
        uint256 points = _pointsOf(challengeId, modeler, epoch);
        if (points == 0) return 0;
        return _reward(_shares(), _totals(challengeId, epoch), points);
    }

    /// @notice What `claimFees` would pay for `kind` and `epoch`; zero once claimed.
    function claimableFees(uint256 challengeId, FeeRecipient kind, uint256 epoch) external view returns (uint256) {
        Tally memory t = _totals(challengeId, epoch);
        if (t.flags & (1 << uint8(kind)) != 0) return 0;
        return _feeShare(_shares(), kind, t);
    }

    // ------------------------------------------------------------------ internals

    function _request(uint256 challengeId, uint256 maxFee, bytes calldata input) private returns (uint256 requestId) {
        Challenge memory c = _existingChallenge(challengeId);
        uint256 fee = c.fee;
        if (fee > maxFee) revert MarketFeeAboveMax(fee, maxFee);
        Epochs.Config memory time = _time();
        uint256 epoch = time.epochOf(block.timestamp);
        // Points and claims live in 24-bit epochs: a request past them could never be paid out.
        Epochs.checkEpoch(epoch);
        uint256 listId = _activeListId(challengeId, c, epoch);
        if (listId == 0) revert MarketNoActiveList(challengeId, epoch);
        _collect(fee);

        requestId = ++_requestCount;
        bytes25 commitment = bytes25(keccak256(abi.encode(RequestKey(msg.sender, challengeId, listId, fee))));
        _requests[requestId] = Request(uint40(block.timestamp), 0, commitment);
        // One list serves a whole epoch, and list ids fit 32 bits (Challenge.listCount).
        _tallies[challengeId][epoch].listId = uint32(listId);
        emit RequestMade(requestId, challengeId, msg.sender, listId, fee, time.deadline(block.timestamp), input);
    }

    /// @dev Pulls `fee` from the caller and refuses a token that delivers anything else.
    function _collect(uint256 fee) private {
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), fee);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != fee) revert MarketFeeNotReceived(fee, received);
    }

    /// @dev Records one answer, or returns why it cannot (the custom error `answer` reverts with) and changes
    /// nothing. The rules: in time, by the current host of a registered, opted-in, unevicted modeler on the
    /// request's list that has not answered it yet.
    function _answer(
        uint256 requestId,
        RequestKey calldata key,
        uint256 index,
        bytes calldata output
    ) private returns (bytes memory reason) {
        Request memory r;
        (r, reason) = _loadRequest(requestId, key);
        if (reason.length != 0) return reason;
        Epochs.Config memory time = _time();
        uint256 deadline = time.deadline(r.createdAt);
        if (block.timestamp > deadline) {
            return abi.encodeWithSelector(MarketDeadlinePassed.selector, requestId, deadline, block.timestamp);
        }
        address modeler = _listMember(key.challengeId, key.listId, index);
        if (modeler == address(0)) {
            return abi.encodeWithSelector(MarketNotListed.selector, key.challengeId, key.listId, index);
        }
        if (r.answered & (1 << index) != 0) {
            return abi.encodeWithSelector(MarketAlreadyAnswered.selector, requestId, modeler);
        }
        Modeler memory m = _modelers[key.challengeId][modeler];
        if (m.host != msg.sender) {
            if (m.host == address(0)) {
                return abi.encodeWithSelector(MarketModelerNotRegistered.selector, key.challengeId, modeler);
            }
            return abi.encodeWithSelector(MarketNotHost.selector, modeler, msg.sender);
        }
        if (m.optedInAt > r.createdAt) {
            if (m.optedInAt == NEVER) {
                return abi.encodeWithSelector(MarketModelerEvicted.selector, key.challengeId, modeler);
            }
            return abi.encodeWithSelector(MarketModelerNotOptedIn.selector, modeler, r.createdAt, m.optedInAt);
        }

        uint256 epoch = time.epochOf(r.createdAt);
        // index < MAX_LIST_SIZE (the list has a member there), so the bit fits the 16-bit mask.
        _requests[requestId].answered = r.answered | uint16(1 << index);
        _addPoint(key.challengeId, modeler, epoch);
        // The first answer in time settles the fee; the key matched the commitment, so it is the escrowed fee.
        uint256 settledFee;
        if (r.answered == 0) {
            settledFee = key.fee;
            Tally storage t = _tallies[key.challengeId][epoch];
            t.settledFees += uint128(settledFee);
            ++t.answered;
        }
        emit RequestAnswered(requestId, key.challengeId, modeler, epoch, settledFee, output);
    }

    /// @dev Pays nothing itself: marks one epoch's fee share claimed and returns it.
    function _claimFee(
        Epochs.Config memory time,
        Payouts.Shares memory shares,
        uint256 challengeId,
        FeeRecipient kind,
        address recipient,
        uint256 epoch
    ) private returns (uint256 share) {
        _checkClaimOpen(time, epoch);
        // The platform's share takes the reward dust, known once the epoch is finalized.
        Tally memory t =
            kind == FeeRecipient.Platform ? _finalized(time, challengeId, epoch) : _tallies[challengeId][epoch];
        uint8 flag = uint8(1 << uint8(kind));
        if (t.flags & flag != 0) revert MarketAlreadyClaimed(challengeId, recipient, epoch);
        share = _feeShare(shares, kind, t);
        if (share == 0) revert MarketNothingToClaim(challengeId, recipient, epoch);
        _tallies[challengeId][epoch].flags = t.flags | flag;
        emit FeesClaimed(challengeId, recipient, epoch, kind, share);
    }

    /// @dev Writes a promoted list; a listed modeler under eviction may answer again from the list's start.
    function _storeList(
        uint256 challengeId,
        uint256 listId,
        address[] calldata modelers,
        uint256 activation,
        uint256 activationStart
    ) private {
        ModelerList storage stored = _lists[challengeId][listId];
        stored.activationEpoch = uint32(activation);
        for (uint256 i; i < modelers.length; ++i) {
            address modeler = modelers[i];
            if (modeler == address(0)) revert MarketInvalidListEntry(i, modeler);
            for (uint256 j; j < i; ++j) {
                if (modelers[j] == modeler) revert MarketInvalidListEntry(i, modeler);
            }
            stored.members[i] = modeler;
            Modeler storage m = _modelers[challengeId][modeler];
            // Only requests on this new list are open to it: optedInAt is the list's first second.
            if (m.optedInAt == NEVER) m.optedInAt = uint40(activationStart);
        }
    }

    /// @dev Counts one point for `modeler` in `epoch`, keeping the modeler's latest epoch in its own slot
    /// (beside its host, which every answer reads anyway) and older epochs in _pastPoints.
    function _addPoint(uint256 challengeId, address modeler, uint256 epoch) private {
        Modeler storage m = _modelers[challengeId][modeler];
        uint256 cached = m.pointsEpoch;
        if (epoch == cached) {
            ++m.points;
        } else if (epoch > cached) {
            uint32 points = m.points;
            if (points != 0) _pastPoints[challengeId][modeler][cached] = points;
            // Epochs stay below 2^24 (Epochs.MIN_EPOCH_LENGTH).
            m.pointsEpoch = uint24(epoch);
            m.points = 1;
        } else {
            // A request of an earlier epoch answered after this modeler's first answer of a later one.
            ++_pastPoints[challengeId][modeler][epoch];
        }
    }

    /// @dev _addPoint writes _pastPoints only for epochs below pointsEpoch, which never decreases: an epoch's
    /// points are in _pastPoints or, for the latest epoch, all in the modeler's slot. Claims are of past epochs,
    /// so _pastPoints is read first.
    function _pointsOf(uint256 challengeId, address modeler, uint256 epoch) private view returns (uint256) {
        uint256 past = _pastPoints[challengeId][modeler][epoch];
        if (past != 0) return past;
        Modeler storage m = _modelers[challengeId][modeler];
        return epoch == m.pointsEpoch ? m.points : 0;
    }

    /// @dev The epoch's tally with its final totals, summing and storing them first if nobody has yet.
    function _finalized(
        Epochs.Config memory time,
        uint256 challengeId,
        uint256 epoch
    ) private returns (Tally memory t) {
        t = _tallies[challengeId][epoch];
        if (t.flags & FINALIZED == 0) t = _finalize(time, challengeId, epoch, t);
    }

    /// @dev Stores the epoch's totals once every answer is in: no request of the epoch can earn a point later.
    function _finalize(
        Epochs.Config memory time,
        uint256 challengeId,
        uint256 epoch,
        Tally memory t
    ) private returns (Tally memory) {
        Epochs.checkEpoch(epoch);
        uint256 finalAt = time.finalAt(epoch);
        if (block.timestamp < finalAt) revert MarketEpochNotFinal(epoch, finalAt, block.timestamp);
        t = _sum(challengeId, epoch, t);
        t.flags |= FINALIZED;
        _tallies[challengeId][epoch] = t;
        emit EpochFinalized(challengeId, epoch, t.listId, t.points, t.rewardDust);
        return t;
    }

    /// @dev The epoch's tally, with the totals summed now if it is not finalized.
    function _totals(uint256 challengeId, uint256 epoch) private view returns (Tally memory t) {
        t = _tallies[challengeId][epoch];
        if (t.flags & FINALIZED == 0) t = _sum(challengeId, epoch, t);
    }

    /// @dev Only the modelers of the list that served the epoch can hold its points, so the total and the dust
    /// of the floored rewards are a walk over at most MAX_LIST_SIZE entries.
    function _sum(uint256 challengeId, uint256 epoch, Tally memory t) private view returns (Tally memory) {
        if (t.listId == 0) return t;
        address[MAX_LIST_SIZE] storage members = _lists[challengeId][t.listId].members;
        uint256[MAX_LIST_SIZE] memory points;
        uint256 total;
        uint256 size;
        for (; size < MAX_LIST_SIZE; ++size) {
            address modeler = members[size];
            if (modeler == address(0)) break;
            // Right after an epoch, most modelers' points of it are still in their own slot.
            Modeler storage m = _modelers[challengeId][modeler];
            points[size] = m.pointsEpoch == epoch ? m.points : _pastPoints[challengeId][modeler][epoch];
            total += points[size];
        }
        if (total == 0) return t;
        (uint256 pool, , , ) = _shares().split(t.settledFees);
        uint256 paid;
        for (uint256 i; i < size; ++i) {
            paid += Payouts.reward(pool, points[i], total);
        }
        // Points count answers, each a host's work of over 15,000 gas: 2^40 in one epoch is beyond any chain's gas.
        // Each floored reward loses under one unit, so the dust is below the list's size.
        t.points = uint40(total);
        t.rewardDust = uint8(pool - paid);
        return t;
    }

    function _reward(Payouts.Shares memory shares, Tally memory t, uint256 points) private pure returns (uint256) {
        (uint256 pool, , , ) = shares.split(t.settledFees);
        return Payouts.reward(pool, points, t.points);
    }

    /// @dev Loads a request and checks that `key` is what it committed to; `reason` is the custom error if not.
    function _loadRequest(
        uint256 requestId,
        RequestKey calldata key
    ) private view returns (Request memory r, bytes memory reason) {
        r = _requests[requestId];
        if (r.createdAt == 0) {
            if (requestId == 0 || requestId > _requestCount) {
                return (r, abi.encodeWithSelector(MarketUnknownRequest.selector, requestId));
            }
            return (r, abi.encodeWithSelector(MarketRequestRefunded.selector, requestId));
        }
        if (r.commitment != bytes25(keccak256(abi.encode(key)))) {
            return (r, abi.encodeWithSelector(MarketRequestKeyMismatch.selector, requestId));
        }
    }

    /// @dev The modeler at `index` of the list, or zero if there is none.
    function _listMember(uint256 challengeId, uint256 listId, uint256 index) private view returns (address modeler) {
        if (index < MAX_LIST_SIZE) modeler = _lists[challengeId][listId].members[index];
    }

    /// @dev Lists activate in id order, so the active one is the latest whose activation epoch has come; at
    /// most `activationDelay` later lists can be pending, which bounds the walk back.
    function _activeListId(uint256 challengeId, Challenge memory c, uint256 epoch) private view returns (uint256 id) {
        id = c.listCount;
        if (c.latestActivation <= epoch) return id;
        do {
            --id;
        } while (id != 0 && _lists[challengeId][id].activationEpoch > epoch);
    }

    function _existingChallenge(uint256 challengeId) private view returns (Challenge memory c) {
        c = _challenges[challengeId];
        if (c.fee == 0) revert MarketChallengeNotFound(challengeId);
    }

    function _checkChallengeAdmin(uint256 challengeId) private view {
        _existingChallenge(challengeId);
        if (_admins[challengeId] != msg.sender) revert MarketNotChallengeAdmin(challengeId, msg.sender);
    }

    function _checkFee(uint256 fee) private pure {
        if (fee == 0 || fee > type(uint96).max) revert MarketInvalidFee(fee);
    }

    function _checkClaimOpen(Epochs.Config memory time, uint256 epoch) private view {
        Epochs.checkEpoch(epoch);
        uint256 opensAt = time.claimsOpenAt(epoch);
        if (block.timestamp < opensAt) revert MarketClaimNotOpen(epoch, opensAt, block.timestamp);
    }

    function _feeRecipient(uint256 challengeId, FeeRecipient kind) private view returns (address) {
        if (kind == FeeRecipient.Creator) return _creators[challengeId];
        if (kind == FeeRecipient.Admin) return _admins[challengeId];
        return treasury;
    }

    /// @dev The platform's share includes the reward dust once `t` holds final totals.
    function _feeShare(Payouts.Shares memory shares, FeeRecipient kind, Tally memory t) private pure returns (uint256) {
        (, uint256 creator, uint256 admin, uint256 platform) = shares.split(t.settledFees);
        if (kind == FeeRecipient.Creator) return creator;
        if (kind == FeeRecipient.Admin) return admin;
        return platform + t.rewardDust;
    }

    function _time() private view returns (Epochs.Config memory) {
        return Epochs.Config(EPOCH_LENGTH, WINDOW_OFFSET, SLA, CLAIM_DELAY, ACTIVATION_DELAY);
    }

    function _shares() private view returns (Payouts.Shares memory) {
        return Payouts.Shares(CREATOR_BPS, ADMIN_BPS, PLATFORM_BPS);
    }
}
