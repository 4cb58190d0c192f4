import type { TransactionReceipt } from "ethers";
import type { Market, OpenRequest } from "../../sdk/market";
import { encodeText, type ErrorCode } from "../../sdk/text";
import { RevertError, batchReasons, decodeError, decodeReason, toRevertError } from "../../sdk/errors";
import { rpcRetry } from "../common/act";
import type { Logger } from "../common/logger";
import type { RetryOptions } from "../common/retry";
import { isAbort } from "../common/sleep";
import type { Final, Transactor } from "../common/transactor";
import type { Outcome } from "./model";

/** What one pass did. */
export interface HostReport {
  now: bigint;
  /** `requestId/index` of each answer mined. */
  answered: string[];
  /** `requestId/index` of each answer computed this pass as an error output, with its code. */
  errors: { id: string; code: ErrorCode }[];
  /** Transactions mined (a batch counts once). */
  transactions: number;
  /** `requestId/index` of each request left unanswered, with why. */
  skipped: { id: string; reason: string }[];
}

/** An answer ready to send. */
export interface Ready {
  r: OpenRequest;
  output: string;
}

export const keyOf = (r: { requestId: bigint; index: number }) => `${r.requestId}/${r.index}`;

/** An entry the contract would skip, or skipped, because it is done: recorded as done, never sent again. */
const DONE = "MarketAlreadyAnswered";
/** An entry that can no longer be answered in time: given up. */
const LATE = "MarketDeadlinePassed";

/**
 * The host agent's sending side, and its memory of what was computed and sent. Each send is read → pre-flight
 * (`staticCall` of the batch, which says which entries the contract would skip and why) → `estimateGas` →
 * send; the entries the pre-flight leaves out are never paid for. A mined batch's `AnswerSkipped` entries are
 * logged once each: the done ones are recorded as done, the others go back to the pool with their output kept,
 * and the next pass's scan decides whether they are still open to this host.
 */
export class Sender {
  /** Answers this instance saw mined, or found made, with their deadlines: never computed again. */
  private readonly done = new Map<string, bigint>();
  /** Answers sent and not yet mined. */
  private readonly inFlight = new Set<string>();
  /** Outputs computed and not yet mined, with their deadlines: a re-send does not run the model again. */
  private readonly outputs = new Map<string, { output: string; deadline: bigint; txHash: string }>();
  /** Log lines already written, with their deadlines: each is written once. */
  private readonly logged = new Map<string, bigint>();
  private readonly mining = new Set<Promise<void>>();

  /** `transactor`: sends with its fees, nonces and replacements; without, the market's signer sends as it is. */
  constructor(
    private readonly market: Market,
    private readonly log: Logger,
    private readonly retry: RetryOptions,
    private readonly transactor?: Transactor,
  ) {}

  /** Drops what concerns requests whose deadline is before `now`. */
  forget(now: bigint) {
    for (const memo of [this.done, this.logged]) {
      for (const [key, deadline] of memo) if (deadline < now) memo.delete(key);
    }
    for (const [key, { deadline }] of this.outputs) if (deadline < now) this.outputs.delete(key);
  }

  /** Whether `r` still needs an answer from this instance: not done, not in flight. */
  pending(r: OpenRequest): boolean {
    const key = keyOf(r);
    return !this.done.has(key) && !this.inFlight.has(key);
  }

  /** Whether this instance saw `r` answered on chain: mined by it, or found made. */
  answered(r: OpenRequest): boolean {
    return this.done.has(keyOf(r));
  }

  /**
   * The output computed for `r` by an earlier pass and not mined yet. Only for the same request: a reorganisation
   * can give its id to another request (another transaction, another input).
   */
  cached(r: OpenRequest): Outcome | undefined {
    const kept = this.outputs.get(keyOf(r));
    return kept?.txHash === r.txHash ? { output: kept.output } : undefined;
  }

