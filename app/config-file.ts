/*
 * What the app reads from /config.json at start: the deployment (network, chain id, addresses, start block) and
 * where to reach the chain and the indexer. Built in Node from the deployment file and the environment, so one
 * build of the app serves any deployment.
 */
import { readDeployment } from "../sdk/deployment";
import { DEFAULT_INDEXER_URL } from "../sdk/indexer-client";
import type { AppConfig } from "./src/config";

/** The local node's JSON-RPC URL when RPC_URL is unset, as hardhat.config.ts's `localhost` has it. */
const LOCAL_RPC_URL = "http://127.0.0.1:8545";

/**
 * The config of DEPLOYMENT (a .json path) or else NETWORK (deployments/<network>.json, default localhost), with
 * RPC_URL and INDEXER_URL. Empty values count as unset, as in a copied .env.example.
 */
export function appConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const d = readDeployment(env.DEPLOYMENT || env.NETWORK || "localhost");
  return {
    network: d.network,
    chainId: d.chainId,
    market: d.market,
    token: d.token,
    startBlock: d.startBlock,
    rpcUrl: env.RPC_URL || LOCAL_RPC_URL,
    indexerUrl: env.INDEXER_URL || DEFAULT_INDEXER_URL,
  };
}
