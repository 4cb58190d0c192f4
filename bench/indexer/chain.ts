/**
 * Sending to the bench's own `hardhat node` fast: its 40 accounts are unlocked, so `eth_sendTransaction` lets the
 * node sign (no signing in this process), with the gas given (no estimate against a pending state) and nonces
 * counted by the node's pool. ethers batches the calls made in the same tick into one HTTP request.
 */
import { parseUnits, toQuantity, type JsonRpcProvider } from "ethers";

/** Fees well above the local node's base fee, which the bench's full blocks raise block after block. */
const FEES = {
  maxFeePerGas: toQuantity(parseUnits("1000", "gwei")),
  maxPriorityFeePerGas: toQuantity(parseUnits("1", "gwei")),
};

export class Sender {
  constructor(
    readonly provider: JsonRpcProvider,
    readonly to: string,
  ) {}

  /** Each sender's next nonce, counted here once read. */
  private readonly nonces = new Map<string, Promise<number>>();

  /**
   * Sends one call of the market from an unlocked account; resolves with its hash once the pool took it. Gas,
   * fees and nonce are all given: a field left out makes the node work it out from a pending block, that is by
   * running every transaction in its pool again, at each send.
   */
  async send(from: string, data: string, gas: bigint): Promise<string> {
    const key = from.toLowerCase();
    const previous = this.nonces.get(key) ?? this.provider.getTransactionCount(from, "latest").then((n) => n - 1);
    const nonce = previous.then((n) => n + 1);
    this.nonces.set(key, nonce);
    return this.provider.send("eth_sendTransaction", [
      { from, to: this.to, data, gas: toQuantity(gas), nonce: toQuantity(await nonce), ...FEES },
    ]);
  }

  /** Forget the nonces: others sent from these accounts meanwhile. */
  resetNonces(): void {
    this.nonces.clear();
  }

  /** Mines blocks until the pool is empty (a round that overflows a block takes two); returns the last block. */
  async mineAll(): Promise<number> {
    for (let i = 0; i < 100; i++) {
      // Full blocks raise the base fee 12.5% each: kept at 1 gwei, so the fees given above always cover it.
      await this.provider.send("hardhat_setNextBlockBaseFeePerGas", [toQuantity(parseUnits("1", "gwei"))]);
      await this.provider.send("evm_mine", []);
      const pending = await this.provider.send("eth_getBlockByNumber", ["pending", false]);
      if ((pending?.transactions?.length ?? 0) === 0) return this.provider.getBlockNumber();
    }
    throw new Error("the pool did not empty after 100 blocks");
  }
}

/** The nearest-rank percentile `p` (0 to 100) of `values`; undefined when there are none. */
export { percentile } from "../agent/stats";

/** A log as eth_getLogs returns it, undecoded. */
export interface RawLog {
  blockNumber: string;
  topics: string[];
}

/**
 * `eth_getLogs` over plain fetch. Not ethers' provider: its HTTP client joins a response's chunks one by one,
 * in time quadratic in the body's size, and a dense page of this history is tens of megabytes (8.5 MB of logs
 * took it 19 s, fetch 1 s).
 */
export async function getLogs(
  url: string,
  filter: { address: string; fromBlock: number; toBlock: number; topics?: string[] },
): Promise<RawLog[]> {
  const params = [{ ...filter, fromBlock: toQuantity(filter.fromBlock), toBlock: toQuantity(filter.toBlock) }];
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params }),
  });
  const body = (await res.json()) as { result?: RawLog[]; error?: { message: string } };
  if (!body.result) throw new Error(`eth_getLogs: ${body.error?.message ?? res.statusText}`);
  return body.result;
}
