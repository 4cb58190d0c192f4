import { parseUnits, toUtf8Bytes, type HDNodeWallet, type JsonRpcProvider } from "ethers";
import { InferenceMarket__factory } from "../../typechain-types";

export interface LoadOptions {
  provider: JsonRpcProvider;
  market: string;
  challengeId: bigint;
  fee: bigint;
  users: readonly HDNodeWallet[];
  /** Requests sent in all, evenly spaced over `durationMs`, users in turn. */
  requests: number;
  durationMs: number;
  /** Inputs used in turn. */
  inputs: readonly string[];
  gasLimit: bigint;
}

export interface LoadResult {
  /** Transaction hashes in the order sent. */
  hashes: string[];
  /** Wall-clock milliseconds from the first send to the last. */
  sentMs: number;
}

/**
 * Sends the requests at a steady pace without waiting for them to be mined, as many independent users
 * would. Nonces, gas and fees are set here, so each request costs the node one eth_sendRawTransaction and
 * the load generator takes as little of the node's time as possible from the agent measured.
 */
export async function sendLoad(o: LoadOptions): Promise<LoadResult> {
  const wallets = o.users.map((u) => u.connect(o.provider));
  const nonces = await Promise.all(wallets.map((w) => o.provider.getTransactionCount(w.address, "pending")));
  const markets = wallets.map((w) => InferenceMarket__factory.connect(o.market, w));
  const overrides = {
    gasLimit: o.gasLimit,
    maxFeePerGas: parseUnits("100", "gwei"),
    maxPriorityFeePerGas: parseUnits("1", "gwei"),
  };
  const gapMs = o.durationMs / o.requests;
  const started = Date.now();
  const sends: Promise<string>[] = [];
  for (let i = 0; i < o.requests; i++) {
    const wait = started + i * gapMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const u = i % wallets.length;
    const input = toUtf8Bytes(o.inputs[i % o.inputs.length]);
    sends.push(
      markets[u].request(o.challengeId, o.fee, input, { ...overrides, nonce: nonces[u]++ }).then((tx) => tx.hash),
    );
  }
  const hashes = await Promise.all(sends);
  return { hashes, sentMs: Date.now() - started };
}
