import type { EventEmitter } from "node:events";
import { decodeError } from "../../sdk/errors";
import type { Logger } from "./logger";
import { start } from "./loop";
import { errorKind, withRetry, type RetryOptions } from "./retry";
import { onSignals } from "./signals";
import { isAbort } from "./sleep";

export interface DaemonSpec<R> {
  log: Logger;
  /** One pass, then exit. */
  once: boolean;
  pollMs: number;
  /** Start-up checks (chain, contract, role); RPC errors are retried, anything else ends the daemon. */
  init: () => Promise<void>;
  tick: (signal: AbortSignal) => Promise<R>;
  /** What a pass's report says about the wait before the next one, in milliseconds. */
  waitMs?: (report: R) => number;
  /** The fields of a pass's report worth a log line. */
  summary: (report: R) => Record<string, unknown>;
  /** With `--once`, the exit code after a pass that completed (default 0). */
  exitCode?: (report: R) => number;
  /** Where SIGINT and SIGTERM come from: the process, or a stand-in in tests. */
  signals?: EventEmitter;
}

/** Retries start-up without end in daemon mode (the RPC may come up later), a few times with `--once`. */
const INIT_RETRY: RetryOptions = { retries: Infinity, baseMs: 1_000, maxMs: 30_000 };

/**
 * Runs a daemon to its end and returns its exit code: 0 after `--once` (or what `exitCode` says) or a signal,
 * 1 when start-up fails for good or the single pass of `--once` fails.
 */
export async function runDaemon<R>(spec: DaemonSpec<R>): Promise<number> {
  const { log } = spec;
  const controller = new AbortController();
  let stopLoop: (() => Promise<void>) | undefined;
  let stopped: () => void = () => {};
  const whenStopped = new Promise<void>((resolve) => (stopped = resolve));
  const removeSignals = onSignals(
    () => {
      controller.abort();
      (stopLoop?.() ?? Promise.resolve()).then(stopped);
    },
    log,
    spec.signals,
  );

  try {
    await withRetry(spec.init, {
      ...INIT_RETRY,
      retries: spec.once ? 5 : Infinity,
      signal: controller.signal,
      onRetry: (err, attempt, delayMs) =>
        log.warn(
          { action: "start", status: "retrying", attempt, delayMs, kind: errorKind(err), error: decodeError(err) },
          "RPC not ready",
        ),
    });
  } catch (err) {
    removeSignals();
    if (isAbort(err)) {
      log.info({ action: "shutdown", status: "stopped" }, "stopped before start-up completed");
      return 0;
    }
    log.fatal({ action: "start", status: "failed", error: decodeError(err) }, "cannot start");
    return 1;
  }
  if (controller.signal.aborted) {
    removeSignals();
    return 0;
  }
  log.info({ action: "start", status: "ready", once: spec.once, pollMs: spec.pollMs }, "started");

  // A line per pass would flood a long-running daemon's log: it is debug there, and the one pass of --once its summary.
  const pass = async (signal: AbortSignal) => {
    const report = await spec.tick(signal);
    log[spec.once ? "info" : "debug"]({ action: "tick", status: "done", ...spec.summary(report) }, "pass done");
    return report;
  };

  if (spec.once) {
    try {
      const report = await pass(controller.signal);
      return spec.exitCode?.(report) ?? 0;
    } catch (err) {
      if (isAbort(err)) return 0;
      log.error({ action: "tick", status: "failed", error: decodeError(err) }, "pass failed");
      return 1;
    } finally {
      removeSignals();
    }
  }

  const tick = async (signal: AbortSignal) => {
    const report = await pass(signal);
    return spec.waitMs?.(report);
  };
  stopLoop = start({ tick, pollMs: spec.pollMs, log });
  await whenStopped;
  removeSignals();
  log.info({ action: "shutdown", status: "stopped" }, "stopped cleanly");
  return 0;
}
