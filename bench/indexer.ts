/**
 * Measures the indexer (indexer/, Ponder) on a history of its size: a `hardhat node` with automine off, the market
 * deployed by the deploy script, BENCH_REQUESTS requests (default 20,000) with their answers sent in rounds and
 * mined many to a block. Then, in one run:
 *  - backfill: the indexer started on that history, events per second to /ready, against a raw `eth_getLogs` scan
 *    of the same range on the same node; on PGlite, and on a throwaway PostgreSQL cluster (.ci/postgres.sh);
 *  - query latency: p50 and p95 of the web app's five main queries (sdk/indexer.ts) on both databases;
 *  - head lag: blocks between the node's head and the indexer's /status under a steady load (PGlite).
 * Prints a table and writes reports/indexer.json.
 *
 *   npm run bench:indexer
 *   BENCH_REQUESTS=2000 BENCH_LAG_SECONDS=10 BENCH_POSTGRES=0 npm run bench:indexer   # a quick run
 *
 * Other settings: BENCH_BLOCK_REQUESTS (requests per round while building, 200), BENCH_QUERY_RUNS (50),
 * BENCH_QUERY_WARMUP (5), BENCH_LAG_RATE (requests per second, 20). Everything runs on one machine: the node, the
 * indexer, the database and this process share its cores, and the figures say as much about the machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { DeploySpot, Node, ROOT, stopAll } from "../test/e2e/harness";
import type { Indexer } from "../test/indexer/harness";
import { backfill, rawScan, type Backfill, type Scan } from "./indexer/backfill";
import { Builder, buildHistory, type History } from "./indexer/history";
import { headLag, type Lag } from "./indexer/lag";
import { startPostgres, stopPostgres } from "./indexer/postgres";
import { QUERY_NAMES, queryLatency, type Latency, type QueryName, type QueryTargets } from "./indexer/queries";
import { settings, type Settings } from "./indexer/settings";
import { printTable } from "./indexer/table";
import { runBench } from "./run";

/** Longest wait for one backfill; a 20,000-request history takes well under this. */
const BACKFILL_TIMEOUT_MS = 600_000;

export interface Report {
  settings: Settings;
  machine: { cpus: number; node: string };
  history: {
    requests: number;
    answers: number;
    events: number;
    fromBlock: number;
    toBlock: number;
    setupMs: number;
    buildMs: number;
  };
  rawScan: Omit<Scan, "blocks">;
  backfill: { pglite: Backfill; postgres: Backfill | null };
  /** Indexer backfill rate over the raw scan's: the share of a bare log scan's speed the indexer keeps. */
  backfillToRawScan: { pglite: number; postgres: number | null };
  queries: { pglite: Record<QueryName, Latency>; postgres: Record<QueryName, Latency> | null };
  headLag: Lag;
  totalMs: number;
}

const log = (line: string) => console.log(line);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const s = settings();
  const runStarted = Date.now();
  const spot = new DeploySpot();
  let node: Node | undefined;
  let pglite: Indexer | undefined;
  let postgres: Indexer | undefined;
  // The cluster starts while the history is built; stopped in `finally` whatever happens.
  const pgUrl = s.postgres ? startPostgres() : undefined;
  pgUrl?.catch(() => undefined);
  try {
    log(`starting hardhat node and deploying (${cpus().length} cores)...`);
    node = await Node.start(90_000, { MINE_INTERVAL_MS: "0" });
    log(`building a history of ${s.requests} requests, ${s.perBlock} a block...`);
    const h: History = await buildHistory(node, spot, s.requests, s.perBlock, log);
    log(
      `built in ${secs(h.buildMs)} (setup ${secs(h.setupMs)}): ${h.requests} requests, ${h.answers} answers, blocks to ${h.lastBlock}`,
    );

    // The raw scan, twice (the first warms the node's caches), best kept.
    const address = h.deployment.market;
    const scans = [];
    const head = await node.provider.getBlockNumber();
    for (let i = 0; i < 2; i++) scans.push(await rawScan(node.url, address, h.deployment.startBlock, head));
    const scan = scans.reduce((a, b) => (b.ms < a.ms ? b : a));
    log(`raw eth_getLogs scan: ${scan.events} events in ${secs(scan.ms)} (${scan.eventsPerSecond}/s)`);

    const options = { deployment: spot.file, rpcUrl: node.url };
    log("backfilling on PGlite...");
    const p = await backfill(options, scan, BACKFILL_TIMEOUT_MS);
    pglite = p.indexer;
    log(
      `PGlite: ${p.figures.events} events to /ready in ${secs(p.figures.readyMs)} (backfill ${secs(p.figures.backfillMs)})`,
    );

    const targets: QueryTargets = {
      challengeId: h.challengeId,
      requester: h.cast.users[0].address,
      requestIds: [1n, BigInt(h.requests)],
      modeler: h.cast.modelers[0].address,
    };
    log(`querying PGlite (${s.warmup} warm-up + ${s.queryRuns} runs each)...`);
    const qPglite = await queryLatency(pglite.url, targets, s.queryRuns, s.warmup);

    let pgFigures: Backfill | null = null;
    let qPostgres: Record<QueryName, Latency> | null = null;
    if (pgUrl) {
      const databaseUrl = await pgUrl;
      log("backfilling on PostgreSQL...");
      const pg = await backfill({ ...options, databaseUrl }, scan, BACKFILL_TIMEOUT_MS);
      postgres = pg.indexer;
      pgFigures = pg.figures;
      log(
        `PostgreSQL: ${pg.figures.events} events to /ready in ${secs(pg.figures.readyMs)} (backfill ${secs(pg.figures.backfillMs)})`,
      );
      log("querying PostgreSQL...");
      qPostgres = await queryLatency(postgres.url, targets, s.queryRuns, s.warmup);
      await postgres.stop();
      postgres = undefined;
    }

    log(`head lag: ${s.lagRate} requests a second for ${s.lagSeconds} s, 1 s blocks, indexer on PGlite...`);
    const builder = new Builder(node, h, h.cast.users, h.cast.host.address);
    builder.sentRequests = h.requests;
    const lag = await headLag(builder, pglite, s.lagSeconds, s.lagRate);

    const ratio = (b: Backfill) => Math.round((b.eventsPerSecond / scan.eventsPerSecond) * 1000) / 1000;
    const report: Report = {
      settings: s,
      machine: { cpus: cpus().length, node: process.version },
      history: {
        requests: h.requests,
        answers: h.answers,
        events: scan.events,
        fromBlock: h.deployment.startBlock,
        toBlock: h.lastBlock,
        setupMs: h.setupMs,
        buildMs: h.buildMs,
      },
      rawScan: (({ blocks: _blocks, ...rest }) => rest)(scan),
      backfill: { pglite: p.figures, postgres: pgFigures },
      backfillToRawScan: { pglite: ratio(p.figures), postgres: pgFigures && ratio(pgFigures) },
      queries: { pglite: qPglite, postgres: qPostgres },
      headLag: lag,
      totalMs: Date.now() - runStarted,
    };
    printTable(report, QUERY_NAMES);
    mkdirSync(join(ROOT, "reports"), { recursive: true });
    const path = join(ROOT, "reports", "indexer.json");
    writeFileSync(path, `${JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
    log(`\nwrote ${path}`);
    return 0;
  } finally {
    await postgres?.stop().catch(() => undefined);
    await pglite?.stop().catch(() => undefined);
    await node?.stop().catch(() => undefined);
    await stopAll();
    if (pgUrl) {
      await pgUrl.catch(() => undefined);
      await stopPostgres();
    }
    spot.remove();
  }
}

runBench(main);
