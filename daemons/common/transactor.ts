import { Transaction, type Block, type JsonRpcProvider, type TransactionReceipt, type Wallet } from "ethers";
import { decodeError, revertData } from "../../sdk/errors";
import { bumped, gwei, offer, replacement, type Fees } from "./gas-fees";
import type { Logger } from "./logger";
import { backoffMs, hasCode, isTransient, withRetry, type RetryOptions } from "./retry";
import { sleep } from "./sleep";

/** How the daemon prices, replaces and settles its transactions (flags and environment, daemons/common/config.ts). */
export interface TxSettings {
  /** The ceiling on maxFeePerGas, wei: no transaction of the daemon ever offers more. */
  maxFee: bigint;
  /** The tip per gas, wei; undefined: the node's suggestion (eth_maxPriorityFeePerGas), under the ceiling. */
  priorityFee?: bigint;
  /** Blocks a transaction may wait unmined before it is sent again at the same nonce with a higher fee. */
  replaceAfterBlocks: number;
  /** Blocks on top of a transaction's block before it counts as final (0: mined is final). */
  confirmations: number;
  /** How often the transactions in flight are checked, in milliseconds. */
  pollMs: number;
}

/** What became of a transaction: mined and final (`receipt.status` says whether it reverted), cancelled, or lost. */
export type Final =
  | { status: "mined"; receipt: TransactionReceipt }
  | { status: "cancelled"; receipt: TransactionReceipt; late: boolean }
  | { status: "lost"; reason: string };

/** A call for the transactor to send: the market and the encoded call, with its gas limit. */
export interface TxCall {
  to: string;
  data: string;
  gasLimit: bigint;
}

export interface Submission {
  nonce: number;
  /** The first attempt's hash; a replacement has another. */
  hash: string;
  /** Resolves once the transaction is final, cancelled or lost; never rejects. */
  final: Promise<Final>;
}

const CANCEL_GAS = 21_000n;
/** Refusals that another try of the same bytes cannot change (the retry policy counts them transient for sends). */
const REFUSALS = ["NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED"];
/** Polls that must see the nonce used by an unknown transaction before ours counts as lost (RPCs disagree). */
const LOST_AFTER = 3;

interface Attempt extends Fees {
  hash: string;
  raw: string;
  /** The head when it was sent. */
  sentAt: number;
  cancel: boolean;
}

interface Tracked {
  nonce: number;
  call: TxCall;
  /** Chain time after which the call may no longer be mined: it is cancelled instead. */
  deadline?: bigint;
  fields: Record<string, unknown>;
  attempts: Attempt[];
  /** The block a receipt was seen in, until the transaction is final. */
  minedIn?: { number: number; hash: string };
  /** Whether it is cancelled because its deadline passed (else because the call would now revert). */
  late: boolean;
  /** Polls that found the nonce used and none of our attempts mined. */
  usedSeen: number;
  /** Whether the ceiling stopped a replacement (logged once). */
  atCeiling: boolean;
  resolve(final: Final): void;
  final: Promise<Final>;
}

/**
 * One signer's transactions on a real chain: EIP-1559 fees under the operator's ceiling, nonces counted here
 * (read from the chain at start and again whenever a send leaves them in doubt), several transactions in flight,
 * each signed once per attempt so that a send whose reply was lost is broadcast again as the same transaction,
 * never as a second one. A transaction not mined after `replaceAfterBlocks` is replaced at its nonce with a
 * higher fee, up to the ceiling; one with a deadline that passes unmined is cancelled (a zero-value transfer to
 * itself at the same nonce), so it never reverts on chain; one mined and then dropped by a reorganisation is
 * broadcast again. It counts as final `confirmations` blocks after its block.
 */
export class Transactor {
  private nextNonce?: number;
  private nonceRead?: Promise<void>;
  private readonly tracked = new Map<number, Tracked>();
  private polling?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(
    private readonly wallet: Wallet,
    readonly provider: JsonRpcProvider,
    private readonly settings: TxSettings,
    private readonly log: Logger,
    private readonly retry: RetryOptions,
  ) {}

