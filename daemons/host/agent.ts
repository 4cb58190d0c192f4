import { setMaxListeners } from "node:events";
import type { Signer } from "ethers";
import { Market, type OpenRequest } from "../../sdk/market";
import { rpcRetry } from "../common/act";
import { ConfigError } from "../common/config";
import type { IndexedHistory } from "../common/indexer";
import type { Transactor } from "../common/transactor";
import type { Logger } from "../common/logger";
import { DEFAULT_RETRY, type RetryOptions } from "../common/retry";
import { isAbort, sleep } from "../common/sleep";
import { DEFAULT_MAX_INPUT_BYTES, type Model } from "./model";
import { checkNamed } from "./naming";
import { Runner, type Clock } from "./run";
import { Scanner } from "./scan";
import { Sender, type HostReport } from "./send";
import { checkServed, type ServedModeler } from "./served";
import { Summary } from "./summary";

export type { HostReport } from "./send";
export type { Clock } from "./run";
export type { ServedModeler } from "./served";

export interface HostAgentOptions {
  /** The host's key: the address its modelers name as their host. */
  signer: Signer;
  /** The market's address. */
  market: string;
  model: Model;
  log: Logger;
  /**
   * The modelers this host serves, per challenge: its operator's choice, required. A modeler naming this host
   * that is not on this list gets nothing (PROTOCOL "A host serves only the modelers that its operator chose").
   */
  modelers: readonly ServedModeler[];
  /** No request is older than this block: the deployment's block. */
  fromBlock?: number;
  /** Blocks per eth_getLogs call. */
  logRange?: number;
  /** Answers per transaction at most (1 to 50); the models of one batch run at once. */
  batchSize?: number;
  /**
   * Batches whose models run at once (default 4), started most urgent first: a model mostly waits on the node,
   * and the provider's bound keeps the RPC within its limit. 1 runs them one after another, for a model that
   * needs the whole machine.
   */
  modelBatches?: number;
  /**
   * Seconds kept before a deadline for the answer to be mined (default 10): a request with less left is
   * skipped, and the model's time budget ends this long before the deadline.
   */
  marginS?: number;
  /**
   * The longest a model may take on one request, in seconds (default 60). A request's budget is the shorter
   * of this and its time left less the margin; a model still running when it is spent gets a timeout answer.
   */
  modelTimeoutS?: number;
  retry?: RetryOptions;
  /**
   * Whether a pass waits for its transactions to be mined (default true). The daemon sets false: a pass then
   * returns once its batches are sent, and answers in flight stay out of later passes until their receipt.
   */
  waitMined?: boolean;
  /** The agent's clock, for the models' `ctx.sleep` and the time budgets: real time by default, chain time in the demo. */
  sleep?: Clock;
  /** Real milliseconds between two summaries at info (default a minute). */
  summaryMs?: number;
  /** Real milliseconds between two checks that a served modeler names this host (default an hour). */
  namedCheckMs?: number;
  /** Each pass finds the open requests in the indexer up to its last block, and in the logs after it. */
  history?: IndexedHistory;
  /** Sends the answers with its fees, nonces, replacements and cancels; without, the signer sends as it is. */
  transactor?: Transactor;
  /** Blocks on top of a block before the agent reads its requests (default 0). */
  confirmations?: number;
  /**
   * Requests taken up per pass at most (default 200), most urgent first: the others stay open and wait for the
   * next pass, so that a flood of requests never turns a pass into more work than it can finish.
   */
  maxPerPass?: number;
  /** The longest input the model is given, in bytes (default 16384); a longer one gets an error answer. */
  maxInputBytes?: number;
}

export const MAX_BATCH = 50;
export const DEFAULT_MODEL_TIMEOUT_S = 60;
export const DEFAULT_MAX_PER_PASS = 200;
export const DEFAULT_MODEL_BATCHES = 4;

/**
 * The host agent in the spirit of Spectral's Nova: one pass per `tick()` finds every request open to the
 * modelers it serves in the last SLA window (so a restart loses nothing), runs the model on each within a
 * time budget, and answers every one still in time, in batches: with the model's output, or with an error
 * output (sdk/text) when the model rejects the input, fails or runs out of time. Before answering it reads
 * which modelers already answered, and a `MarketAlreadyAnswered` counts as done, so nothing is answered
 * twice. Time is the chain's; the models' time is the agent's clock.
 */
export class HostAgent {
  readonly market: Market;
  /** The modelers served, checked. */
  readonly modelers: readonly ServedModeler[];
  private readonly log: Logger;
  private readonly retry: RetryOptions;
  private readonly marginS: bigint;
  private readonly maxPerPass: number;
  private readonly sender: Sender;
  private readonly scanner: Scanner;
  private readonly runner: Runner;
  private readonly waitMined: boolean;
  private host?: string;
  private readonly summary: Summary;
  /** When (real time) the agent last checked that a served modeler names it. */
  private namedCheckedAt?: number;

