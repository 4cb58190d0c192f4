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
