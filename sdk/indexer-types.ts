/*
 * What sdk/indexer.ts returns: amounts, ids, epochs, points and times as bigint, addresses checksummed.
 */
import type { FeeKind, MadeRequest } from "./types";

/** A request's status as the indexer stores it, or "expired": open with its deadline before the reader's `now`. */
export type IndexedStatus = "open" | "answered" | "refunded" | "expired";

/** An answer in time, as `RequestAnswered` told it. */
export interface IndexedAnswer {
  modeler: string;
  /** The output as UTF-8 text (its hex when it is not text). */
  output: string;
  /** An `error: <code>: <detail>` answer (sdk/text), which combine() leaves out. */
  isError: boolean;
  /** Seconds from the request to the answer. */
  delay: bigint;
  /** The request's fee for its first answer, zero for the others. */
  settledFee: bigint;
  answeredAt: bigint;
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/** A request as `RequestMade` told it, with its status and its answers in the order they were made. */
export interface IndexedRequest extends MadeRequest {
  /** The input as UTF-8 text (its hex when it is not text). */
  inputText: string;
  /** The reward epoch: the epoch of createdAt. */
  epoch: bigint;
  status: IndexedStatus;
  answerCount: number;
  answers: IndexedAnswer[];
}

/** A page of requests; `next` is the cursor for the following page (`after`), null on the last. */
export interface RequestPage {
  requests: IndexedRequest[];
  next: string | null;
}

/** A challenge's figures for an epoch, as `epochFigures` returns them, with its fee shares' claim flags. */
export interface EpochFigures {
  challengeId: bigint;
  epoch: bigint;
  /** The list that served it; zero when no request was made. */
  listId: bigint;
  requests: bigint;
  refunds: bigint;
  refundedFees: bigint;
  settledFees: bigint;
  /** Requests with at least one answer in time: the eviction base. */
  answeredRequests: bigint;
  /** Answers in time: the divisor of the rewards. */
  points: bigint;
  pool: bigint;
  creatorShare: bigint;
  adminShare: bigint;
  /** The platform's split share plus the reward dust. */
  platformShare: bigint;
  rewardDust: bigint;
  finalized: boolean;
  finalizedAt: bigint | null;
  claimed: Record<FeeKind, boolean>;
}

/** A modeler's epoch in a challenge: its points against the eviction threshold, its reward and claim. */
export interface ModelerEpoch {
  challengeId: bigint;
  modeler: string;
  epoch: bigint;
  /** Whether the list serving the epoch names it. */
  listed: boolean;
  points: bigint;
  /** The epoch's answered requests: the eviction base. */
  answeredRequests: bigint;
  /** The eviction threshold in basis points of the answered requests (the market's setting). */
  thresholdBps: bigint;
  /** The fewest points that keep it listed: ceil(answeredRequests × thresholdBps / 10,000). */
  threshold: bigint;
  /** The epoch's points, all modelers: the divisor of the rewards. */
  totalPoints: bigint;
  pool: bigint;
  finalized: boolean;
  /** Its part of the pool, known once the epoch is finalized. */
  reward: bigint | null;
  /** What `claimableReward` returns: its part of the pool (moving until finalization), zero once claimed. */
  claimable: bigint;
  claimed: boolean;
  claimedAt: bigint | null;
  /** Whether it was evicted for under-serving this epoch. */
  evicted: boolean;
}

export interface FeeChange {
  /** Null for the creation's fee. */
  oldFee: bigint | null;
  newFee: bigint;
  at: bigint;
  blockNumber: number;
  txHash: string;
}

export interface AdminChange {
  /** Null for the creation's admin. */
  previousAdmin: string | null;
  newAdmin: string;
  at: bigint;
  blockNumber: number;
  txHash: string;
}

/** A promoted list: members best first (a member's answer index is its position). */
export interface IndexedList {
  listId: bigint;
  /** The epoch of the promotion, and the first epoch it serves. */
  epoch: bigint;
  activationEpoch: bigint;
  leaderboardHash: string;
  members: string[];
  at: bigint;
  txHash: string;
}

/** A modeler of a challenge, as `modelerInfo` says it now. */
export interface IndexedModeler {
  modeler: string;
  /** The zero address until it registers. */
  host: string;
  optedInAt: bigint;
  registered: boolean;
  evicted: boolean;
  evictions: number;
  lastListId: bigint | null;
}

export interface ChallengeHistory {
  id: bigint;
  creator: string;
  admin: string;
  /** The fee of requests made from now on. */
  fee: bigint;
  metadata: string;
  listCount: bigint;
  requestCount: bigint;
  createdAt: bigint;
  createdBlock: number;
  /** Every fee it had, the creation's first. */
  fees: FeeChange[];
  /** Every admin it had, the creation's first. */
  admins: AdminChange[];
  lists: IndexedList[];
  modelers: IndexedModeler[];
  /** Its epochs with a request, a finalization or a claim, oldest first. */
  epochs: EpochFigures[];
}

export interface FeeClaim {
  recipient: string;
  amount: bigint;
  at: bigint;
  txHash: string;
}

/** One fee share of an epoch: `claimable` is what `claimableFees` returns. */
export interface FeeShare {
  amount: bigint;
  claimed: boolean;
  claimable: bigint;
  claims: FeeClaim[];
}

export interface EpochFeeShares {
  epoch: bigint;
  finalized: boolean;
  settledFees: bigint;
  pool: bigint;
  shares: Record<FeeKind, FeeShare>;
}

/** A request open to one of the given modelers, with the list position to answer with (sdk OpenRequest). */
export interface IndexedOpenRequest extends IndexedRequest {
  index: number;
  modeler: string;
}

/**
 * What a daemon's scan found, and the last block the index held when it was read: a reader that must miss
 * nothing scans the chain's logs after that block (the index lags the head by a block or two).
 */
export interface IndexedScan<T> {
  found: T[];
  indexedBlock: number;
}
