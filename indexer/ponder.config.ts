import { createConfig } from "ponder";
import { InferenceMarket__factory } from "../typechain-types/factories/contracts/InferenceMarket__factory";
import { database, deployment, rpcUrl } from "./target";

/** The local node: its blocks are not worth caching, a restarted node reuses their numbers for other blocks. */
const LOCAL_CHAIN_ID = 31337;

export default createConfig({
  database,
  chains: {
    [deployment.network]: {
      id: deployment.chainId,
      rpc: rpcUrl,
      disableCache: deployment.chainId === LOCAL_CHAIN_ID,
    },
  },
  contracts: {
    InferenceMarket: {
      chain: deployment.network,
      abi: InferenceMarket__factory.abi,
      address: deployment.market as `0x${string}`,
      startBlock: deployment.startBlock,
    },
  },
});
