/**
 * What the fuzzer's actions pick from: the model's state read as pools of calls that should succeed (an
 * answer a host can give now, a modeler that the eviction rule takes) or that aim at one rule.
 */
import * as time from "../../sdk/time";
import { BPS, ZERO_ADDRESS, type AnswerEntry, type MarketModel, type RequestKey } from "../model/reference";
import type { Dice, FuzzState, Scope } from "./driver";
import type { World } from "./world";

export const T = (m: MarketModel) => m.settings.time;
export const challengeIds = (m: MarketModel) =>
  Array.from({ length: Number(m.challengeCount) }, (_, i) => BigInt(i + 1));
export const allRequests = (m: MarketModel) =>
  Array.from({ length: Number(m.requestCount) }, (_, i) => ({ id: BigInt(i + 1), r: m.requestOf(BigInt(i + 1))! }));
export const epochOfRequest = (m: MarketModel, createdAt: bigint) => time.epochOf(T(m), createdAt);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function pickChallenge(d: Dice, m: MarketModel, unknownPercent = 3): bigint {
  const ids = challengeIds(m);
  return d.chance(unknownPercent) || ids.length === 0 ? m.challengeCount + 1n : d.pick(ids);
}

export const modelersOf = (w: World) => w.modelers.map((x) => x.address);
/** Everyone who can be a host: the three hosting services and the modeler that hosts itself. */
export const hostCandidates = (w: World) => [...w.hosts.map((h) => h.address), w.modelers[7].address];
export const anyone = (d: Dice, w: World) => d.pick([...w.users, w.stranger, w.keeper, w.hosts[0], w.modelers[0]]);

export const isRegistered = (m: MarketModel, challengeId: bigint, modeler: string) =>
  m.modelerInfo(challengeId, modeler)[0] !== ZERO_ADDRESS;

/** Every position of every request's list, with the modeler there, its current host and whether it serves. */
export function positions(m: MarketModel) {
  return allRequests(m).flatMap(({ id, r }) =>
    m.list(r.key.challengeId, r.key.listId)[1].map((modeler, index) => {
      const [host, optedInAt, evicted] = m.modelerInfo(r.key.challengeId, modeler);
      const serving = host !== ZERO_ADDRESS && !evicted && optedInAt <= r.createdAt;
      return { id, r, key: r.key, index, modeler, host, serving };
    }),
  );
}
export type Position = ReturnType<typeof positions>[number];

/** Whether a request is still open for answers at `at`. */
export const inTime = (m: MarketModel, p: Position, at: bigint) =>
  !p.r.refunded && time.deadline(T(m), p.r.createdAt) >= at;
export const answeredBy = (p: Position) => (p.r.answered & (1 << p.index)) !== 0;

/**
 * The positions whose modeler's host answers now through `host` (any host if undefined): hosts answer every
 * request open to their modelers, with an error output when the model rejects the input, except the requests
 * that nobody answers.
 */
export function answerable(s: FuzzState, at: bigint, host?: string) {
  const m = s.model;
  return positions(m).filter(
    (p) =>
      p.serving &&
      inTime(m, p, at) &&
      !answeredBy(p) &&
      s.rejected.get(p.id) !== "unanswered" &&
      (host === undefined || same(p.host, host)),
  );
}

export const toEntry = (p: Position): AnswerEntry => ({ requestId: p.id, key: p.key, index: p.index });

export const expiredUnanswered = (m: MarketModel, at: bigint) =>
  allRequests(m).filter(({ r }) => !r.refunded && r.answered === 0 && time.deadline(T(m), r.createdAt) < at);

/** The modelers' rewards that claimRewards pays now. */
export const claimableRewards = (m: MarketModel, at: bigint) =>
  m.pointEntries().filter((x) => !x.claimed && time.claimsOpenAt(T(m), x.epoch) <= at);

/** The shares of `kind` that claimFees pays now. */
export const claimableShares = (m: MarketModel, at: bigint, kind: number) =>
  m
    .tallyKeys()
    .filter((t) => time.claimsOpenAt(T(m), t.epoch) <= at && m.claimableFees(t.challengeId, kind, t.epoch) > 0n);

export const finalizable = (m: MarketModel, at: bigint) =>
  m.tallyKeys().filter((t) => time.finalAt(T(m), t.epoch) <= at && !m.epochFigures(t.challengeId, t.epoch).finalized);

/** The only epoch that can be open for eviction at `at`: the one before. */
export const judgedEpoch = (m: MarketModel, at: bigint) => time.epochOf(T(m), at) - 1n;

export type Standing = "notRegistered" | "evicted" | "optedInLater" | "met" | "under";

/**
 * Each member of the list that served the judged epoch against the eviction rule: not registered, evicted,
 * opted in after the epoch's first second (not judged), or judged and meeting the threshold share of the
 * epoch's answered requests, or under it.
 */
export function standings(m: MarketModel, at: bigint) {
  const judged = judgedEpoch(m, at);
  const epochStart = time.startOf(T(m), judged);
  return challengeIds(m).flatMap((challengeId) => {
    const listId = m.activeListIdAt(challengeId, judged);
    if (listId === 0n) return [];
    const { answeredRequests } = m.epochFigures(challengeId, judged);
    return m.list(challengeId, listId)[1].map((modeler, index) => {
      const [host, optedInAt, evicted] = m.modelerInfo(challengeId, modeler);
      const points = m.pointsOf(challengeId, modeler, judged);
      const standing: Standing =
        host === ZERO_ADDRESS
          ? "notRegistered"
          : evicted
            ? "evicted"
            : optedInAt > epochStart
              ? "optedInLater"
              : points * BPS >= answeredRequests * m.settings.evictionThresholdBps
                ? "met"
                : "under";
      return { challengeId, epoch: judged, listId, index, modeler, standing };
    });
  });
}

/** The listed modelers anyone may evict now. */
export function evictable(m: MarketModel, at: bigint) {
  if (at < time.finalAt(T(m), judgedEpoch(m, at))) return [];
  return standings(m, at).filter((x) => x.standing === "under");
}

/** The unregistered modelers of the list serving at `at`: registering now, they opt in during its epoch. */
export function unregisteredServing(m: MarketModel, at: bigint) {
  const epoch = time.epochOf(T(m), at);
  return challengeIds(m).flatMap((challengeId) =>
    m
      .list(challengeId, m.activeListIdAt(challengeId, epoch))[1]
      .filter((modeler) => !isRegistered(m, challengeId, modeler))
      .map((modeler) => ({ challengeId, modeler })),
  );
}

/** The views an answer may change: its request, its epoch's figures and its modeler. */
export function answerScope(m: MarketModel, entries: AnswerEntry[]): Scope {
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

export const keyText = (k: RequestKey) => `{${k.requester.slice(0, 8)}, c${k.challengeId}, l${k.listId}, ${k.fee}}`;
