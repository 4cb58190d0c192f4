// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInferenceMarket
/// @notice Paid inference with SLA-timed rewards: users escrow a fee per request, the hosts of a challenge's
/// active Top-10 answer within the SLA, the first answer in time settles the fee into the epoch's pool and
/// shares, and everyone owed money pulls it once the epoch's figures are final.
interface IInferenceMarket {
    // ------------------------------------------------------------------ types

    /// @notice Deployment settings, fixed at construction and checked for coherence.
    struct Settings {
        uint32 epochLength; // seconds per epoch (604800: Thursday to Thursday)
        uint32 windowOffset; // promotion window opens this long after the epoch start (Monday 23:59 UTC)
        uint32 sla; // seconds a request stays open for answers (600)
        uint32 claimDelay; // claims for epoch e open this long after e ends (1 day)
        uint8 activationDelay; // epochs between a promotion and the list serving (1)
        uint16 creatorBps; // creator's share of each settled fee (500)
        uint16 adminBps; // challenge admin's share (500)
        uint16 platformBps; // treasury's share (500); the modelers' pool takes the rest
        uint16 evictionThresholdBps; // a judged modeler answering fewer than this share of answered requests is evictable (5000)
    }

    /// @notice What a request commits to; hosts and refunders pass it back, read from `RequestMade`.
    struct RequestKey {
        address requester; // who paid and who gets a refund
        uint256 challengeId; // the challenge asked
        uint256 listId; // the list active when the request was made: its modelers may answer
        uint256 fee; // the fee escrowed
    }

    /// @notice One answer of a batch.
    struct Answer {
        uint256 requestId;
        RequestKey key;
        uint256 index; // the answering modeler's position in the request's list
        bytes output;
    }

    enum FeeRecipient {
        Creator,
        Admin,
        Platform
    }

    enum RequestStatus {
        None, // no such request
        Open, // inside the SLA, no answer yet
        Answered, // at least one answer in time; the fee is settled
        Expired, // past the SLA without any answer; refundable
        Refunded // the fee went back to the requester
    }

    struct ChallengeInfo {
        address creator;
        address admin;
        uint256 fee;
        uint256 listCount; // lists promoted so far, ids 1..listCount
        uint256 latestActivationEpoch; // epoch from which list `listCount` serves
    }

    struct ModelerInfo {
        address host; // zero until the modeler opts in
        uint256 optedInAt; // requests made before this time are not open to it
        bool evicted; // true from an eviction until the modeler is promoted again
    }

    struct EpochFigures {
        uint256 settledFees; // fees of the epoch's requests that got an answer in time
        uint256 answeredRequests; // requests of the epoch that got at least one answer in time: the eviction base
        uint256 points; // answers in time in the epoch
        uint256 pool; // modelers' part of settledFees, shared by points with floored rewards
        uint256 creatorShare;
        uint256 adminShare;
        uint256 platformShare; // the platform's part of settledFees plus rewardDust
        uint256 rewardDust; // what the floored rewards leave of the pool (fewer units than the list has modelers)
        uint256 listId; // the list that served the epoch; zero if no request was made
        bool finalized; // points and rewardDust are stored; until then they are summed at each call
    }

    // ------------------------------------------------------------------ events

