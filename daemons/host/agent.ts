import type { ContractTransactionResponse, Signer } from "ethers";
import { Market, RequestStatus, type OpenRequest } from "../../sdk/market";
import { decodeText, encodeText } from "../../sdk/text";
import { RevertError, decodeError, toRevertError } from "../../sdk/errors";
import { rpcRetry } from "../common/act";
import type { Logger } from "../common/logger";
import { DEFAULT_RETRY, type RetryOptions } from "../common/retry";
import { isAbort, sleep } from "../common/sleep";
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
  /**
   * Whether a pass waits for its transactions to be mined (default true). The daemon sets false: a pass then
   * returns once its batches are sent, and answers in flight stay out of later passes until their receipt.
   */
  waitMined?: boolean;
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
  /** Requests with nothing left for this host, with their deadlines: not read again. */
  private readonly finished = new Map<bigint, bigint>();
  /** Answers sent and not yet mined. */
  private readonly inFlight = new Set<string>();
  private readonly waitMined: boolean;
  private readonly mining = new Set<Promise<void>>();
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
    this.waitMined = options.waitMined ?? true;
  }

  async tick(signal?: AbortSignal): Promise<HostReport> {
    const rpc = rpcRetry(this.log, this.retry, signal);
    const host = await this.options.signer.getAddress();
    const { sla } = await rpc("settings", () => this.market.timeConfig());
    const now = await rpc("now", () => this.market.now());
    const report: HostReport = { now, answered: [], transactions: 0, skipped: [] };
    for (const [id, deadline] of this.finished) if (deadline < now) this.finished.delete(id);
    for (const memo of [this.done, this.logged]) {
      for (const [key, deadline] of memo) if (deadline < now) memo.delete(key);
    }

    // Every request that may still be open was made in the last SLA window.
    const windowStart = now > sla ? now - sla : 0n;
    this.windowBlock = await rpc("blockAt", () => this.market.blockAt(windowStart, this.windowBlock));
    const open = await rpc("openRequests", () => this.openRequestsFor(host, this.windowBlock));
    const mine = open.filter((r) => !this.done.has(keyOf(r)) && !this.inFlight.has(keyOf(r)) && (!this.modelers || this.modelers.has(r.modeler.toLowerCase())));

    const due: OpenRequest[] = [];
    for (const r of mine) {
      if (r.deadline < now + this.marginS) this.skip(r, report, `only ${r.deadline - now} s left, margin ${this.marginS} s`);
      else due.push(r);
    }
    // Each chunk's transaction is sent as soon as its answers are ready; the pass does not wait for them to
    // be mined: answers in flight are left out of the next passes until their receipt says how they went.
    for (let i = 0; i < due.length && !signal?.aborted; i += this.batchSize) {
      await this.answerChunk(due.slice(i, i + this.batchSize), report, signal);
    }
    if (this.waitMined || signal?.aborted) await Promise.all(this.mining);
    return report;
  }

  private async openRequestsFor(host: string, fromBlock: number): Promise<OpenRequest[]> {
    const now = await this.market.now();
    const made = (await this.market.requestsMade({ fromBlock, maxRange: this.options.logRange })).filter((r) => r.deadline > now && !this.finished.has(r.requestId));
    const lists = new Map<string, ReturnType<Market["list"]>>();
    const found = await Promise.all(made.map(async (r) => {
      const listKey = `${r.key.challengeId}/${r.key.listId}`;
      if (!lists.has(listKey)) lists.set(listKey, this.market.list(r.key.challengeId, r.key.listId));
      const mine = (await lists.get(listKey)!).members.filter((m) => m.host.toLowerCase() === host.toLowerCase() && !m.evicted && m.optedInAt <= r.createdAt);
      if (mine.length === 0) { this.finished.set(r.requestId, r.deadline); return []; }
      const { status, answered } = await this.market.requestState(r.requestId);
      if (status !== RequestStatus.Open && status !== RequestStatus.Answered) return [];
      const left = mine.filter((m) => !answered.includes(m.index));
      if (left.length === 0) this.finished.set(r.requestId, r.deadline);
      return left.map((m) => ({ ...r, index: m.index, modeler: m.modeler }));
    }));
    return found.flat().sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
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
  private async answerChunk(chunk: OpenRequest[], report: HostReport, signal?: AbortSignal): Promise<{ mined: Promise<void> }> {
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
    if (ready.length === 0 || signal?.aborted) return { mined: Promise.resolve() };

    // The chain may have moved while the model ran: answer only what is still unanswered.
    const states = await Promise.all(ready.map(({ r }) => rpc("requestState", () => this.market.requestState(r.requestId))));
    const fresh = ready.filter(({ r }, i) => {
      const answered = states[i].answered.includes(r.index);
      if (answered) this.done.set(keyOf(r), r.deadline);
      return !answered;
    });
    if (fresh.length === 0) return { mined: Promise.resolve() };
    return this.sendChunk(fresh, report, signal);
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

  /**
   * Sends one transaction for the chunk (answer() for one item, else the all-or-nothing answerBatch) and
   * returns its mining, which logs and records the answers. RPC errors are retried; a chunk the contract
   * rejects is answered item by item, so one bad entry blocks no other.
   */
  private async sendChunk(items: { r: OpenRequest; output: string }[], report: HostReport, signal?: AbortSignal): Promise<{ mined: Promise<void> }> {
    const answers = items.map(({ r, output }) => ({ requestId: r.requestId, key: r.key, index: r.index, output: encodeText(output) }));
    const single = answers.length === 1;
    const fields = single ? this.fields(items[0].r, items[0].output) : { action: "answerBatch", size: items.length, requestIds: items.map(({ r }) => r.requestId) };
    let tx: ContractTransactionResponse;
    try {
      tx = await rpcRetry(this.log, this.retry, signal)(fields.action, async () => {
        try {
          // estimateGas reverts with the custom error as staticCall does: one EVM run before sending, not two.
          const c = this.market.contract;
          const a = answers[0];
          const gas = single ? await c.answer.estimateGas(a.requestId, a.key, a.index, a.output) : await c.answerBatch.estimateGas(answers);
          const overrides = { gasLimit: (gas * 6n) / 5n };
          return single ? await c.answer(a.requestId, a.key, a.index, a.output, overrides) : await c.answerBatch(answers, overrides);
        } catch (err) {
          throw toRevertError(err);
        }
      });
    } catch (err) {
      if (isAbort(err) || !(err instanceof RevertError)) throw err;
      if (single) {
        const already = err.errorName !== undefined && DONE_ANSWER.includes(err.errorName);
        if (already) this.done.set(keyOf(items[0].r), items[0].r.deadline);
        if (already) this.log.info({ ...fields, status: "already", reason: decodeError(err) }, `${fields.action}: already done`);
        else this.log.warn({ ...fields, status: "reverted", error: decodeError(err) }, `${fields.action}: rejected by the contract`);
        return { mined: Promise.resolve() };
      }
      this.log.warn({ ...fields, status: "reverted", error: decodeError(err) }, "answerBatch: rejected; answering one by one");
      const each: Promise<void>[] = [];
      for (const item of items) if (!signal?.aborted) each.push((await this.sendChunk([item], report, signal)).mined);
      return { mined: Promise.all(each).then(() => undefined) };
    }
    for (const { r } of items) this.inFlight.add(keyOf(r));
    const mined = this.confirm(tx, items, fields, report);
    this.mining.add(mined);
    void mined.finally(() => this.mining.delete(mined));
    return { mined };
  }

  /** Waits for a sent transaction's receipt, then records and logs its answers. */
  private async confirm(tx: ContractTransactionResponse, items: { r: OpenRequest; output: string }[], fields: Record<string, unknown>, report: HostReport) {
    try {
      const receipt = await tx.wait();
      report.transactions++;
      for (const { r, output } of items) {
        this.done.set(keyOf(r), r.deadline);
        report.answered.push(keyOf(r));
        if (items.length > 1) this.log.info({ ...this.fields(r, output), status: "sent", txHash: tx.hash, block: receipt?.blockNumber, batch: items.length }, "answer: sent in a batch");
      }
      this.log.info({ ...fields, status: "sent", txHash: tx.hash, block: receipt?.blockNumber, gasUsed: receipt?.gasUsed }, `${fields.action}: sent`);
    } catch (err) {
      this.log.error({ ...fields, status: "failed", txHash: tx.hash, error: decodeError(err) }, `${fields.action}: failed`);
    } finally {
      for (const { r } of items) this.inFlight.delete(keyOf(r));
    }
  }
}
