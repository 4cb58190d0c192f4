import type { ContractTransactionReceipt } from "ethers";
import type { InferenceMarket } from "../typechain-types";
import type { IInferenceMarket } from "../typechain-types/contracts/InferenceMarket";
import type { RevertError } from "./errors";

/* The shapes the market client (sdk/market.ts and the sdk/market-*.ts it builds on) reads and returns. */

/** IInferenceMarket.RequestStatus. */
export enum RequestStatus {
  None,
  Open,
  Answered,
  Expired,
  Refunded,
}

/** The three fee shares besides the modelers' pool (IInferenceMarket.FeeRecipient). */
export const FEE_KINDS = ["creator", "admin", "platform"] as const;
export type FeeKind = (typeof FEE_KINDS)[number];

/** What a request committed to; hosts and refunders pass it back. */
export interface RequestKey {
  requester: string;
  challengeId: bigint;
  listId: bigint;
  fee: bigint;
}

/** A key as the contract takes it: a RequestKey, or the fixtures' and ethers' looser form. */
export type RequestKeyLike = IInferenceMarket.RequestKeyStruct;

/** A request as its `RequestMade` event tells it. */
export interface MadeRequest {
  requestId: bigint;
  key: RequestKey;
  /** The input bytes, hex; by convention UTF-8 text (see sdk/text). */
  input: string;
  createdAt: bigint;
  deadline: bigint;
  blockNumber: number;
  txHash: string;
}

/** A request open to one of a host's modelers, with the list position to answer with. */
export interface OpenRequest extends MadeRequest {
  index: number;
  modeler: string;
}

export interface AnswerRecord {
  requestId: bigint;
  modeler: string;
  /** The output bytes, hex. */
  output: string;
  /** The output read as UTF-8 text (hex when it is not text). */
  text: string;
  epoch: bigint;
  /** The fee this answer settled: the request's fee for its first answer, zero after. */
  settledFee: bigint;
  blockNumber: number;
  txHash: string;
}

export interface RequestState {
  status: RequestStatus;
  /** Zero once refunded. */
  createdAt: bigint;
  deadline: bigint;
  /** List positions that answered. */
  answered: number[];
}

export interface ListMember {
  index: number;
  modeler: string;
  /** The modeler's current host; zero until it opts in. */
  host: string;
  optedInAt: bigint;
  evicted: boolean;
}

export interface ModelerList {
  /** Zero when no list serves. */
  listId: bigint;
  activationEpoch: bigint;
  members: ListMember[];
}

export interface EpochTimes {
  start: bigint;
  windowStart: bigint;
  /** Exclusive. */
  end: bigint;
  finalAt: bigint;
  claimsOpenAt: bigint;
}

export interface Claimable {
  epoch: bigint;
  amount: bigint;
  claimsOpenAt: bigint;
  open: boolean;
}

/** How a member of the list that served an epoch stands against the eviction rule. */
export interface Judgement {
  listId: bigint;
  index: number;
  modeler: string;
  /** Its answers in time in the epoch. */
  points: bigint;
  /** The epoch's requests that got at least one answer in time (unanswered and refunded ones never count). */
  answeredRequests: bigint;
  /** The fewest points that keep it listed: ceil(answeredRequests * threshold / 10,000). */
  threshold: bigint;
  /** Whether the epoch judges it: registered, not evicted, opted in at or before the epoch's first second. */
  judged: boolean;
  /** Why it is not judged, when it is not. */
  notJudgedBecause?: "not registered" | "evicted" | "opted in during or after the epoch";
  /** Judged and under the threshold: evictable once the epoch is final, until the next one ends. */
  below: boolean;
}

export type EvictionCandidate = Judgement;

/** An entry of a batch that the contract left out, with the custom error `answer` would revert with. */
export interface SkippedAnswer {
  requestId: bigint;
  index: number;
  error: RevertError;
}

export type WaitMode = "all" | "deadline" | { first: number };

export interface WaitResult {
  status: RequestStatus;
  answers: AnswerRecord[];
  /** Modelers of the request's list that were opted in when it was made and are not evicted. */
  expected: number;
}

export interface Sent {
  receipt: ContractTransactionReceipt;
  txHash: string;
}

/**
 * Sends a call the market client has checked (the market's address and the calldata) and resolves once it is
 * mined, or throws: how a daemon's transactor takes over the sending (Market.connect's `send`).
 */
export type SendCall = (call: { to: string; data: string }) => Promise<Sent>;

export interface LogRange {
  fromBlock: number;
  /** Defaults to the latest block. */
  toBlock?: number;
  /** Largest block span of one `eth_getLogs` call (RPC providers cap it). */
  maxRange?: number;
}

export type Settings = Awaited<ReturnType<InferenceMarket["settings"]>>;