    /// @param challengeId The new challenge.
    /// @param creator Receives the creator share.
    /// @param admin Sets the fee and receives the admin share.
    /// @param fee The fee per request.
    /// @param metadata Free text or a URI describing the task.
    event ChallengeCreated(
        uint256 indexed challengeId,
        address indexed creator,
        address indexed admin,
        uint256 fee,
        string metadata
    );
    /// @param challengeId The challenge.
    /// @param oldFee The fee before; requests already made keep it.
    /// @param newFee The fee of later requests.
    event ChallengeFeeChanged(uint256 indexed challengeId, uint256 oldFee, uint256 newFee);
    /// @param challengeId The challenge.
    /// @param previousAdmin The admin before.
    /// @param newAdmin The admin from now on, who also receives the unclaimed admin shares.
    event ChallengeAdminChanged(uint256 indexed challengeId, address indexed previousAdmin, address indexed newAdmin);
    /// @param previousTreasury The treasury before.
    /// @param newTreasury Receives platform shares from now on, unclaimed ones included.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);
    /// @param challengeId The challenge.
    /// @param modeler The modeler that opted in.
    /// @param host The address that answers for it.
    /// @param optedInAt Requests made from this time on are open to it.
    event ModelerRegistered(
        uint256 indexed challengeId,
        address indexed modeler,
        address indexed host,
        uint256 optedInAt
    );
    /// @param challengeId The challenge.
    /// @param modeler The modeler.
    /// @param host Its new host; the old one can no longer answer for it.
    event HostChanged(uint256 indexed challengeId, address indexed modeler, address indexed host);
    /// @param challengeId The challenge.
    /// @param listId The new list's id.
    /// @param epoch The epoch of the promotion.
    /// @param activationEpoch The epoch from which the list serves.
    /// @param leaderboardHash Hash of the leaderboard the keeper ranked, for audit.
    /// @param modelers The list, best first.
    event ListPromoted(
        uint256 indexed challengeId,
        uint256 indexed listId,
        uint256 indexed epoch,
        uint256 activationEpoch,
        bytes32 leaderboardHash,
        address[] modelers
    );
    /// @param requestId The request.
    /// @param challengeId The challenge asked.
    /// @param requester Who paid.
    /// @param listId The list whose opted-in modelers may answer.
    /// @param fee The fee escrowed.
    /// @param deadline The last second for answers; the request was made at `deadline - sla`.
    /// @param input The inference input.
    event RequestMade(
        uint256 indexed requestId,
        uint256 indexed challengeId,
        address indexed requester,
        uint256 listId,
        uint256 fee,
        uint256 deadline,
        bytes input
    );
    /// @param requestId The request.
    /// @param challengeId Its challenge.
    /// @param modeler The modeler that earned a point.
    /// @param epoch The reward epoch (the epoch the request was made in).
    /// @param settledFee The fee split into the epoch's pool and shares by this answer; zero after the first.
    /// @param output The inference output.
    event RequestAnswered(
        uint256 indexed requestId,
        uint256 indexed challengeId,
        address indexed modeler,
        uint256 epoch,
        uint256 settledFee,
        bytes output
    );
    /// @param challengeId The challenge.
    /// @param epoch The epoch whose totals are now stored.
    /// @param listId The list that served it.
    /// @param points Its answers in time, the divisor of its rewards.
    /// @param rewardDust What the floored rewards leave of the pool; it goes to the platform's share.
    event EpochFinalized(
        uint256 indexed challengeId,
        uint256 indexed epoch,
        uint256 listId,
        uint256 points,
        uint256 rewardDust
    );
    /// @param requestId The request nobody answered in time.
    /// @param challengeId Its challenge.
    /// @param requester Who got the fee back.
    /// @param fee The amount returned.
    event RequestRefunded(
        uint256 indexed requestId,
        uint256 indexed challengeId,
        address indexed requester,
        uint256 fee
    );
    /// @notice One event per claim rather than per epoch: an epoch's reward is `pool * points / total`, from
    /// the modeler's RequestAnswered events and the epoch's EpochFinalized, so the list of epochs is enough.
    /// @param challengeId The challenge.
    /// @param modeler Who was paid.
    /// @param epochs The epochs claimed, each now marked claimed for the modeler.
    /// @param amount The tokens paid for all of them.
    event RewardsClaimed(uint256 indexed challengeId, address indexed modeler, uint256[] epochs, uint256 amount);
    /// @param challengeId The challenge.
    /// @param recipient Who was paid.
    /// @param epoch The epoch claimed.
    /// @param kind Which share.
    /// @param amount The tokens paid.
    event FeesClaimed(
        uint256 indexed challengeId,
        address indexed recipient,
        uint256 indexed epoch,
        FeeRecipient kind,
        uint256 amount
    );
    /// @param challengeId The challenge.
    /// @param modeler The modeler evicted until it is promoted again.
    /// @param epoch The finished epoch it under-served.
    /// @param points Its answers in that epoch.
    /// @param answeredRequests The challenge's requests of that epoch that got at least one answer in time.
    event ModelerEvicted(
        uint256 indexed challengeId,
        address indexed modeler,
        uint256 indexed epoch,
        uint256 points,
        uint256 answeredRequests
    );
    /// @notice An entry of `answerBatch` that was left out; the batch's other entries stand.
    /// @param requestId The entry's request.
    /// @param index The entry's list position.
    /// @param reason The custom error `answer` would have reverted with, ABI-encoded.
    event AnswerSkipped(uint256 indexed requestId, uint256 index, bytes reason);

    // ------------------------------------------------------------------ errors

