import type { Signer } from "ethers";
import { Market, type OpenRequest } from "../../sdk/market";
import { decodeText } from "../../sdk/text";
import { decodeError } from "../../sdk/errors";
import { act, rpcRetry } from "../common/act";
import type { Logger } from "../common/logger";
import { DEFAULT_RETRY, type RetryOptions } from "../common/retry";
import { sleep } from "../common/sleep";
import { infer, readOnly, type Model, type ModelContext } from "./model";

export interface HostAgentOptions {
  /** The host's key: it answers for every listed modeler whose current host is this address. */
  signer: Signer;
  /** The market's address. */
  market: string;
  model: Model;
  log: Logger;
  /** Answer only for these modelers (default: every modeler this host serves). */
  modelers?: readonly string[];
  /** No request is older than this block: the deployment's block. */
  fromBlock?: number;
  /** Blocks per eth_getLogs call. */
  logRange?: number;
  /** Answers per transaction at most (1 to 50). */
  batchSize?: number;
  /** Seconds before a deadline below which a request is skipped: an answer would not be mined in time. */
  marginS?: number;
  retry?: RetryOptions;
  /** The models' clock (`ctx.sleep`); real time by default. */
  sleep?: (ms: number) => Promise<void>;
}

/** What one pass did. */
export interface HostReport {
  now: bigint;
  /** `requestId/index` of each answer sent. */
  answered: string[];
  /** Transactions sent (a batch counts once). */
  transactions: number;
  /** `requestId/index` of each request left unanswered, with why. */
  skipped: { id: string; reason: string }[];
}

export const MAX_BATCH = 50;

const keyOf = (r: { requestId: bigint; index: number }) => `${r.requestId}/${r.index}`;
const DONE_ANSWER = ["MarketAlreadyAnswered"];

/**
 * The host agent in the spirit of Spectral's Nova: one pass per `tick()` finds every request open to its
 * modelers in the last SLA window (so a restart loses nothing), runs the model on each, and answers the
 * ones still in time, in batches. Before answering it reads which modelers already answered, and a
 * `MarketAlreadyAnswered` counts as done, so nothing is answered twice. Time is the chain's.
 */
export class HostAgent {
  readonly market: Market;
  private readonly log: Logger;
  private readonly retry: RetryOptions;
  private readonly batchSize: number;
  private readonly marginS: bigint;
  private readonly modelers?: Set<string>;
  private readonly ctxSleep: (ms: number) => Promise<void>;
  /** Answers this instance saw mined, or found made, with their deadlines: never computed again. */
  private readonly done = new Map<string, bigint>();
  /** Skips and model failures already logged, with their deadlines: each is logged once. */
  private readonly logged = new Map<string, bigint>();
  /** First block of the last SLA window found by the previous pass; the next search starts there. */
  private windowBlock: number;

