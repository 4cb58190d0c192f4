/**
 * The keeper's, the operators' and anyone's actions: promotions, eviction, finalization, fee claims, pausing
 * and the settings of challenges and of the treasury.
 */
import { ethers } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import * as time from "../../sdk/time";
import { FeeKind, MAX_EPOCH, MAX_FEE, ZERO_ADDRESS, type MarketModel } from "../model/reference";
import type { Dice, FuzzState, Planned, Planner } from "./driver";
import {
  anyone,
  challengeIds,
  claimableShares,
  evictable,
  judgedEpoch,
  modelersOf,
  pickChallenge,
  standings,
  T,
} from "./pools";
import type { World } from "./world";

const FEE = 10n ** 18n;
/** Fees an admin may set: ordinary, awkward (every split rounds), tiny (shares round to zero), invalid. */
const FEES = [FEE, FEE / 2n, FEE + 7n, 19n, 3n, 1n, 0n, MAX_FEE, MAX_FEE + 1n];
export const KINDS = [FeeKind.Creator, FeeKind.Admin, FeeKind.Platform];

export const claimFees: Planner = (d, s, w, at) => {
  const m = s.model;
  const kind = d.pick(KINDS);
  const open = (e: bigint) => time.claimsOpenAt(T(m), e) <= at;
  const tallies = m.tallyKeys();
  const owed = tallies.filter((t) => m.claimableFees(t.challengeId, kind, t.epoch) > 0n);
  const payable = claimableShares(m, at, kind);
  const share = (t: { challengeId: bigint; epoch: bigint }) => {
    const f = m.epochFigures(t.challengeId, t.epoch);
    return [f.creatorShare, f.adminShare, f.platformShare][kind];
  };
  const variant = d.weighted([
    [65, "valid"],
    [10, "early"],
    [10, "twice"],
    [5, "nothing"],
    [5, "empty"],
    [5, "unknown"],
  ] as const);
  const pool =
    variant === "valid"
      ? payable
      : variant === "early"
        ? owed.filter((t) => !open(t.epoch))
        : variant === "twice"
          ? tallies.filter((t) => m.claimableFees(t.challengeId, kind, t.epoch) === 0n && share(t) > 0n)
          : tallies;
  const chosen = pool.length ? d.pick(pool) : undefined;
  let challengeId = chosen?.challengeId ?? pickChallenge(d, m, 0);
  let epochs = [chosen?.epoch ?? time.epochOf(T(m), at) - 1n];
  if (variant === "valid" && chosen) {
    const more = pool.filter((t) => t.challengeId === challengeId && t.epoch !== chosen.epoch);
    epochs = [
      ...epochs,
      ...d
        .shuffle(more)
        .slice(0, 2)
        .map((t) => t.epoch),
    ];
  }
  if (variant === "nothing") epochs = [time.epochOf(T(m), at) - 1n - BigInt(d.below(3))];
  if (variant === "empty") epochs = [];
  if (variant === "unknown") challengeId = m.challengeCount + 1n;
  const caller = anyone(d, w);
  return {
    action: "claimFees",
    detail: `claimFees(c${challengeId}, ${FeeKind[kind]}, [${epochs.join(", ")}]) [${variant}]`,
    scope: {
      accounts: m.challenge(challengeId) ? [m.feeRecipient(challengeId, kind)] : [],
      epochs: epochs.map((epoch) => ({ challengeId, epoch })),
    },
    send: (o) => w.market.connect(caller).claimFees(challengeId, kind, epochs, o),
    apply: () => m.claimFees(challengeId, kind, epochs),
  };
};

export const finalize: Planner = (d, s, w, at) => {
  const m = s.model;
  const current = time.epochOf(T(m), at);
  const epochs = [...m.tallyKeys(), ...challengeIds(m).map((challengeId) => ({ challengeId, epoch: current - 1n }))];
  const isFinal = (e: bigint) => time.finalAt(T(m), e) <= at;
  const variant = d.weighted([
    [60, "valid"],
    [15, "early"],
    [10, "twice"],
    [5, "unknown"],
    [5, "outOfRange"],
    [5, "any"],
  ] as const);
  const pool = epochs.filter((x) => {
    const { finalized } = m.epochFigures(x.challengeId, x.epoch);
    return variant === "valid" ? isFinal(x.epoch) && !finalized : variant === "twice" ? finalized : true;
  });
  let { challengeId, epoch } = pool.length
    ? d.pick(pool)
    : { challengeId: pickChallenge(d, m, 0), epoch: current - 1n };
  if (variant === "early") epoch = isFinal(current - 1n) ? current : current - 1n;
  if (variant === "unknown") challengeId = m.challengeCount + 1n;
  if (variant === "outOfRange") epoch = MAX_EPOCH + 1n;
  const caller = anyone(d, w);
  return {
    action: "finalize",
    detail: `finalize(c${challengeId}, e${epoch}) [${variant}]`,
    scope: { epochs: [{ challengeId, epoch }] },
    send: (o) => w.market.connect(caller).finalize(challengeId, epoch, o),
    apply: () => m.finalize(challengeId, epoch),
  };
};

