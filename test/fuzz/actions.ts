/**
 * The fuzzer's actions. fast-check draws a kind and a list of numbers; the action turns them into a call
 * chosen from the current state (mostly one that should succeed, sometimes one aimed at a rule), so that
 * shrinking and replays stay meaningful while answers, claims and refunds succeed often enough to matter.
 */
import { network } from "hardhat";
import fc from "fast-check";
import { ethers } from "ethers";
import * as time from "../../sdk/time";
import { signPermit } from "../fixtures";
import {
  BPS,
  FeeKind,
  MAX_EPOCH,
  MAX_FEE,
  ZERO_ADDRESS,
  type AnswerEntry,
  type MarketModel,
  type RequestKey,
} from "../model/reference";
import { Dice, execute, nextTime, verify, type FuzzState, type Planned, type Scope } from "./driver";
import type { World } from "./world";

const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:640"));
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const FEE = 10n ** 18n;
/** Fees an admin may set: ordinary, awkward (every split rounds), tiny (shares round to zero), invalid. */
const FEES = [FEE, FEE / 2n, FEE + 7n, 19n, 3n, 1n, 0n, MAX_FEE, MAX_FEE + 1n];
const KINDS = [FeeKind.Creator, FeeKind.Admin, FeeKind.Platform];

type Planner = (d: Dice, s: FuzzState, w: World, at: bigint) => Planned;

// ------------------------------------------------------------------ reading the model

const T = (m: MarketModel) => m.settings.time;
const challengeIds = (m: MarketModel) => Array.from({ length: Number(m.challengeCount) }, (_, i) => BigInt(i + 1));
const allRequests = (m: MarketModel) =>
  Array.from({ length: Number(m.requestCount) }, (_, i) => ({ id: BigInt(i + 1), r: m.requestOf(BigInt(i + 1))! }));
const epochOfRequest = (m: MarketModel, createdAt: bigint) => time.epochOf(T(m), createdAt);

function pickChallenge(d: Dice, m: MarketModel, unknownPercent = 3): bigint {
  const ids = challengeIds(m);
  return d.chance(unknownPercent) || ids.length === 0 ? m.challengeCount + 1n : d.pick(ids);
}

const modelersOf = (w: World) => w.modelers.map((x) => x.address);
/** Everyone who can be a host: the three hosting services and the modeler that hosts itself. */
const hostCandidates = (w: World) => [...w.hosts.map((h) => h.address), w.modelers[7].address];
const anyone = (d: Dice, w: World) => d.pick([...w.users, w.stranger, w.keeper, w.hosts[0], w.modelers[0]]);

/** The positions of a request's list whose modeler may answer it now through `host` (any host if undefined). */
function answerable(m: MarketModel, at: bigint, host?: string) {
  const out: { id: bigint; key: RequestKey; index: number; host: string }[] = [];
  for (const { id, r } of allRequests(m)) {
    if (r.refunded || time.deadline(T(m), r.createdAt) < at) continue;
    m.list(r.key.challengeId, r.key.listId)[1].forEach((modeler, index) => {
      const [h, optedInAt, evicted] = m.modelerInfo(r.key.challengeId, modeler);
      if (h === ZERO_ADDRESS || evicted || optedInAt > r.createdAt || r.answered & (1 << index)) return;
      if (host === undefined || h.toLowerCase() === host.toLowerCase()) out.push({ id, key: r.key, index, host: h });
    });
  }
  return out;
}

const expiredUnanswered = (m: MarketModel, at: bigint) =>
  allRequests(m).filter(({ r }) => !r.refunded && r.answered === 0 && time.deadline(T(m), r.createdAt) < at);

/** The modelers' rewards that claimRewards pays now. */
const claimableRewards = (m: MarketModel, at: bigint) =>
  m.pointEntries().filter((x) => !x.claimed && time.claimsOpenAt(T(m), x.epoch) <= at);

/** The shares of `kind` that claimFees pays now. */
const claimableShares = (m: MarketModel, at: bigint, kind: FeeKind) =>
  m
    .tallyKeys()
    .filter((t) => time.claimsOpenAt(T(m), t.epoch) <= at && m.claimableFees(t.challengeId, kind, t.epoch) > 0n);

const finalizable = (m: MarketModel, at: bigint) =>
  m.tallyKeys().filter((t) => time.finalAt(T(m), t.epoch) <= at && !m.epochFigures(t.challengeId, t.epoch).finalized);

