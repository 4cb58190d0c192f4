import { dataLength, type BytesLike } from "ethers";

/** A transaction's own cost. */
const TX_BASE = 21_000n;
/**
 * Gas per calldata byte, at most: 16 for a non-zero byte, or 40 under EIP-7623's floor (10 per token, four
 * tokens per non-zero byte), whichever a chain charges. The event copies the output too (8 per logged byte and
 * the memory copy), well inside what is left of this.
 */
const PER_BYTE = 48n;
/**
 * One entry's execution, at most: the dearest measured, about 45,000, with a fifth more. That is the request's
 * first answer (it settles the fee), the epoch's first settled fee, and the modeler's first answer of the epoch
 * (its points move to their past-epoch slot), every slot cold (test/InferenceMarket/answerGas.test.ts).
 */
export const ANSWER_ENTRY_GAS = 55_000n;
/** Memory words an entry's execution keeps allocated (the request, the time settings, the modeler, a reason). */
const WORDS_PER_ENTRY = 64n;

/**
 * A gas limit that an `answer` or `answerBatch` call fits in, whatever its entries find on chain, from its
 * calldata and entry count alone: a host needs no `eth_estimateGas`, which runs the batch on the node, two or
 * more times, before every send. Only the gas used is paid; the limit only has to be covered by the balance.
 * Memory grows with the batch and costs words²/512 on top of 3 a word: that term is counted on every byte.
 */
export function answerGasLimit(entries: number, calldata: BytesLike): bigint {
  const bytes = BigInt(dataLength(calldata));
  const words = bytes / 32n + 1n + WORDS_PER_ENTRY * BigInt(entries);
  return TX_BASE + PER_BYTE * bytes + ANSWER_ENTRY_GAS * BigInt(entries) + 3n * words + (words * words) / 512n;
}