    /// @param token The rejected fee token.
    error MarketInvalidToken(address token);
    /// @param admin The rejected DEFAULT_ADMIN_ROLE holder: without one nobody could ever grant a role.
    error MarketInvalidAdmin(address admin);
    /// @param treasury The rejected treasury.
    error MarketInvalidTreasury(address treasury);
    /// @param bps The rejected eviction threshold.
    error MarketEvictionThresholdTooHigh(uint256 bps);
    /// @param creator The proposed creator.
    /// @param admin The proposed admin.
    error MarketInvalidChallengeParty(address creator, address admin);
    /// @param fee The rejected fee: zero, or above 2^96 - 1.
    error MarketInvalidFee(uint256 fee);
    /// @param challengeId The unknown challenge.
    error MarketChallengeNotFound(uint256 challengeId);
    /// @param challengeId The challenge.
    /// @param account The caller, who is not its admin.
    error MarketNotChallengeAdmin(uint256 challengeId, address account);
    /// @param host The rejected host.
    error MarketInvalidHost(address host);
    /// @param challengeId The challenge.
    /// @param modeler The modeler already opted in.
    error MarketModelerAlreadyRegistered(uint256 challengeId, address modeler);
    /// @param challengeId The challenge.
    /// @param modeler The modeler that has not opted in.
    error MarketModelerNotRegistered(uint256 challengeId, address modeler);
    /// @param timestamp The time of the call.
    /// @param windowStart When the current window opens.
    /// @param windowEnd When it closes (the epoch's end, exclusive).
    error MarketOutsideWindow(uint256 timestamp, uint256 windowStart, uint256 windowEnd);
    /// @param challengeId The challenge.
    /// @param epoch The epoch that already has its promotion.
    error MarketAlreadyPromoted(uint256 challengeId, uint256 epoch);
    /// @param size The rejected list length (1 to 10).
    error MarketInvalidListSize(uint256 size);
    /// @param index The position of the rejected entry.
    /// @param modeler The zero or repeated address.
    error MarketInvalidListEntry(uint256 index, address modeler);
    /// @param challengeId The challenge.
    /// @param epoch The epoch with no active list.
    error MarketNoActiveList(uint256 challengeId, uint256 epoch);
    /// @param fee The current fee.
    /// @param maxFee The most the requester accepts.
    error MarketFeeAboveMax(uint256 fee, uint256 maxFee);
    /// @param expected The fee.
    /// @param received What the token actually delivered.
    error MarketFeeNotReceived(uint256 expected, uint256 received);
    /// @param requestId The id that was never issued.
    error MarketUnknownRequest(uint256 requestId);
    /// @param requestId The request whose fee already went back.
    error MarketRequestRefunded(uint256 requestId);
    /// @param requestId The request whose key does not match what it committed to.
    error MarketRequestKeyMismatch(uint256 requestId);
    /// @param requestId The request.
    /// @param deadline Its last second for answers.
    /// @param timestamp The time of the call.
    error MarketDeadlinePassed(uint256 requestId, uint256 deadline, uint256 timestamp);
    /// @param requestId The request.
    /// @param deadline Its last second for answers; a refund waits until after it.
    /// @param timestamp The time of the call.
    error MarketDeadlineNotPassed(uint256 requestId, uint256 deadline, uint256 timestamp);
    /// @param requestId The request that has an answer, so its fee is settled.
    error MarketRequestAnswered(uint256 requestId);
    /// @param challengeId The challenge.
    /// @param listId The list.
    /// @param index The position with no modeler.
    error MarketNotListed(uint256 challengeId, uint256 listId, uint256 index);
    /// @param modeler The modeler at the given position.
    /// @param caller The caller, who is not its current host.
    error MarketNotHost(address modeler, address caller);
    /// @param requestId The request.
    /// @param modeler The modeler that already answered it.
    error MarketAlreadyAnswered(uint256 requestId, address modeler);
    /// @param modeler The modeler.
    /// @param createdAt When the request was made.
    /// @param optedInAt When the modeler opted in, later than the request.
    error MarketModelerNotOptedIn(address modeler, uint256 createdAt, uint256 optedInAt);
    /// @param challengeId The challenge.
    /// @param modeler The modeler evicted and not promoted since.
    error MarketModelerEvicted(uint256 challengeId, address modeler);
    /// A batch with no entries.
    error MarketEmptyBatch();
    /// @param epoch The epoch.
    /// @param opensAt When its claims open.
    /// @param timestamp The time of the call.
    error MarketClaimNotOpen(uint256 epoch, uint256 opensAt, uint256 timestamp);
    /// @param challengeId The challenge.
    /// @param recipient Who already claimed.
    /// @param epoch The epoch claimed.
    error MarketAlreadyClaimed(uint256 challengeId, address recipient, uint256 epoch);
    /// @param challengeId The challenge.
    /// @param recipient Who is owed nothing.
    /// @param epoch The epoch.
    error MarketNothingToClaim(uint256 challengeId, address recipient, uint256 epoch);
    /// @param epoch The epoch.
    /// @param opensAt When its figures are final and eviction opens.
    /// @param closesAt When eviction for it closes (the end of the next epoch).
    /// @param timestamp The time of the call.
    error MarketEvictionClosed(uint256 epoch, uint256 opensAt, uint256 closesAt, uint256 timestamp);
    /// @param challengeId The challenge.
    /// @param listId The list given.
    /// @param epoch The epoch it did not serve.
    error MarketListNotActiveInEpoch(uint256 challengeId, uint256 listId, uint256 epoch);
    /// @param challengeId The challenge.
    /// @param modeler The modeler whose current opt-in (registration, or re-listing after an eviction) began
    /// after the epoch's first second, so that epoch does not judge it.
    /// @param optedInAt When its current opt-in began.
    /// @param epochStart The first second of the epoch given.
    error MarketModelerOptedInLater(uint256 challengeId, address modeler, uint256 optedInAt, uint256 epochStart);
    /// @param epoch The epoch asked to be finalized.
    /// @param finalAt When its last request's deadline has passed.
    /// @param timestamp Now.
    error MarketEpochNotFinal(uint256 epoch, uint256 finalAt, uint256 timestamp);
    /// @param challengeId The challenge.
    /// @param epoch The epoch whose totals are already stored.
    error MarketEpochAlreadyFinalized(uint256 challengeId, uint256 epoch);
    /// @param challengeId The challenge.
    /// @param modeler The modeler that answered enough.
    /// @param points Its answers in the epoch.
    /// @param answeredRequests The challenge's requests of the epoch that got at least one answer in time.
    error MarketModelerMetThreshold(uint256 challengeId, address modeler, uint256 points, uint256 answeredRequests);
    /// @param reasons Why each entry was left out, in order: the custom error `answer` would revert with.
    error MarketBatchAnsweredNothing(bytes[] reasons);

