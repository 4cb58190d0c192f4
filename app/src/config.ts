/** The deployment the app talks to and where to reach it (app/config-file.ts writes it, /config.json serves it). */
export interface AppConfig {
  network: string;
  chainId: number;
  market: string;
  token: string;
  /** Block of the market's deployment: log scans start here. */
  startBlock: number;
  rpcUrl: string;
  indexerUrl: string;
}

/** The Hardhat and anvil chain id: the one chain with a burner wallet and a faucet. */
export const LOCAL_CHAIN_ID = 31337;

export async function loadConfig(): Promise<AppConfig> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`/config.json: ${res.status} ${await res.text()}`);
  return (await res.json()) as AppConfig;
}