  /** The gas `call` needs from this signer now (a revert throws, as staticCall's does). */
  estimateGas(call: { to: string; data: string }): Promise<bigint> {
    return this.read(() => this.provider.estimateGas({ from: this.wallet.address, ...call }));
  }

  /** Transactions sent and not final yet. */
  get pending(): number {
    return this.tracked.size;
  }

  /**
   * Signs and broadcasts `call` at the next nonce, and tracks it until it is final. `deadline` (chain time):
   * past it, an unmined call is cancelled. Throws when it cannot be broadcast and is certainly not sent (the
   * nonce is read again before the next send); a send that may have reached the node is tracked as sent.
   */
  async send(call: TxCall, options: { deadline?: bigint; fields: Record<string, unknown> }): Promise<Submission> {
    // The same work already in flight (a pass that did not see it mined yet) is not sent twice.
    for (const t of this.tracked.values())
      if (t.call.to === call.to && t.call.data === call.data)
        return { nonce: t.nonce, hash: t.attempts[0].hash, final: t.final };
    // The reads first: a nonce is taken only for a transaction that is signed and broadcast right after.
    const latest = await this.read(() => this.provider.getBlock("latest"));
    const head = latest?.number ?? (await this.read(() => this.provider.getBlockNumber()));
    const fees = await this.price(latest);
    const nonce = await this.takeNonce();
    const attempt = await this.sign(call, nonce, fees, head, false);
    let resolve!: (final: Final) => void;
    const final = new Promise<Final>((r) => (resolve = r));
    const t: Tracked = {
      nonce,
      call,
      deadline: options.deadline,
      fields: options.fields,
      attempts: [],
      usedSeen: 0,
      late: false,
      atCeiling: false,
      resolve,
      final,
    };
    try {
      await this.broadcast(attempt);
    } catch (err) {
      this.forgetNonce();
      throw err;
    }
    t.attempts.push(attempt);
    this.tracked.set(nonce, t);
    this.ensurePolling();
    return { nonce, hash: attempt.hash, final };
  }

  /** Stops checking; transactions in flight are left to the chain (a restart reads the nonce again). */
  stop(): void {
    this.stopping.abort();
  }

  /** One check of every transaction in flight, oldest nonce first. */
  async poll(): Promise<void> {
    if (this.tracked.size === 0) return;
    const head = await this.read(() => this.provider.getBlock("latest"));
    if (!head) return;
    const used = await this.read(() => this.provider.getTransactionCount(this.wallet.address, "latest"));
    for (const t of [...this.tracked.values()].sort((a, b) => a.nonce - b.nonce)) {
      await this.check(t, head.number, BigInt(head.timestamp), used);
    }
  }

  private async check(t: Tracked, head: number, now: bigint, used: number): Promise<void> {
    const found = await this.receiptOf(t);
    if (found) {
      const { receipt, attempt } = found;
      t.usedSeen = 0;
      if (head - receipt.blockNumber >= this.settings.confirmations) {
        this.tracked.delete(t.nonce);
        t.resolve(attempt.cancel ? { status: "cancelled", receipt, late: t.late } : { status: "mined", receipt });
        return;
      }
      t.minedIn = { number: receipt.blockNumber, hash: receipt.blockHash };
      return;
    }
    const last = t.attempts[t.attempts.length - 1];
    if (t.minedIn) {
      this.log.warn(
        {
          ...t.fields,
          action: "reorg",
          status: "dropped",
          nonce: t.nonce,
          txHash: last.hash,
          block: t.minedIn.number,
          blockHash: t.minedIn.hash,
        },
        "a reorganisation dropped a mined transaction: it is sent again",
      );
      t.minedIn = undefined;
      // The same bytes again, with the blocks to wait for it counted from now; cancelled if the call would now
      // revert (the reorganisation moved what it acts on).
      if (!last.cancel && (await this.reverts(t.call))) return this.replace(t, head, "it would now revert");
      await this.rebroadcast(last);
      last.sentAt = head;
      return;
    }
    if (used > t.nonce) {
      // The nonce went to a transaction that is none of ours: another instance with the same key, or an RPC
      // that has not seen our receipt yet (checked again before giving up).
      if (++t.usedSeen >= LOST_AFTER) {
        this.tracked.delete(t.nonce);
        this.forgetNonce();
        const reason = `nonce ${t.nonce} was used by another transaction`;
        this.log.warn({ ...t.fields, status: "lost", nonce: t.nonce, reason }, `${String(t.fields.action)}: lost`);
        t.resolve({ status: "lost", reason });
      }
      return;
    }
    if (t.deadline !== undefined && now > t.deadline && !last.cancel) {
      t.late = true;
      await this.replace(t, head, "its deadline passed unmined");
      return;
    }
    if (head - last.sentAt >= this.settings.replaceAfterBlocks) {
      await this.replace(t, head, last.cancel ? "still not mined" : undefined);
      return;
    }
    // A node that forgot it (a reorganisation on a node that does not put transactions back, a restart, a
    // broadcast that never arrived, a fee under the base fee that the node would not keep) gets it again.
    await this.rebroadcast(last);
  }

