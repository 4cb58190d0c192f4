import { JsonRpcProvider, Network, type Wallet } from "ethers";
import type { Deployment } from "../../sdk/deployment";
import { ConfigError } from "./config";

/** A provider for the deployment's chain that never probes the network on its own (an outage stays quiet). */
export function connect(rpc: string, deployment: Deployment, key: Wallet) {
  const network = Network.from(deployment.chainId);
  // No 250 ms cache of identical reads: a batch sent right after another must read the next nonce, not the last.
  const provider = new JsonRpcProvider(rpc, network, {
    staticNetwork: network,
    pollingInterval: 1_000,
    cacheTimeout: -1,
  });
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
