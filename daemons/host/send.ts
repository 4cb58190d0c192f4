import type { TransactionReceipt } from "ethers";
import { answerGasLimit } from "../../sdk/answer-gas";
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
 * when in doubt (`staticCall`, which says which entries the contract would skip and why) → send, with the gas
 * limit of sdk/answer-gas.ts; the entries the pre-flight leaves out are never paid for. A mined batch's
 * `AnswerSkipped` entries are logged once each: the done ones are recorded as done, the others go back to the
 * pool with their output kept, and the next pass's scan decides whether they are still open to this host.
 *
 * In doubt, and so checked before sending, is an answer to a request made up to the block of `doubtUpTo` (an
 * earlier instance of this host, or a modeler's former host, may have answered it) and an answer this instance
 * sent or checked before. Any other was open when its request was found and nobody but this instance may
 * answer it since: it is sent without a pre-flight, which would run the batch on the node once more before
 * every send. If a host change or an eviction lands first, the contract skips the entry (AnswerSkipped).
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
  /** Requests made up to this block may have been answered by someone else: checked before sending. */
  private doubtBlock = Infinity;
  /** Answers sent or checked before, with their deadlines: checked again before they are sent again. */
  private readonly tried = new Map<string, bigint>();

  /** `transactor`: sends with its fees, nonces and replacements; without, the market's signer sends as it is. */
  constructor(
    private readonly market: Market,
    private readonly log: Logger,
    private readonly retry: RetryOptions,
    private readonly transactor?: Transactor,
  ) {}

  /**
   * Answers to the requests made up to `block` are in doubt: the scan found them made before this instance's first
   * scan, or before a modeler named this host (its former host may have answered them).
   */
  doubtUpTo(block: number) {
    this.doubtBlock = this.doubtBlock === Infinity ? block : Math.max(this.doubtBlock, block);
  }

  /** Drops what concerns requests whose deadline is before `now`. */
  forget(now: bigint) {
    for (const memo of [this.done, this.logged, this.tried]) {
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
    // In doubt, the pre-flight (one call, however many entries) finds what was answered meanwhile.
    const valid = live.some(({ r }) => this.doubtful(r)) ? await this.preflight(live, signal) : live;
    for (const { r } of live) this.tried.set(keyOf(r), r.deadline);
    if (valid.length === 0 || signal?.aborted) return;
    await this.transact(valid, report, signal);
  }

  private doubtful(r: OpenRequest): boolean {
    return r.blockNumber <= this.doubtBlock || this.tried.has(keyOf(r));
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
      )(answers.length === 1 ? "answer.staticCall" : "answerBatch.staticCall", async () => {
        try {
          // On the pending block: the answers of an earlier instance's batches still in the pool count as made.
          const at = { blockTag: "pending" };
          if (answers.length > 1) return [...(await c.answerBatch.staticCall(answers, at))];
          const [a] = answers;
          await c.answer.staticCall(a.requestId, a.key, a.index, a.output, at);
          return ["0x"];
        } catch (err) {
          throw toRevertError(err);
        }
      });
    } catch (err) {
      if (isAbort(err) || !(err instanceof RevertError)) throw err;
      const all = answers.length === 1 ? [err.data ?? "0x"] : batchReasons(err);
      if (!all || all.includes("0x")) {
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

  /** Sends one transaction for `items`, checked or trusted, and starts waiting for its receipt. */
  private async transact(items: Ready[], report: HostReport, signal?: AbortSignal): Promise<void> {
    const answers = this.answers(items);
    const single = answers.length === 1;
    const fields = single
      ? this.fields(items[0].r, items[0].output)
      : { action: "answerBatch", size: items.length, requestIds: items.map(({ r }) => r.requestId) };
    const c = this.market.contract;
    const a = answers[0];
    const data = single
      ? c.interface.encodeFunctionData("answer", [a.requestId, a.key, a.index, a.output])
      : c.interface.encodeFunctionData("answerBatch", [answers]);
    const gasLimit = answerGasLimit(answers.length, data);
    let sent: { hash: string; final: Promise<Final> };
    try {
      sent = await rpcRetry(
        this.log,
        this.retry,
        signal,
      )(fields.action, async () => {
        try {
          if (this.transactor) {
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
      // A node that runs what it is sent at once (automine) rejects a call the chain no longer takes: the
      // entries go back to the pool, or are done, as it says.
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