  /**
   * Sends `t` again at its nonce with higher fees: the same call, or a cancel (`why` it is cancelled: its
   * deadline passed, or it would now revert).
   */
  private async replace(t: Tracked, head: number, why?: string): Promise<void> {
    // A call that would now revert (the chain moved while it waited) is cancelled rather than sent again.
    if (why === undefined && (await this.reverts(t.call))) why = "it would now revert";
    const cancel = why !== undefined;
    const last = t.attempts[t.attempts.length - 1];
    // A cancel may pass the ceiling by one bump: left alone, the stale call would revert at a higher cost.
    const ceiling = cancel && !last.cancel ? bumped(this.settings.maxFee) : this.settings.maxFee;
    const fees = replacement(await this.price(), last, ceiling);
    if (!fees) {
      if (!t.atCeiling)
        this.log.warn(
          { ...t.fields, status: "at-ceiling", nonce: t.nonce, hash: last.hash, maxFeeGwei: gwei(last.maxFee) },
          `${String(t.fields.action)}: not mined, and the fee is at the ceiling (MAX_FEE_GWEI)`,
        );
      t.atCeiling = true;
      await this.rebroadcast(last);
      return;
    }
    const call = cancel ? { to: this.wallet.address, data: "0x", gasLimit: CANCEL_GAS } : t.call;
    const attempt = await this.sign(call, t.nonce, fees, head, cancel);
    try {
      await this.broadcast(attempt);
    } catch (err) {
      // The previous attempt may have just been mined; the next poll sees it.
      this.log.warn(
        { ...t.fields, status: "replace-failed", nonce: t.nonce, error: decodeError(err) },
        "replacement refused",
      );
      return;
    }
    t.attempts.push(attempt);
    this.log.info(
      {
        ...t.fields,
        status: cancel ? "cancelling" : "replaced",
        reason: why,
        nonce: t.nonce,
        previous: last.hash,
        txHash: attempt.hash,
        maxFeeGwei: gwei(fees.maxFee),
        priorityFeeGwei: gwei(fees.priorityFee),
      },
      cancel
        ? `${String(t.fields.action)}: cancelled at the same nonce: ${why}`
        : `${String(t.fields.action)}: not mined in ${this.settings.replaceAfterBlocks} blocks: replaced with a higher fee`,
    );
  }

  /** Whether `call` reverts if sent now (its custom error would be on chain, at our cost). */
  private async reverts(call: TxCall): Promise<boolean> {
    try {
      await this.read(() => this.provider.call({ from: this.wallet.address, to: call.to, data: call.data }));
      return false;
    } catch (err) {
      if (revertData(err) !== undefined || hasCode(err, "CALL_EXCEPTION")) return true;
      throw err;
    }
  }

