import "dotenv/config";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "./tasks";
import { hideStackTraces } from "./tasks/lib/cli";
import { checkNetwork, publicNetworks } from "./tasks/lib/networks";

// A failed command prints one line; --show-stack-traces brings the stack back.
hideStackTraces();

// Compilers are never downloaded: the exact solc-js release pinned in package.json
// is the one compiler, so a fresh clone compiles offline.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc");
  const longVersion: string = solc.version().replace(/\.Emscripten\.clang$/, "");
  if (!longVersion.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`solc npm package is ${longVersion}, expected ${SOLC_VERSION}`);
  }
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: SOLC_VERSION, longVersion };
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 1000 },
      viaIR: true,
    },
  },
  networks: {
    // The in-process network starts on a fixed Friday so tests and the demo replay the same real calendar.
    hardhat: { initialDate: "2026-11-20T00:00:00Z", accounts: { count: 40 } },
    // An empty RPC_URL (as in a copied .env.example) means the default too.
    localhost: { url: process.env.RPC_URL || "http://127.0.0.1:8545" },
    ...publicNetworks(process.env),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "1",
    currency: "USD",
    offline: true,
    excludeContracts: ["mocks/"],
  },
  // `npx hardhat verify`: Etherscan's API v2 (one key for every chain) and Sourcify (no key); docs/DEPLOYING.md.
  etherscan: { apiKey: process.env.ETHERSCAN_API_KEY ?? "" },
  sourcify: { enabled: true },
  mocha: { timeout: 120_000 },
};

checkNetwork(config);

export default config;
