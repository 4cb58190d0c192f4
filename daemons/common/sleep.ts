import { setTimeout as delay } from "node:timers/promises";

/** Waits `ms` milliseconds; rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}
