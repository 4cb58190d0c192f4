import type { Market, OpenRequest } from "../../sdk/market";
import { ERROR_CODES, decodeText, type ErrorCode } from "../../sdk/text";
import { rpcRetry } from "../common/act";
import { limiter } from "../common/connect";
import type { Logger } from "../common/logger";
import type { RetryOptions } from "../common/retry";
import {
  answerFor,
  errorOutcome,
  inputTooLong,
  readOnly,
  type Model,
  type ModelContext,
  type Outcome,
  type SharedReads,
} from "./model";
import { keyOf, type HostReport, type Ready, type Sender } from "./send";
import type { Summary } from "./summary";

/** The agent's clock: waits `ms`, or rejects with an AbortError once `signal` aborts. */
export type Clock = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RunOptions {
  market: Market;
  model: Model;
  log: Logger;
  retry: RetryOptions;
  sender: Sender;
  summary: Summary;
  /** Answers per transaction at most; the models of one batch run at once. */
  batchSize: number;
  /** Batches whose models run at once, most urgent first (HostAgentOptions.modelBatches). */
  modelBatches: number;
  /** Seconds kept before a deadline for the answer to be mined. */
  marginS: bigint;
  /** The longest a model may take on one request. */
  modelTimeoutMs: number;
  /** The longest input the model is given, in bytes. */
  maxInputBytes: number;
  clock: Clock;
}

/**
 * Sends of one pass in flight at once. Each waits on the node several times (pre-flight, fees, broadcast): with
 * one at a time, the agent spends most of a busy pass waiting while the node has room for more. The transactor
 * gives each its own nonce, so they may reach the node in any order.
 */
export const SENDS_IN_FLIGHT = 4;

/**
 * The sends of one pass, most urgent first, `SENDS_IN_FLIGHT` at once. A chunk or send that fails for good (an
 * RPC fault that outlasts its retries) is kept in `failure` and aborts `halt`: no chunk or send starts after
 * it, the chunks running stop, and the pass throws it.
 */
interface Sends {
  /** The models' account reads at a block, made once a pass. */
  reads: SharedReads;
  started: Promise<void>[];
  slot: ReturnType<typeof limiter>;
  halt: AbortController;
  failure?: { err: unknown };
}

/** The host agent's model runs: each request's answer computed within its time budget, and queued for sending. */
export class Runner {
  constructor(private readonly options: RunOptions) {}

  /**
   * Answers `due` in chunks, most urgent first, `modelBatches` at once; each answer is sent by the end of
   * its budget. A chunk or send that fails for good stops the others and the pass throws it. Returns
   * once every answer is sent, without waiting for the transactions to be mined: answers in flight stay out of
   * the next passes until their receipt.
   */
  async answer(due: OpenRequest[], report: HostReport, signal?: AbortSignal): Promise<void> {
    // Chunks' models run while earlier chunks are sent: a send held up by the RPC holds up no model.
    const sends: Sends = {
      reads: new Map(),
      started: [],
      slot: limiter(SENDS_IN_FLIGHT),
      halt: new AbortController(),
    };
    const { batchSize } = this.options;
    const chunkSlot = limiter(this.options.modelBatches);
    const chunks: Promise<void>[] = [];
    for (let i = 0; i < due.length; i += batchSize) {
      const chunk = due.slice(i, i + batchSize);
      chunks.push(
        chunkSlot(async () => {
          if (!signal?.aborted && !sends.halt.signal.aborted) await this.answerChunk(chunk, report, sends, signal);
        }).catch((err: unknown) => {
          sends.failure ??= { err };
          sends.halt.abort();
        }),
      );
    }
    await Promise.all(chunks);
    await Promise.all(sends.started);
    if (sends.failure && !signal?.aborted) throw sends.failure.err;
  }

  /** Skips `r`, logged once, when it has less than the margin left at `now`: too close to risk an answer. */
  tooClose(r: OpenRequest, now: bigint, report: HostReport): boolean {
    const { marginS } = this.options;
    if (r.deadline >= now + marginS) return false;
    this.options.sender.skip(r, report, `only ${r.deadline - now} s left, margin ${marginS} s`);
    this.options.summary.tooClose(keyOf(r));
    return true;
  }