    // ------------------------------------------------------------------ operator and admins

    /// @notice Creates a challenge.
    /// @dev Requires CHALLENGE_MANAGER_ROLE, non-zero creator and admin, a fee in (0, 2^96). Emits ChallengeCreated.
    function createChallenge(
        address creator,
        address admin,
        uint256 fee,
        string calldata metadata
    ) external returns (uint256 challengeId);

    /// @notice Sets the fee of later requests.
    /// @dev Requires the caller to be the challenge's admin and a fee in (0, 2^96). Emits ChallengeFeeChanged.
    function setFee(uint256 challengeId, uint256 fee) external;

    /// @notice Hands the challenge admin role, and its unclaimed admin shares, to `newAdmin`.
    /// @dev Requires the caller to be the challenge's admin and a non-zero `newAdmin`. Emits ChallengeAdminChanged.
    function setChallengeAdmin(uint256 challengeId, address newAdmin) external;

    /// @notice Sets the treasury that receives platform shares, unclaimed ones included.
    /// @dev Requires DEFAULT_ADMIN_ROLE and a non-zero address. Emits TreasuryChanged.
    function setTreasury(address newTreasury) external;

    /// @notice Stops new requests and promotions; answers, refunds, claims and evictions go on.
    /// @dev Requires PAUSER_ROLE. Emits Paused.
    function pause() external;

    /// @notice Resumes requests and promotions.
    /// @dev Requires PAUSER_ROLE. Emits Unpaused.
    function unpause() external;

    // ------------------------------------------------------------------ keeper

    /// @notice Promotes the challenge's Top-10 for the current epoch; it serves from the activation epoch.
    /// @dev Requires KEEPER_ROLE, not paused, the promotion window, no promotion yet this epoch, 1 to 10 distinct
    /// non-zero modelers. A listed modeler under eviction is cleared from the activation epoch. Emits ListPromoted.
    function promote(
        uint256 challengeId,
        address[] calldata modelers,
        bytes32 leaderboardHash
    ) external returns (uint256 listId);

    // ------------------------------------------------------------------ modelers and hosts

