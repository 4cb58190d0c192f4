/** The backfill measures: a raw `eth_getLogs` scan of the market's range, and the indexer's start to /ready. */
import { getLogs, type RawLog } from "./chain";
import { Indexer } from "../../test/indexer/harness";

/** The page of the raw scan, as the SDK's and the daemons' log scans use. */
export const PAGE_BLOCKS = 2_000;

export interface Scan {
  fromBlock: number;
  toBlock: number;
  /** The market's logs in the range, and the block of each. */
  events: number;
  blocks: number[];
  ms: number;
  eventsPerSecond: number;
}

/** Every log of `address` from `fromBlock` to `toBlock`, in pages of PAGE_BLOCKS blocks, parsed JSON; timed. */
export async function rawScan(url: string, address: string, fromBlock: number, toBlock: number): Promise<Scan> {
  const started = performance.now();
  const logs: RawLog[] = [];
  for (let from = fromBlock; from <= toBlock; from += PAGE_BLOCKS) {
    logs.push(
      ...(await getLogs(url, { address, fromBlock: from, toBlock: Math.min(toBlock, from + PAGE_BLOCKS - 1) })),
    );
  }
  const ms = performance.now() - started;
  const blocks = logs.map((l) => Number(l.blockNumber));
  return { fromBlock, toBlock, events: logs.length, blocks, ms, eventsPerSecond: rate(logs.length, ms) };
}

export const rate = (events: number, ms: number) => Math.round(events / (ms / 1000));

export interface Backfill {
  database: "pglite" | "postgres";
  /** The last block indexed at /ready, and the market's events up to it. */
  toBlock: number;
  events: number;
  /** From the spawn to /ready: Ponder's start-up (build, schema, RPC checks) and the backfill. */
  readyMs: number;
  /** From the HTTP server's start (Ponder's start-up done) to /ready: the backfill alone, nearly. */
  backfillMs: number;
  eventsPerSecond: number;
  /** Events per second of the whole start, spawn to /ready. */
  eventsPerSecondWithStartup: number;
}

/** Starts the indexer on the history and times it to /ready; the caller stops it. */
export async function backfill(
  options: { deployment: string; rpcUrl: string; databaseUrl?: string },
  scan: Scan,
  timeoutMs: number,
): Promise<{ indexer: Indexer; figures: Backfill }> {
  const started = performance.now();
  const indexer = await Indexer.launch(options, timeoutMs);
  const serving = performance.now();
  try {
    await indexer.waitForReady(timeoutMs);
    const ready = performance.now();
    const toBlock = await indexer.indexedBlock();
    const events = scan.blocks.filter((b) => b <= toBlock).length;
    if (events < scan.events)
      throw new Error(`/ready at block ${toBlock}: ${scan.events - events} of the history's events still to index`);
    const readyMs = ready - started;
    const backfillMs = ready - serving;
    return {
      indexer,
      figures: {
        database: options.databaseUrl ? "postgres" : "pglite",
        toBlock,
        events,
        readyMs,
        backfillMs,
        eventsPerSecond: rate(events, backfillMs),
        eventsPerSecondWithStartup: rate(events, readyMs),
      },
    };
  } catch (err) {
    await indexer.stop();
    throw err;
  }
}
