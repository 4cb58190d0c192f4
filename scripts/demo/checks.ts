import { FEE_KINDS, type FeeKind } from "../../sdk/market";
import { ERROR_CODES, isErrorOutput, parseErrorOutput } from "../../sdk/text";
import { DAY, endOf, epochOf, isoOf, startOf, windowStart } from "../../sdk/time";
import type { DemoResult } from "./scenario";

/*
 * The demo's audit. Every figure is recomputed here from the market's events (the ledger) with the
 * protocol's rules, never read from the contract's own figures, then compared with what was paid and with
 * the market's token balance.
 */

export interface ModelerRow {
  name: string;
  address: string;
  /** Ids of the lists it was on. */
  lists: bigint[];
  kind?: string;
  /** Answers in time, from RequestAnswered events: results and error outputs. */
  answered: number;
  /** Of those, the model's results. */
  results: number;
  /** Of those, error outputs `error: invalid-input: …` (the model refused the input). */
  invalidInput: number;
  /** Of those, error outputs `error: timeout: …` (the model ran past its time budget). */
  timeouts: number;
  /** Of those, other error outputs (`error: model-failed: …`). */
  failed: number;
  /** Requests its host left unanswered for lack of time. */
  missed: number;
  pointsOnChain: bigint;
  /** floor(pool * points / total points). */
  expected: bigint;
  /** What its RewardsClaimed events paid. */
  paid: bigint;
  evicted: boolean;
}

