/**
 * Runs one action on the chain and on the model at the same block time, compares the outcomes, then
 * compares the chain's views with the model's.
 */
import { network } from "hardhat";
import type { Interface } from "ethers";
import * as time from "../../sdk/time";
import { FeeKind, MarketModel, Revert, type Permit } from "../model/reference";
import type { World } from "./world";

/**
 * What becomes of a request whose input the model rejects: honest hosts answer it with an error output
 * ("error: invalid-input: …", an ordinary answer on chain), or nobody answers it and its fee is refunded.
 */
export type RejectedInput = "errorAnswer" | "unanswered";

/** The fuzzer's side of a run: the model and what the chain alone cannot tell the next actions. */
export interface FuzzState {
  model: MarketModel;
  /** Requests whose input the model rejects, by id; the others carry a wallet address. */
  rejected: Map<bigint, RejectedInput>;
  /** Block time of the next transaction when a time jump chose it; otherwise one second after the last. */
  pendingTime?: bigint;
  /** Hosts each `${challengeId}/${modeler}` had before its current one. */
  formerHosts: Map<string, string[]>;
  /** Actions run so far in this sequence. */
  steps: number;
  /** Accounts whose balance the model moved since the last comparison of views. */
  moved: Set<string>;
  /** Block time of the last comparison of views: requests that had expired by then stay expired. */
  verifiedAt: bigint;
  /** The latest permit signed, to replay it. */
  lastPermit?: { owner: string; permit: Permit; v: number; r: string; s: string };
  stats: Stats;
}

/** The fuzzer's state at the start of a sequence. */
export const startState = (model: MarketModel, stats: Stats): FuzzState => ({
  model: model.clone(),
  rejected: new Map(),
  formerHosts: new Map(),
  stats,
  verifiedAt: 0n,
  moved: new Set(),
  steps: 0,
});

/** The views an action may have changed, beyond those every step reads. */
export interface Scope {
  epochs?: { challengeId: bigint; epoch: bigint }[];
  requests?: bigint[];
  modelers?: { challengeId: bigint; modeler: string }[];
  challenges?: bigint[];
  /** Accounts whose token balance the action could move (the model tells which it did move). */
  accounts?: string[];
}

export interface Planned {
  action: string;
  /** The block time of the call, when the action chose one; otherwise `nextTime`. */
  at?: bigint;
  /** The resolved call, for the failure report. */
  detail: string;
  send: (overrides: { gasLimit: number }) => Promise<unknown>;
  /** The call on the model; what it returns is the `expected` of the hooks below. */
  apply: () => unknown;
  scope: Scope;
  /** A case worth counting apart in the statistics when the call succeeds. */
  note?: string | ((expected: unknown) => string | undefined);
  /** Compares what the mined call says (its events) with what the model did; the call succeeded on both. */
  check?: (expected: unknown, sent: unknown) => Promise<void>;
  /** Bookkeeping of the fuzzer after a successful call. */
  onSuccess?: (expected: unknown) => void;
  /** Bookkeeping of the fuzzer after a call that reverted as the model said, with that error. */
  onRevert?: (error: string) => void;
}

/**
 * Turns the numbers fast-check drew into the calls of one action, chosen from the state: usually one call,
 * or a few mined in a row (a batch sent after a host change landed, a registration after a request).
 */
export type Planner = (d: Dice, s: FuzzState, w: World, at: bigint) => Planned | Planned[];

const GAS_LIMIT = 5_000_000;

/**
 * Counts outcomes per action: successes, and each custom error (or, for time jumps, each kind of jump), and
 * the cases the fuzzer must reach to test the rules of eviction and of batches.
 */
export class Stats {
  private readonly counts = new Map<string, { ok: number; failed: number; outcomes: Map<string, number> }>();
  sequences = 0;
  actions = 0;
  /** Batches mined with at least one entry taken and one skipped. */
  partialBatches = 0;
  /** Batches that reverted with MarketBatchAnsweredNothing. */
  allInvalidBatches = 0;
  /** Batches sent after a setHost (or an eviction) of one of their modelers landed first. */
  racedBatches = 0;
  /** Requests made with an input the model rejects, and what became of them. */
  rejectedInputs = 0;
  errorAnswers = 0;
  rejectedRefunded = 0;
  /** Registrations of a modeler of the list serving at that moment, by the second of the epoch they land on. */
  lateRegistrations = { firstSecond: 0, secondAfter: 0, later: 0 };
  evictions = 0;

