import { decodeError } from "../../sdk/errors";
import type { Logger } from "./logger";
import { isAbort, sleep } from "./sleep";

/** One pass of a daemon. It may return how long to wait before the next pass, in milliseconds. */
export type Tick = (signal: AbortSignal) => Promise<number | void>;

export interface LoopOptions {
  tick: Tick;
  /** The longest wait between passes. */
  pollMs: number;
  log: Logger;
}

/** Stops the loop: no new pass starts, the pass in flight finishes its transaction, then this resolves. */
export type Stop = () => Promise<void>;

/**
 * Runs `tick` until stopped, waiting between passes the shorter of `pollMs` and what the pass asked for.
 * A failed pass (for example an RPC outage that outlasted its retries) is logged and the loop goes on.
 */
export function start({ tick, pollMs, log }: LoopOptions): Stop {
  const controller = new AbortController();
  const { signal } = controller;
  const running = (async () => {
    while (!signal.aborted) {
      let waitMs = pollMs;
      try {
        const asked = await tick(signal);
        if (typeof asked === "number") waitMs = Math.max(0, Math.min(pollMs, asked));
      } catch (err) {
        if (signal.aborted && isAbort(err)) break;
        log.error({ action: "tick", status: "failed", error: decodeError(err) }, "pass failed; the loop goes on");
      }
      try {
        await sleep(waitMs, signal);
      } catch {
        break;
      }
    }
  })();
  return async () => {
    controller.abort();
    await running;
  };
}
