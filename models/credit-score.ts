/**
 * A wallet credit score in the spirit of Spectral's first challenge. Input: a wallet address (text).
 * Features, read over RPC at the request's block: the balance in ether, the transaction count (nonce) and
 * whether the address holds code. A logistic model with the weights shipped in credit-score.weights.json
 * turns them into a probability, and the output is the integer score 300 + 550·p (300 to 850) as text.
 * An input that is not a wallet address is refused (InputRejected): the agent answers it with
 * `error: invalid-input: input is not a wallet address: "…"`.
 */
import { formatEther, getAddress, isAddress } from "ethers";
import { InputRejected, type ModelContext } from "../daemons/host/model";
import WEIGHTS from "./credit-score.weights.json";

export interface Features {
  /** log10(1 + balance in ether). */
  logBalance: number;
  /** log10(1 + transactions sent). */
  logTxCount: number;
  /** 1 for a contract, 0 for an externally owned account. */
  isContract: number;
}

export const weights = WEIGHTS;

export async function preprocess(input: string, ctx: ModelContext): Promise<Features> {
  const text = input.trim();
  if (!isAddress(text)) throw new InputRejected(`input is not a wallet address: ${JSON.stringify(input.slice(0, 64))}`);
  const address = getAddress(text);
  const [balance, txCount, code] = await Promise.all([
    ctx.provider.getBalance(address, ctx.blockTag),
    ctx.provider.getTransactionCount(address, ctx.blockTag),
    ctx.provider.getCode(address, ctx.blockTag),
  ]);
  return {
    logBalance: Math.log10(1 + Number(formatEther(balance))),
    logTxCount: Math.log10(1 + txCount),
    isContract: code === "0x" ? 0 : 1,
  };
}

/** The probability of a good borrower. */
export function predict(f: Features): number {
  const w = WEIGHTS.weights;
  const z = WEIGHTS.bias + w.logBalance * f.logBalance + w.logTxCount * f.logTxCount + w.isContract * f.isContract;
  return 1 / (1 + Math.exp(-z));
}

export function postprocess(p: number): string {
  const score = Math.round(WEIGHTS.scoreMin + (WEIGHTS.scoreMax - WEIGHTS.scoreMin) * p);
  return String(Math.min(WEIGHTS.scoreMax, Math.max(WEIGHTS.scoreMin, score)));
}
