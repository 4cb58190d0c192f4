/**
 * The fuzzer's commands. fast-check draws a kind and a list of numbers; the action turns them into calls
 * chosen from the current state (mostly ones that should succeed, sometimes ones aimed at a rule), so that
 * shrinking and replays stay meaningful while answers, claims and refunds succeed often enough to matter.
 * The actions themselves live by role: users.ts, answers.ts (hosts), modelers.ts, keepers.ts.
 */
import { network } from "hardhat";
import fc from "fast-check";
import * as time from "../../sdk/time";
import { FeeKind, type MarketModel } from "../model/reference";
import { answer, answerBatch, raceBatch } from "./answers";
import { execute, nextTime, verify, Dice, type FuzzState, type Planner } from "./driver";
import {
  claimFees,
  createChallenge,
  evict,
  finalize,
  KINDS,
  pause,
  promote,
  setChallengeAdmin,
  setFee,
  setTreasury,
  unpause,
} from "./keepers";
import { claimRewards, lateRegister, register, setHost } from "./modelers";
import {
  allRequests,
  answerable,
  claimableRewards,
  claimableShares,
  challengeIds,
  evictable,
  expiredUnanswered,
  finalizable,
  T,
  unregisteredServing,
} from "./pools";
import { refund, refundCall, request } from "./users";
import type { World } from "./world";

// ------------------------------------------------------------------ time

/**
 * The boundaries worth landing on exactly: a request's deadline and the second after, an epoch's start,
 * the promotion window, the opening of claims and of eviction (and the second before each), plus plain
 * waits of seconds, hours or days.
 */
function timeTarget(d: Dice, s: FuzzState): { target: bigint; why: string } {
  const m = s.model;
  const t = T(m);
  // A jump goes on from the previous one when no transaction came in between.
  const now = nextTime(s) - 1n;
  const epoch = time.epochOf(t, now);
  const minusOne = d.chance(35) ? 1n : 0n;
  const requests = allRequests(m).filter(({ r }) => !r.refunded);
  // Epochs with figures whose boundary `at` is still ahead, so that the jump lands on it.
  const ahead = (at: (e: bigint) => bigint) => {
    const epochs = [...new Set(m.tallyKeys().map((k) => k.epoch))].filter((e) => at(e) > now);
    return at(epochs.length ? d.pick(epochs) : epoch);
  };
  // While hosts have work early in a run, mostly short waits; otherwise mostly jumps to the next boundary,
  // so that runs also reach promotion windows, eviction, finalization and claims.
  const busy = s.steps < 20 && answerable(s, now + 1n).length > 0;
  const kind = d.weighted([
    [busy ? 50 : 10, "seconds"],
    [busy ? 14 : 10, "deadline"],
    [busy ? 5 : 5, "sla"],
    [busy ? 3 : 10, "epochStart"],
    [busy ? 8 : 25, "window"],
    [busy ? 5 : 25, "claims"],
    [busy ? 3 : 12, "eviction"],
    [busy ? 3 : 6, "hours"],
    [busy ? 1 : 3, "days"],
  ] as const);
  const targets: Record<typeof kind, () => bigint> = {
    seconds: () => now + 1n + BigInt(d.below(120)),
    deadline: () => {
      const open = requests.filter(({ r }) => time.deadline(t, r.createdAt) + 1n > now);
      return requests.length
        ? time.deadline(t, d.pick(open.length ? open : requests).r.createdAt) + BigInt(d.below(2))
        : now + 600n;
    },
    sla: () => now + 599n + BigInt(d.below(3)),
    epochStart: () => time.endOf(t, epoch) - minusOne,
    window: () => {
      const current = time.windowStart(t, epoch);
      return (current > now ? current : time.windowStart(t, epoch + 1n)) - minusOne;
    },
    claims: () => ahead((e) => time.claimsOpenAt(t, e)) - minusOne,
    eviction: () => (d.chance(70) ? ahead((e) => time.finalAt(t, e)) : ahead((e) => time.endOf(t, e + 1n))) - minusOne,
    hours: () => now + BigInt(1 + d.below(48)) * 3_600n,
    days: () => now + BigInt(1 + d.below(8)) * time.DAY,
  };
  const target = targets[kind]();
  return target > now ? { target, why: kind } : { target: now + 1n + BigInt(d.below(60)), why: `${kind}, passed` };
}

