import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** Block numbers, ids and amounts are bigints, which JSON cannot hold: they are logged as decimal text. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * The daemons' logger: one JSON line per action on stdout, such as
 * `{"level":30,"time":"…","daemon":"keeper","action":"promote","status":"sent","challengeId":"1","txHash":"0x…"}`.
 * Writes are synchronous so the last lines reach stdout before a signal's exit.
 */
export function createLogger(daemon: string, level = "info", destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { daemon },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (fields) => plain(fields) as Record<string, unknown> },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