/** Evicts the modeler at `index` of `listId` for `epoch`; anyone may send it. */
export function evictCall(
  s: FuzzState,
  w: World,
  caller: HardhatEthersSigner,
  target: { challengeId: bigint; epoch: bigint; listId: bigint; index: number },
  aim: string,
): Planned {
  const m = s.model;
  const { challengeId, epoch, listId, index } = target;
  const modeler = m.list(challengeId, listId)[1][index];
  // A modeler that registered (or was re-listed) at the epoch's very first second is judged on it.
  const fromFirstSecond =
    modeler !== undefined && epoch <= MAX_EPOCH && m.modelerInfo(challengeId, modeler)[1] === time.startOf(T(m), epoch);
  return {
    action: aim === "before a batch" ? "evict before a batch" : "evict",
    note: fromFirstSecond ? "opted in at the epoch's first second" : undefined,
    detail: `evict(c${challengeId}, e${epoch}, l${listId}, index ${index}) [${aim}]`,
    scope: {
      modelers: modeler ? [{ challengeId, modeler }] : [],
      epochs: epoch <= MAX_EPOCH ? [{ challengeId, epoch }] : [],
    },
    send: (o) => w.market.connect(caller).evict(challengeId, epoch, listId, index, o),
    apply: () => m.evict(challengeId, epoch, listId, index),
    onSuccess: () => s.stats.evictions++,
  };
}

/**
 * An eviction for the epoch before the current one: mostly of a modeler the rule takes, else aimed at one of
 * the rule's refusals (closed window, wrong list or position, not registered, already evicted, opted in after
 * the epoch's first second, threshold met).
 */
export const evict: Planner = (d, s, w, at) => {
  const m = s.model;
  const judged = judgedEpoch(m, at);
  const variant = d.weighted([
    [48, "valid"],
    [12, "closed"],
    [8, "wrongList"],
    [7, "optedInLater"],
    [5, "notRegistered"],
    [4, "evicted"],
    [4, "met"],
    [4, "any"],
    [4, "badIndex"],
    [4, "outOfRange"],
  ] as const);
  const all = standings(m, at);
  const pools: Partial<Record<typeof variant, typeof all>> = {
    valid: evictable(m, at),
    optedInLater: all.filter((x) => x.standing === "optedInLater"),
    notRegistered: all.filter((x) => x.standing === "notRegistered"),
    evicted: all.filter((x) => x.standing === "evicted"),
    met: all.filter((x) => x.standing === "met"),
  };
  // Half the time, one on the edge of the judging rule when there is one: opted in at the epoch's very first
  // second (judged) or one second after (not judged).
  const start = time.startOf(T(m), judged);
  const edge = (x: (typeof all)[number], second: bigint) =>
    m.modelerInfo(x.challengeId, x.modeler)[1] === start + second;
  const edges = (pools[variant] ?? []).filter((x) => edge(x, variant === "optedInLater" ? 1n : 0n));
  const pool = edges.length && d.chance(50) ? edges : (pools[variant] ?? []);
  let challengeId = pickChallenge(d, m, 2);
  let epoch = judged;
  let listId = m.activeListIdAt(challengeId, epoch);
  let index = d.below(Math.max(m.list(challengeId, listId)[1].length, 1));
  if (pool.length) ({ challengeId, listId, index } = d.pick(pool));
  if (variant === "closed") {
    epoch = d.pick([judged + 1n, judged - 1n]);
    listId = m.activeListIdAt(challengeId, epoch);
  }
  if (variant === "wrongList") listId = d.pick([0n, listId + 1n, listId > 1n ? listId - 1n : listId + 2n]);
  if (variant === "badIndex") index = d.pick([m.list(challengeId, listId)[1].length, 10]);
  if (variant === "outOfRange") epoch = MAX_EPOCH + 1n;
  return evictCall(s, w, anyone(d, w), { challengeId, epoch, listId, index }, variant);
};

