/*
 * The deployment itself: its settings, treasury, pause state and roles. The other handlers are in this folder
 * by concern: challenges.ts, modelers.ts, requests.ts and epochs.ts.
 */
import { ponder } from "ponder:registry";
import { market, role, treasuryChange } from "ponder:schema";
import { ROLE_NAMES, roleId } from "../../sdk/roles";
import { deployment, evictionThresholdBps, shares, time } from "../target";
import { placed } from "./event";

const ROLE_BY_ID = new Map<string, string>(ROLE_NAMES.map((name) => [roleId(name), name]));

const address = deployment.market as `0x${string}`;

// The settings were read once at start (target.ts): the setup handler only stores them.
ponder.on("InferenceMarket:setup", async ({ context }) => {
  await context.db.insert(market).values({
    address,
    chainId: context.chain.id,
    token: deployment.token as `0x${string}`,
    startBlock: BigInt(deployment.startBlock),
    paused: false,
    ...time,
    ...shares,
    evictionThresholdBps,
  });
});

ponder.on("InferenceMarket:TreasuryChanged", async ({ event, context }) => {
  const { previousTreasury, newTreasury } = event.args;
  await context.db.update(market, { address }).set({ treasury: newTreasury });
  await context.db.insert(treasuryChange).values({ id: event.id, previousTreasury, newTreasury, ...placed(event) });
});

ponder.on("InferenceMarket:Paused", async ({ context }) => {
  await context.db.update(market, { address }).set({ paused: true });
});

ponder.on("InferenceMarket:Unpaused", async ({ context }) => {
  await context.db.update(market, { address }).set({ paused: false });
});

ponder.on("InferenceMarket:RoleGranted", async ({ event, context }) => {
  const { role: id, account, sender } = event.args;
  const row = { holds: true, sender, ...placed(event) };
  await context.db
    .insert(role)
    .values({ role: id, name: ROLE_BY_ID.get(id) ?? id, account, ...row })
    .onConflictDoUpdate(row);
});

ponder.on("InferenceMarket:RoleRevoked", async ({ event, context }) => {
  const { role: id, account, sender } = event.args;
  await context.db.update(role, { role: id, account }).set({ holds: false, sender, ...placed(event) });
});
