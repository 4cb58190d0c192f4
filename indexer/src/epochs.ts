/*
 * Per challenge and epoch: the figures of `epochFigures`, kept equal to the contract's at every block, and each
 * modeler's points, reward and claim. The money math is the SDK's (sdk/payouts.ts, after Payouts.sol).
 */
import { ponder, type Context } from "ponder:registry";
import { challengeEpoch, feeClaim, modelerEpoch, rewardClaim } from "ponder:schema";
import type { Address } from "viem";
import { payoutFigures, reward, split } from "../../sdk/payouts";
import { FEE_KINDS, type FeeKind } from "../../sdk/types";
import { shares } from "../target";
import { placed } from "./event";

type Db = Context["db"];
type EpochRow = typeof challengeEpoch.$inferSelect;
type EpochChange = Partial<Omit<EpochRow, "challengeId" | "epoch">>;

const EMPTY = {
  listId: 0n,
  requests: 0n,
  refunds: 0n,
  refundedFees: 0n,
  settledFees: 0n,
  answeredRequests: 0n,
  points: 0n,
  pool: 0n,
  creatorShare: 0n,
  adminShare: 0n,
  platformShare: 0n,
  rewardDust: 0n,
  modelerPoints: {},
  finalized: false,
  finalizedAt: null,
  creatorClaimed: false,
  adminClaimed: false,
  platformClaimed: false,
} satisfies Omit<EpochRow, "challengeId" | "epoch">;

/** The flag that marks each fee share of an epoch claimed. */
const CLAIMED = {
  creator: "creatorClaimed",
  admin: "adminClaimed",
  platform: "platformClaimed",
} as const satisfies Record<FeeKind, keyof EpochRow>;

/** Applies `change` to the challenge's row for the epoch, created empty on first use, and returns the row. */
export function updateEpoch(db: Db, challengeId: bigint, epoch: bigint, change: (row: EpochRow) => EpochChange) {
  const empty = { challengeId, epoch, ...EMPTY };
  return db
    .insert(challengeEpoch)
    .values({ ...empty, ...change(empty) })
    .onConflictDoUpdate(change);
}

/**
 * One answer in time of `modeler`: a point to it, and the figures summed again as the contract's `_sum` does
 * for an epoch not yet finalized (the first answer to a request also settles its fee).
 */
export async function countAnswer(db: Db, challengeId: bigint, epoch: bigint, modeler: Address, settledFee: bigint) {
  await db
    .insert(modelerEpoch)
    .values({ challengeId, modeler, epoch, points: 1n, claimed: false })
    .onConflictDoUpdate((row) => ({ points: row.points + 1n }));
  const key = modeler.toLowerCase();
  await updateEpoch(db, challengeId, epoch, (row) => {
    const modelerPoints = { ...row.modelerPoints, [key]: (row.modelerPoints[key] ?? 0) + 1 };
    const settledFees = row.settledFees + settledFee;
    return {
      settledFees,
      answeredRequests: row.answeredRequests + (settledFee > 0n ? 1n : 0n),
      modelerPoints,
      ...payoutFigures(shares, settledFees, Object.values(modelerPoints).map(BigInt)),
    };
  });
}

// The event's totals are the contract's stored ones; each modeler's reward is known from here on.
ponder.on("InferenceMarket:EpochFinalized", async ({ event, context }) => {
  const { challengeId, epoch, listId, points, rewardDust } = event.args;
  const row = await updateEpoch(context.db, challengeId, epoch, (row) => ({
    listId,
    points,
    rewardDust,
    platformShare: split(shares, row.settledFees).platform + rewardDust,
    finalized: true,
    finalizedAt: event.block.timestamp,
  }));
  for (const [modeler, p] of Object.entries(row.modelerPoints)) {
    const amount = reward(row.pool, BigInt(p), points);
    await context.db
      .update(modelerEpoch, { challengeId, modeler: modeler as Address, epoch })
      .set((m) => ({ reward: amount, claimable: m.claimed ? 0n : amount }));
  }
});

ponder.on("InferenceMarket:RewardsClaimed", async ({ event, context }) => {
  const { challengeId, modeler, epochs, amount } = event.args;
  await context.db
    .insert(rewardClaim)
    .values({ id: event.id, challengeId, modeler, epochs: [...epochs], amount, ...placed(event) });
  for (const epoch of epochs) {
    await context.db
      .update(modelerEpoch, { challengeId, modeler, epoch })
      .set({ claimed: true, claimable: 0n, claimedAt: event.block.timestamp });
  }
});

ponder.on("InferenceMarket:FeesClaimed", async ({ event, context }) => {
  const { challengeId, recipient, epoch, kind, amount } = event.args;
  const name = FEE_KINDS[kind];
  if (name === undefined) throw new Error(`FeesClaimed ${event.id}: unknown fee kind ${kind}`);
  await context.db
    .insert(feeClaim)
    .values({ id: event.id, challengeId, epoch, kind: name, recipient, amount, ...placed(event) });
  await updateEpoch(context.db, challengeId, epoch, () => ({ [CLAIMED[name]]: true }));
});
