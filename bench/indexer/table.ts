/** The bench's table, printed at the end of a run. */
import type { Report } from "../indexer";
import type { Backfill } from "./backfill";
import type { Latency, QueryName } from "./queries";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const n = (x: number) => x.toLocaleString("en-US");

function backfillRow(b: Backfill, ratio: number): string {
  return (
    `${n(b.eventsPerSecond)} events/s (${n(b.events)} events, backfill ${secs(b.backfillMs)}; ` +
    `spawn to /ready ${secs(b.readyMs)}, ${n(b.eventsPerSecondWithStartup)}/s) = ${ratio}× raw scan`
  );
}

const latency = (l: Latency) => `p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms (max ${l.maxMs}, ${l.rows} rows)`;

export function printTable(r: Report, names: readonly QueryName[]): void {
  const rows: [string, string][] = [
    [
      "history",
      `${n(r.history.requests)} requests, ${n(r.history.answers)} answers, ${n(r.history.events)} market events, ` +
        `blocks ${r.history.fromBlock}..${r.history.toBlock}`,
    ],
    ["history built in", `${secs(r.history.buildMs)} (+ deploy and setup ${secs(r.history.setupMs)})`],
    [
      "raw eth_getLogs scan",
      `${n(r.rawScan.eventsPerSecond)} events/s (${secs(r.rawScan.ms)}, 2000-block pages, eth_getLogs over fetch, JSON parsed)`,
    ],
    ["backfill PGlite", backfillRow(r.backfill.pglite, r.backfillToRawScan.pglite)],
    [
      "backfill PostgreSQL",
      r.backfill.postgres
        ? backfillRow(r.backfill.postgres, r.backfillToRawScan.postgres!)
        : "skipped (BENCH_POSTGRES=0)",
    ],
  ];
  for (const name of names) {
    rows.push([`${name} PGlite`, latency(r.queries.pglite[name])]);
    if (r.queries.postgres) rows.push([`${name} PostgreSQL`, latency(r.queries.postgres[name])]);
  }
  const l = r.headLag;
  rows.push(
    [
      "head lag load",
      `${n(l.requests)} requests (${l.ratePerSecond}/s) and ${n(l.answers)} answers over ${l.seconds} s, ${l.blocks} blocks of 1 s`,
    ],
    [
      "head lag",
      `p50 ${l.p50Blocks}, p95 ${l.p95Blocks}, max ${l.maxBlocks} blocks (${l.samples} samples, 1/s; ${l.skippedSamples} before the load's first block)`,
    ],
    ["caught up after load", secs(l.catchUpMs)],
    ["whole run", `${secs(r.totalMs)} on ${r.machine.cpus} cores, Node ${r.machine.node}`],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log("\nindexer bench");
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}
