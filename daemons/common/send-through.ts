import { ContractTransactionReceipt, type Interface } from "ethers";
import type { SendCall } from "../../sdk/types";
import type { Final, Transactor } from "./transactor";

/** A transaction still in flight when its wait ended: it stays tracked, and the next pass finds what became of it. */
export class TxPending extends Error {
  constructor(
    readonly txHash: string,
    readonly nonce: number,
  ) {
    super(`transaction ${txHash} (nonce ${nonce}) is not final yet`);
    this.name = "TxPending";
  }
}

/**
 * The market client's `send` through `transactor`: gas estimated with a fifth more, the action named from the
 * calldata, a wait of at most `waitMs` (then TxPending). A call mined as a revert, cancelled or lost throws.
 */
export function sendThrough(transactor: Transactor, iface: Interface, waitMs: number): SendCall {
  return async ({ to, data }) => {
    const gas = await transactor.estimateGas({ to, data });
    const action = iface.parseTransaction({ data })?.name ?? "call";
    const sent = await transactor.send({ to, data, gasLimit: (gas * 6n) / 5n }, { fields: { action } });
    const final = await within(sent.final, waitMs);
    if (!final) throw new TxPending(sent.hash, sent.nonce);
    if (final.status === "lost") throw new Error(`${action}: ${final.reason}`);
    if (final.status === "cancelled") throw new Error(`${action}: cancelled, it would have reverted`);
    if (final.receipt.status !== 1) throw new Error(`${action}: transaction ${final.receipt.hash} reverted on chain`);
    return {
      receipt: new ContractTransactionReceipt(iface, transactor.provider, final.receipt),
      txHash: final.receipt.hash,
    };
  };
}

/** `final`, or undefined after `timeoutMs`: the transaction stays tracked, and is replaced or cancelled as due. */
async function within(final: Promise<Final>, timeoutMs: number): Promise<Final | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
  try {
    return await Promise.race([final, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