// ------------------------------------------------------------------ commands

/** Whether an action can do its job now; when it cannot, it still runs now and then, to hit its errors. */
type Relevance = (s: FuzzState, at: bigint) => boolean;
const hostsHaveWork: Relevance = (s, at) => answerable(s, at).length > 0;
const onModel =
  (f: (m: MarketModel, at: bigint) => boolean): Relevance =>
  (s, at) =>
    f(s.model, at);

const PLANNERS: Record<string, readonly [number, Planner, Relevance?]> = {
  answer: [20, answer, hostsHaveWork],
  answerBatch: [7, answerBatch, hostsHaveWork],
  raceBatch: [3, raceBatch, hostsHaveWork],
  request: [16, request, onModel((m) => !m.paused)],
  refund: [7, refund, onModel((m, at) => expiredUnanswered(m, at).length > 0)],
  claimRewards: [7, claimRewards, onModel((m, at) => claimableRewards(m, at).length > 0)],
  claimFees: [5, claimFees, onModel((m, at) => KINDS.some((kind) => claimableShares(m, at, kind).length > 0))],
  finalize: [3, finalize, onModel((m, at) => finalizable(m, at).length > 0)],
  evict: [8, evict, onModel((m, at) => evictable(m, at).length > 0)],
  promote: [8, promote, onModel((m, at) => !m.paused && time.inWindow(T(m), at))],
  register: [3, register],
  // Whoever is listed and unregistered now or at the next epoch's start.
  lateRegister: [4, lateRegister, (s, at) => lateCandidates(s.model, at)],
  setHost: [3, setHost],
  pause: [1, pause, onModel((m) => !m.paused)],
  unpause: [3, unpause, onModel((m) => m.paused)],
  setFee: [2, setFee],
  setChallengeAdmin: [1, setChallengeAdmin],
  setTreasury: [1, setTreasury],
  createChallenge: [1, createChallenge],
};
/** Share of the actions that run although they cannot do their job (percent). */
const IRRELEVANT_PERCENT = 12;
const TIME_WEIGHT = 16;

/** Listed modelers that can still register during an epoch their list serves: now, or from the next epoch. */
function lateCandidates(m: MarketModel, at: bigint): boolean {
  const next = time.endOf(T(m), time.epochOf(T(m), at - 1n));
  return unregisteredServing(m, at).length > 0 || unregisteredServing(m, next).length > 0;
}

abstract class Step implements fc.AsyncCommand<FuzzState, World> {
  protected resolved = "";
  constructor(
    protected readonly kind: string,
    protected readonly seed: readonly number[],
  ) {}
  check(s: FuzzState): boolean;
  check() {
    return true;
  }
  abstract run(s: FuzzState, w: World): Promise<void>;
  toString() {
    return `${this.kind}[${this.seed.join(",")}]${this.resolved ? ` ${this.resolved}` : ""}`;
  }
}

class CallStep extends Step {
  check(s: FuzzState) {
    const relevant = PLANNERS[this.kind][2];
    return !relevant || relevant(s, nextTime(s)) || this.seed[7] % 100 < IRRELEVANT_PERCENT;
  }

  async run(s: FuzzState, w: World) {
    s.steps++;
    const planned = PLANNERS[this.kind][1](new Dice(this.seed), s, w, nextTime(s));
    const calls = Array.isArray(planned) ? planned : [planned];
    this.resolved = calls.map((p) => p.detail).join(" then ");
    for (const p of calls) {
      await execute(w, s, p);
      await verify(w, s, p.scope);
    }
  }
}

