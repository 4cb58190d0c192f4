import { ContractTransactionReceipt, isError, type Signer } from "ethers";
import { ERC20Permit__factory } from "../../../typechain-types";
import { marketInterface } from "../../../sdk/abi";
import type { SendCall } from "../../../sdk/types";

/** "unknown": the wait for the receipt failed (the RPC went away); the transaction may still be mined. */
export type TxState = "pending" | "mined" | "reverted" | "unknown";

/** A transaction the page sent, shown with its hash while it is mined. */
export interface TrackedTx {
  hash: string;
  /** The function called: request, approve, refund… */
  action: string;
  state: TxState;
}

const MARKET = marketInterface();
const TOKEN = ERC20Permit__factory.createInterface();

/**
 * The market client's `send` (Market.connect's option): the SDK has checked the call with `staticCall`; this
 * sends it from `signer` and tells `onChange` of the hash as soon as the wallet returns it, then of the outcome.
 */
export function trackedSend(signer: Signer, onChange: (tx: TrackedTx) => void): SendCall {
  return async ({ to, data }) => {
    const action = (MARKET.parseTransaction({ data }) ?? TOKEN.parseTransaction({ data }))?.name ?? "call";
    const tx = await signer.sendTransaction({ to, data });
    onChange({ hash: tx.hash, action, state: "pending" });
    try {
      const receipt = await tx.wait();
      if (!receipt) throw new Error(`transaction ${tx.hash} has no receipt`);
      onChange({ hash: tx.hash, action, state: "mined" });
      return { receipt: new ContractTransactionReceipt(MARKET, receipt.provider, receipt), txHash: tx.hash };
    } catch (err) {
      onChange({ hash: tx.hash, action, state: isError(err, "CALL_EXCEPTION") ? "reverted" : "unknown" });
      throw err;
    }
  };
}
