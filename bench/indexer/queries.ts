/**
 * The web app's five main queries, through the SDK's IndexerClient as the web app sends them: GraphQL POSTs to
 * the indexer, each timed from the call to the decoded result.
 */
import { IndexerClient } from "../../sdk/indexer";
import { percentile } from "./chain";

export interface QueryTargets {
  challengeId: bigint;
  /** A user with many requests, and the range of request ids to pick single requests from. */
  requester: string;
  requestIds: [bigint, bigint];
  modeler: string;
}

export interface Latency {
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** What the last run returned, so a table shows that the query did real work. */
  rows: number;
}

export const QUERY_NAMES = ["requestsBy", "request", "modelerEpochs", "challengeHistory", "feeShares"] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

/** Each query's call; `i` varies the single request asked for. */
function calls(client: IndexerClient, t: QueryTargets): Record<QueryName, (i: number) => Promise<number>> {
  const span = t.requestIds[1] - t.requestIds[0] + 1n;
  return {
    requestsBy: async () => {
      const page = await client.requestsBy(t.requester, { limit: 50 });
      return page.requests.length + page.requests.reduce((n, r) => n + r.answers.length, 0);
    },
    request: async (i) => {
      const id = t.requestIds[0] + ((BigInt(i) * 7919n) % span);
      const r = await client.request(id);
      if (!r) throw new Error(`the indexer has no request ${id}`);
      return 1 + r.answers.length;
    },
    modelerEpochs: async () => (await client.modelerEpochs(t.challengeId, t.modeler)).length,
    challengeHistory: async () => {
      const h = await client.challengeHistory(t.challengeId);
      if (!h) throw new Error(`the indexer has no challenge ${t.challengeId}`);
      return h.fees.length + h.admins.length + h.lists.length + h.modelers.length + h.epochs.length;
    },
    feeShares: async () => (await client.feeShares(t.challengeId)).length,
  };
}

/** `warmup` untimed runs, then `runs` timed ones, of each query in turn, one at a time. */
export async function queryLatency(
  url: string,
  t: QueryTargets,
  runs: number,
  warmup: number,
): Promise<Record<QueryName, Latency>> {
  const client = new IndexerClient(url, { timeoutMs: 60_000 });
  const all = calls(client, t);
  const out = {} as Record<QueryName, Latency>;
  for (const name of QUERY_NAMES) {
    for (let i = 0; i < warmup; i++) await all[name](i);
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      rows = await all[name](warmup + i);
      times.push(performance.now() - started);
    }
    out[name] = {
      runs,
      p50Ms: round(percentile(times, 50)!),
      p95Ms: round(percentile(times, 95)!),
      maxMs: round(Math.max(...times)),
      rows,
    };
  }
  return out;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
