import { ethers } from "hardhat";
import { time, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { signPermit } from "../../sdk/permit";
import { DEFAULT_TIME, claimsOpenAt, windowStart } from "../../sdk/time";
import { FEE, FIRST_EPOCH, gasOf, world, type Req, type World } from "./world";

const T = DEFAULT_TIME;
const HISTORY = 12; // epochs of activity before the measured week

/** Every path in week 13 of a challenge with a list of ten that has answered every request since week 1. */
export async function steadyState(progress: (step: string) => void): Promise<Record<string, number>> {
  const snapshot = await takeSnapshot();
  const w = await world(10);
  const gas: Record<string, number> = {};
  const put = (key: string, value: bigint, per = 1n) => (gas[key] = Number(value / per));

  for (let e = 0; e < HISTORY; e++) {
    progress(`history: epoch ${e + 1}/${HISTORY}`);
    await w.activity(2, 10);
    await w.nextEpoch();
  }
  const first = FIRST_EPOCH;
  const last = FIRST_EPOCH + BigInt(HISTORY) - 1n;
  await time.increaseTo(claimsOpenAt(T, last));
  progress("claims");
  for (let e = first; e < last; e++) await w.market.finalize(1, e);

  const unfinalized = await takeSnapshot();
  put("finalize.10", await gasOf(w.market.finalize(1, last)));
  await unfinalized.restore();
  await w.claim(1, [first]);
  put("claim.1epoch.finalizing", await w.claim(1, [last]));
  put("claim.1epoch.firstEver", await w.claim(0, [first]));
  put("claim.1epoch", await w.claim(0, [first + 1n]));
  const ten = Array.from({ length: 10 }, (_, i) => first + 2n + BigInt(i));
  put("claim.10epochs.perEpoch", await w.claim(0, ten), 10n);
  await w.market.claimFees(1, 0, [first]);
  put("claimFees.1epoch", await gasOf(w.market.claimFees(1, 0, [first + 1n])));

  progress("requests and answers");
  const a = await w.request();
  await w.answer(0, a);
  put("answer.firstOfEpoch", await w.answer(1, a));
  await w.activity(1, 10);
  const b = await w.request(w.users[0]);
  put("request.approve", b.gas);
  put("answer.settling", await w.answer(0, b));
  put("answer.additional", await w.answer(1, b));
  put("request.permit", await permitRequests(w));

  const c = await w.request(w.users[2]);
  await time.increase(T.sla + 1n);
  put("refund", await gasOf(w.market.connect(w.users[2]).refund(c.id, c.key)));

  progress("batches");
  for (const n of [10, 50]) put(`answer.batch${n}.perAnswer`, await batch(w, n, n === 10 ? 2 : 3), BigInt(n));
  put("answer.batch10.oneSkipped.perAnswer", await batch(w, 10, 4, 1), 9n);

  progress("promotion and registration");
  await time.increaseTo(windowStart(T, await w.epoch()));
  put(
    "promote.10",
    await gasOf(
      w.market.promote(
        1,
        [...w.modelers].reverse().map((m) => m.address),
        ethers.id("lb"),
      ),
    ),
  );
  put("register", await gasOf(w.market.connect(w.spare).register(1, w.spare.address)));
  await snapshot.restore();
  return gas;
}

/** A user who pays by permit: the second such request, so the permit nonce is not a first write. */
async function permitRequests(w: World): Promise<bigint> {
  const user = w.users[4];
  const marketAddress = await w.market.getAddress();
  await w.token.connect(user).approve(marketAddress, 0);
  let gas = 0n;
  for (let i = 0; i < 2; i++) {
    const deadline = BigInt(await time.latest()) + 3_600n;
    const sig = await signPermit(w.token, user, marketAddress, FEE, deadline);
    gas = await gasOf(w.market.connect(user).requestWithPermit(1, FEE, "0x01", deadline, sig.v, sig.r, sig.s));
  }
  await w.token.connect(user).approve(marketAddress, ethers.MaxUint256);
  return gas;
}

/**
 * Gas of one answerBatch by `host` answering `n` fresh requests first (each answer settles its fee). The first
 * `skipped` entries are already answered, as after a competing transaction, and are skipped.
 */
async function batch(w: World, n: number, host: number, skipped = 0): Promise<bigint> {
  const requests: Req[] = [];
  for (let i = 0; i < n; i++) requests.push(await w.request());
  for (const r of requests.slice(0, skipped)) await w.answer(host, r);
  const answers = requests.map((r) => ({ requestId: r.id, key: r.key, index: host, output: "0x02" }));
  return gasOf(w.market.connect(w.hosts[host]).answerBatch(answers));
}
