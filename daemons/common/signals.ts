import type { EventEmitter } from "node:events";
import type { Logger } from "./logger";

/**
 * Calls `onStop` on the first SIGINT or SIGTERM (the daemon then lets the transaction in flight finish
 * and exits 0). A second signal exits at once with 1, for an operator who does not want to wait.
 * Returns a function that removes the handlers. `source` is the process, or a stand-in in tests.
 */
export function onSignals(
  onStop: (signal: NodeJS.Signals) => void,
  log: Logger,
  source: EventEmitter = process,
  exit: (code: number) => void = process.exit,
) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ action: "shutdown", signal, status: "forced" }, "second signal: exiting now");
      exit(1);
      return;
    }
    stopping = true;
    log.info({ action: "shutdown", signal, status: "stopping" }, "finishing the transaction in flight");
    onStop(signal);
  };
  source.on("SIGINT", handler);
  source.on("SIGTERM", handler);
  return () => {
    source.off("SIGINT", handler);
    source.off("SIGTERM", handler);
  };
}
