/**
 * The hosts' actions: single answers, batches that mix valid and invalid entries, and batches built before a
 * setHost (or an eviction) of one of their modelers lands and sent after it. Honest hosts answer a request
 * whose input the model rejects with an error output, an ordinary answer on chain.
 */
import type { ContractTransactionResponse } from "ethers";
import * as time from "../../sdk/time";
import { encodeText, errorOutput, ERROR_CODES } from "../../sdk/text";
import {
  encodeRevert,
  ZERO_ADDRESS,
  type AnswerEntry,
  type Answered,
  type BatchEntryResult,
  type RequestKey,
} from "../model/reference";
import { evictCall } from "./keepers";
import { setHostCall } from "./modelers";
import { text, type Dice, type FuzzState, type Planned, type Planner } from "./driver";
import {
  allRequests,
  answerable,
  answeredBy,
  answerScope,
  anyone,
  evictable,
  hostCandidates,
  inTime,
  keyText,
  positions,
  T,
  toEntry,
  type Position,
} from "./pools";
import type { World } from "./world";

const OUTPUT = encodeText("score:640");
/** What an honest host answers when the model rejects the input (sdk/text.ts, the error-answer convention). */
const ERROR_OUTPUT = encodeText(errorOutput(ERROR_CODES.invalidInput, "not a wallet address"));
const outputFor = (s: FuzzState, requestId: bigint) => (s.rejected.has(requestId) ? ERROR_OUTPUT : OUTPUT);

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Ways an entry can be invalid; each names the rule it aims at. */
type Invalid =
  "late" | "wrongHost" | "twice" | "notServing" | "unregistered" | "badIndex" | "badKey" | "refunded" | "unknown";

const INVALID: readonly (readonly [number, Invalid])[] = [
  [18, "late"],
  [14, "wrongHost"],
  [14, "twice"],
  [12, "notServing"],
  [12, "unregistered"],
  [8, "badIndex"],
  [8, "badKey"],
  [8, "refunded"],
  [6, "unknown"],
];

/** The positions that aim at `kind` for a call sent by `host` (any host if undefined). */
function poolOf(s: FuzzState, at: bigint, kind: Invalid, host: string | undefined): Position[] {
  const m = s.model;
  const all = positions(m);
  const open = all.filter((p) => inTime(m, p, at));
  switch (kind) {
    case "late":
      return all.filter((p) => !p.r.refunded && !inTime(m, p, at));
    case "twice":
      return all.filter((p) => !p.r.refunded && answeredBy(p));
    case "wrongHost":
      return open.filter((p) => p.host !== ZERO_ADDRESS && !answeredBy(p) && (!host || !same(p.host, host)));
    case "notServing":
      return open.filter((p) => p.host !== ZERO_ADDRESS && !p.serving && (!host || same(p.host, host)));
    case "unregistered":
      return open.filter((p) => p.host === ZERO_ADDRESS && !answeredBy(p));
    case "refunded":
      return all.filter((p) => p.r.refunded);
    default:
      return open;
  }
}

/** An entry aimed at `kind` (any entry when the state has none), the caller it aims at when none is given. */
function invalidEntry(d: Dice, s: FuzzState, w: World, at: bigint, kind: Invalid, host?: string) {
  const m = s.model;
  const pool = poolOf(s, at, kind, host);
  const all = positions(m);
  const chosen = pool.length ? d.pick(pool) : all.length ? d.pick(all) : undefined;
  let requestId = chosen?.id ?? 1n;
  let key: RequestKey = chosen
    ? { ...chosen.key }
    : { requester: w.users[0].address, challengeId: 1n, listId: 1n, fee: 10n ** 18n };
  let index = chosen?.index ?? 0;
  if (kind === "badIndex") index = d.pick([m.list(key.challengeId, key.listId)[1].length, 10, 255]);
  if (kind === "badKey") {
    key = d.pick([
      { ...key, fee: key.fee + 1n },
      { ...key, listId: key.listId + 1n },
      { ...key, requester: w.stranger.address },
    ]);
  }
  if (kind === "unknown") requestId = d.pick([0n, m.requestCount + 1n]);
  let caller = host ?? (chosen && chosen.host !== ZERO_ADDRESS ? chosen.host : d.pick(hostCandidates(w)));
  if (kind === "wrongHost" && !host && chosen) {
    caller = d.pick(hostCandidates(w).filter((h) => !same(h, chosen.host)));
  }
  return { entry: { requestId, key, index }, caller };
}

