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
 * would. Nonces, gas and fees are set here, and every request is signed before the first is sent: during the
 * step the load generator costs the node one eth_sendRawTransaction a request and the machine little more, so
 * that the CPU it shares with the answerers measured goes to them.
 */
export async function sendLoad(o: LoadOptions): Promise<LoadResult> {
  const wallets = o.users.map((u) => u.connect(o.provider));
  const nonces = await Promise.all(wallets.map((w) => o.provider.getTransactionCount(w.address, "pending")));
  const market = InferenceMarket__factory.createInterface();
  const fees = { maxFeePerGas: parseUnits("100", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") };
  const signed: string[] = [];
  for (let i = 0; i < o.requests; i++) {
    const u = i % wallets.length;
    const input = toUtf8Bytes(o.inputs[i % o.inputs.length]);
    signed.push(
      await wallets[u].signTransaction({
        type: 2,
        chainId: 31337n,
        to: o.market,
        data: market.encodeFunctionData("request", [o.challengeId, o.fee, input]),
        nonce: nonces[u]++,
        gasLimit: o.gasLimit,
        ...fees,
      }),
    );
  }
  const gapMs = o.durationMs / o.requests;
  const started = Date.now();
  const sends: Promise<string>[] = [];
  for (let i = 0; i < o.requests; i++) {
    const wait = started + i * gapMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(o.provider.broadcastTransaction(signed[i]).then((tx) => tx.hash));
  }
  const hashes = await Promise.all(sends);
  return { hashes, sentMs: Date.now() - started };
}
