import { JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult, type Wallet } from "ethers";
import type { Deployment } from "../../sdk/deployment";
import { ConfigError, DEFAULT_RPC_CONCURRENCY } from "./config";

/**
 * Runs at most `limit` of the functions given to it at once; the others wait their turn, first come first
 * served. A finished one hands its place straight to the next in line, so a newcomer never jumps the queue.
 */
export function limiter(limit: number) {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`a limit must be a positive whole number, got ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/**
 * A JsonRpcProvider that has at most `concurrency` HTTP calls in flight, whoever makes them: the scans, the
 * reads, the models' reads and the transactor all wait for a place. Each call carries one JSON-RPC request
 * (no batching), so the bound counts requests as a rate-limited RPC does, and a fault on one call fails one
 * request only.
 */
export class BoundedProvider extends JsonRpcProvider {
  private readonly slot: ReturnType<typeof limiter>;

  constructor(url: string, network: Network, concurrency: number) {
    // No 250 ms cache of identical reads: a batch sent right after another must read the next nonce, not the last.
    super(url, network, { staticNetwork: network, pollingInterval: 1_000, cacheTimeout: -1, batchMaxCount: 1 });
    this.slot = limiter(concurrency);
  }

  override _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    return this.slot(() => super._send(payload));
  }
}

/**
 * A provider for the deployment's chain that never probes the network on its own (an outage stays quiet) and
 * has at most `concurrency` requests in flight toward the RPC.
 */
export function connect(rpc: string, deployment: Deployment, key: Wallet, concurrency = DEFAULT_RPC_CONCURRENCY) {
  const provider = new BoundedProvider(rpc, Network.from(deployment.chainId), concurrency);
  return { provider, signer: key.connect(provider) };
}

/** Checks that the RPC serves the deployment's chain and that the market is there; RPC errors are thrown as they are. */
export async function checkDeployment(provider: JsonRpcProvider, deployment: Deployment): Promise<void> {
  const chainId = Number(await provider.send("eth_chainId", []));
  if (chainId !== deployment.chainId) {
    throw new ConfigError(
      `the RPC serves chain ${chainId}, but the deployment file is for chain ${deployment.chainId} (${deployment.network})`,
    );
  }
  if ((await provider.getCode(deployment.market)) === "0x") {
    throw new ConfigError(`no contract at the market address ${deployment.market} on chain ${chainId}`);
  }
}
