import type { Hex } from "viem";

/** Where an event happened: the columns of every table whose rows are events. */
export function placed(event: { block: { number: bigint; timestamp: bigint }; transaction: { hash: Hex } }) {
  return { blockNumber: event.block.number, timestamp: event.block.timestamp, txHash: event.transaction.hash };
}