/** The listed modelers anyone may evict now: only the epoch before the current one can be open for eviction. */
function evictable(m: MarketModel, at: bigint) {
  const judged = time.epochOf(T(m), at) - 1n;
  if (at < time.finalAt(T(m), judged)) return [];
  return challengeIds(m).flatMap((challengeId) => {
    const listId = m.activeListIdAt(challengeId, judged);
    const { requests } = m.epochFigures(challengeId, judged);
    return m.list(challengeId, listId)[1].flatMap((modeler, index) => {
      const [, optedInAt, evicted] = m.modelerInfo(challengeId, modeler);
      const under = m.pointsOf(challengeId, modeler, judged) * BPS < requests * m.settings.evictionThresholdBps;
      return !evicted && optedInAt < time.endOf(T(m), judged) && under ? [{ challengeId, listId, index }] : [];
    });
  });
}

function answerScope(m: MarketModel, entries: AnswerEntry[]): Scope {
  const scope: Scope = { epochs: [], requests: [], modelers: [] };
  for (const e of entries) {
    const r = m.requestOf(e.requestId);
    const challengeId = r?.key.challengeId ?? e.key.challengeId;
    scope.requests!.push(e.requestId);
    if (r) scope.epochs!.push({ challengeId, epoch: epochOfRequest(m, r.createdAt) });
    const modeler = m.list(challengeId, e.key.listId)[1][e.index];
    if (modeler) scope.modelers!.push({ challengeId, modeler });
  }
  return scope;
}

const keyText = (k: RequestKey) => `{${k.requester.slice(0, 8)}, c${k.challengeId}, l${k.listId}, ${k.fee}}`;

// ------------------------------------------------------------------ users

const request: Planner = (d, s, w, at) => {
  const m = s.model;
  const user = d.chance(75) ? d.pick(w.users) : w.permitUser;
  const active = challengeIds(m).filter((c) => m.activeListIdAt(c, time.epochOf(T(m), at)) !== 0n);
  const challengeId = active.length && d.chance(85) ? d.pick(active) : pickChallenge(d, m, 10);
  const fee = m.challenge(challengeId)?.[2] ?? FEE;
  const maxFee = d.weighted([
    [60, fee],
    [30, fee * 2n],
    [5, fee - 1n],
    [5, 0n],
  ] as const);
  const permitKind =
    user === w.permitUser
      ? d.weighted([
          [50, "fresh"],
          [20, "none"],
          [15, "replayed"],
          [15, "expired"],
        ] as const)
      : d.weighted([
          [90, "none"],
          [10, "replayed"],
        ] as const);
  const scope: Scope = {
    accounts: [user.address],
    requests: [m.requestCount + 1n],
    epochs: [{ challengeId, epoch: time.epochOf(T(m), at) }],
    challenges: [challengeId],
  };
  const detail = `request(${user.address.slice(0, 8)}, c${challengeId}, maxFee ${maxFee}, permit ${permitKind})`;
  if (permitKind === "none") {
    return {
      action: "request",
      detail,
      scope,
      send: (o) => w.market.connect(user).request(challengeId, maxFee, INPUT, o),
      apply: () => m.request(user.address, challengeId, maxFee),
    };
  }
  const replay = s.lastPermit;
  if (permitKind === "replayed" && replay) {
    return {
      action: "requestWithPermit",
      detail,
      scope,
      send: (o) =>
        w.market
          .connect(user)
          .requestWithPermit(challengeId, maxFee, INPUT, replay.permit.deadline, replay.v, replay.r, replay.s, o),
      // A permit signed by another owner never verifies for this caller.
      apply: () =>
        m.request(user.address, challengeId, maxFee, replay.owner === user.address ? replay.permit : undefined),
    };
  }
  const deadline = permitKind === "expired" ? at - 1n : at + 3_600n;
  const permit = { value: maxFee, deadline, nonce: m.nonces(user.address) };
  let signature: { v: number; r: string; s: string } = { v: 0, r: ethers.ZeroHash, s: ethers.ZeroHash };
  return {
    action: "requestWithPermit",
    detail,
    scope,
    send: async (o) => {
      const { v, r, s: sigS } = await signPermit(w.token, user, w.marketAddress, maxFee, deadline);
      signature = { v, r, s: sigS };
      return w.market
        .connect(user)
        .requestWithPermit(challengeId, maxFee, INPUT, deadline, signature.v, signature.r, signature.s, o);
    },
    apply: () => m.request(user.address, challengeId, maxFee, permit),
    onSuccess: () => {
      s.lastPermit = { owner: user.address, permit, ...signature };
    },
  };
};

