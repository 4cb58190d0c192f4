import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "../../daemons/common/logger";
import type { RetryOptions } from "../../daemons/common/retry";

export type LogLine = Record<string, unknown> & { action?: string; status?: string; level: number };

/** A deployment file for `market` (its address doubles as the token's) on a chain, in a fresh directory. */
export function deploymentFile(market: string, chain: { network: string; chainId: number } = LOCAL): string {
  return writeJson(tempDir(), `${chain.network}.json`, {
    ...chain,
    market,
    token: market,
    startBlock: 3,
    deployedAt: "2026-11-20T00:00:00Z",
  });
}

const LOCAL = { network: "net", chainId: 31337 };

/** A logger whose JSON lines are kept for assertions. */
export function captureLog(daemon = "test"): {
  log: Logger;
  lines: LogLine[];
  of: (action: string, status?: string) => LogLine[];
} {
  const lines: LogLine[] = [];
  const log = createLogger(daemon, "debug", { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const of = (action: string, status?: string) =>
    lines.filter((l) => l.action === action && (status === undefined || l.status === status));
  return { log, lines, of };
}

/** Retries that do not slow the tests down. */
export const FAST_RETRY: RetryOptions = { retries: 2, baseMs: 1, maxMs: 2 };

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "daemons-"));
}

/** Writes `doc` as JSON into `dir` and returns the path. */
export function writeJson(dir: string, name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === "string" ? doc : JSON.stringify(doc));
  return path;
}

/**
 * `signer` (an ethers Signer) with `before()` run once, just before its next transaction is broadcast: after
 * the agent's pre-flight calls, so whatever `before` sends is mined first, like a front-running transaction.
 */
export function beforeNextSend<T extends object>(signer: T, before: () => Promise<unknown>): T {
  let armed = true;
  return new Proxy(signer, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop !== "sendTransaction") return value.bind(target);
      return async (...args: unknown[]) => {
        if (armed) {
          armed = false;
          await before();
        }
        return value.apply(target, args);
      };
    },
  });
}