const entryText = (e: AnswerEntry) => `${e.requestId}#${e.index}`;

const answer: Planner = (d, s, w, at) => {
  const m = s.model;
  const variant = d.weighted([
    [64, "valid"],
    [5, "formerHost"],
    [31, "invalid"],
  ] as const);
  let entry: AnswerEntry;
  let caller: string;
  let aim: string = variant;
  const valid = answerable(s, at);
  if (variant === "invalid" || valid.length === 0) {
    const kind = d.weighted(INVALID);
    ({ entry, caller } = invalidEntry(d, s, w, at, kind));
    aim = kind;
  } else {
    const p = d.pick(valid);
    entry = toEntry(p);
    caller = p.host;
    const former = s.formerHosts.get(`${p.key.challengeId}/${p.modeler.toLowerCase()}`) ?? [];
    if (variant === "formerHost" && former.length) caller = d.pick(former);
  }
  const { requestId, key, index } = entry;
  const signer = w.signerOf(caller);
  const output = outputFor(s, requestId);
  const r = m.requestOf(requestId);
  // Rewards go to the epoch the request was made in, also when the answer comes in the next one.
  const acrossEpochs = r && time.epochOf(T(m), r.createdAt) < time.epochOf(T(m), at);
  return {
    action: "answer",
    detail: `answer(${requestId}, ${keyText(key)}, index ${index}) by ${caller.slice(0, 8)} [${aim}]`,
    scope: answerScope(m, [entry]),
    send: (o) => w.market.connect(signer).answer(requestId, key, index, output, o),
    apply: () => m.answer(caller, requestId, key, index),
    note: acrossEpochs ? "in the epoch after the request's" : s.rejected.has(requestId) ? "error output" : undefined,
    onSuccess: () => {
      if (s.rejected.has(requestId)) s.stats.errorAnswers++;
    },
  };
};

/**
 * A batch sent by `host`: the chain's events must say, entry by entry and in order, what the model did: the
 * answer (modeler, epoch, settled fee, output) or the skip (the ABI-encoded error `answer` would revert with).
 */
function batchCall(s: FuzzState, w: World, host: string, entries: AnswerEntry[], aim: string, raced = false): Planned {
  const m = s.model;
  const calls = entries.map((e) => ({ ...e, output: outputFor(s, e.requestId) }));
  const signer = w.signerOf(host);
  return {
    action: raced ? "answerBatch.raced" : "answerBatch",
    detail: `answerBatch([${entries.map(entryText).join(", ")}]) by ${host.slice(0, 8)} [${aim}]`,
    scope: answerScope(m, entries),
    send: (o) => w.market.connect(signer).answerBatch(calls, o),
    apply: () => m.answerBatch(host, entries),
    check: async (expected, sent) => {
      const results = expected as BatchEntryResult[];
      const receipt = await (sent as ContractTransactionResponse).wait();
      const events: unknown[] = [];
      for (const log of receipt!.logs) {
        const parsed = w.market.interface.parseLog(log);
        if (parsed?.name === "RequestAnswered") {
          const { requestId, challengeId, modeler, epoch, settledFee, output } = parsed.args;
          events.push(["answered", requestId, challengeId, modeler, epoch, settledFee, output]);
        } else if (parsed?.name === "AnswerSkipped") {
          const { requestId, index, reason } = parsed.args;
          events.push(["skipped", requestId, index, reason]);
        }
      }
      const want = results.map((x, i) => {
        if ("skipped" in x) return ["skipped", entries[i].requestId, entries[i].index, encodeRevert(x.skipped)];
        const a: Answered = x.answered;
        return ["answered", a.requestId, a.challengeId, a.modeler, a.epoch, a.settledFee, calls[i].output];
      });
      if (text(events) !== text(want)) {
        throw new Error(`${entries.map(entryText).join(", ")}: events ${text(events)}, model ${text(want)}`);
      }
    },
    note: (expected) => {
      const skipped = (expected as BatchEntryResult[]).filter((x) => "skipped" in x).length;
      return skipped ? `partial (${skipped} of ${entries.length} skipped)` : undefined;
    },
    onSuccess: (expected) => {
      const results = expected as BatchEntryResult[];
      if (results.some((x) => "skipped" in x)) s.stats.partialBatches++;
      s.stats.errorAnswers += results.filter((x, i) => "answered" in x && s.rejected.has(entries[i].requestId)).length;
      if (raced) s.stats.racedBatches++;
    },
    onRevert: (error) => {
      if (error === "MarketBatchAnsweredNothing") s.stats.allInvalidBatches++;
      if (raced) s.stats.racedBatches++;
    },
  };
}