  keep(r: OpenRequest, output: string) {
    this.outputs.set(keyOf(r), { output, deadline: r.deadline, txHash: r.txHash });
  }

  /** True the first time `key` is seen (until its deadline passes). */
  once(key: string, deadline: bigint): boolean {
    if (this.logged.has(key)) return false;
    this.logged.set(key, deadline);
    return true;
  }

  /** Every transaction sent, mined and recorded. */
  async mined(): Promise<void> {
    await Promise.all(this.mining);
  }

  /** Leaves `r` unanswered: it cannot be answered in time (`late`: its deadline has passed). Logged once. */
  skip(r: OpenRequest, report: HostReport, reason: string, late = false) {
    const id = keyOf(r);
    report.skipped.push({ id, reason });
    if (!this.once(`${id}:skipped`, r.deadline)) return;
    this.log.warn(
      {
        action: "answer",
        status: "skipped",
        requestId: r.requestId,
        challengeId: r.key.challengeId,
        modeler: r.modeler,
        index: r.index,
        deadline: r.deadline,
        reason,
        late,
      },
      "answer: cannot make it in time",
    );
  }

  /**
   * Sends `ready` in one transaction (answer() for one entry, else answerBatch) after dropping what is late
   * and what the pre-flight says the contract would skip (already answered among them); returns once it is sent. Its
   * mining is awaited by `mined()`. RPC errors are retried; a transient failure that outlasts them is thrown.
   */
  async send(ready: Ready[], report: HostReport, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const rpc = rpcRetry(this.log, this.retry, signal);
    const now = await rpc("now", () => this.market.now());
    const live = ready.filter(({ r }) => {
      if (r.deadline > now) return true;
      this.outputs.delete(keyOf(r));
      this.skip(r, report, `deadline passed while the model ran (now ${now}, deadline ${r.deadline})`, true);
      return false;
    });
    // The chain may have moved while the model ran: the pre-flight (the batch's staticCall, or a single answer's
    // estimateGas) finds what was answered meanwhile, in one call however many requests the batch holds. The
    // batch's gas is estimated meanwhile, for the likely case that the pre-flight keeps every entry.
    const batch = live.length > 1;
    const estimate = batch
      ? this.market.contract.answerBatch.estimateGas(this.answers(live)).catch(() => undefined)
      : undefined;
    const valid = batch ? await this.preflight(live, signal) : live;
    if (valid.length === 0 || signal?.aborted) return;
    await this.transact(valid, report, signal, valid.length === live.length ? await estimate : undefined);
  }

  /** The entries of a batch that the contract would take now: the others are left out, each logged once. */
  private async preflight(items: Ready[], signal?: AbortSignal): Promise<Ready[]> {
    const c = this.market.contract;
    const answers = this.answers(items);
    let reasons: string[];
    try {
      reasons = await rpcRetry(
        this.log,
        this.retry,
        signal,
      )("answerBatch.staticCall", async () => {
        try {
          return [...(await c.answerBatch.staticCall(answers))];
        } catch (err) {
          throw toRevertError(err);
        }
      });
    } catch (err) {
      if (isAbort(err) || !(err instanceof RevertError)) throw err;
      const all = batchReasons(err);
      if (!all) {
        this.log.warn(
          { action: "answerBatch", status: "reverted", size: items.length, error: decodeError(err) },
          "answerBatch: the pre-flight reverts; nothing sent",
        );
        return [];
      }
      reasons = all;
    }
    return items.filter((item, i) => {
      if (reasons[i] === "0x") return true;
      this.leftOut(item, decodeReason(reasons[i]), "pre-flight");
      return false;
    });
  }

  private answers(items: Ready[]) {
    return items.map(({ r, output }) => ({
      requestId: r.requestId,
      key: r.key,
      index: r.index,
      output: encodeText(output),
    }));
  }

  private fields(r: OpenRequest, output?: string) {
    return {
      action: "answer",
      requestId: r.requestId,
      challengeId: r.key.challengeId,
      modeler: r.modeler,
      index: r.index,
      output,
    };
  }

