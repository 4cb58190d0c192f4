/**
 * Prints the protocol calendar around a date: each epoch's start, promotion window, end, final time
 * (eviction opens) and claim opening, in UTC. Usage: `npm run calendar [-- 2026-12-03T00:00:00Z [epochs]]`.
 */
import { DEFAULT_TIME, claimsOpenAt, endOf, epochOf, finalAt, isoOf, startOf, utc, windowStart } from "../sdk/time";

const [at, count = "3"] = process.argv.slice(2);
const now = at ? utc(at) : BigInt(Math.floor(Date.now() / 1000));
const first = epochOf(DEFAULT_TIME, now);
const rows = Array.from({ length: Number(count) }, (_, i) => {
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