  /** The receipt of any attempt of `t`, with that attempt. */
  private async receiptOf(t: Tracked): Promise<{ receipt: TransactionReceipt; attempt: Attempt } | undefined> {
    for (const attempt of [...t.attempts].reverse()) {
      const receipt = await this.read(() => this.provider.getTransactionReceipt(attempt.hash));
      if (receipt) return { receipt, attempt };
    }
    return undefined;
  }

  /**
   * The fees a new transaction offers now: twice the base fee plus the tip, under the ceiling. `block` is the
   * latest block when the caller has just read it.
   */
  private async price(latest?: Block | null): Promise<Fees> {
    const block = latest ?? (await this.read(() => this.provider.getBlock("latest")));
    const tip =
      this.settings.priorityFee ??
      BigInt(await this.read(() => this.provider.send("eth_maxPriorityFeePerGas", []) as Promise<string>));
    return offer(block?.baseFeePerGas ?? 0n, tip, this.settings.maxFee);
  }

  private async sign(call: TxCall, nonce: number, fees: Fees, head: number, cancel: boolean): Promise<Attempt> {
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: (await this.provider.getNetwork()).chainId,
      nonce,
      to: call.to,
      data: call.data,
      value: 0n,
      gasLimit: call.gasLimit,
      maxFeePerGas: fees.maxFee,
      maxPriorityFeePerGas: fees.priorityFee,
    });
    return { hash: Transaction.from(raw).hash!, raw, ...fees, sentAt: head, cancel };
  }

  /**
   * Broadcasts a signed transaction, retrying transient failures with the same bytes. A node that already has
   * it, or refuses it while it knows our hash, got it before: that is a success. A transient failure that
   * outlasts the retries may have reached the node: the transaction is tracked, and the polls broadcast it again.
   */
  private async broadcast(attempt: Attempt): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        await this.provider.broadcastTransaction(attempt.raw);
        return;
      } catch (err) {
        if (await this.read(() => this.provider.getTransaction(attempt.hash)).catch(() => null)) return;
        if (!isTransient(err) || REFUSALS.some((code) => hasCode(err, code))) throw err;
        if (tries >= this.retry.retries) return;
        await sleep(backoffMs(tries + 1, this.retry.baseMs, this.retry.maxMs));
      }
    }
  }

  /**
   * Offers the node, once, a transaction it does not have. A refusal (anvil drops from its pool, and then refuses,
   * a fee under the base fee, which a spike brings) or an RPC fault is left to the next poll, which replaces the
   * transaction when it is due: retrying here would hold up the checks of every later nonce in flight.
   */
  private async rebroadcast(attempt: Attempt): Promise<void> {
    if (await this.read(() => this.provider.getTransaction(attempt.hash))) return;
    try {
      await this.provider.broadcastTransaction(attempt.raw);
    } catch (err) {
      this.log.debug(
        { action: "transactions", status: "refused", txHash: attempt.hash, error: decodeError(err) },
        "the node refused a transaction sent again; the next poll looks at it again",
      );
    }
  }

  /** The next nonce; the first call, and the first after a doubt, reads it from the chain (pending included). */
  private async takeNonce(): Promise<number> {
    this.nonceRead ??= this.read(() => this.provider.getTransactionCount(this.wallet.address, "pending")).then(
      (n) => void (this.nextNonce = n),
    );
    try {
      await this.nonceRead;
    } catch (err) {
      this.nonceRead = undefined;
      throw err;
    }
    return this.nextNonce!++;
  }

  /** After a send that leaves the count in doubt: the next send reads it from the chain again. */
  private forgetNonce() {
    this.nonceRead = undefined;
    this.nextNonce = undefined;
  }

  private read<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.retry);
  }

  private ensurePolling() {
    const signal = this.stopping.signal;
    if (this.polling || signal.aborted) return;
    this.polling = (async () => {
      while (this.tracked.size > 0 && !signal.aborted) {
        try {
          await this.poll();
        } catch (err) {
          this.log.warn({ action: "transactions", status: "retrying", error: decodeError(err) }, "RPC error");
        }
        if (this.tracked.size > 0) await sleep(this.settings.pollMs, signal).catch(() => undefined);
      }
    })().finally(() => (this.polling = undefined));
  }
}