  record(action: string, outcome: string, ok = outcome === "ok") {
    const entry = this.counts.get(action) ?? { ok: 0, failed: 0, outcomes: new Map<string, number>() };
    if (ok) entry.ok++;
    else entry.failed++;
    if (outcome !== "ok") entry.outcomes.set(outcome, (entry.outcomes.get(outcome) ?? 0) + 1);
    this.counts.set(action, entry);
  }

  get late(): number {
    return this.lateRegistrations.firstSecond + this.lateRegistrations.secondAfter + this.lateRegistrations.later;
  }

  report(): string {
    const { firstSecond, secondAfter } = this.lateRegistrations;
    const lines = [
      `${this.sequences} sequences run, ${this.actions} actions`,
      `partial batches ${this.partialBatches}, all-invalid batches ${this.allInvalidBatches}, ` +
        `batches sent after a host change or eviction landed ${this.racedBatches}`,
      `rejected inputs ${this.rejectedInputs} (error answers ${this.errorAnswers}, refunded ${this.rejectedRefunded}), ` +
        `late registrations ${this.late} (${firstSecond} at an epoch's first second, ${secondAfter} one second after), ` +
        `evictions ${this.evictions}`,
    ];
    for (const [action, { ok, failed, outcomes }] of [...this.counts].sort(([a], [b]) => a.localeCompare(b))) {
      const detail = [...outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k.replace(/^Market/, "")} ${n}`)
        .join(", ");
      lines.push(`  ${action.padEnd(18)} ${String(ok).padStart(6)} ok ${String(failed).padStart(6)} failed  ${detail}`);
    }
    return lines.join("\n");
  }
}

/** Picks parameters from a fixed list of numbers drawn by fast-check, so that a run replays and shrinks. */
export class Dice {
  private i = 0;
  constructor(private readonly seed: readonly number[]) {}

  next(): number {
    const n = this.seed.length;
    const raw = this.seed[this.i % n] ?? 0;
    const round = Math.floor(this.i / n);
    this.i++;
    return round === 0 ? raw : Math.abs(Math.imul(raw ^ (round * 0x9e3779b1), 0x85ebca6b)) >>> 0;
  }

  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }

  chance(percent: number): boolean {
    return this.below(100) < percent;
  }

  /** One of the options, each as likely as its weight. */
  weighted<T>(options: readonly (readonly [number, T])[]): T {
    let roll = this.below(options.reduce((sum, [w]) => sum + w, 0));
    for (const [w, value] of options) {
      if (roll < w) return value;
      roll -= w;
    }
    return options[options.length - 1][1];
  }

  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** The block time of the next transaction. */
export const nextTime = (s: FuzzState): bigint => s.pendingTime ?? s.model.now + 1n;

type Outcome = { ok: true; value?: unknown } | { ok: false; error: string; args: unknown[] };

/** Comparable form of a value from ethers or from the model. */
export function norm(v: unknown): unknown {
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return v.toLowerCase();
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object" && "toArray" in v) return norm((v as { toArray(): unknown[] }).toArray());
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

export const text = (v: unknown) => JSON.stringify(norm(v));

function revertData(e: unknown): string | undefined {
  for (let cause = e as Record<string, unknown> | undefined, depth = 0; cause && depth < 5; depth++) {
    if (typeof cause.data === "string" && cause.data.startsWith("0x")) return cause.data;
    cause = (cause.error ?? (cause.info as Record<string, unknown> | undefined)?.error ?? cause.cause) as
      Record<string, unknown> | undefined;
  }
  return undefined;
}

async function outcomeOf(errors: Interface, send: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await send() };
  } catch (e) {
    const data = revertData(e);
    if (data === undefined) throw e;
    const parsed = errors.parseError(data);
    if (!parsed) return { ok: false, error: `unknown revert ${data}`, args: [] };
    return { ok: false, error: parsed.name, args: [...parsed.args] };
  }
}

/** Mines `p` at the next time on both sides and checks that the chain did exactly what the model did. */
export async function execute(w: World, s: FuzzState, p: Planned): Promise<void> {
  const at = p.at ?? nextTime(s);
  const before = w.holders.map((a) => s.model.balanceOf(a));
  const expected = s.model.exec(at, p.apply);
  w.holders.forEach((a, i) => {
    if (s.model.balanceOf(a) !== before[i]) s.moved.add(a);
  });
  await network.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
  const actual = await outcomeOf(w.errors, () => p.send({ gasLimit: GAS_LIMIT }));
  s.pendingTime = undefined;
  const want: Outcome =
    expected instanceof Revert ? { ok: false, error: expected.error, args: [...expected.args] } : { ok: true };
  if (text(want) !== text({ ...actual, value: undefined })) {
    const [a, b] = [outcomeText(w.errors, want), outcomeText(w.errors, actual)];
    throw new Error(`${p.detail} at ${at}: expected ${a}, chain gave ${b}`);
  }
  if (actual.ok) {
    await p.check?.(expected, actual.value);
    p.onSuccess?.(expected);
  } else {
    p.onRevert?.(actual.error);
  }
  if (actual.ok) {
    // A claim may pay nothing: a modeler's floored reward can be zero while it holds points.
    const note = expected === 0n ? "paid 0" : typeof p.note === "function" ? p.note(expected) : p.note;
    s.stats.record(p.action, note ? `ok ${note}` : "ok", true);
  } else {
    s.stats.record(p.action, actual.error, false);
  }
  s.stats.actions++;
  s.model.checkInvariants();
}

/** An outcome in words; the skipped entries of a batch that took nothing are decoded too. */
function outcomeText(errors: Interface, o: Outcome): string {
  if (o.ok) return "success";
  const arg = (a: unknown): string =>
    Array.isArray(a) || (a && typeof a === "object" && "toArray" in a)
      ? `[${[...(a as unknown[])].map(arg).join(", ")}]`
      : typeof a === "string" && /^0x[0-9a-fA-F]{8}([0-9a-fA-F]{64})*$/.test(a)
        ? errorText(errors, a)
        : String(a);
  return `${o.error}(${o.args.map(arg).join(", ")})`;
}

/** A custom error's ABI encoding in words. */
export function errorText(errors: Interface, data: string): string {
  try {
    const parsed = errors.parseError(data);
    if (parsed) return `${parsed.name}(${[...parsed.args].map(String).join(", ")})`;
  } catch {
    // Not a known error's encoding: shown raw.
  }
  return data;
}

interface Probe {
  to: string;
  iface: Interface;
  fn: string;
  args: readonly (string | bigint | number)[];
  expected: unknown;
}

/** ABI words of static arguments (addresses, integers), enough for every view the fuzzer reads. */
function encode(iface: Interface, fn: string, args: Probe["args"]): string {
  const word = (a: Probe["args"][number]) =>
    (typeof a === "string" ? a.slice(2).toLowerCase() : BigInt(a).toString(16)).padStart(64, "0");
  return iface.getFunction(fn)!.selector + args.map(word).join("");
}

/** The view's result; one word is read directly, as ethers' decoder would dominate the time of a check. */
function decode(iface: Interface, fn: string, raw: string): unknown {
  const outputs = iface.getFunction(fn)!.outputs;
  const type = outputs.length === 1 ? outputs[0].type : "";
  if (type === "uint256") return BigInt(raw);
  if (type === "bool") return BigInt(raw) === 1n;
  if (type === "address") return "0x" + raw.slice(26);
  const decoded = iface.decodeFunctionResult(fn, raw);
  return decoded.length === 1 ? decoded[0] : decoded;
}

/** Reads every probe from the chain with raw eth_calls: ethers' contract layer would triple the time. */
async function compare(probes: Probe[]) {
  for (const p of probes) {
    const raw = (await network.provider.send("eth_call", [
      { to: p.to, data: encode(p.iface, p.fn, p.args) },
      "latest",
    ])) as string;
    const got = decode(p.iface, p.fn, raw);
    if (text(got) !== text(p.expected)) {
      throw new Error(`view ${p.fn}(${p.args.map(String).join(", ")}): chain ${text(got)}, model ${text(p.expected)}`);
    }
  }
}

/**
 * Compares the chain's views with the model's after a step: the balances of the market, of whoever the model
 * paid or charged and of the accounts the action names (unchanged when it failed), the global settings, each
 * challenge's active list, the requests whose status the clock may have changed since the last check, and
 * whatever the action's scope names (its request, modelers, challenge, and for each of its epochs the
 * figures, the fee shares and the points and rewards of the modelers the model credits there). `full` reads
 * everything the model knows about, and also that nobody else holds points or rewards; it ends each run.
 */
export async function verify(w: World, s: FuzzState, scope: Scope, full = false) {
  const m = s.model;
  const market = w.market.interface;
  const token = w.token.interface;
  const probes: Probe[] = [];
  const onMarket = (fn: string, args: Probe["args"], expected: unknown) =>
    probes.push({ to: w.marketAddress, iface: market, fn, args, expected });
  const onToken = (fn: string, args: Probe["args"], expected: unknown) =>
    probes.push({ to: w.tokenAddress, iface: token, fn, args, expected });

  const accounts = full
    ? [...w.holders, ...w.hosts.map((h) => h.address)]
    : new Set([w.marketAddress, ...s.moved, ...(scope.accounts ?? [])]);
  for (const a of accounts) onToken("balanceOf", [a], m.balanceOf(a));
  const pu = w.permitUser.address;
  onToken("allowance", [pu, w.marketAddress], m.allowance(pu));
  onToken("nonces", [pu], m.nonces(pu));
  onMarket("paused", [], m.paused);
  onMarket("treasury", [], m.treasury);
  onMarket("requestCount", [], m.requestCount);
  onMarket("challengeCount", [], m.challengeCount);

  const challengeIds = Array.from({ length: Number(m.challengeCount) }, (_, i) => BigInt(i + 1));
  for (const c of challengeIds) onMarket("activeListId", [c], m.activeListId(c));

  const requests = new Set(scope.requests ?? []);
  for (let id = 1n; id <= m.requestCount + (full ? 1n : 0n); id++) {
    const r = m.requestOf(id);
    const mayHaveExpired =
      r && !r.refunded && r.answered === 0 && time.deadline(m.settings.time, r.createdAt) >= s.verifiedAt;
    if (full || mayHaveExpired) requests.add(id);
  }
  for (const id of requests) onMarket("requestState", [id], m.requestState(id));

  for (const c of new Set(full ? challengeIds : (scope.challenges ?? []))) {
    const info = m.challenge(c);
    if (!info) continue;
    onMarket("challenge", [c], info);
    for (let id = full ? 1n : info[3]; id <= info[3]; id++) onMarket("list", [c, id], m.list(c, id));
  }

  const modelers = full
    ? challengeIds.flatMap((challengeId) => w.modelers.map((x) => ({ challengeId, modeler: x.address })))
    : (scope.modelers ?? []);
  for (const { challengeId, modeler } of modelers) {
    onMarket("modelerInfo", [challengeId, modeler], m.modelerInfo(challengeId, modeler));
  }

  const credited = m.pointEntries();
  const seen = new Set<string>();
  const tallied = new Set(m.tallyKeys().map((k) => `${k.challengeId}/${k.epoch}`));
  for (const { challengeId: c, epoch: e } of full ? allEpochs(m, challengeIds) : (scope.epochs ?? [])) {
    if (seen.has(`${c}/${e}`)) continue;
    seen.add(`${c}/${e}`);
    onMarket("epochFigures", [c, e], Object.values(m.epochFigures(c, e)));
    for (const kind of [FeeKind.Creator, FeeKind.Admin, FeeKind.Platform]) {
      onMarket("claimableFees", [c, kind, e], m.claimableFees(c, kind, e));
    }
    const named = (scope.modelers ?? []).filter((x) => x.challengeId === c).map((x) => x.modeler.toLowerCase());
    const holders =
      full && tallied.has(`${c}/${e}`)
        ? w.modelers.map((x) => x.address)
        : new Set([...named, ...credited.filter((x) => x.challengeId === c && x.epoch === e).map((x) => x.modeler)]);
    for (const x of holders) {
      onMarket("pointsOf", [c, x, e], m.pointsOf(c, x, e));
      onMarket("claimableReward", [c, x, e], m.claimableReward(c, x, e));
    }
  }
  await compare(probes);
  s.verifiedAt = m.now;
  s.moved.clear();
}

/** Epochs with figures, and the epochs around now, of every challenge (and of one unknown challenge). */
function allEpochs(m: MarketModel, challengeIds: bigint[]) {
  const now = time.epochOf(m.settings.time, m.now);
  const out = m.tallyKeys();
  for (const challengeId of [...challengeIds, BigInt(challengeIds.length + 1)]) {
    for (const epoch of [now - 1n, now, now + 1n]) out.push({ challengeId, epoch });
  }
  return out;
}
