/** A transaction's EIP-1559 fees per gas, wei. */
export interface Fees {
  maxFee: bigint;
  priorityFee: bigint;
}

/** Each replacement offers a quarter more than the last: nodes refuse a replacement under +10% on both fees. */
const BUMP_PERCENT = 125n;

/** `old` with a bump on top: the least a replacement offers. */
export const bumped = (old: bigint) => (old * BUMP_PERCENT + 99n) / 100n;

/** Twice the base fee plus the tip, the max fee under `ceiling` and the tip under the max fee. */
export function offer(baseFee: bigint, tip: bigint, ceiling: bigint): Fees {
  const want = 2n * baseFee + tip;
  const maxFee = want > ceiling ? ceiling : want;
  return { maxFee, priorityFee: tip > maxFee ? maxFee : tip };
}

/**
 * The fees of a replacement of `last`: the market's (`now`) or a bump over `last`, the higher, under `ceiling`;
 * undefined when the ceiling leaves less than a bump on either fee, which the node would refuse.
 */
export function replacement(now: Fees, last: Fees, ceiling: bigint): Fees | undefined {
  let maxFee = now.maxFee > bumped(last.maxFee) ? now.maxFee : bumped(last.maxFee);
  let priorityFee = now.priorityFee > bumped(last.priorityFee) ? now.priorityFee : bumped(last.priorityFee);
  if (maxFee > ceiling) maxFee = ceiling;
  if (priorityFee > maxFee) priorityFee = maxFee;
  if (maxFee < bumped(last.maxFee) || priorityFee < bumped(last.priorityFee)) return undefined;
  return { maxFee, priorityFee };
}

export const gwei = (wei: bigint) => Number(wei) / 1e9;
