/**
 * Head lag under load: the node mines a block a second (interval mining, automine off), users send a steady
 * stream of requests, the host answers each second's new requests, and every second the node's head is compared
 * with the last block the indexer has indexed (/status).
 */
import type { Indexer } from "../../test/indexer/harness";
import type { Builder } from "./history";
import { percentile } from "./chain";

const BLOCK_MS = 1_000;

export interface Lag {
  seconds: number;
  ratePerSecond: number;
  requests: number;
  answers: number;
  blocks: number;
  samples: number;
  /** Samples before the indexer's /status first reached the load's blocks, left out. */
  skippedSamples: number;
  p50Blocks: number;
  p95Blocks: number;
  maxBlocks: number;
  /** Seconds after the load stopped until the indexer held the last block. */
  catchUpMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function headLag(b: Builder, indexer: Indexer, seconds: number, rate: number): Promise<Lag> {
  const provider = b.node.provider;
  await b.node.rpc("evm_setAutomine", [false]);
  await b.node.rpc("evm_setIntervalMining", [BLOCK_MS]);
  const firstBlock = await provider.getBlockNumber();
  const requestsBefore = b.sentRequests;
  const answersBefore = b.sentAnswers;
  const started = Date.now();
  const endAt = started + seconds * 1_000;
  const sends: Promise<unknown>[] = [];
  const lags: number[] = [];
  let running = true;
  let skipped = 0;

  // Requests, evenly spaced.
  const load = (async () => {
    for (let i = 0; Date.now() < endAt; i++) {
      const wait = started + (i * 1_000) / rate - Date.now();
      if (wait > 0) await sleep(wait);
      sends.push(...b.sendRequests(1));
    }
  })();
  // Answers to whatever was mined since the last look, once a second.
  const answers = (async () => {
    let seen = firstBlock;
    while (running) {
      await sleep(BLOCK_MS);
      const head = await provider.getBlockNumber();
      if (head <= seen) continue;
      const made = await b.made(seen + 1, head);
      seen = head;
      if (made.length > 0) sends.push(...(await b.sendAnswers(made)));
    }
  })();
  // The lag, once a second.
  const sampler = (async () => {
    while (running) {
      await sleep(BLOCK_MS);
      const [head, indexed] = await Promise.all([provider.getBlockNumber(), indexer.indexedBlock()]);
      // /status moves on blocks with the market's events: until the first block of the load is indexed it still
      // names the last such block of the history, below the empty blocks mined on top of it.
      if (indexed < firstBlock) {
        skipped++;
        continue;
      }
      lags.push(Math.max(0, head - indexed));
    }
  })();

  await load;
  running = false;
  await Promise.all([answers, sampler, ...sends]);
  const stopped = Date.now();
  // Mine what is left, stop the clock and let the indexer catch up with the last block.
  await b.node.rpc("evm_setIntervalMining", [0]);
  const last = await b.sender.mineAll();
  await indexer.waitForBlock(last, 120_000);
  return {
    seconds,
    ratePerSecond: rate,
    requests: b.sentRequests - requestsBefore,
    answers: b.sentAnswers - answersBefore,
    blocks: last - firstBlock,
    samples: lags.length,
    skippedSamples: skipped,
    p50Blocks: percentile(lags, 50) ?? 0,
    p95Blocks: percentile(lags, 95) ?? 0,
    maxBlocks: lags.length ? Math.max(...lags) : 0,
    catchUpMs: Date.now() - stopped,
  };
}