const refund: Planner = (d, s, w, at) => {
  const m = s.model;
  const all = allRequests(m);
  const variant = d.weighted([
    [60, expiredUnanswered(m, at)],
    [10, all.filter(({ r }) => !r.refunded && r.answered === 0 && time.deadline(T(m), r.createdAt) >= at)],
    [10, all.filter(({ r }) => r.answered !== 0)],
    [10, all.filter(({ r }) => r.refunded)],
    [10, all],
  ] as const);
  const chosen = variant.length ? d.pick(variant) : all.length ? d.pick(all) : undefined;
  let id = chosen?.id ?? 1n;
  let key: RequestKey = chosen
    ? { ...chosen.r.key }
    : { requester: w.users[0].address, challengeId: 1n, listId: 1n, fee: FEE };
  if (d.chance(6)) key = { ...key, fee: key.fee + 1n };
  else if (d.chance(4)) id = d.pick([0n, m.requestCount + 1n]);
  const caller = anyone(d, w);
  const r = m.requestOf(id);
  return {
    action: "refund",
    detail: `refund(${id}, ${keyText(key)}) by ${caller.address.slice(0, 8)}`,
    scope: {
      accounts: [key.requester],
      requests: [id],
      epochs: r ? [{ challengeId: r.key.challengeId, epoch: epochOfRequest(m, r.createdAt) }] : [],
    },
    send: (o) => w.market.connect(caller).refund(id, key, o),
    apply: () => m.refund(id, key),
  };
};

// ------------------------------------------------------------------ hosts

/** Every position of every request's list, with the modeler there and its current host. */
function positions(m: MarketModel) {
  return allRequests(m).flatMap(({ id, r }) =>
    m.list(r.key.challengeId, r.key.listId)[1].map((modeler, index) => {
      const [host, optedInAt, evicted] = m.modelerInfo(r.key.challengeId, modeler);
      return { id, r, key: r.key, index, host, serving: !evicted && optedInAt <= r.createdAt };
    })
  );
}

const answer: Planner = (d, s, w, at) => {
  const m = s.model;
  const variant = d.weighted([
    [66, "valid"],
    [6, "late"],
    [5, "wrongHost"],
    [5, "formerHost"],
    [5, "twice"],
    [4, "notServing"],
    [3, "badIndex"],
    [3, "badKey"],
    [2, "refunded"],
    [1, "unknown"],
  ] as const);
  const all = positions(m);
  const inTime = all.filter((p) => !p.r.refunded && time.deadline(T(m), p.r.createdAt) >= at);
  const pools: Partial<Record<typeof variant, typeof all>> = {
    late: all.filter((p) => !p.r.refunded && time.deadline(T(m), p.r.createdAt) < at),
    twice: all.filter((p) => !p.r.refunded && p.r.answered & (1 << p.index)),
    notServing: inTime.filter((p) => p.host !== ZERO_ADDRESS && !p.serving),
    refunded: all.filter((p) => p.r.refunded),
  };
  const valid = inTime.filter((p) => p.host !== ZERO_ADDRESS && p.serving && !(p.r.answered & (1 << p.index)));
  const pool = pools[variant] ?? valid;
  const chosen = pool.length ? d.pick(pool) : all.length ? d.pick(all) : undefined;
  let requestId = chosen?.id ?? 1n;
  let key: RequestKey = chosen
    ? { ...chosen.key }
    : { requester: w.users[0].address, challengeId: 1n, listId: 1n, fee: FEE };
  let index = chosen?.index ?? 0;
  const host = chosen && chosen.host !== ZERO_ADDRESS ? chosen.host : d.pick(hostCandidates(w));
  const modeler = m.list(key.challengeId, key.listId)[1][index];

  let caller = host;
  if (variant === "wrongHost") caller = d.pick(hostCandidates(w).filter((h) => h.toLowerCase() !== host.toLowerCase()));
  const former = modeler ? s.formerHosts.get(`${key.challengeId}/${modeler.toLowerCase()}`) ?? [] : [];
  if (variant === "formerHost" && former.length) caller = d.pick(former);
  if (variant === "badIndex") index = d.pick([m.list(key.challengeId, key.listId)[1].length, 10, 255]);
  if (variant === "badKey") {
    key = d.pick([
      { ...key, fee: key.fee + 1n },
      { ...key, listId: key.listId + 1n },
      { ...key, requester: w.stranger.address },
    ]);
  }
  if (variant === "unknown") requestId = d.pick([0n, m.requestCount + 1n]);

  const signer = w.signerOf(caller);
  const entry = { requestId, key, index };
  // Rewards go to the epoch the request was made in, also when the answer comes in the next one.
  const acrossEpochs = chosen && time.epochOf(T(m), chosen.r.createdAt) < time.epochOf(T(m), at);
  return {
    action: "answer",
    detail: `answer(${requestId}, ${keyText(key)}, index ${index}) by ${caller.slice(0, 8)} [${variant}]`,
    scope: answerScope(m, [entry]),
    send: (o) => w.market.connect(signer).answer(requestId, key, index, OUTPUT, o),
    apply: () => m.answer(caller, requestId, key, index),
    note: acrossEpochs ? "in the epoch after the request's" : undefined,
  };
};