/** Moves the clock: either the next transaction happens at the target, or an empty block is mined there. */
class TimeStep extends Step {
  async run(s: FuzzState, w: World) {
    s.steps++;
    const d = new Dice(this.seed);
    const { target, why } = timeTarget(d, s);
    const mine = d.chance(30);
    this.resolved = `${mine ? "mine" : "next"} at ${target} (${time.isoOf(target)}, ${why})`;
    s.stats.record("time", why, true);
    s.stats.actions++;
    if (mine) {
      await network.provider.send("evm_mine", [Number(target)]);
      s.model.exec(target, () => undefined);
      s.pendingTime = undefined;
      await verify(w, s, {});
    } else {
      s.pendingTime = target;
    }
  }
}

const seedArb = fc.array(fc.nat(), { minLength: 8, maxLength: 8 });

/** Every action, each as likely as its weight. */
export const stepArbitrary: fc.Arbitrary<fc.AsyncCommand<FuzzState, World>> = fc.oneof(
  { weight: TIME_WEIGHT, arbitrary: seedArb.map((seed) => new TimeStep("time", seed)) },
  ...Object.entries(PLANNERS).map(([kind, [weight]]) => ({
    weight,
    arbitrary: seedArb.map((seed) => new CallStep(kind, seed)),
  })),
);

/**
 * After a run: once every epoch's claims are open, refund what is left and claim every reward and share;
 * the market must then hold nothing.
 */
export async function drain(w: World, s: FuzzState) {
  const m = s.model;
  const last = [...m.tallyKeys().map((k) => k.epoch), time.epochOf(T(m), m.now)].reduce((a, b) => (a > b ? a : b));
  const opens = time.claimsOpenAt(T(m), last);
  if (opens > m.now) s.pendingTime = opens;
  const caller = w.stranger;
  for (const { id, r } of allRequests(m)) {
    if (r.refunded || r.answered !== 0) continue;
    await execute(w, s, { ...refundCall(s, w, caller, id, r.key, "drain.refund"), scope: {} });
  }
  const unclaimed = new Map<string, { challengeId: bigint; modeler: string; epochs: bigint[] }>();
  for (const x of m.pointEntries().filter((x) => !x.claimed)) {
    const key = `${x.challengeId}/${x.modeler}`;
    const entry = unclaimed.get(key) ?? { challengeId: x.challengeId, modeler: x.modeler, epochs: [] };
    entry.epochs.push(x.epoch);
    unclaimed.set(key, entry);
  }
  for (const { challengeId, modeler, epochs } of unclaimed.values()) {
    await execute(w, s, {
      action: "drain.claimRewards",
      detail: `claimRewards(c${challengeId}, ${modeler}, [${epochs.join(", ")}])`,
      scope: {},
      send: (o) => w.market.connect(caller).claimRewards(challengeId, modeler, epochs, o),
      apply: () => m.claimRewards(challengeId, modeler, epochs),
    });
  }
  for (const challengeId of challengeIds(m)) {
    for (const kind of KINDS) {
      const epochs = m
        .tallyKeys()
        .filter((k) => k.challengeId === challengeId && m.claimableFees(challengeId, kind, k.epoch) > 0n)
        .map((k) => k.epoch);
      if (epochs.length === 0) continue;
      await execute(w, s, {
        action: "drain.claimFees",
        detail: `claimFees(c${challengeId}, ${FeeKind[kind]}, [${epochs.join(", ")}])`,
        scope: {},
        send: (o) => w.market.connect(caller).claimFees(challengeId, kind, epochs, o),
        apply: () => m.claimFees(challengeId, kind, epochs),
      });
    }
  }
  await verify(w, s, {}, true);
  const left = m.balanceOf(w.marketAddress);
  if (left !== 0n) throw new Error(`the market still holds ${left} after every refund and claim`);
}
