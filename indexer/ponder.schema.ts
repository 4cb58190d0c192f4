/*
 * The market's history as tables, every figure derived from its events (src/*.ts). Amounts, ids, epochs, points
 * and times are the contract's integers as bigint (times in UTC seconds); addresses are lowercase hex. Tables
 * whose rows are events carry where they happened: block number, block time and transaction hash.
 * One file, long as it is: Ponder's build id hashes this file's text, not what it would import.
 */
import { index, onchainTable, primaryKey, relations } from "ponder";

/** One row, the deployment: its token, settings (read once at start), treasury and pause state. */
export const market = onchainTable("market", (t) => ({
  address: t.hex().primaryKey(),
  chainId: t.integer().notNull(),
  token: t.hex().notNull(),
  startBlock: t.bigint().notNull(),
  /** Receives the platform shares; set by the constructor's TreasuryChanged. */
  treasury: t.hex(),
  paused: t.boolean().notNull(),
  epochLength: t.bigint().notNull(),
  windowOffset: t.bigint().notNull(),
  sla: t.bigint().notNull(),
  claimDelay: t.bigint().notNull(),
  activationDelay: t.bigint().notNull(),
  creatorBps: t.bigint().notNull(),
  adminBps: t.bigint().notNull(),
  platformBps: t.bigint().notNull(),
  evictionThresholdBps: t.bigint().notNull(),
}));

/** Who holds each AccessControl role now, and since when. */
export const role = onchainTable(
  "role",
  (t) => ({
    role: t.hex().notNull(),
    /** DEFAULT_ADMIN_ROLE, CHALLENGE_MANAGER_ROLE, KEEPER_ROLE, PAUSER_ROLE, or the hash when unknown. */
    name: t.text().notNull(),
    account: t.hex().notNull(),
    holds: t.boolean().notNull(),
    /** Who granted or revoked it last. */
    sender: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.role, table.account] }) }),
);

export const treasuryChange = onchainTable("treasury_change", (t) => ({
  id: t.text().primaryKey(),
  /** Zero for the constructor's. */
  previousTreasury: t.hex().notNull(),
  newTreasury: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  timestamp: t.bigint().notNull(),
  txHash: t.hex().notNull(),
}));

export const challenge = onchainTable("challenge", (t) => ({
  id: t.bigint().primaryKey(),
  creator: t.hex().notNull(),
  admin: t.hex().notNull(),
  /** The fee of requests made from now on. */
  fee: t.bigint().notNull(),
  metadata: t.text().notNull(),
  listCount: t.bigint().notNull(),
  requestCount: t.bigint().notNull(),
  createdBlock: t.bigint().notNull(),
  createdAt: t.bigint().notNull(),
  createdTx: t.hex().notNull(),
}));

/** Every fee a challenge had: the creation's first (oldFee null), then each setFee. */
export const feeChange = onchainTable(
  "fee_change",
  (t) => ({
    id: t.text().primaryKey(),
    challengeId: t.bigint().notNull(),
    oldFee: t.bigint(),
    newFee: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ challengeIdx: index().on(table.challengeId) }),
);

/** Every admin a challenge had: the creation's first (previousAdmin null), then each setChallengeAdmin. */
export const adminChange = onchainTable(
  "admin_change",
  (t) => ({
    id: t.text().primaryKey(),
    challengeId: t.bigint().notNull(),
    previousAdmin: t.hex(),
    newAdmin: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ challengeIdx: index().on(table.challengeId) }),
);

/** A promoted list; `members` in list order, best first: a member's position is its `index` in `answer`. */
export const list = onchainTable(
  "list",
  (t) => ({
    challengeId: t.bigint().notNull(),
    listId: t.bigint().notNull(),
    /** The epoch of the promotion. */
    epoch: t.bigint().notNull(),
    activationEpoch: t.bigint().notNull(),
    leaderboardHash: t.hex().notNull(),
    members: t.hex().array().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.challengeId, table.listId] }) }),
);

/**
 * A modeler of a challenge: listed, registered, or both. `host`, `optedInAt` and `evicted` are what the
 * contract's `modelerInfo` returns: zero host and opt-in until it registers, and `optedInAt` 2^40 − 1 (never)
 * from an eviction until a promotion lists it again.
 */
export const modeler = onchainTable(
  "modeler",
  (t) => ({
    challengeId: t.bigint().notNull(),
    modeler: t.hex().notNull(),
    host: t.hex().notNull(),
    optedInAt: t.bigint().notNull(),
    registered: t.boolean().notNull(),
    registeredAt: t.bigint(),
    evicted: t.boolean().notNull(),
    evictions: t.integer().notNull(),
    /** The latest list that names it. */
    lastListId: t.bigint(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.challengeId, table.modeler] }),
    modelerIdx: index().on(table.modeler),
  }),
);

