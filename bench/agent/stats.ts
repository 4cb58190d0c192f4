/** The measures of a bench run, from the chain's events only: what users saw, whoever answered. */

/** The nearest-rank percentile `p` (0 to 100) of `values`; undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Made {
  requestId: bigint;
  block: number;
}

export interface Answered {
  requestId: bigint;
  block: number;
  txHash: string;
}

export interface Figures {
  requests: number;
  /** Answers expected: every request times the modelers that answer it. */
  expected: number;
  answers: number;
  transactions: number;
  /** Blocks from a request's block to each of its answers' blocks. */
  delays: number[];
  p50Blocks?: number;
  p95Blocks?: number;
  maxBlocks?: number;
  /** Chain seconds from the first request's block to the last answer's block, both included. */
  seconds: number;
  answersPerSecond: number;
}

/** Joins answers to their requests; `timeOf` gives a block's timestamp. */
export async function figures(
  made: readonly Made[],
  answered: readonly Answered[],
  answersPerRequest: number,
  timeOf: (block: number) => Promise<number>,
): Promise<Figures> {
  const blockOf = new Map(made.map((m) => [m.requestId, m.block]));
  const mine = answered.filter((a) => blockOf.has(a.requestId));
  const delays = mine.map((a) => a.block - blockOf.get(a.requestId)!);
  const first = Math.min(...made.map((m) => m.block));
  const last = Math.max(first, ...mine.map((a) => a.block));
  const seconds = (await timeOf(last)) - (await timeOf(first)) + 1;
  return {
    requests: made.length,
    expected: made.length * answersPerRequest,
    answers: mine.length,
    transactions: new Set(mine.map((a) => a.txHash)).size,
    delays,
    p50Blocks: percentile(delays, 50),
    p95Blocks: percentile(delays, 95),
    maxBlocks: delays.length ? Math.max(...delays) : undefined,
    seconds,
    answersPerSecond: Math.round((mine.length / seconds) * 10) / 10,
  };
}

/** A step of a ramp as read from the chain. */
export interface StepFigures {
  /** Requests per second sent, and the answers per second they call for. */
  rate: number;
  offered: number;
  /** Answers mined per chain second in the step's blocks, its first `warmBlocks` left out. */
  answersPerSecond: number;
  /** Blocks from each request of the step to each of its answers; a missing answer counts as never. */
  p50Blocks?: number;
  p95Blocks?: number;
  missing: number;
}

/**
 * A step's figures: the answer rate sustained in its blocks once the first `warmBlocks` have let the answerer
 * get going, and the delays of all its requests (`made`), whenever they were mined and answered.
 */
export async function stepFigures(
  step: { rate: number; fromBlock: number; toBlock: number },
  made: readonly Made[],
  answered: readonly Answered[],
  answersPerRequest: number,
  warmBlocks: number,
  timeOf: (block: number) => Promise<number>,
): Promise<StepFigures> {
  const from = Math.min(step.fromBlock + warmBlocks, step.toBlock - 1);
  const seconds = Math.max(1, (await timeOf(step.toBlock)) - (await timeOf(from)));
  const inWindow = answered.filter((a) => a.block > from && a.block <= step.toBlock).length;
  const answersOf = new Map<bigint, number[]>();
  for (const a of answered) answersOf.set(a.requestId, [...(answersOf.get(a.requestId) ?? []), a.block]);
  const delays: number[] = [];
  let missing = 0;
  for (const r of made) {
    const blocks = answersOf.get(r.requestId) ?? [];
    missing += answersPerRequest - blocks.length;
    for (const b of blocks) delays.push(b - r.block);
    for (let i = blocks.length; i < answersPerRequest; i++) delays.push(Infinity);
  }
  return {
    rate: step.rate,
    offered: step.rate * answersPerRequest,
    answersPerSecond: Math.round((inWindow / seconds) * 10) / 10,
    p50Blocks: percentile(delays, 50),
    p95Blocks: percentile(delays, 95),
    missing,
  };
}

/**
 * The knee of a ramp: the first step whose sustained answer rate falls below `share` of what it offered.
 * Undefined when every step kept up.
 */
export function knee(steps: readonly StepFigures[], share = 0.9): number | undefined {
  const i = steps.findIndex((s) => s.answersPerSecond < share * s.offered);
  return i < 0 ? undefined : i;
}