const answerBatch: Planner = (d, s, w, at) => {
  const m = s.model;
  const busy = [...new Set(answerable(m, at).map((x) => x.host))];
  const host = busy.length && d.chance(90) ? d.pick(busy) : d.pick(hostCandidates(w));
  const entries: AnswerEntry[] = d
    .shuffle(answerable(m, at, host))
    .slice(0, 1 + d.below(4))
    .map(({ id, key, index }) => ({ requestId: id, key, index }));
  const variant = d.weighted([
    [85, "valid"],
    [5, "empty"],
    [5, "repeated"],
    [5, "stale"],
  ] as const);
  if (variant === "empty") entries.length = 0;
  if (variant === "repeated" && entries.length) entries.push(entries[0]);
  if (variant === "stale" || (variant !== "empty" && entries.length === 0)) {
    const all = allRequests(m);
    if (all.length) {
      const { id, r } = d.pick(all);
      entries.push({ requestId: id, key: r.key, index: d.below(m.list(r.key.challengeId, r.key.listId)[1].length) });
    }
  }
  const signer = w.signerOf(host);
  const calls = entries.map((e) => ({ requestId: e.requestId, key: e.key, index: e.index, output: OUTPUT }));
  return {
    action: "answerBatch",
    detail: `answerBatch([${entries.map((e) => `${e.requestId}#${e.index}`).join(", ")}]) by ${host.slice(
      0,
      8
    )} [${variant}]`,
    scope: answerScope(m, entries),
    send: (o) => w.market.connect(signer).answerBatch(calls, o),
    apply: () => m.answerBatch(host, entries),
  };
};

// ------------------------------------------------------------------ modelers

const register: Planner = (d, s, w) => {
  const m = s.model;
  const challengeId = pickChallenge(d, m, 5);
  const unregistered = modelersOf(w).filter((x) => m.modelerInfo(challengeId, x)[0] === ZERO_ADDRESS);
  // Mostly a modeler of the challenge's latest list, which opts in once promoted, as the protocol expects.
  const latest = m.list(challengeId, m.challenge(challengeId)?.[3] ?? 0n)[1];
  const newlyListed = unregistered.filter((x) => latest.includes(x));
  const pool = d.weighted([
    [50, newlyListed],
    [35, unregistered],
    [15, modelersOf(w)],
  ] as const);
  const modeler = pool.length ? d.pick(pool) : d.pick(modelersOf(w));
  const host = d.weighted([
    [80, d.pick(w.hosts).address],
    [12, modeler],
    [8, ZERO_ADDRESS],
  ] as const);
  const signer = w.signerOf(modeler);
  return {
    action: "register",
    detail: `register(c${challengeId}, host ${host.slice(0, 8)}) by ${modeler.slice(0, 8)}`,
    scope: { modelers: [{ challengeId, modeler }] },
    send: (o) => w.market.connect(signer).register(challengeId, host, o),
    apply: () => m.register(modeler, challengeId, host),
  };
};

const setHost: Planner = (d, s, w) => {
  const m = s.model;
  const challengeId = pickChallenge(d, m, 3);
  const registered = modelersOf(w).filter((x) => m.modelerInfo(challengeId, x)[0] !== ZERO_ADDRESS);
  const modeler = registered.length && d.chance(85) ? d.pick(registered) : d.pick(modelersOf(w));
  const current = m.modelerInfo(challengeId, modeler)[0];
  const others = hostCandidates(w).filter((h) => h.toLowerCase() !== current.toLowerCase());
  const host = d.weighted([
    [85, d.pick(others)],
    [10, modeler],
    [5, ZERO_ADDRESS],
  ] as const);
  const signer = w.signerOf(modeler);
  const historyKey = `${challengeId}/${modeler.toLowerCase()}`;
  return {
    action: "setHost",
    detail: `setHost(c${challengeId}, ${host.slice(0, 8)}) by ${modeler.slice(0, 8)}`,
    scope: { modelers: [{ challengeId, modeler }] },
    send: (o) => w.market.connect(signer).setHost(challengeId, host, o),
    apply: () => m.setHost(modeler, challengeId, host),
    onSuccess: () => s.formerHosts.set(historyKey, [...(s.formerHosts.get(historyKey) ?? []), current]),
  };
};

const claimRewards: Planner = (d, s, w, at) => {
  const m = s.model;
  const open = (e: bigint) => time.claimsOpenAt(T(m), e) <= at;
  const entries = m.pointEntries();
  const variant = d.weighted([
    [62, "valid"],
    [10, "early"],
    [10, "twice"],
    [6, "nothing"],
    [4, "empty"],
    [4, "outOfRange"],
    [4, "repeated"],
  ] as const);
  const pool = entries.filter((x) =>
    variant === "early" ? !open(x.epoch) : variant === "twice" ? x.claimed : !x.claimed && open(x.epoch)
  );
  const chosen = pool.length ? d.pick(pool) : entries.length ? d.pick(entries) : undefined;
  const challengeId = chosen?.challengeId ?? pickChallenge(d, m, 0);
  let modeler = chosen?.modeler ?? d.pick(modelersOf(w));
  let epochs = chosen ? [chosen.epoch] : [time.epochOf(T(m), at) - 1n];
  if (variant === "valid" && chosen) {
    const more = entries.filter(
      (x) =>
        x.challengeId === challengeId &&
        x.modeler === modeler &&
        x.epoch !== chosen.epoch &&
        !x.claimed &&
        open(x.epoch)
    );
    epochs = [
      ...epochs,
      ...d
        .shuffle(more)
        .slice(0, 2)
        .map((x) => x.epoch),
    ];
  }
  if (variant === "nothing") modeler = d.pick(modelersOf(w));
  if (variant === "empty") epochs = [];
  if (variant === "outOfRange") epochs = [...epochs, MAX_EPOCH + 1n];
  if (variant === "repeated") epochs = [...epochs, epochs[0]];
  const caller = d.chance(50) ? w.signerOf(modeler) : anyone(d, w);
  return {
    action: "claimRewards",
    detail: `claimRewards(c${challengeId}, ${modeler.slice(0, 8)}, [${epochs.join(", ")}]) [${variant}]`,
    scope: {
      accounts: [modeler],
      epochs: epochs.filter((e) => e <= MAX_EPOCH).map((epoch) => ({ challengeId, epoch })),
    },
    send: (o) => w.market.connect(caller).claimRewards(challengeId, modeler, epochs, o),
    apply: () => m.claimRewards(challengeId, modeler, epochs),
  };
};

const claimFees: Planner = (d, s, w, at) => {
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

const finalize: Planner = (d, s, w, at) => {
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

const evict: Planner = (d, s, w, at) => {
  const m = s.model;
  const judged = time.epochOf(T(m), at) - 1n;
  const variant = d.weighted([
    [56, "valid"],
    [14, "closed"],
    [10, "wrongList"],
    [6, "optedInLater"],
    [5, "any"],
    [5, "badIndex"],
    [4, "outOfRange"],
  ] as const);
  const candidates = evictable(m, at);
  // Listed modelers whose opt-in began after the judged epoch: it no longer judges them.
  const fresh = challengeIds(m).flatMap((challengeId) => {
    const listId = m.activeListIdAt(challengeId, judged);
    return m.list(challengeId, listId)[1].flatMap((modeler, index) => {
      const [, optedInAt, evicted] = m.modelerInfo(challengeId, modeler);
      return !evicted && optedInAt >= time.endOf(T(m), judged) ? [{ challengeId, listId, index }] : [];
    });
  });
  let challengeId = pickChallenge(d, m, 2);
  let epoch = judged;
  let listId = m.activeListIdAt(challengeId, epoch);
  let index = d.below(Math.max(m.list(challengeId, listId)[1].length, 1));
  if (variant === "valid" && candidates.length) ({ challengeId, listId, index } = d.pick(candidates));
  if (variant === "optedInLater" && fresh.length) ({ challengeId, listId, index } = d.pick(fresh));
  if (variant === "closed") {
    epoch = d.pick([judged + 1n, judged - 1n]);
    listId = m.activeListIdAt(challengeId, epoch);
  }
  if (variant === "wrongList") listId = d.pick([0n, listId + 1n, listId > 1n ? listId - 1n : listId + 2n]);
  if (variant === "badIndex") index = d.pick([m.list(challengeId, listId)[1].length, 10]);
  if (variant === "outOfRange") epoch = MAX_EPOCH + 1n;
  const modeler = m.list(challengeId, listId)[1][index];
  const caller = anyone(d, w);
  return {
    action: "evict",
    detail: `evict(c${challengeId}, e${epoch}, l${listId}, index ${index}) [${variant}]`,
    scope: { modelers: modeler ? [{ challengeId, modeler }] : [] },
    send: (o) => w.market.connect(caller).evict(challengeId, epoch, listId, index, o),
    apply: () => m.evict(challengeId, epoch, listId, index),
  };
};

// ------------------------------------------------------------------ keeper and operators

const promote: Planner = (d, s, w) => {
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
      8
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

const pause: Planner = (d, s, w) => {
  const caller = pauser(d, w);
  return {
    action: "pause",
    detail: `pause() by ${caller.address.slice(0, 8)}`,
    scope: {},
    send: (o) => w.market.connect(caller).pause(o),
    apply: () => s.model.pause(caller.address),
  };
};

const unpause: Planner = (d, s, w) => {
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

const setFee: Planner = (d, s, w) => {
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

const setChallengeAdmin: Planner = (d, s, w) => {
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

const setTreasury: Planner = (d, s, w) => {
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

const createChallenge: Planner = (d, s, w) => {
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
  const busy = s.steps < 20 && answerable(m, now + 1n).length > 0;
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
type Relevance = (m: MarketModel, at: bigint) => boolean;
const hostsHaveWork: Relevance = (m, at) => answerable(m, at).length > 0;

const PLANNERS: Record<string, readonly [number, Planner, Relevance?]> = {
  answer: [22, answer, hostsHaveWork],
  answerBatch: [6, answerBatch, hostsHaveWork],
  request: [16, request, (m) => !m.paused],
  refund: [7, refund, (m, at) => expiredUnanswered(m, at).length > 0],
  claimRewards: [7, claimRewards, (m, at) => claimableRewards(m, at).length > 0],
  claimFees: [5, claimFees, (m, at) => KINDS.some((kind) => claimableShares(m, at, kind).length > 0)],
  finalize: [3, finalize, (m, at) => finalizable(m, at).length > 0],
  evict: [5, evict, (m, at) => evictable(m, at).length > 0],
  promote: [8, promote, (m, at) => !m.paused && time.inWindow(T(m), at)],
  register: [4, register],
  setHost: [3, setHost],
  pause: [1, pause, (m) => !m.paused],
  unpause: [3, unpause, (m) => m.paused],
  setFee: [2, setFee],
  setChallengeAdmin: [1, setChallengeAdmin],
  setTreasury: [1, setTreasury],
  createChallenge: [1, createChallenge],
};
/** Share of the actions that run although they cannot do their job (percent). */
const IRRELEVANT_PERCENT = 12;
const TIME_WEIGHT = 16;

abstract class Step implements fc.AsyncCommand<FuzzState, World> {
  protected resolved = "";
  constructor(protected readonly kind: string, protected readonly seed: readonly number[]) {}
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
    return !relevant || relevant(s.model, nextTime(s)) || this.seed[7] % 100 < IRRELEVANT_PERCENT;
  }

  async run(s: FuzzState, w: World) {
    s.steps++;
    const planned = PLANNERS[this.kind][1](new Dice(this.seed), s, w, nextTime(s));
    this.resolved = planned.detail;
    await execute(w, s, planned);
    await verify(w, s, planned.scope);
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
  }))
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
    await execute(w, s, {
      action: "drain.refund",
      detail: `refund(${id})`,
      scope: {},
      send: (o) => w.market.connect(caller).refund(id, r.key, o),
      apply: () => m.refund(id, r.key),
    });
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
