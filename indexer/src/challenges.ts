import { ponder } from "ponder:registry";
import { adminChange, challenge, feeChange } from "ponder:schema";
import { placed } from "./event";

ponder.on("InferenceMarket:ChallengeCreated", async ({ event, context }) => {
  const { challengeId, creator, admin, fee, metadata } = event.args;
  const at = placed(event);
  await context.db.insert(challenge).values({
    id: challengeId,
    creator,
    admin,
    fee,
    metadata,
    listCount: 0n,
    requestCount: 0n,
    createdBlock: at.blockNumber,
    createdAt: at.timestamp,
    createdTx: at.txHash,
  });
  // The histories start with the creation's values, so "the fee (or admin) at time t" is one lookup.
  await context.db.insert(feeChange).values({ id: event.id, challengeId, oldFee: null, newFee: fee, ...at });
  await context.db
    .insert(adminChange)
    .values({ id: event.id, challengeId, previousAdmin: null, newAdmin: admin, ...at });
});

ponder.on("InferenceMarket:ChallengeFeeChanged", async ({ event, context }) => {
  const { challengeId, oldFee, newFee } = event.args;
  await context.db.update(challenge, { id: challengeId }).set({ fee: newFee });
  await context.db.insert(feeChange).values({ id: event.id, challengeId, oldFee, newFee, ...placed(event) });
});

ponder.on("InferenceMarket:ChallengeAdminChanged", async ({ event, context }) => {
  const { challengeId, previousAdmin, newAdmin } = event.args;
  await context.db.update(challenge, { id: challengeId }).set({ admin: newAdmin });
  await context.db.insert(adminChange).values({ id: event.id, challengeId, previousAdmin, newAdmin, ...placed(event) });
});