  /**
   * Runs the model on each request of the chunk at once, once for all the pairs of a request (the modelers a
   * host serves share its model, and a request's input and block are the same for each), each within its time
   * budget: the shorter of --model-timeout-s and its time left less the margin, on the agent's clock. Whenever a
   * budget ends, every answer ready so far is queued for sending (the model still running gets a timeout answer);
   * the rest go once every model is done. So each answer is queued by the end of its own budget, whatever the
   * other models of the chunk do. Returns once every answer of the chunk is queued.
   */
  private async answerChunk(due: OpenRequest[], report: HostReport, sends: Sends, signal?: AbortSignal) {
    const { market, log, retry, sender, clock, marginS } = this.options;
    const now = await rpcRetry(log, retry, signal)("now", () => market.now());
    // The chunks before this one took time: what now has less than the margin left is skipped.
    const chunk = due.filter((r) => !this.tooClose(r, now, report));
    if (chunk.length === 0) return;
    const provider = readOnly(market.provider, rpcRetry(log, retry, signal), sends.reads);
    // Ends every timer and model wait of the chunk: once it is done, or when the daemon stops.
    const stop = new AbortController();
    const stopAll = () => stop.abort();
    signal?.addEventListener("abort", stopAll, { once: true });
    sends.halt.signal.addEventListener("abort", stopAll, { once: true });

    interface Item {
      r: OpenRequest;
      outcome?: Outcome;
      sent: boolean;
    }
    /** One model run for the pairs of one request: the input and the block it reads are the request's. */
    interface Run {
      r: OpenRequest;
      items: Item[];
      /** Ends the budget's timer: once the answers are sent. */
      timer: AbortController;
      /** Ends the model's waits: once the agent stops waiting for it. */
      model: AbortController;
    }
    const items: Item[] = chunk.map((r) => ({ r, outcome: sender.cached(r), sent: false }));
    const runs = new Map<bigint, Run>();
    for (const item of items) {
      if (item.outcome !== undefined) continue;
      const run = runs.get(item.r.requestId);
      if (run) run.items.push(item);
      else
        runs.set(item.r.requestId, {
          r: item.r,
          items: [item],
          timer: new AbortController(),
          model: new AbortController(),
        });
    }
    const flush = () => {
      const ready = items.filter((i) => i.outcome !== undefined && !i.sent);
      if (ready.length === 0 || stop.signal.aborted) return;
      for (const i of ready) {
        i.sent = true;
        runs.get(i.r.requestId)?.timer.abort();
      }
      const batch: Ready[] = ready.map((i) => ({ r: i.r, output: i.outcome!.output }));
      sends.started.push(
        sends
          .slot(async () => {
            if (!sends.halt.signal.aborted) await sender.send(batch, report, signal);
          })
          .catch((err: unknown) => {
            sends.failure ??= { err };
            sends.halt.abort();
          }),
      );
    };

    await new Promise<void>((resolveChunk) => {
      stop.signal.addEventListener("abort", () => resolveChunk(), { once: true });
      let unsettled = items.filter((i) => i.outcome === undefined).length;
      const settle = (run: Run, outcome: Outcome) => {
        if (run.model.signal.aborted || stop.signal.aborted) return;
        run.model.abort();
        for (const item of run.items) {
          item.outcome = outcome;
          sender.keep(item.r, outcome.output);
          if (outcome.error) this.noResult(item.r, outcome.error.code, outcome.error.detail, report);
          unsettled--;
        }
        if (unsettled === 0) {
          flush();
          resolveChunk();
        }
      };
      let timedOut = false;
      for (const run of runs.values()) {
        const { r } = run;
        // Answered without the model, and sent with the chunk's other answers: nothing presses.
        const tooLong = inputTooLong(r.input, this.options.maxInputBytes);
        if (tooLong) {
          settle(run, tooLong);
          continue;
        }
        const leftMs = Number(r.deadline - marginS - now) * 1000;
        const budgetMs = Math.min(this.options.modelTimeoutMs, leftMs);
        if (budgetMs <= 0) {
          settle(run, errorOutcome(ERROR_CODES.timeout, "no time left for the model before the deadline"));
          timedOut = true;
          continue;
        }
        const modelSignal = AbortSignal.any([run.model.signal, stop.signal]);
        const ctx: ModelContext = {
          provider,
          blockTag: r.blockNumber,
          requestId: r.requestId,
          challengeId: r.key.challengeId,
          sleep: (ms) => clock(ms, modelSignal),
          signal: modelSignal,
        };
        clock(budgetMs, AbortSignal.any([run.timer.signal, stop.signal])).then(
          () => {
            settle(run, errorOutcome(ERROR_CODES.timeout, `the model gave no result within ${budgetMs / 1000} s`));
            flush();
          },
          () => undefined,
        );
        // A model that the agent stopped waiting for may still settle: its result is not used.
        answerFor(this.options.model, decodeText(r.input), ctx).then((outcome) => settle(run, outcome));
      }
      if (timedOut) flush();
      if (unsettled === 0) {
        flush();
        resolveChunk();
      }
    });
    stop.abort();
    signal?.removeEventListener("abort", stopAll);
    sends.halt.signal.removeEventListener("abort", stopAll);
  }

  /** Logs once why a request gets an error answer, and counts it in the pass's report. */
  private noResult(r: OpenRequest, code: ErrorCode, detail: string, report: HostReport) {
    const id = keyOf(r);
    report.errors.push({ id, code });
    if (!this.options.sender.once(`${id}:error`, r.deadline)) return;
    const fields = {
      action: "model",
      status: code,
      requestId: r.requestId,
      challengeId: r.key.challengeId,
      modeler: r.modeler,
      index: r.index,
      detail,
    };
    const msg = "model: no result, answering with an error output";
    if (code === ERROR_CODES.invalidInput) this.options.log.info(fields, msg);
    else this.options.log.warn(fields, msg);
  }
}