/** Hosts with work now, and one of them (now and then any host). */
function busyHost(d: Dice, s: FuzzState, w: World, at: bigint): string {
  const busy = [...new Set(answerable(s, at).map((x) => x.host.toLowerCase()))];
  return busy.length && d.chance(90) ? d.pick(busy) : d.pick(hostCandidates(w)).toLowerCase();
}

const answerBatch: Planner = (d, s, w, at) => {
  const host = busyHost(d, s, w, at);
  const valid = d
    .shuffle(answerable(s, at, host))
    .slice(0, 1 + d.below(4))
    .map(toEntry);
  const variant = d.weighted([
    [40, "valid"],
    [35, "mixed"],
    [12, "allInvalid"],
    [5, "repeated"],
    [4, "empty"],
    [4, "stale"],
  ] as const);
  const invalid = (n: number) =>
    Array.from({ length: n }, () => invalidEntry(d, s, w, at, d.weighted(INVALID), host).entry);
  let entries: AnswerEntry[] = valid;
  if (variant === "mixed") entries = d.shuffle([...valid, ...invalid(1 + d.below(3))]);
  if (variant === "allInvalid") entries = invalid(1 + d.below(3));
  if (variant === "repeated" && valid.length) entries = [...valid, d.pick(valid)];
  if (variant === "empty") entries = [];
  // A request the host served already, or any position: it may still be valid, or not any more.
  if (variant === "stale" || (variant !== "empty" && entries.length === 0)) {
    const all = allRequests(s.model);
    if (all.length) {
      const { id, r } = d.pick(all);
      const size = s.model.list(r.key.challengeId, r.key.listId)[1].length;
      entries = [...entries, { requestId: id, key: r.key, index: d.below(size) }];
    }
  }
  return batchCall(s, w, host, entries, variant);
};

/**
 * A host builds a batch for its modelers; before it is mined, one of them names another host (or is evicted),
 * and that lands first; then the batch is sent as built. Its entries for that modeler are skipped, the others
 * stand (or, when all were that modeler's, the batch takes nothing and reverts).
 */
const raceBatch: Planner = (d, s, w, at) => {
  const m = s.model;
  // Mostly a host with work for two modelers or more, so that the others' entries stand.
  const work = answerable(s, at);
  const modelersOf = (h: string) => new Set(work.filter((p) => same(p.host, h)).map((p) => p.modeler.toLowerCase()));
  const hosts = [...new Set(work.map((p) => p.host.toLowerCase()))];
  const shared = hosts.filter((h) => modelersOf(h).size > 1);
  const host = shared.length && d.chance(80) ? d.pick(shared) : hosts.length ? d.pick(hosts) : busyHost(d, s, w, at);
  const built = d.shuffle(answerable(s, at, host)).slice(0, 2 + d.below(4));
  const entries = built.map(toEntry);
  const positionsOf = [...new Map(built.map((p) => [p.modeler.toLowerCase(), p])).values()];
  const target = positionsOf.length ? d.pick(positionsOf) : undefined;
  const first: Planned[] = [];
  const candidates = target
    ? evictable(m, at).filter((x) => x.challengeId === target.key.challengeId && same(x.modeler, target.modeler))
    : [];
  if (candidates.length && d.chance(60)) {
    const c = candidates[0];
    first.push(evictCall(s, w, anyone(d, w), c, "before a batch"));
  } else if (target) {
    const others = hostCandidates(w).filter((h) => !same(h, host));
    first.push(setHostCall(s, w, target.key.challengeId, target.modeler, d.pick(others), "before a batch"));
  }
  // The batch is mined in the second after the change, as built before it.
  return [...first, batchCall(s, w, host, entries, `raced, built at ${at}`, first.length > 0)];
};

export { answer, answerBatch, raceBatch };