/** Every host a modeler named: its registration's first, then each setHost. */
export const hostChange = onchainTable(
  "host_change",
  (t) => ({
    id: t.text().primaryKey(),
    challengeId: t.bigint().notNull(),
    modeler: t.hex().notNull(),
    host: t.hex().notNull(),
    registration: t.boolean().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ modelerIdx: index().on(table.challengeId, table.modeler), hostIdx: index().on(table.host) }),
);

/**
 * A request. `status` is "open", "answered" (at least one answer in time, so its fee settled) or "refunded";
 * an open request whose deadline is past is expired, which the reader decides against its clock.
 */
export const request = onchainTable(
  "request",
  (t) => ({
    id: t.bigint().primaryKey(),
    challengeId: t.bigint().notNull(),
    requester: t.hex().notNull(),
    listId: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    /** The reward epoch: the epoch of createdAt. */
    epoch: t.bigint().notNull(),
    input: t.hex().notNull(),
    /** The input as UTF-8 text (its hex when it is not text), as sdk/text decodes it. */
    inputText: t.text().notNull(),
    createdAt: t.bigint().notNull(),
    deadline: t.bigint().notNull(),
    status: t.text({ enum: ["open", "answered", "refunded"] }).notNull(),
    answerCount: t.integer().notNull(),
    settled: t.boolean().notNull(),
    refunded: t.boolean().notNull(),
    blockNumber: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    challengeIdx: index().on(table.challengeId, table.epoch),
    requesterIdx: index().on(table.requester),
    deadlineIdx: index().on(table.status, table.deadline),
  }),
);

/** An answer in time: one per request and modeler. */
export const answer = onchainTable(
  "answer",
  (t) => ({
    requestId: t.bigint().notNull(),
    modeler: t.hex().notNull(),
    challengeId: t.bigint().notNull(),
    epoch: t.bigint().notNull(),
    output: t.hex().notNull(),
    /** The output as UTF-8 text (its hex when it is not text). */
    outputText: t.text().notNull(),
    /** Whether it is an error answer (`error: <code>: <detail>`, sdk/text). */
    isError: t.boolean().notNull(),
    /** The request's fee for its first answer, which settled it; zero after. */
    settledFee: t.bigint().notNull(),
    /** Seconds from the request to this answer: block time minus the request's block time. */
    delay: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.requestId, table.modeler] }),
    modelerIdx: index().on(table.modeler, table.epoch),
  }),
);

/** An entry of `answerBatch` that the contract left out, with the custom error `answer` would have reverted with. */
export const skippedAnswer = onchainTable(
  "skipped_answer",
  (t) => ({
    id: t.text().primaryKey(),
    requestId: t.bigint().notNull(),
    index: t.bigint().notNull(),
    reason: t.hex().notNull(),
    /** The custom error's name, and the error decoded by sdk/errors. */
    error: t.text(),
    message: t.text().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ requestIdx: index().on(table.requestId) }),
);

export const refund = onchainTable(
  "refund",
  (t) => ({
    requestId: t.bigint().primaryKey(),
    challengeId: t.bigint().notNull(),
    requester: t.hex().notNull(),
    fee: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ requesterIdx: index().on(table.requester) }),
);

/**
 * A challenge's figures for an epoch, equal at every block to the contract's `epochFigures`: until the epoch is
 * finalized the contract sums its points and reward dust at each call, and so does this row at each answer.
 * Each share is claimable while its `…Claimed` flag is false (`claimableFees`).
 */
export const challengeEpoch = onchainTable(
  "challenge_epoch",
  (t) => ({
    challengeId: t.bigint().notNull(),
    epoch: t.bigint().notNull(),
    /** The list that served it; zero when no request was made. */
    listId: t.bigint().notNull(),
    requests: t.bigint().notNull(),
    refunds: t.bigint().notNull(),
    refundedFees: t.bigint().notNull(),
    settledFees: t.bigint().notNull(),
    /** Requests with at least one answer in time: the eviction base. */
    answeredRequests: t.bigint().notNull(),
    /** Answers in time, the divisor of the rewards. */
    points: t.bigint().notNull(),
    pool: t.bigint().notNull(),
    creatorShare: t.bigint().notNull(),
    adminShare: t.bigint().notNull(),
    /** The platform's split share plus the reward dust. */
    platformShare: t.bigint().notNull(),
    rewardDust: t.bigint().notNull(),
    /** Points by modeler (lowercase address), from which the dust is summed as the contract does. */
    modelerPoints: t.json().$type<Record<string, number>>().notNull(),
    finalized: t.boolean().notNull(),
    finalizedAt: t.bigint(),
    creatorClaimed: t.boolean().notNull(),
    adminClaimed: t.boolean().notNull(),
    platformClaimed: t.boolean().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.challengeId, table.epoch] }) }),
);

