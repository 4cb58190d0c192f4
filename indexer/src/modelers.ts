import { ponder } from "ponder:registry";
import { challenge, eviction, hostChange, list, modeler } from "ponder:schema";
import { zeroAddress } from "viem";
import { startOf } from "../../sdk/time";
import { time } from "../target";
import { placed } from "./event";

/** `optedInAt` of an evicted modeler in InferenceMarket (its private NEVER), as `modelerInfo` returns it. */
const NEVER = 2n ** 40n - 1n;

ponder.on("InferenceMarket:ListPromoted", async ({ event, context }) => {
  const { challengeId, listId, epoch, activationEpoch, leaderboardHash, modelers } = event.args;
  await context.db
    .insert(list)
    .values({ challengeId, listId, epoch, activationEpoch, leaderboardHash, members: [...modelers], ...placed(event) });
  await context.db.update(challenge, { id: challengeId }).set({ listCount: listId });
  for (const m of modelers) {
    const row = await context.db.find(modeler, { challengeId, modeler: m });
    if (!row) {
      await context.db.insert(modeler).values({
        challengeId,
        modeler: m,
        host: zeroAddress,
        optedInAt: 0n,
        registered: false,
        evicted: false,
        evictions: 0,
        lastListId: listId,
      });
    } else {
      // As the contract's promote: an evicted member opts in again from the new list's first second.
      const relisted = row.evicted ? { evicted: false, optedInAt: startOf(time, activationEpoch) } : {};
      await context.db.update(modeler, { challengeId, modeler: m }).set({ lastListId: listId, ...relisted });
    }
  }
});

ponder.on("InferenceMarket:ModelerRegistered", async ({ event, context }) => {
  const { challengeId, modeler: m, host, optedInAt } = event.args;
  const registration = { host, optedInAt, registered: true, registeredAt: optedInAt };
  await context.db
    .insert(modeler)
    .values({ challengeId, modeler: m, evicted: false, evictions: 0, ...registration })
    .onConflictDoUpdate(registration);
  await context.db
    .insert(hostChange)
    .values({ id: event.id, challengeId, modeler: m, host, registration: true, ...placed(event) });
});

ponder.on("InferenceMarket:HostChanged", async ({ event, context }) => {
  const { challengeId, modeler: m, host } = event.args;
  await context.db.update(modeler, { challengeId, modeler: m }).set({ host });
  await context.db
    .insert(hostChange)
    .values({ id: event.id, challengeId, modeler: m, host, registration: false, ...placed(event) });
});

ponder.on("InferenceMarket:ModelerEvicted", async ({ event, context }) => {
  const { challengeId, modeler: m, epoch, points, answeredRequests } = event.args;
  await context.db
    .update(modeler, { challengeId, modeler: m })
    .set((row) => ({ evicted: true, optedInAt: NEVER, evictions: row.evictions + 1 }));
  await context.db
    .insert(eviction)
    .values({ id: event.id, challengeId, modeler: m, epoch, points, answeredRequests, ...placed(event) });
});