export interface FeeRow {
  kind: FeeKind;
  recipient: string;
  /** The split of the settled fees (and, for the platform, the rewards' dust). */
  split: bigint;
  dust: bigint;
  paid: bigint;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Audit {
  epoch: bigint;
  requests: number;
  settled: bigint;
  pool: bigint;
  totalPoints: bigint;
  dust: bigint;
  modelers: ModelerRow[];
  fees: FeeRow[];
  refunds: { count: number; amount: bigint; byKeeper: number };
  users: { address: string; requests: number; paid: bigint; refunded: bigint }[];
  money: {
    paidIn: bigint;
    rewards: bigint;
    fees: bigint;
    refunds: bigint;
    escrow: bigint;
    unclaimed: bigint;
    owed: bigint;
    balance: bigint;
  };
  checks: Check[];
}

const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);
const count = <T>(xs: readonly T[], f: (x: T) => boolean) => xs.filter(f).length;
const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sorted = (xs: Iterable<bigint>) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export function audit(r: Omit<DemoResult, "audit">, roles: { offline: string; slow: string }): Audit {
  const { ledger, calendar, settings, time } = r;
  const epoch = calendar.e1;
  const bps = 10_000n;

  // Money in and the fate of each request.
  const answersOf = new Map<bigint, typeof ledger.answers>();
  for (const a of ledger.answers) answersOf.set(a.requestId, [...(answersOf.get(a.requestId) ?? []), a]);
  const refunded = new Set(ledger.refunds.map((x) => x.requestId));
  const unanswered = ledger.requests.filter((q) => !answersOf.has(q.requestId));
  const paidIn = sum(ledger.requests.map((q) => q.fee));

  // The epoch's split and rewards, by docs/PROTOCOL.md's rules.
  const answers = ledger.answers.filter((a) => a.epoch === epoch);
  const settled = sum(answers.map((a) => a.settledFee));
  const shares = {
    creator: (settled * BigInt(settings.creatorBps)) / bps,
    admin: (settled * BigInt(settings.adminBps)) / bps,
    platform: (settled * BigInt(settings.platformBps)) / bps,
  };
  const pool = settled - shares.creator - shares.admin - shares.platform;
  const pointsOf = (m: string) => BigInt(count(answers, (a) => a.modeler === m));
  const codeOf = (output: string) => parseErrorOutput(output)?.code;
  const outputsOf = (m: string, code?: string | null) =>
    count(
      answers,
      (a) =>
        a.modeler === m &&
        (code === undefined || (code === null ? !isErrorOutput(a.output) : codeOf(a.output) === code)),
    );
  const totalPoints = BigInt(answers.length);
  const expectedOf = (m: string) => (totalPoints === 0n ? 0n : (pool * pointsOf(m)) / totalPoints);
  const dust = pool - sum(r.modelers.map((m) => expectedOf(m.address)));

  const evicted = new Set(ledger.evictions.map((e) => e.modeler));
  const modelers: ModelerRow[] = r.modelers.map((m) => ({
    name: m.name,
    address: m.address,
    lists: ledger.promotions.filter((p) => p.modelers.includes(m.address)).map((p) => p.listId),
    kind: m.kind,
    answered: Number(pointsOf(m.address)),
    results: outputsOf(m.address, null),
    invalidInput: outputsOf(m.address, ERROR_CODES.invalidInput),
    timeouts: outputsOf(m.address, ERROR_CODES.timeout),
    failed: outputsOf(m.address, ERROR_CODES.modelFailed),
    missed: count(r.missed, (x) => x.modeler === m.address),
    pointsOnChain: m.pointsOnChain,
    expected: expectedOf(m.address),
    paid: sum(ledger.rewardClaims.filter((c) => c.modeler === m.address).map((c) => c.amount)),
    evicted: evicted.has(m.address),
  }));
  const recipients: Record<FeeKind, string> = {
    creator: r.parties.creator,
    admin: r.parties.admin,
    platform: r.parties.treasury,
  };
  const fees: FeeRow[] = FEE_KINDS.map((kind) => ({
    kind,
    recipient: recipients[kind],
    split: shares[kind],
    dust: kind === "platform" ? dust : 0n,
    paid: sum(
      ledger.feeClaims
        .filter((c) => c.kind === kind && c.epoch === epoch && c.recipient === recipients[kind])
        .map((c) => c.amount),
    ),
  }));

  const rewardsPaid = sum(ledger.rewardClaims.map((c) => c.amount));
  const feesPaid = sum(ledger.feeClaims.map((c) => c.amount));
  const refundsPaid = sum(ledger.refunds.map((x) => x.fee));
  const escrow = sum(
    ledger.requests.filter((q) => !answersOf.has(q.requestId) && !refunded.has(q.requestId)).map((q) => q.fee),
  );
  const unclaimed = settled - rewardsPaid - feesPaid;
  const owed = escrow + unclaimed;
  const money = {
    paidIn,
    rewards: rewardsPaid,
    fees: feesPaid,
    refunds: refundsPaid,
    escrow,
    unclaimed,
    owed,
    balance: r.marketBalance,
  };

  const users = r.users.map((address) => ({
    address,
    requests: count(ledger.requests, (q) => q.requester === address),
    paid: sum(ledger.requests.filter((q) => q.requester === address).map((q) => q.fee)),
    refunded: sum(ledger.refunds.filter((x) => x.requester === address).map((x) => x.fee)),
  }));
  const days = new Set(ledger.requests.map((q) => (q.createdAt - startOf(time, epoch)) / DAY));
  const keeperRefunds = new Set(r.keeper.refunded);
  // The hosts that ran the credit score on time: they read the same features at each request's block.
  const honest = r.modelers.filter((m) => m.kind === "credit-score").map((m) => m.address);
  const honestResult = new Map(
    answers.filter((a) => honest.includes(a.modeler) && !isErrorOutput(a.output)).map((a) => [a.requestId, a.output]),
  );
  const slow = modelers.find((m) => m.address === roles.slow)!;
  const slowAnswers = answers.filter((a) => a.modeler === roles.slow);
  const slowMissed = r.missed.filter((x) => x.modeler === roles.slow);
  const answeredBy = (who: readonly string[]) =>
    sorted(new Set(answers.filter((a) => who.includes(a.modeler)).map((a) => a.requestId)));
  // The burst of inputs that no model accepts, against the eviction rule: only answered requests count.
  const rejected = ledger.requests.filter((q) => q.input === r.rejectedInput);
  const rejectedAnswers = answers.filter((a) => rejected.some((q) => q.requestId === a.requestId));
  const answeredRequests = BigInt(new Set(answers.map((a) => a.requestId)).size);
  const threshold = (answeredRequests * BigInt(settings.evictionThresholdBps) + bps - 1n) / bps;
  const lowestHonest = honest.reduce((min, m) => (pointsOf(m) < min ? pointsOf(m) : min), answeredRequests);
  const finalizations = ledger.finalized.filter((f) => f.epoch === epoch);
  const platform = fees.find((f) => f.kind === "platform")!;
  const names = new Map(r.modelers.map((m) => [m.address, m.name]));
  const named = (addresses: Iterable<string>) => [...addresses].map((x) => names.get(x) ?? x).join(", ") || "nobody";

  const checks: Check[] = [
    {
      name: "at least 200 requests from at least 5 users over the epoch's days",
      ok:
        ledger.requests.length >= 200 &&
        count(users, (u) => u.requests > 0) >= 5 &&
        days.size >= 5 &&
        ledger.requests.every((q) => epochOf(time, q.createdAt) === epoch),
      detail: `${ledger.requests.length} requests, ${count(users, (u) => u.requests > 0)} users, ${days.size} days, all in epoch ${epoch}`,
    },
    {
      name: "each list promoted in its Monday 23:59 window, serving from the next Thursday",
      ok:
        ledger.promotions.length === 2 &&
        ledger.promotions.every((p, i) => {
          const e = calendar.e0 + BigInt(i);
          return p.epoch === e && p.activationEpoch === e + 1n && p.at >= windowStart(time, e) && p.at < endOf(time, e);
        }) &&
        ledger.requests.every((q) => q.listId === ledger.promotions[0].listId),
      detail: ledger.promotions
        .map((p) => `list ${p.listId} at ${isoOf(p.at)}, serves from epoch ${p.activationEpoch}`)
        .join("; "),
    },
    {
      name: "every answer came within the SLA",
      ok: ledger.answers.every((a) => {
        const q = ledger.requests.find((x) => x.requestId === a.requestId);
        return q !== undefined && a.at <= q.createdAt + time.sla;
      }),
      detail: `${ledger.answers.length} answers`,
    },
    {
      name: "the offline host's modeler earned nothing and is the only one evicted",
      ok:
        same([...evicted], [roles.offline]) &&
        ledger.evictions.every((e) => e.epoch === epoch) &&
        pointsOf(roles.offline) === 0n &&
        modelers.find((m) => m.address === roles.offline)!.paid === 0n,
      detail: `evicted: ${named(evicted)} (by the keeper: ${named(r.keeper.evicted)}); offline: ${named([roles.offline])}`,
    },
    {
      name: "the slow host answered in time: what its model could not finish within its budget is an `error: timeout` answer",
      ok:
        slow.timeouts > 0 &&
        slow.results > 0 &&
        slowAnswers.every((a) => isErrorOutput(a.output) || honestResult.get(a.requestId) === a.output) &&
        same(answeredBy([roles.slow]), answeredBy(honest)) &&
        slowMissed.length === 0 &&
        ledger.skipped.length === 0,
      detail:
        `${slow.name}: ${slow.results} results (the honest hosts' own), ${slow.timeouts} timeouts, e.g. "${slowAnswers.find((a) => codeOf(a.output) === ERROR_CODES.timeout)?.output ?? "none"}", ` +
        `${slow.invalidInput} invalid-input; every request the honest hosts answered; ${slowMissed.length} missed for lack of time, ${ledger.skipped.length} batch entries skipped on chain`,
    },
    {
      name: "every expired request was refunded by the keeper's sweep",
      ok:
        unanswered.length > 0 &&
        same(sorted(unanswered.map((q) => q.requestId)), sorted(refunded)) &&
        same(sorted(refunded), sorted(keeperRefunds)),
      detail: `${unanswered.length} unanswered, ${refunded.size} refunded, ${keeperRefunds.size} by the keeper`,
    },
    {
      name: "a burst of rejected inputs evicts no one",
      ok:
        rejected.length >= 30 &&
        rejected.every((q) =>
          honest.every((m) =>
            (answersOf.get(q.requestId) ?? []).some(
              (a) => a.modeler === m && codeOf(a.output) === ERROR_CODES.invalidInput,
            ),
          ),
        ) &&
        rejectedAnswers.every((a) => isErrorOutput(a.output)) &&
        rejected.every((q) => !refunded.has(q.requestId) && answersOf.get(q.requestId)?.[0]?.settledFee === q.fee) &&
        lowestHonest >= threshold &&
        same([...evicted], [roles.offline]),
      detail:
        `${rejected.length} requests "${r.rejectedInput}": ${count(rejectedAnswers, (a) => honest.includes(a.modeler))} answers "error: invalid-input: …" from the ${honest.length} honest hosts, ` +
        `${count(rejectedAnswers, (a) => a.modeler === roles.slow)} error answers from ${slow.name}'s host; all ${rejected.length} fees settled, none refunded; ` +
        `${answeredRequests} answered requests, threshold ${threshold} points, lowest honest modeler ${lowestHonest}; evicted: ${named(evicted)} (offline)`,
    },
    {
      name: "points on chain equal the answers in the events",
      ok:
        modelers.every((m) => m.pointsOnChain === BigInt(m.answered)) &&
        finalizations.length === 1 &&
        finalizations[0].points === totalPoints,
      detail: `${totalPoints} points; EpochFinalized ${finalizations.map((f) => `points ${f.points}, dust ${f.rewardDust}`).join("; ")}`,
    },
    {
      name: "epoch finalized once",
      ok: finalizations.length === 1 && r.finalizedBy !== undefined,
      detail: `by ${r.finalizedBy ?? "nobody"}`,
    },
    {
      name: "each modeler's payout is floor(pool * points / total points)",
      ok:
        modelers.every((m) => m.paid === m.expected) &&
        ledger.rewardClaims.every((c) => same(c.epochs, [epoch])) &&
        ledger.rewardClaims.length === count(modelers, (m) => m.expected > 0n),
      detail: `pool ${pool}, ${totalPoints} points, ${ledger.rewardClaims.length} claims`,
    },
    {
      name: "creator and admin got their split; the platform its split plus the dust",
      ok:
        fees.every((f) => f.paid === f.split + f.dust) &&
        finalizations.length === 1 &&
        finalizations[0].rewardDust === dust,
      detail: `dust ${dust}; platform ${platform.split} + ${platform.dust}`,
    },
    {
      name: "paid in = paid out (rewards + fees + refunds) + still owed (escrow + unclaimed)",
      ok:
        paidIn === rewardsPaid + feesPaid + refundsPaid + owed &&
        settled === sum(ledger.requests.filter((q) => answersOf.has(q.requestId)).map((q) => q.fee)),
      detail: `${paidIn} = ${rewardsPaid} + ${feesPaid} + ${refundsPaid} + ${owed}`,
    },
    {
      name: "the market holds exactly what is still owed (nothing: everything is claimed)",
      ok: r.marketBalance === owed && owed === 0n,
      detail: `balance ${r.marketBalance}, owed ${owed}`,
    },
    {
      name: "no daemon logged an error",
      ok: r.daemonErrors.length === 0,
      detail: r.daemonErrors.map((l) => `${l.msg}: ${String(l.error ?? "")}`).join("; ") || "none",
    },
  ];

  return {
    epoch,
    requests: ledger.requests.length,
    settled,
    pool,
    totalPoints,
    dust,
    modelers,
    fees,
    refunds: { count: ledger.refunds.length, amount: refundsPaid, byKeeper: keeperRefunds.size },
    users,
    money,
    checks,
  };
}
