/** The bench's settings, from the environment, checked once at start. */

export interface Settings {
  /** Requests in the history the indexer backfills (answers come on top). */
  requests: number;
  /** Requests sent before each `evm_mine` while the history is built. */
  perBlock: number;
  /** Timed runs of each query, after `warmup` untimed ones. */
  queryRuns: number;
  warmup: number;
  /** Seconds of steady load while the head lag is sampled, and its rate. */
  lagSeconds: number;
  lagRate: number;
  /** Also backfill and query on a throwaway PostgreSQL cluster (.ci/postgres.sh). */
  postgres: boolean;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim() || String(fallback);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export function settings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    requests: whole(env, "BENCH_REQUESTS", 20_000, 100, 200_000),
    perBlock: whole(env, "BENCH_BLOCK_REQUESTS", 200, 1, 1_000),
    queryRuns: whole(env, "BENCH_QUERY_RUNS", 50, 1, 10_000),
    warmup: whole(env, "BENCH_QUERY_WARMUP", 5, 0, 1_000),
    lagSeconds: whole(env, "BENCH_LAG_SECONDS", 30, 1, 600),
    lagRate: whole(env, "BENCH_LAG_RATE", 20, 1, 200),
    postgres: whole(env, "BENCH_POSTGRES", 1, 0, 1) === 1,
  };
}
