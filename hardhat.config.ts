import "dotenv/config";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "./tasks";

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

/** Keys of the accounts a real network signs with, from .env; the deployer's first (the tasks' default signer). */
const KEY_VARIABLES = ["DEPLOYER_KEY", "KEEPER_KEY", "HOST_KEY", "MODELER_KEY", "USER_KEY"];
const keys = [...new Set(KEY_VARIABLES.map((name) => process.env[name]?.trim()).filter((k): k is string => !!k))];

/** A public test network exists only when .env names its RPC and the deployer's key: compile and test need no .env. */
const publicNetworks: NonNullable<HardhatUserConfig["networks"]> =
  process.env.SEPOLIA_RPC_URL && process.env.DEPLOYER_KEY
    ? { sepolia: { url: process.env.SEPOLIA_RPC_URL, chainId: 11_155_111, accounts: keys } }
    : {};

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
    ...publicNetworks,
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "1",
    currency: "USD",
    offline: true,
    excludeContracts: ["mocks/"],
  },
  mocha: { timeout: 120_000 },
};

export default config;