    /// @notice Opts the caller in as a modeler of the challenge, answered for by `host`.
    /// @dev Requires an existing challenge, a non-zero host, not registered yet (a modeler registers once; an
    /// evicted one is registered already and waits for a promotion). Requests made from now on are open to it.
    /// Emits ModelerRegistered.
    function register(uint256 challengeId, address host) external;

    /// @notice Changes the caller's host; from now on only the new host answers for it.
    /// @dev Requires the caller to be registered and a non-zero host. Emits HostChanged.
    function setHost(uint256 challengeId, address host) external;

    /// @notice Answers a request for the modeler at `index` of the request's list.
    /// @dev Requires the key the request committed to, a registered modeler at `index` whose current host is the
    /// caller, opted in when the request was made and not evicted, no earlier answer by it, and a time at or
    /// before the deadline. Earns the modeler one point in the reward epoch; the first answer settles the fee
    /// and counts the request as answered in its epoch. Emits RequestAnswered.
    function answer(uint256 requestId, RequestKey calldata key, uint256 index, bytes calldata output) external;

    /// @notice Answers several requests in one transaction, taking every entry that is valid when it is mined
    /// and skipping the others, so a host change or an eviction that lands first voids no other entry.
    /// @dev Each entry as in `answer`. Reverts with MarketEmptyBatch when empty, and with
    /// MarketBatchAnsweredNothing (every entry's reason) when no entry is valid. Emits RequestAnswered per
    /// entry taken and AnswerSkipped per entry skipped.
    /// @return reasons Per entry, in order: empty if it was taken, else the custom error `answer` would revert with.
    function answerBatch(Answer[] calldata answers) external returns (bytes[] memory reasons);

    // ------------------------------------------------------------------ users

    /// @notice Pays the current fee for one inference; the fee is escrowed until answered or refunded.
    /// @dev Requires not paused, an active list, fee <= maxFee, an allowance, and a token that delivers the
    /// whole fee. Emits RequestMade.
    function request(uint256 challengeId, uint256 maxFee, bytes calldata input) external returns (uint256 requestId);

    /// @notice As `request`, approving through an EIP-2612 permit of `maxFee` signed by the caller.
    /// @dev A permit that was already used (for example front-run) is ignored if the allowance suffices.
    function requestWithPermit(
        uint256 challengeId,
        uint256 maxFee,
        bytes calldata input,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 requestId);

    /// @notice Returns the whole fee of a request that nobody answered in time to its requester. Anyone may call.
    /// @dev Requires the request's key, no answer, and a time after the deadline. Emits RequestRefunded.
    function refund(uint256 requestId, RequestKey calldata key) external;

    // ------------------------------------------------------------------ claims and eviction

    /// @notice Pays `modeler` its rewards for `epochs` of the challenge. Anyone may call; only the modeler is paid.
    /// @dev Each epoch must be open for claims, unclaimed by the modeler, and hold points of it.
    /// Emits RewardsClaimed.
    function claimRewards(
        uint256 challengeId,
        address modeler,
        uint256[] calldata epochs
    ) external returns (uint256 amount);

    /// @notice Pays the creator, admin or treasury its share for `epochs`. Anyone may call; only it is paid.
    /// @dev Each epoch must be open for claims, unclaimed for that share, and owe something. Emits FeesClaimed.
    function claimFees(
        uint256 challengeId,
        FeeRecipient kind,
        uint256[] calldata epochs
    ) external returns (uint256 amount);

    /// @notice Sums and stores a challenge's totals for a finished epoch: its points, the divisor of every reward,
    /// and the dust the floored rewards leave. Anyone may call; the keeper does each week, and the first claim
    /// of an epoch that nobody finalized does it itself.
    /// @dev Open from the epoch's final time (its end + SLA), once. Emits EpochFinalized.
    function finalize(uint256 challengeId, uint256 epoch) external;

    /// @notice Evicts the modeler at `index` of `listId`, the list that served `epoch`, for answering fewer than
    /// the threshold share of the challenge's answered requests of that epoch (those with at least one answer in
    /// time; unanswered and refunded requests never count). Anyone may call.
    /// @dev Open from the epoch's final time (its end + SLA) to the end of the next epoch, for a registered
    /// modeler whose current opt-in (registration, or re-listing after an eviction) began at or before the
    /// epoch's first second. The modeler answers nothing more until a later promotion lists it again.
    /// Emits ModelerEvicted.
    function evict(uint256 challengeId, uint256 epoch, uint256 listId, uint256 index) external;
}