  /** `r` is answered on chain (by this host or another instance): done, never computed again. */
  private settled(r: OpenRequest) {
    this.done.set(keyOf(r), r.deadline);
    this.outputs.delete(keyOf(r));
  }

  /**
   * An entry the contract would skip (`pre-flight`) or skipped in a mined batch (`mined`): logged once with
   * its decoded error. Done when already answered, given up when late; otherwise back to the pool with its
   * output kept, for the next pass to send again if the scan still finds it open to this host.
   */
  private leftOut({ r, output }: Ready, error: RevertError, stage: "pre-flight" | "mined", txHash?: string) {
    const id = keyOf(r);
    const fields = { ...this.fields(r, output), stage, txHash };
    if (error.errorName === DONE) {
      this.settled(r);
      if (this.once(`${id}:already`, r.deadline))
        this.log.info({ ...fields, status: "already", reason: decodeError(error) }, "answer: already done");
      return;
    }
    const late = error.errorName === LATE;
    if (late) this.outputs.delete(id);
    if (!this.once(`${id}:${stage}:${error.errorName ?? error.data}`, r.deadline)) return;
    const status = stage === "mined" ? "skipped" : "left-out";
    const next = late
      ? "given up: the deadline passed"
      : "back to the pool: the next pass sends it again if it is still open to this host";
    this.log.warn(
      { ...fields, status, error: decodeError(error), retry: !late, late },
      stage === "mined"
        ? `answer: skipped by the contract in a mined batch; ${next}`
        : `answer: left out of the batch, the contract would skip it; ${next}`,
    );
  }

  /**
   * Sends one transaction for `items`, already checked, and starts waiting for its receipt. `estimated`: the gas
   * of this very batch, estimated since the pre-flight began.
   */
  private async transact(items: Ready[], report: HostReport, signal?: AbortSignal, estimated?: bigint): Promise<void> {
    const answers = this.answers(items);
    const single = answers.length === 1;
    const fields = single
      ? this.fields(items[0].r, items[0].output)
      : { action: "answerBatch", size: items.length, requestIds: items.map(({ r }) => r.requestId) };
    let sent: { hash: string; final: Promise<Final> };
    try {
      sent = await rpcRetry(
        this.log,
        this.retry,
        signal,
      )(fields.action, async () => {
        try {
          // estimateGas reverts with the custom error as staticCall does: for one answer it is the pre-flight.
          const c = this.market.contract;
          const a = answers[0];
          const gas = single
            ? await c.answer.estimateGas(a.requestId, a.key, a.index, a.output)
            : (estimated ?? (await c.answerBatch.estimateGas(answers)));
          const gasLimit = (gas * 6n) / 5n;
          if (this.transactor) {
            const data = single
              ? c.interface.encodeFunctionData("answer", [a.requestId, a.key, a.index, a.output])
              : c.interface.encodeFunctionData("answerBatch", [answers]);
            // Past the last deadline of its entries nothing in it can land: the transactor cancels it unmined.
            const deadline = items.reduce((max, { r }) => (r.deadline > max ? r.deadline : max), 0n);
            return await this.transactor.send({ to: this.market.address, data, gasLimit }, { deadline, fields });
          }
          const tx = single
            ? await c.answer(a.requestId, a.key, a.index, a.output, { gasLimit })
            : await c.answerBatch(answers, { gasLimit });
          return { hash: tx.hash, final: mined(tx.wait()) };
        } catch (err) {
          throw toRevertError(err);
        }
      });
    } catch (err) {
      if (isAbort(err) || !(err instanceof RevertError)) throw err;
      // The chain moved since the pre-flight: the entries go back to the pool, or are done, as it says.
      const reasons = single ? [err.data ?? "0x"] : batchReasons(err);
      if (reasons && reasons.every((x) => x !== "0x")) {
        items.forEach((item, i) => this.leftOut(item, decodeReason(reasons[i]), "pre-flight"));
      } else {
        this.log.warn(
          { ...fields, status: "reverted", error: decodeError(err) },
          `${fields.action}: rejected by the contract; the entries go back to the pool`,
        );
      }
      return;
    }
    for (const { r } of items) this.inFlight.add(keyOf(r));
    const settling = this.confirm(sent, items, fields, report);
    this.mining.add(settling);
    void settling.finally(() => this.mining.delete(settling));
  }