/**
 * A modeler's points in a challenge's epoch. `reward` is its floored part of the pool, known once the epoch
 * is finalized (null before); `claimable` is that reward until it is claimed, then zero (`claimableReward`).
 */
export const modelerEpoch = onchainTable(
  "modeler_epoch",
  (t) => ({
    challengeId: t.bigint().notNull(),
    modeler: t.hex().notNull(),
    epoch: t.bigint().notNull(),
    points: t.bigint().notNull(),
    reward: t.bigint(),
    claimable: t.bigint(),
    claimed: t.boolean().notNull(),
    claimedAt: t.bigint(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.challengeId, table.modeler, table.epoch] }),
    modelerIdx: index().on(table.modeler),
  }),
);

/** One `claimRewards`: the epochs it paid and their total. */
export const rewardClaim = onchainTable(
  "reward_claim",
  (t) => ({
    id: t.text().primaryKey(),
    challengeId: t.bigint().notNull(),
    modeler: t.hex().notNull(),
    epochs: t.bigint().array().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ modelerIdx: index().on(table.modeler) }),
);

/** One epoch's fee share paid by `claimFees`. */
export const feeClaim = onchainTable(
  "fee_claim",
  (t) => ({
    id: t.text().primaryKey(),
    challengeId: t.bigint().notNull(),
    epoch: t.bigint().notNull(),
    kind: t.text({ enum: ["creator", "admin", "platform"] }).notNull(),
    recipient: t.hex().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ recipientIdx: index().on(table.recipient), challengeIdx: index().on(table.challengeId, table.epoch) }),
);

export const eviction = onchainTable(
  "eviction",
  (t) => ({
    id: t.text().primaryKey(),
    challengeId: t.bigint().notNull(),
    modeler: t.hex().notNull(),
    /** The finished epoch it under-served, with its points there and the epoch's answered requests. */
    epoch: t.bigint().notNull(),
    points: t.bigint().notNull(),
    answeredRequests: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ modelerIdx: index().on(table.challengeId, table.modeler) }),
);

// Relations: the nested fields of the GraphQL API. A relation named like a column would hide it there.

export const challengeRelations = relations(challenge, ({ many }) => ({
  lists: many(list),
  modelers: many(modeler),
  requests: many(request),
  epochs: many(challengeEpoch),
  feeChanges: many(feeChange),
  adminChanges: many(adminChange),
}));

export const listRelations = relations(list, ({ one }) => ({
  challenge: one(challenge, { fields: [list.challengeId], references: [challenge.id] }),
}));

export const modelerRelations = relations(modeler, ({ one, many }) => ({
  challenge: one(challenge, { fields: [modeler.challengeId], references: [challenge.id] }),
  epochs: many(modelerEpoch),
  hostChanges: many(hostChange),
}));

export const modelerEpochRelations = relations(modelerEpoch, ({ one }) => ({
  modelerInfo: one(modeler, {
    fields: [modelerEpoch.challengeId, modelerEpoch.modeler],
    references: [modeler.challengeId, modeler.modeler],
  }),
  figures: one(challengeEpoch, {
    fields: [modelerEpoch.challengeId, modelerEpoch.epoch],
    references: [challengeEpoch.challengeId, challengeEpoch.epoch],
  }),
}));

export const hostChangeRelations = relations(hostChange, ({ one }) => ({
  modelerInfo: one(modeler, {
    fields: [hostChange.challengeId, hostChange.modeler],
    references: [modeler.challengeId, modeler.modeler],
  }),
}));

export const challengeEpochRelations = relations(challengeEpoch, ({ one }) => ({
  challenge: one(challenge, { fields: [challengeEpoch.challengeId], references: [challenge.id] }),
}));

export const feeChangeRelations = relations(feeChange, ({ one }) => ({
  challenge: one(challenge, { fields: [feeChange.challengeId], references: [challenge.id] }),
}));

export const adminChangeRelations = relations(adminChange, ({ one }) => ({
  challenge: one(challenge, { fields: [adminChange.challengeId], references: [challenge.id] }),
}));

export const requestRelations = relations(request, ({ one, many }) => ({
  challenge: one(challenge, { fields: [request.challengeId], references: [challenge.id] }),
  list: one(list, { fields: [request.challengeId, request.listId], references: [list.challengeId, list.listId] }),
  answers: many(answer),
  skipped: many(skippedAnswer),
  refund: one(refund, { fields: [request.id], references: [refund.requestId] }),
}));

export const answerRelations = relations(answer, ({ one }) => ({
  request: one(request, { fields: [answer.requestId], references: [request.id] }),
}));

export const skippedAnswerRelations = relations(skippedAnswer, ({ one }) => ({
  request: one(request, { fields: [skippedAnswer.requestId], references: [request.id] }),
}));
