import { RevertError, decodeError } from "../../sdk/errors";
import type { Sent } from "../../sdk/market";
import type { Logger } from "./logger";
import { errorKind, isTransient, withRetry, type RetryOptions } from "./retry";
import { isAbort } from "./sleep";
import { TxPending } from "./send-through";

/**
 * `pending`: sent, and not final when the wait ended; the next pass reads the chain and finds what became of it.
 * `stale`: refused before sending because the daemon's copy of the chain is out of date (a reorganisation); the
 * caller reads it again.
 */
export type Outcome = "sent" | "already" | "stale" | "reverted" | "failed" | "pending";

export type Fields = Record<string, unknown> & { action: string };

/** Runs RPC reads with the daemon's retry policy, logging each retry. */
export function rpcRetry(log: Logger, retry: RetryOptions, signal?: AbortSignal) {
  return <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    withRetry(fn, {
      ...retry,
      signal,
      onRetry: (err, attempt, delayMs) =>
        log.warn(
          { action: "rpc", status: "retrying", what, attempt, delayMs, kind: errorKind(err), error: decodeError(err) },
          "RPC error",
        ),
    });
}

/**
 * One transaction the keeper-bot way: `send` is an SDK method, which runs the call with staticCall (a
 * revert throws a RevertError naming the custom error, before any gas is spent), sends and waits. RPC
 * errors are retried with backoff; a revert whose error is in `done` means another transaction already
 * did the work (a restart, a second daemon) and counts as success; one in `stale` says the daemon read a chain
 * that has changed since, and is logged at info for the caller to read again; any other revert is a warning.
 * A transient failure that outlasts its retries is thrown, ending the pass; an abort is thrown too.
 */
export async function act(
  log: Logger,
  fields: Fields,
  send: () => Promise<Sent>,
  options: { retry: RetryOptions; signal?: AbortSignal; done?: readonly string[]; stale?: readonly string[] },
): Promise<{ outcome: Outcome; sent?: Sent; error?: string }> {
  try {
    const sent = await rpcRetry(log, options.retry, options.signal)(fields.action, send);
    log.info(
      {
        ...fields,
        status: "sent",
        txHash: sent.txHash,
        block: sent.receipt.blockNumber,
        gasUsed: sent.receipt.gasUsed,
      },
      `${fields.action}: sent`,
    );
    return { outcome: "sent", sent };
  } catch (err) {
    if (isAbort(err)) throw err;
    if (err instanceof TxPending) {
      log.info(
        { ...fields, status: "pending", txHash: err.txHash, nonce: err.nonce },
        `${fields.action}: not final yet`,
      );
      return { outcome: "pending" };
    }
    const error = decodeError(err);
    if (err instanceof RevertError && err.errorName !== undefined && options.done?.includes(err.errorName)) {
      log.info({ ...fields, status: "already", reason: error }, `${fields.action}: already done`);
      return { outcome: "already", error };
    }
    if (err instanceof RevertError && err.errorName !== undefined && options.stale?.includes(err.errorName)) {
      log.info({ ...fields, status: "stale", reason: error }, `${fields.action}: the chain moved; reading it again`);
      return { outcome: "stale", error };
    }
    if (err instanceof RevertError) {
      log.warn({ ...fields, status: "reverted", error }, `${fields.action}: rejected by the contract`);
      return { outcome: "reverted", error };
    }
    if (isTransient(err)) throw err;
    log.error({ ...fields, status: "failed", error }, `${fields.action}: failed`);
    return { outcome: "failed", error };
  }
}