export const promote: Planner = (d, s, w) => {
  const m = s.model;
  const caller = d.chance(92) ? w.keeper : w.stranger;
  const challengeId = pickChallenge(d, m, 4);
  // Evicted modelers come first half of the time, to exercise re-listing.
  const evicted = modelersOf(w).filter((x) => m.modelerInfo(challengeId, x)[2]);
  const others = modelersOf(w).filter((x) => !evicted.includes(x));
  const unique = d.chance(50) ? [...d.shuffle(evicted), ...d.shuffle(others)] : d.shuffle(modelersOf(w));
  let list = unique.slice(0, 1 + d.below(10));
  const variant = d.weighted([
    [88, "valid"],
    [3, "empty"],
    [3, "tooLong"],
    [3, "repeated"],
    [3, "zero"],
  ] as const);
  if (variant === "empty") list = [];
  if (variant === "tooLong") list = [...unique.slice(0, 11)];
  if (variant === "repeated") list = [...list, d.pick(list)];
  if (variant === "zero") list.splice(d.below(list.length + 1), 0, ZERO_ADDRESS);
  return {
    action: "promote",
    detail: `promote(c${challengeId}, [${list.map((x) => x.slice(0, 6)).join(", ")}]) by ${caller.address.slice(
      0,
      8,
    )} [${variant}]`,
    scope: {
      challenges: [challengeId],
      modelers: list.filter((x) => x !== ZERO_ADDRESS).map((modeler) => ({ challengeId, modeler })),
    },
    send: (o) => w.market.connect(caller).promote(challengeId, list, ethers.id(`leaderboard-${list.join()}`), o),
    apply: () => m.promote(caller.address, challengeId, list),
    note: list.some((x) => evicted.includes(x)) ? "listing an evicted modeler again" : undefined,
  };
};

const pauser = (d: Dice, w: World) => (d.chance(90) ? w.pauser : w.keeper);

export const pause: Planner = (d, s, w) => {
  const caller = pauser(d, w);
  return {
    action: "pause",
    detail: `pause() by ${caller.address.slice(0, 8)}`,
    scope: {},
    send: (o) => w.market.connect(caller).pause(o),
    apply: () => s.model.pause(caller.address),
  };
};

export const unpause: Planner = (d, s, w) => {
  const caller = pauser(d, w);
  return {
    action: "unpause",
    detail: `unpause() by ${caller.address.slice(0, 8)}`,
    scope: {},
    send: (o) => w.market.connect(caller).unpause(o),
    apply: () => s.model.unpause(caller.address),
  };
};

const challengeCaller = (d: Dice, w: World, m: MarketModel, challengeId: bigint) => {
  const admin = m.challenge(challengeId)?.[1];
  return admin && d.chance(85) ? w.signerOf(admin) : d.pick([w.stranger, w.creator, ...w.challengeAdmins]);
};

export const setFee: Planner = (d, s, w) => {
  const m = s.model;
  const challengeId = pickChallenge(d, m, 4);
  const caller = challengeCaller(d, w, m, challengeId);
  const fee = d.pick(FEES);
  return {
    action: "setFee",
    detail: `setFee(c${challengeId}, ${fee}) by ${caller.address.slice(0, 8)}`,
    scope: { challenges: [challengeId] },
    send: (o) => w.market.connect(caller).setFee(challengeId, fee, o),
    apply: () => m.setFee(caller.address, challengeId, fee),
  };
};

export const setChallengeAdmin: Planner = (d, s, w) => {
  const m = s.model;
  const challengeId = pickChallenge(d, m, 4);
  const caller = challengeCaller(d, w, m, challengeId);
  const next = d.weighted([
    [90, d.pick(w.challengeAdmins).address],
    [10, ZERO_ADDRESS],
  ] as const);
  return {
    action: "setChallengeAdmin",
    detail: `setChallengeAdmin(c${challengeId}, ${next.slice(0, 8)}) by ${caller.address.slice(0, 8)}`,
    scope: { challenges: [challengeId] },
    send: (o) => w.market.connect(caller).setChallengeAdmin(challengeId, next, o),
    apply: () => m.setChallengeAdmin(caller.address, challengeId, next),
  };
};

export const setTreasury: Planner = (d, s, w) => {
  const caller = d.chance(85) ? w.admin : w.stranger;
  const next = d.weighted([
    [90, d.pick(w.treasuries).address],
    [10, ZERO_ADDRESS],
  ] as const);
  return {
    action: "setTreasury",
    detail: `setTreasury(${next.slice(0, 8)}) by ${caller.address.slice(0, 8)}`,
    scope: {},
    send: (o) => w.market.connect(caller).setTreasury(next, o),
    apply: () => s.model.setTreasury(caller.address, next),
  };
};

export const createChallenge: Planner = (d, s, w) => {
  const caller = d.chance(90) ? w.manager : w.stranger;
  const creator = d.chance(95) ? w.creator.address : ZERO_ADDRESS;
  const admin = d.pick(w.challengeAdmins).address;
  const fee = d.pick(FEES);
  return {
    action: "createChallenge",
    detail: `createChallenge(${creator.slice(0, 8)}, ${admin.slice(0, 8)}, ${fee}) by ${caller.address.slice(0, 8)}`,
    scope: { challenges: [s.model.challengeCount + 1n] },
    send: (o) => w.market.connect(caller).createChallenge(creator, admin, fee, "fuzz", o),
    apply: () => s.model.createChallenge(caller.address, creator, admin, fee),
  };
};
