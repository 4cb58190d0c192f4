/*
 * How a row of the indexer's GraphQL API becomes what sdk/indexer.ts returns: bigints from GraphQL's decimal
 * strings, addresses checksummed (the indexer stores them lowercase), the reader's status of a request.
 */
import { getAddress } from "ethers";
import type {
  EpochFigures,
  IndexedAnswer,
  IndexedList,
  IndexedModeler,
  IndexedRequest,
  IndexedStatus,
} from "./indexer-types";

/** GraphQL's BigInt: a decimal string. */
type Big = string;

export const big = (v: Big): bigint => BigInt(v);
export const bigOrNull = (v: Big | null): bigint | null => (v === null ? null : BigInt(v));

export const ANSWER_FIELDS = "modeler outputText isError delay settledFee timestamp blockNumber logIndex txHash";

export interface AnswerRow {
  modeler: string;
  outputText: string;
  isError: boolean;
  delay: Big;
  settledFee: Big;
  timestamp: Big;
  blockNumber: Big;
  logIndex: number;
  txHash: string;
}

export function toAnswer(a: AnswerRow): IndexedAnswer {
  return {
    modeler: getAddress(a.modeler),
    output: a.outputText,
    isError: a.isError,
    delay: big(a.delay),
    settledFee: big(a.settledFee),
    answeredAt: big(a.timestamp),
    blockNumber: Number(a.blockNumber),
    logIndex: a.logIndex,
    txHash: a.txHash,
  };
}

/** A request's answers: bounded by its list's size (MAX_LIST_SIZE, 10), so one page holds them all. */
export const REQUEST_FIELDS =
  "id challengeId requester listId fee epoch input inputText createdAt deadline status answerCount blockNumber txHash";
export const REQUEST_WITH_ANSWERS = `${REQUEST_FIELDS} answers(limit: 100) { items { ${ANSWER_FIELDS} } }`;

export interface RequestRow {
  id: Big;
  challengeId: Big;
  requester: string;
  listId: Big;
  fee: Big;
  epoch: Big;
  input: string;
  inputText: string;
  createdAt: Big;
  deadline: Big;
  status: "open" | "answered" | "refunded";
  answerCount: number;
  blockNumber: Big;
  txHash: string;
  answers?: { items: AnswerRow[] };
}

/** The status a reader sees at `now`: an open request whose deadline is past is expired. */
export function statusAt(stored: RequestRow["status"], deadline: bigint, now: bigint): IndexedStatus {
  return stored === "open" && deadline < now ? "expired" : stored;
}

export function toRequest(r: RequestRow, now: bigint): IndexedRequest {
  const deadline = big(r.deadline);
  const answers = (r.answers?.items ?? [])
    .map(toAnswer)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  return {
    requestId: big(r.id),
    key: {
      requester: getAddress(r.requester),
      challengeId: big(r.challengeId),
      listId: big(r.listId),
      fee: big(r.fee),
    },
    input: r.input,
    inputText: r.inputText,
    epoch: big(r.epoch),
    createdAt: big(r.createdAt),
    deadline,
    status: statusAt(r.status, deadline, now),
    answerCount: r.answerCount,
    blockNumber: Number(r.blockNumber),
    txHash: r.txHash,
    answers,
  };
}

export const EPOCH_FIELDS =
  "challengeId epoch listId requests refunds refundedFees settledFees answeredRequests points pool creatorShare " +
  "adminShare platformShare rewardDust finalized finalizedAt creatorClaimed adminClaimed platformClaimed";

export type EpochRow = Record<
  | "challengeId"
  | "epoch"
  | "listId"
  | "requests"
  | "refunds"
  | "refundedFees"
  | "settledFees"
  | "answeredRequests"
  | "points"
  | "pool"
  | "creatorShare"
  | "adminShare"
  | "platformShare"
  | "rewardDust",
  Big
> & {
  finalized: boolean;
  finalizedAt: Big | null;
  creatorClaimed: boolean;
  adminClaimed: boolean;
  platformClaimed: boolean;
};

export function toEpoch(r: EpochRow): EpochFigures {
  return {
    challengeId: big(r.challengeId),
    epoch: big(r.epoch),
    listId: big(r.listId),
    requests: big(r.requests),
    refunds: big(r.refunds),
    refundedFees: big(r.refundedFees),
    settledFees: big(r.settledFees),
    answeredRequests: big(r.answeredRequests),
    points: big(r.points),
    pool: big(r.pool),
    creatorShare: big(r.creatorShare),
    adminShare: big(r.adminShare),
    platformShare: big(r.platformShare),
    rewardDust: big(r.rewardDust),
    finalized: r.finalized,
    finalizedAt: bigOrNull(r.finalizedAt),
    claimed: { creator: r.creatorClaimed, admin: r.adminClaimed, platform: r.platformClaimed },
  };
}

export const LIST_FIELDS = "listId epoch activationEpoch leaderboardHash members timestamp txHash";

export interface ListRow {
  listId: Big;
  epoch: Big;
  activationEpoch: Big;
  leaderboardHash: string;
  members: string[];
  timestamp: Big;
  txHash: string;
}

export function toList(l: ListRow): IndexedList {
  return {
    listId: big(l.listId),
    epoch: big(l.epoch),
    activationEpoch: big(l.activationEpoch),
    leaderboardHash: l.leaderboardHash,
    members: l.members.map((m) => getAddress(m)),
    at: big(l.timestamp),
    txHash: l.txHash,
  };
}

export const MODELER_FIELDS = "modeler host optedInAt registered evicted evictions lastListId";

export interface ModelerRow {
  modeler: string;
  host: string;
  optedInAt: Big;
  registered: boolean;
  evicted: boolean;
  evictions: number;
  lastListId: Big | null;
}

export function toModeler(m: ModelerRow): IndexedModeler {
  return {
    modeler: getAddress(m.modeler),
    host: getAddress(m.host),
    optedInAt: big(m.optedInAt),
    registered: m.registered,
    evicted: m.evicted,
    evictions: m.evictions,
    lastListId: bigOrNull(m.lastListId),
  };
}