  /**
   * Waits until a sent transaction is final, then records and logs what landed and what the contract skipped.
   * A transaction cancelled unmined gives its entries up (their deadlines passed); one that reverted or was lost
   * puts them back in the pool, for the next pass's scan to decide.
   */
  private async confirm(
    sent: { hash: string; final: Promise<Final> },
    items: Ready[],
    fields: Record<string, unknown>,
    report: HostReport,
  ) {
    try {
      const final = await sent.final;
      if (final.status === "cancelled") {
        // Late: given up. Otherwise the call would have reverted (the chain moved): back to the pool, for the
        // next pass's scan to decide.
        for (const item of items) {
          if (final.late) this.outputs.delete(keyOf(item.r));
          this.log.warn(
            {
              ...this.fields(item.r, item.output),
              status: "cancelled",
              late: final.late,
              retry: !final.late,
              txHash: final.receipt.hash,
            },
            final.late
              ? "answer: given up: its deadline passed before it was mined, and the transaction was cancelled"
              : "answer: the transaction was cancelled, it would have reverted; back to the pool",
          );
        }
        return;
      }
      if (final.status === "lost" || final.receipt.status !== 1) {
        const why = final.status === "lost" ? final.reason : `reverted on chain in ${final.receipt.hash}`;
        this.log.warn(
          { ...fields, status: "reverted", txHash: sent.hash, error: why },
          `${fields.action}: not mined as sent; the entries go back to the pool`,
        );
        return;
      }
      const { receipt } = final;
      report.transactions++;
      // The delay is chain time, for the metrics; a block that cannot be read leaves it out, never the answer.
      const block = await this.market.provider.getBlock(receipt.blockNumber).catch(() => null);
      const delayS = (r: OpenRequest) => (block ? BigInt(block.timestamp) - r.createdAt : undefined);
      const skipped = new Map(this.market.skippedIn(receipt).map((s) => [keyOf(s), s.error]));
      let landed = 0;
      for (const item of items) {
        const error = skipped.get(keyOf(item.r));
        if (error) {
          this.leftOut(item, error, "mined", receipt.hash);
          continue;
        }
        landed++;
        this.settled(item.r);
        report.answered.push(keyOf(item.r));
        if (items.length > 1)
          this.log.info(
            {
              ...this.fields(item.r, item.output),
              status: "sent",
              txHash: receipt.hash,
              block: receipt.blockNumber,
              batch: items.length,
              delayS: delayS(item.r),
            },
            "answer: sent in a batch",
          );
      }
      this.log.info(
        {
          ...fields,
          status: "sent",
          txHash: receipt.hash,
          block: receipt.blockNumber,
          gasUsed: receipt.gasUsed,
          ...(items.length > 1 ? { landed, skipped: skipped.size } : { delayS: delayS(items[0].r) }),
        },
        `${fields.action}: sent`,
      );
    } finally {
      for (const { r } of items) this.inFlight.delete(keyOf(r));
    }
  }
}

/** A signer's own send as a Final: its receipt, or lost with the reason (a revert on chain, no receipt). */
function mined(wait: Promise<TransactionReceipt | null>): Promise<Final> {
  return wait.then(
    (receipt) => (receipt ? { status: "mined", receipt } : { status: "lost", reason: "no receipt" }),
    (err: unknown) => ({ status: "lost", reason: decodeError(err) }),
  );
}
