import { DAY, claimsOpenAt, epochOf, finalAt, startOf, windowStart, type TimeConfig } from "../../sdk/time";

/*
 * The demo's two weeks, as times relative to the epoch E0 it starts in (on the in-process network,
 * epoch 2968: Thursday 2026-11-19 to Wednesday 2026-11-25). Setup on E0's Friday, the first promotion on
 * Monday 23:59, registrations on Tuesday, the list serving all of E1 (2026-11-26 to 2026-12-02) where the
 * users' requests are made, the second promotion on E1's Monday, eviction and finalization when E1 is
 * final, claims on E2's Friday.
 */

const HOUR = 3_600n;
const MINUTE = 60n;

export interface Calendar {
  e0: bigint;
  e1: bigint;
  e2: bigint;
  /** A keeper pass before the window: nothing to do yet. */
  keeperEarly: bigint;
  promote1: bigint;
  register1: bigint;
  e1Start: bigint;
  promote2: bigint;
  /** The week-two newcomer opts in. */
  register2: bigint;
  e2Start: bigint;
  /** E1's final time: eviction opens, the epoch can be finalized. */
  e1Final: bigint;
  claims: bigint;
}

/**
 * The calendar from the chain's `now`: E0 is the current epoch when there is time to set up before its
 * Friday noon, else the next one.
 */
export function calendarFrom(c: TimeConfig, now: bigint): Calendar {
  let e0 = epochOf(c, now);
  if (now + HOUR >= startOf(c, e0) + DAY + 12n * HOUR) e0++;
  const e1 = e0 + 1n;
  return {
    e0,
    e1,
    e2: e1 + 1n,
    keeperEarly: startOf(c, e0) + DAY + 12n * HOUR,
    promote1: windowStart(c, e0),
    register1: startOf(c, e0) + 5n * DAY + 10n * HOUR,
    e1Start: startOf(c, e1),
    promote2: windowStart(c, e1),
    register2: startOf(c, e1) + 5n * DAY + 10n * HOUR,
    e2Start: startOf(c, e1 + 1n),
    e1Final: finalAt(c, e1),
    claims: claimsOpenAt(c, e1),
  };
}

export interface PlannedRequest {
  at: bigint;
  /** Index of the requesting user. */
  user: number;
  /** Index of the wallet whose score is asked. */
  subject: number;
}

/** A few requests made minutes apart, then answered (or not) by the hosts. */
export interface Burst {
  requests: PlannedRequest[];
  /** False during the stretch when every host is down. */
  hostsUp: boolean;
  /** The text every request of the burst asks about instead of a wallet: an input that no model accepts. */
  input?: string;
  /** When the hosts on time poll and answer. */
  answerAt: bigint;
  /** When the slow host polls; its model then runs SLOW_DELAY_S. */
  slowAt: bigint;
}

/** The slow host's model time, in seconds of chain time. */
export const SLOW_DELAY_S = 240n;
/** Seconds after a burst's last request that the hosts poll, and then the slow host. */
const ANSWER_AFTER = 15n;
const SLOW_AFTER = ANSWER_AFTER + 60n;
/** Burst starts per day (seconds after midnight), each shifted by up to 20 minutes. */
const BURST_STARTS = [
  1n * HOUR + 10n * MINUTE,
  6n * HOUR + 40n * MINUTE,
  11n * HOUR + 20n * MINUTE,
  15n * HOUR + 50n * MINUTE,
  20n * HOUR + 30n * MINUTE,
];
const JITTER_S = 1_200;
/** The week's last burst ends at Wednesday 23:59:50, so its answers come in the next epoch. */
const LAST_REQUEST = DAY - 10n;
/** The outage: Saturday from 03:00, twelve requests that no host sees. */
const OUTAGE = { day: 2n, start: 3n * HOUR, count: 12, gap: [20, 40] as const };
const BURST = { count: [5, 8] as const, gap: [40, 75] as const };
/**
 * The rejected inputs: Friday from 09:00, thirty requests ten seconds or so apart whose input is not a wallet
 * address. Every honest host answers them with an error output; they must push nobody under the eviction
 * threshold. Drawn from their own seed, so the rest of the week is the same with or without them.
 */
export const REJECTED = { input: "not a wallet", day: 1n, start: 9n * HOUR, count: 30, gap: [8, 12] as const, seed: 7 };

/** mulberry32: a tiny seeded generator, so every run plays the same week. */
export function random(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    return lo + Math.floor(x * (hi - lo + 1));
  };
}

function shift(b: Burst, by: bigint): Burst {
  return {
    ...b,
    requests: b.requests.map((r) => ({ ...r, at: r.at + by })),
    answerAt: b.answerAt + by,
    slowAt: b.slowAt + by,
  };
}

/** E1's bursts in time order: five a day for seven days, the outage and the rejected inputs. */
export function planBursts(e1Start: bigint, users: number, subjects: number, seed = 2026): Burst[] {
  let rand = random(seed);
  const burst = (start: bigint, count: number, gap: readonly [number, number], hostsUp: boolean): Burst => {
    const requests: PlannedRequest[] = [];
    let at = start;
    for (let i = 0; i < count; i++) {
      if (i > 0) at += BigInt(rand(gap[0], gap[1]));
      requests.push({ at, user: rand(0, users - 1), subject: rand(0, subjects - 1) });
    }
    return { requests, hostsUp, answerAt: at + ANSWER_AFTER, slowAt: at + SLOW_AFTER };
  };
  const bursts: Burst[] = [];
  for (let day = 0n; day < 7n; day++) {
    const midnight = e1Start + day * DAY;
    BURST_STARTS.forEach((offset, i) => {
      const b = burst(
        midnight + offset + BigInt(rand(0, JITTER_S)),
        rand(BURST.count[0], BURST.count[1]),
        BURST.gap,
        true,
      );
      const last = day === 6n && i === BURST_STARTS.length - 1;
      bursts.push(last ? shift(b, midnight + LAST_REQUEST - b.requests[b.requests.length - 1].at) : b);
    });
    if (day === OUTAGE.day) bursts.push(burst(midnight + OUTAGE.start, OUTAGE.count, OUTAGE.gap, false));
  }
  rand = random(REJECTED.seed);
  bursts.push({
    ...burst(e1Start + REJECTED.day * DAY + REJECTED.start, REJECTED.count, REJECTED.gap, true),
    input: REJECTED.input,
  });
  return bursts.sort((a, b) => (a.requests[0].at < b.requests[0].at ? -1 : 1));
}
