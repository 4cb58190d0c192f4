/*
 * What `request` and `answers` share: a request's header line, following it while it is open (a countdown
 * to its deadline and each answer as it lands), the summary of its answers and their combination, and what
 * to run after Ctrl-C stopped the wait.
 */
import { table, UsageError, type Ctx, type Output } from "./cli";
import type { CombineMethod, MadeRequest, TimedAnswer, TimedWaitResult, WaitMode } from "../../sdk";

/** Seconds of chain time between two countdown lines, counted from the request. */
export const COUNTDOWN_STEP = 10n;

/** The exit code of a command stopped by Ctrl-C (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

export function parseCombine(ctx: Ctx, text: string): CombineMethod {
  const method = ctx.sdk.COMBINE_METHODS.find((m) => m === text);
  if (!method) throw new UsageError(`--combine must be ${ctx.sdk.COMBINE_METHODS.join(", ")}, got "${text}"`);
  return method;
}

/** One line naming the request, its fee, its times and its transaction. */
export function requestLine(ctx: Ctx, r: MadeRequest): string {
  return (
    `request ${r.requestId} on challenge ${r.key.challengeId} (list ${r.key.listId}) by ${r.key.requester}: ` +
    `fee ${ctx.amount(r.key.fee)}, made ${ctx.sdk.isoOf(r.createdAt)}, answers due by ${ctx.sdk.isoOf(r.deadline)} ` +
    `(tx ${r.txHash})`
  );
}

/** "9m50s". */
export function duration(seconds: bigint): string {
  const s = seconds < 0n ? 0n : seconds;
  return `${s / 60n}m${String(s % 60n).padStart(2, "0")}s`;
}

const delayOf = (r: MadeRequest, a: TimedAnswer) => Number(a.answeredAt - r.createdAt);

/** An answer as it lands: who, how long after the request, and what; an error answer says it is one. */
export function answerLine(ctx: Ctx, r: MadeRequest, a: TimedAnswer): string {
  const error = ctx.sdk.isErrorOutput(a.text) ? " (error answer, left out of the result)" : "";
  return `answer from ${a.modeler} after ${delayOf(r, a)} s: ${a.text}${error}`;
}

/** What a wait is for: `expected` answers, or with none expected the deadline and the refund. */
export function waitingLine(expected: number, due: string): string {
  if (expected === 0)
    return `no modeler can answer it: waiting for the deadline ${due} to refund (Ctrl-C stops waiting)`;
  const modelers = `${expected} modeler${expected === 1 ? "" : "s"}`;
  return `waiting for answers from ${modelers} until ${due} (Ctrl-C stops waiting; the request stays)`;
}

/**
 * Waits for the request's answers like `Market.waitForAnswers`. With `live`, it first says what it waits
 * for, then prints each answer as it lands and, each COUNTDOWN_STEP seconds of chain time, the time left.
 * Ctrl-C ends the wait with what came so far (`interrupted`) instead of killing the process, so the caller
 * can say how to pick the request up again; a second Ctrl-C kills it as usual.
 */
export async function follow(
  ctx: Ctx,
  r: MadeRequest,
  options: { mode: WaitMode; pollMs: number; live: boolean },
): Promise<TimedWaitResult & { interrupted: boolean }> {
  const say = (line: string) => options.live && console.log(line);
  const expected = await ctx.market.expectedAnswers(r);
  say(waitingLine(expected, ctx.sdk.isoOf(r.deadline)));
  let shown = 0n;
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once("SIGINT", interrupt);
  try {
    const result = await ctx.market.waitForAnswers(r, {
      mode: options.mode,
      pollMs: options.pollMs,
      signal: stop.signal,
      onAnswer: (a) => say(answerLine(ctx, r, a)),
      onPoll: (now, answered) => {
        const step = (now - r.createdAt) / COUNTDOWN_STEP;
        if (step <= shown) return;
        shown = step;
        say(`  ${duration(r.deadline - now)} left, ${answered} of ${expected} answered`);
      },
    });
    return { ...result, interrupted: stop.signal.aborted };
  } finally {
    process.off("SIGINT", interrupt);
  }
}

/** The answers with their delays, error answers apart, and their combination, as lines and as data. */
export function answerSummary(
  ctx: Ctx,
  r: MadeRequest,
  answers: readonly TimedAnswer[],
  expected: number,
  method: CombineMethod,
) {
  // Error answers (the model refused the input, failed or ran out of time) say why, and count in no result.
  const result = ctx.sdk.combine(
    method,
    answers.map((a) => a.text),
  );
  const results = answers.filter((a) => !ctx.sdk.isErrorOutput(a.text));
  const errors = answers.filter((a) => ctx.sdk.isErrorOutput(a.text));
  const rows = (list: TimedAnswer[]) =>
    table(
      ["modeler", "after", "output"],
      list.map((a) => [a.modeler, `${delayOf(r, a)} s`, a.text]),
    );
  const lines: string[] = [];
  if (answers.length > 0) {
    lines.push(`answers (${answers.length} of ${expected} expected):`, ...rows(results));
    if (errors.length > 0) lines.push(`error answers (${errors.length}), left out of the result:`, ...rows(errors));
    lines.push(`${method}: ${result ?? "(no answer qualifies)"}`);
  }
  const asData = (a: TimedAnswer) => ({ modeler: a.modeler, delay: delayOf(r, a), output: a.text });
  return {
    lines,
    data: { expected, answers: results.map(asData), errorAnswers: errors.map(asData), combine: method, result },
  };
}

/** The commands that pick a request up again: wait for it, or refund it once its deadline has passed. */
export function resumeHint(network: string, requestId: bigint, market?: string): { resume: string; refund: string } {
  const on = market ? ` --market ${market}` : "";
  return {
    resume: `npx hardhat --network ${network} answers --request ${requestId} --wait${on}`,
    refund: `npx hardhat --network ${network} refund --request ${requestId}${on}`,
  };
}

/** What a task shows when Ctrl-C stopped its wait; the process then exits with INTERRUPTED_EXIT_CODE. */
export function interrupted(ctx: Ctx, r: MadeRequest, market: string | undefined, data: object): Output {
  process.exitCode = INTERRUPTED_EXIT_CODE;
  const hint = resumeHint(ctx.hre.network.name, r.requestId, market);
  return {
    data: { ...data, interrupted: true, commands: hint },
    lines: [
      `stopped waiting; request ${r.requestId} stays open until ${ctx.sdk.isoOf(r.deadline)}`,
      `  to wait again: ${hint.resume}`,
      `  to get the fee back if nobody answered by then: ${hint.refund}`,
    ],
  };
}
