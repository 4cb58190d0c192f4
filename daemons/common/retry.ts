import { revertData } from "../../sdk/errors";
import { isAbort, sleep } from "./sleep";

/** ethers error codes of a node that is down, slow, overloaded or out of sync: worth another try. */
const TRANSIENT_CODES = new Set([
  "NETWORK_ERROR",
  "SERVER_ERROR",
  "TIMEOUT",
  "UNKNOWN_ERROR",
  "NONCE_EXPIRED",
  "REPLACEMENT_UNDERPRICED",
]);

function codeChain(err: unknown, depth = 0): string[] {
  if (depth > 5 || err === null || typeof err !== "object") return [];
  const e = err as { code?: unknown; cause?: unknown; error?: unknown };
  const own = typeof e.code === "string" ? [e.code] : [];
  return [...own, ...codeChain(e.cause, depth + 1), ...codeChain(e.error, depth + 1)];
}

const transientCode = (c: string) => TRANSIENT_CODES.has(c) || /^E[A-Z]+$/.test(c) || c.startsWith("UND_ERR_");

/**
 * Whether `err` is an RPC or network failure that may pass on a later try. A revert is not: the chain
 * answered, and its custom error is decoded and logged instead. Neither is an abort (the daemon stops).
 */
export function isTransient(err: unknown): boolean {
  if (isAbort(err) || revertData(err) !== undefined) return false;
  const codes = codeChain(err);
  if (codes.includes("CALL_EXCEPTION")) return false;
  // Node's socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT…) and undici's (UND_ERR_…), or fetch's own.
  if (codes.some(transientCode)) return true;
  return err instanceof TypeError && err.message === "fetch failed";
}

/** Whether ethers' error code `code` is on `err` or on one of its causes. */
export function hasCode(err: unknown, code: string): boolean {
  return codeChain(err).includes(code);
}

/** What kind of RPC failure `err` is, for the metrics: its first transient code, e.g. ECONNREFUSED or TIMEOUT. */
export function errorKind(err: unknown): string {
  return codeChain(err).find(transientCode) ?? (err instanceof TypeError ? "FETCH_FAILED" : "OTHER");
}

export interface RetryOptions {
  /** Tries after the first; Infinity retries until the signal aborts. */
  retries: number;
  baseMs: number;
  maxMs: number;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 5, baseMs: 500, maxMs: 30_000 };

/** The wait before retry `attempt` (1-based): base, 2·base, 4·base… capped at `maxMs`. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
}

/** Runs `fn`, retrying transient failures with exponential backoff; anything else is thrown at once. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt > options.retries) throw err;
      // Stopping: the pass ends because the daemon stops, not because the RPC failed (no failure is logged).
      options.signal?.throwIfAborted();
      const wait = backoffMs(attempt, options.baseMs, options.maxMs);
      options.onRetry?.(err, attempt, wait);
      await sleep(wait, options.signal);
    }
  }
}
