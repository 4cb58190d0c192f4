import { createConfig, http } from "wagmi";
import { injected } from "wagmi/connectors/injected";
import { defineChain } from "viem";
import { LOCAL_CHAIN_ID, type AppConfig } from "./config";

/**
 * The deployment's chain alone, with its RPC from the config (not a public default), and the injected wallets:
 * `injected()` for window.ethereum plus each wallet that announces itself through EIP-6963.
 */
export function wagmiConfig(config: AppConfig) {
  const chain = defineChain({
    id: config.chainId,
    name: config.chainId === LOCAL_CHAIN_ID ? `Local chain (${LOCAL_CHAIN_ID})` : config.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  return createConfig({
    chains: [chain],
    connectors: [injected()],
    multiInjectedProviderDiscovery: true,
    transports: { [chain.id]: http(config.rpcUrl) },
  });
}