  constructor(private readonly options: HostAgentOptions) {
    this.modelers = checkServed(options.modelers);
    this.market = Market.connect(options.market, options.signer);
    this.log = options.log;
    this.retry = options.retry ?? DEFAULT_RETRY;
    const batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
      throw new ConfigError(`batchSize must be 1 to ${MAX_BATCH}, got ${batchSize}`);
    }
    this.marginS = BigInt(options.marginS ?? 10);
    const timeoutS = options.modelTimeoutS ?? DEFAULT_MODEL_TIMEOUT_S;
    if (!Number.isInteger(timeoutS) || timeoutS < 1)
      throw new ConfigError(`modelTimeoutS must be a whole number of seconds, at least 1, got ${timeoutS}`);
    this.maxPerPass = positive(options.maxPerPass ?? DEFAULT_MAX_PER_PASS, "maxPerPass");
    const maxInputBytes = positive(options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES, "maxInputBytes");
    this.waitMined = options.waitMined ?? true;
    this.sender = new Sender(this.market, this.log, this.retry, options.transactor);
    this.summary = new Summary(this.log, options.summaryMs ?? 60_000);
    this.scanner = new Scanner({
      market: this.market,
      log: this.log,
      modelers: this.modelers,
      sender: this.sender,
      maxPerPass: this.maxPerPass,
      fromBlock: options.fromBlock,
      logRange: options.logRange,
      history: options.history,
    });
    this.runner = new Runner({
      market: this.market,
      model: options.model,
      log: this.log,
      retry: this.retry,
      sender: this.sender,
      summary: this.summary,
      batchSize,
      modelBatches: positive(options.modelBatches ?? DEFAULT_MODEL_BATCHES, "modelBatches"),
      marginS: this.marginS,
      modelTimeoutMs: timeoutS * 1000,
      maxInputBytes,
      clock: options.sleep ?? sleep,
    });
  }

  /** One pass; the summary of the passes is logged when due. */
  async tick(signal?: AbortSignal): Promise<HostReport> {
    try {
      const report = await this.pass(signal && listenable(signal));
      this.summary.passed(report, this.sender.mined());
      return report;
    } catch (err) {
      if (!isAbort(err)) this.summary.failed();
      throw err;
    } finally {
      this.summary.logIfDue();
    }
  }

  private async pass(signal?: AbortSignal): Promise<HostReport> {
    const rpc = rpcRetry(this.log, this.retry, signal);
    this.host ??= await this.options.signer.getAddress();
    const checkMs = this.options.namedCheckMs ?? 3_600_000;
    if (this.namedCheckedAt === undefined || Date.now() - this.namedCheckedAt >= checkMs) {
      await rpc("modelerInfo", () => checkNamed(this.market, this.host!, this.modelers, this.log));
      this.namedCheckedAt = Date.now();
    }
    const { sla } = await rpc("settings", () => this.market.timeConfig());
    // Requests are read from blocks with enough confirmations only: one a reorganisation drops is never answered.
    const head =
      (await rpc("blockNumber", () => this.market.provider.getBlockNumber())) - (this.options.confirmations ?? 0);
    const now = await rpc("now", () => this.market.now());
    const report: HostReport = { now, answered: [], errors: [], transactions: 0, skipped: [] };
    this.scanner.forget(now);
    this.sender.forget(now);

    const wanted = (r: OpenRequest) => this.sender.pending(r) && r.deadline >= now + this.marginS;
    const open = await this.scanner.open(head, sla, { host: this.host, now, wanted, rpc });
    // Whole requests, most urgent first, up to the pass's share; the others stay open for the next pass.
    const due: OpenRequest[] = [];
    const taken = new Set<bigint>();
    const later = new Set<bigint>();
    for (const r of open) {
      if (!this.sender.pending(r) || this.runner.tooClose(r, now, report)) continue;
      if (!taken.has(r.requestId) && taken.size >= this.maxPerPass) {
        later.add(r.requestId);
        continue;
      }
      taken.add(r.requestId);
      due.push(r);
    }
    if (later.size > 0)
      this.log.debug(
        { action: "tick", status: "deferred", taken: taken.size, later: later.size, maxPerPass: this.maxPerPass },
        "more requests than a pass takes up: the others wait for the next pass",
      );
    await this.runner.answer(due, report, signal);
    if (this.waitMined || signal?.aborted) await this.sender.mined();
    return report;
  }
}

/**
 * `signal`, as a signal that many may listen to: each read waiting for its retry does, and the scan and a batch
 * of models read many at once (past Node's default of 10, it warns of a leak).
 */
function listenable(signal: AbortSignal): AbortSignal {
  const own = AbortSignal.any([signal]);
  setMaxListeners(0, own);
  return own;
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what} must be a positive whole number, got ${n}`);
  return n;
}