  constructor(private readonly options: HostAgentOptions) {
    this.market = Market.connect(options.market, options.signer);
    this.log = options.log;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > MAX_BATCH) {
      throw new Error(`batchSize must be 1 to ${MAX_BATCH}, got ${this.batchSize}`);
    }
    this.marginS = BigInt(options.marginS ?? 10);
    this.modelers = options.modelers && new Set(options.modelers.map((m) => m.toLowerCase()));
    this.ctxSleep = options.sleep ?? ((ms) => sleep(ms));
    this.windowBlock = options.fromBlock ?? 0;
  }

  async tick(signal?: AbortSignal): Promise<HostReport> {
    const rpc = rpcRetry(this.log, this.retry, signal);
    const host = await this.options.signer.getAddress();
    const { sla } = await rpc("settings", () => this.market.timeConfig());
    const now = await rpc("now", () => this.market.now());
    const report: HostReport = { now, answered: [], transactions: 0, skipped: [] };
    for (const memo of [this.done, this.logged]) {
      for (const [key, deadline] of memo) if (deadline < now) memo.delete(key);
    }

    // Every request that may still be open was made in the last SLA window.
    const windowStart = now > sla ? now - sla : 0n;
    this.windowBlock = await rpc("blockAt", () => this.market.blockAt(windowStart, this.windowBlock));
    const open = await rpc("openRequests", () =>
      this.market.openRequestsFor(host, { fromBlock: this.windowBlock, maxRange: this.options.logRange }),
    );
    const mine = open.filter((r) => !this.done.has(keyOf(r)) && (!this.modelers || this.modelers.has(r.modeler.toLowerCase())));

    const due: OpenRequest[] = [];
    for (const r of mine) {
      if (r.deadline < now + this.marginS) this.skip(r, report, `only ${r.deadline - now} s left, margin ${this.marginS} s`);
      else due.push(r);
    }
    for (let i = 0; i < due.length && !signal?.aborted; i += this.batchSize) {
      await this.answerChunk(due.slice(i, i + this.batchSize), report, signal);
    }
    return report;
  }

  private skip(r: OpenRequest, report: HostReport, reason: string) {
    const id = keyOf(r);
    report.skipped.push({ id, reason });
    if (!this.once(`${id}:skipped`, r.deadline)) return;
    this.log.warn(
      { action: "answer", status: "skipped", requestId: r.requestId, challengeId: r.key.challengeId, modeler: r.modeler, index: r.index, deadline: r.deadline, reason },
      "answer: cannot make it in time",
    );
  }

  /** Runs the model on each request of the chunk at once, then answers those still in time. */
  private async answerChunk(chunk: OpenRequest[], report: HostReport, signal?: AbortSignal) {
    const provider = readOnly(this.market.provider);
    const results = await Promise.allSettled(
      chunk.map((r) => {
        const ctx: ModelContext = { provider, blockTag: r.blockNumber, requestId: r.requestId, challengeId: r.key.challengeId, sleep: this.ctxSleep };
        return infer(this.options.model, decodeText(r.input), ctx);
      }),
    );
    const rpc = rpcRetry(this.log, this.retry, signal);
    const now = await rpc("now", () => this.market.now());
    const ready: { r: OpenRequest; output: string }[] = [];
    results.forEach((res, i) => {
      const r = chunk[i];
      if (res.status === "rejected") {
        if (!this.once(`${keyOf(r)}:failed`, r.deadline)) return;
        this.log.error(
          { action: "answer", status: "failed", requestId: r.requestId, challengeId: r.key.challengeId, modeler: r.modeler, error: decodeError(res.reason) },
          "answer: the model failed",
        );
      } else if (r.deadline <= now) {
        this.skip(r, report, `deadline passed while the model ran (now ${now}, deadline ${r.deadline})`);
      } else {
        ready.push({ r, output: res.value });
      }
    });
    if (ready.length === 0 || signal?.aborted) return;

    // The chain may have moved while the model ran: answer only what is still unanswered.
    const states = await Promise.all(ready.map(({ r }) => rpc("requestState", () => this.market.requestState(r.requestId))));
    const fresh = ready.filter(({ r }, i) => {
      const answered = states[i].answered.includes(r.index);
      if (answered) this.done.set(keyOf(r), r.deadline);
      return !answered;
    });
    if (fresh.length === 1) await this.answerOne(fresh[0].r, fresh[0].output, report, signal);
    else if (fresh.length > 1) await this.answerBatch(fresh, report, signal);
  }

  /** True the first time `key` is seen (until its deadline passes). */
  private once(key: string, deadline: bigint): boolean {
    if (this.logged.has(key)) return false;
    this.logged.set(key, deadline);
    return true;
  }

  private fields(r: OpenRequest, output: string) {
    return { action: "answer", requestId: r.requestId, challengeId: r.key.challengeId, modeler: r.modeler, index: r.index, output };
  }

  private async answerOne(r: OpenRequest, output: string, report: HostReport, signal?: AbortSignal) {
    const result = await act(this.log, this.fields(r, output), () => this.market.answer(r.requestId, r.key, r.index, output), {
      retry: this.retry,
      signal,
      done: DONE_ANSWER,
    });
    if (result.outcome === "sent") {
      report.answered.push(keyOf(r));
      report.transactions++;
    }
    if (result.outcome === "sent" || result.outcome === "already") this.done.set(keyOf(r), r.deadline);
  }

  /** One all-or-nothing transaction; if the contract rejects it, each answer goes alone so one bad entry blocks no other. */
  private async answerBatch(items: { r: OpenRequest; output: string }[], report: HostReport, signal?: AbortSignal) {
    const fields = { action: "answerBatch", size: items.length, requestIds: items.map(({ r }) => r.requestId) };
    const result = await act(
      this.log,
      fields,
      () => this.market.answerBatch(items.map(({ r, output }) => ({ requestId: r.requestId, key: r.key, index: r.index, output }))),
      { retry: this.retry, signal },
    );
    if (result.outcome === "sent" && result.sent) {
      report.transactions++;
      for (const { r, output } of items) {
        this.done.set(keyOf(r), r.deadline);
        report.answered.push(keyOf(r));
        this.log.info({ ...this.fields(r, output), status: "sent", txHash: result.sent.txHash, batch: items.length }, "answer: sent in a batch");
      }
      return;
    }
    for (const { r, output } of items) {
      if (signal?.aborted) return;
      await this.answerOne(r, output, report, signal);
    }
  }
}
