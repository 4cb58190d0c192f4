/**
 * Prints the protocol calendar around a date: each epoch's start, promotion window, end, final time
 * (eviction opens) and claim opening, in UTC. Usage: `npm run calendar [-- 2026-12-03T00:00:00Z [epochs]]`.
 * A bad argument prints one line and exits 1; LOG_LEVEL=debug adds the stack.
 */
import { DEFAULT_TIME, claimsOpenAt, endOf, epochOf, finalAt, isoOf, startOf, utc, windowStart } from "../sdk/time";

const USAGE = "usage: npm run calendar [-- <date> [<epochs>]]";
const DATE_FORMAT = "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), e.g. 2026-12-03T00:00:00Z";
/** Ten years of weekly epochs: more is a typo, not a plan. */
const MAX_EPOCHS = 520;

/** A UTC date as the calendar prints them, or a day (its midnight UTC). */
function dateArg(text: string): bigint {
  const full = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  // Date.parse takes local times and rolls 2026-02-30 over to March: only a date that reads back the same is one.
  const valid =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(full) && !Number.isNaN(Date.parse(full)) && isoOf(utc(full)) === full;
  if (!valid) throw new Error(`"${text}" is not a date: expected ${DATE_FORMAT}`);
  return utc(full);
}

function countArg(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_EPOCHS)
    throw new Error(`"${text}" is not a number of epochs: expected a whole number from 1 to ${MAX_EPOCHS}`);
  return n;
}

function main(argv: string[]): void {
  if (argv.length > 2) throw new Error(`expected at most a date and a number of epochs (${USAGE})`);
  const [at, count = "3"] = argv;
  const now = at === undefined ? BigInt(Math.floor(Date.now() / 1000)) : dateArg(at);
  const first = epochOf(DEFAULT_TIME, now);
  const rows = Array.from({ length: countArg(count) }, (_, i) => {
    const e = first + BigInt(i);
    return {
      epoch: e.toString(),
      start: isoOf(startOf(DEFAULT_TIME, e)),
      window: isoOf(windowStart(DEFAULT_TIME, e)),
      end: isoOf(endOf(DEFAULT_TIME, e) - 1n),
      final: isoOf(finalAt(DEFAULT_TIME, e)),
      claimsOpen: isoOf(claimsOpenAt(DEFAULT_TIME, e)),
    };
  });
  console.log(`${isoOf(now)} is in epoch ${first}`);
  console.table(rows);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  const debug = ["debug", "trace"].includes(process.env.LOG_LEVEL ?? "");
  console.error(debug ? err : `calendar: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
