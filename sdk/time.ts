/**
 * The protocol's time rules for off-chain tools, mirroring contracts/libraries/Epochs.sol.
 * All values are UTC seconds as bigint, like block timestamps.
 */

export const WEEK = 604_800n;
export const DAY = 86_400n;

export interface TimeConfig {
  epochLength: bigint;
  windowOffset: bigint;
  sla: bigint;
  claimDelay: bigint;
  activationDelay: bigint;
}

/** The production values: weekly epochs from Thursday 00:00 UTC, window from Monday 23:59 UTC. */
export const DEFAULT_TIME: TimeConfig = {
  epochLength: WEEK,
  windowOffset: 4n * DAY + 23n * 3_600n + 59n * 60n,
  sla: 600n,
  claimDelay: DAY,
  activationDelay: 1n,
};

export const epochOf = (c: TimeConfig, t: bigint): bigint => t / c.epochLength;
export const startOf = (c: TimeConfig, epoch: bigint): bigint => epoch * c.epochLength;
export const endOf = (c: TimeConfig, epoch: bigint): bigint => (epoch + 1n) * c.epochLength;
export const windowStart = (c: TimeConfig, epoch: bigint): bigint => epoch * c.epochLength + c.windowOffset;
export const inWindow = (c: TimeConfig, t: bigint): boolean => t % c.epochLength >= c.windowOffset;
export const activationEpoch = (c: TimeConfig, epoch: bigint): bigint => epoch + c.activationDelay;
export const deadline = (c: TimeConfig, createdAt: bigint): bigint => createdAt + c.sla;
/** From this time every request of `epoch` is answered or expired: eviction opens. */
export const finalAt = (c: TimeConfig, epoch: bigint): bigint => (epoch + 1n) * c.epochLength + c.sla;
export const claimsOpenAt = (c: TimeConfig, epoch: bigint): bigint => (epoch + 1n) * c.epochLength + c.claimDelay;

/** Seconds of an ISO-8601 UTC date such as "2026-12-03T00:00:00Z". */
export function utc(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${iso}`);
  return BigInt(ms) / 1000n;
}

/** ISO-8601 UTC text of a timestamp, for logs and reports. */
export function isoOf(t: bigint): string {
  return new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");
}
