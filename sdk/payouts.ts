/**
 * The protocol's money math for off-chain tools, mirroring contracts/libraries/Payouts.sol and the figures
 * InferenceMarket computes from it (`epochFigures`, `claimableReward`, `claimableFees`). Amounts are bigint
 * token units; every division floors, as in Solidity.
 */

export const BPS = 10_000n;

/** The deployment's fee shares in basis points; the modelers' pool takes the rest. */
export interface PayoutShares {
  creatorBps: bigint;
  adminBps: bigint;
  platformBps: bigint;
}

/** The production values: 5% each to the creator, the admin and the platform. */
export const DEFAULT_SHARES: PayoutShares = { creatorBps: 500n, adminBps: 500n, platformBps: 500n };

export interface Split {
  pool: bigint;
  creator: bigint;
  admin: bigint;
  platform: bigint;
}

/** `Payouts.split`: the three shares floored from the settled total, the pool takes the rest, so the parts sum to it. */
export function split(s: PayoutShares, settled: bigint): Split {
  const creator = (settled * s.creatorBps) / BPS;
  const admin = (settled * s.adminBps) / BPS;
  const platform = (settled * s.platformBps) / BPS;
  return { pool: settled - creator - admin - platform, creator, admin, platform };
}

/** `Payouts.reward`: a modeler's floored part of the pool by its points; nothing when nobody has points. */
export function reward(pool: bigint, points: bigint, totalPoints: bigint): bigint {
  return totalPoints === 0n ? 0n : (pool * points) / totalPoints;
}

/** What the floored rewards of `points` (one entry per modeler) leave of the pool; it goes to the platform. */
export function rewardDust(pool: bigint, points: readonly bigint[]): bigint {
  const total = points.reduce((sum, p) => sum + p, 0n);
  return points.reduce((left, p) => left - reward(pool, p, total), pool);
}

/** A challenge's figures for an epoch, as `InferenceMarket.epochFigures` returns them (less the counters). */
export interface PayoutFigures {
  /** Answers in time: the divisor of the rewards. */
  points: bigint;
  pool: bigint;
  creatorShare: bigint;
  adminShare: bigint;
  /** The platform's split share plus the reward dust: what `claimFees(…, Platform, …)` pays. */
  platformShare: bigint;
  rewardDust: bigint;
}

/** The figures of an epoch whose fees settled to `settled` and whose modelers hold `points` (one entry each). */
export function payoutFigures(s: PayoutShares, settled: bigint, points: readonly bigint[]): PayoutFigures {
  const { pool, creator, admin, platform } = split(s, settled);
  const total = points.reduce((sum, p) => sum + p, 0n);
  // Like the contract's _sum: with no points there is no reward to floor, so no dust.
  const dust = total === 0n ? 0n : rewardDust(pool, points);
  return {
    points: total,
    pool,
    creatorShare: creator,
    adminShare: admin,
    platformShare: platform + dust,
    rewardDust: dust,
  };
}
