import { inspect, parseArgs, type ParseArgsConfig } from "node:util";
import { Wallet, isAddress, getAddress, parseEther, parseUnits } from "ethers";
import { readDeployment, type Deployment } from "../../sdk/deployment";
import type { TxSettings } from "./transactor";

/** The default of RPC_CONCURRENCY: JSON-RPC requests a daemon may have in flight toward its RPC at once. */
export const DEFAULT_RPC_CONCURRENCY = 8;
/** More would be no bound: a node's HTTP server or a provider's plan refuses far fewer at once. */
export const MAX_RPC_CONCURRENCY = 256;

/** A bad flag, environment variable or file: the daemon prints it and exits before doing anything. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "ConfigError";
  }
}

export type Env = Record<string, string | undefined>;

/**
 * What a daemon prints when it cannot start, as one line: "keeper: <what is wrong> (see --help)" for a
 * ConfigError, the first line of any other error's message. At LOG_LEVEL debug or trace (read from the
 * environment: the flags may be what failed), the error in full, stack and cause included.
 */
export function startFailure(daemon: string, err: unknown, env: Env): string {
  if (env.LOG_LEVEL === "debug" || env.LOG_LEVEL === "trace") return inspect(err);
  if (err instanceof ConfigError) return `${daemon}: ${err.message} (see --help)`;
  return `${daemon}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
}

/** Flags every daemon takes; each daemon adds its own. */
export const COMMON_FLAGS = {
  rpc: { type: "string" },
  network: { type: "string" },
  deployment: { type: "string" },
  once: { type: "boolean" },
  "poll-ms": { type: "string" },
  "log-range": { type: "string" },
  "log-level": { type: "string" },
  indexer: { type: "string" },
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string" },
  "min-balance-eth": { type: "string" },
  "max-fee-gwei": { type: "string" },
  "priority-fee-gwei": { type: "string" },
  "replace-after-blocks": { type: "string" },
  confirmations: { type: "string" },
  "tx-wait-ms": { type: "string" },
  "rpc-concurrency": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The help lines of the common flags; `pollMs` is the daemon's default wait. */
export function commonUsage(pollMs: number): string {
  return [
    "  --rpc <url>               JSON-RPC endpoint (http/https)        env RPC_URL      default http://127.0.0.1:8545",
    "  --network <name>          reads deployments/<name>.json          env NETWORK      default localhost",
    "  --deployment <file>       deployment file, instead of --network  env DEPLOYMENT",
    "  --once                    one pass, then exit (for cron)         env ONCE=1",
    `  --poll-ms <ms>            longest wait between passes            env POLL_MS      default ${pollMs}`,
    "  --log-range <blocks>      blocks per eth_getLogs call            env LOG_RANGE    default 2000",
    "  --log-level <level>       pino level                             env LOG_LEVEL    default info",
    "  --indexer <url>           read history from the indexer          env INDEXER_URL  default: logs only",
    "  --metrics-port <port>     serve /metrics and /healthz            env METRICS_PORT default: no server",
    "  --metrics-host <host>     the address the server binds           env METRICS_HOST default 127.0.0.1",
    "  --min-balance-eth <eth>   /healthz fails below this balance      env MIN_BALANCE_ETH default 0.01",
    "  --max-fee-gwei <gwei>     ceiling on maxFeePerGas                env MAX_FEE_GWEI default 100",
    "  --priority-fee-gwei <g>   tip per gas                            env PRIORITY_FEE_GWEI default: the node's",
    "  --replace-after-blocks <n> unmined this long: higher fee         env REPLACE_AFTER_BLOCKS default 3",
    "  --confirmations <n>       blocks before a block is final         env CONFIRMATIONS default 2 (0 on 31337)",
    "  --tx-wait-ms <ms>         longest wait for one transaction       env TX_WAIT_MS   default 120000",
    `  --rpc-concurrency <n>     JSON-RPC requests in flight at most    env RPC_CONCURRENCY default ${DEFAULT_RPC_CONCURRENCY} (1 to ${MAX_RPC_CONCURRENCY})`,
    "  -h, --help                this text",
  ].join("\n");
}

export interface CommonConfig {
  rpc: string;
  deployment: Deployment;
  once: boolean;
  pollMs: number;
  logRange: number;
  logLevel: string;
  /** The indexer's base URL: scans read history from it, and the chain's logs only after its last block. */
  indexerUrl?: string;
  /** With METRICS_PORT: where /metrics and /healthz are served, and the signer's balance floor for health. */
  metrics?: MetricsConfig;
  tx: TxSettings;
  /** The longest a pass waits for one of its transactions; it stays tracked after that. */
  txWaitMs: number;
  /** JSON-RPC requests in flight toward the RPC at most, for everything the daemon does. */
  rpcConcurrency: number;
}

export interface MetricsConfig {
  port: number;
  host: string;
  /** In wei: /healthz fails below it. */
  minBalance: bigint;
}

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Parses `argv` against `flags`; an unknown flag, a missing value or a stray argument is a ConfigError. */
export function parseFlags<F extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], flags: F) {
  try {
    return parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** The flag's value if given, else the environment variable's (empty counts as unset). */
export function setting(values: FlagValues, flag: string, env: Env, name: string): string | undefined {
  const v = values[flag];
  if (typeof v === "string") return v;
  const e = env[name];
  return e === undefined || e === "" ? undefined : e;
}

/** A whole number in [min, max], from a flag or variable described as `what`. */
export function integer(
  text: string | undefined,
  what: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${what} must be a whole number, got "${text}"`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new ConfigError(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A private key from the environment variable `name`, as a wallet (not yet connected). */
export function privateKey(env: Env, name: string): Wallet {
  const key = env[name];
  if (key === undefined || key === "") throw new ConfigError(`${name} is not set: the daemon needs its private key`);
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new ConfigError(`${name} must be 32 bytes of hex (a private key)`);
  try {
    return new Wallet(hex);
  } catch {
    throw new ConfigError(`${name} is not a valid secp256k1 private key`);
  }
}

/** A comma-separated list of addresses, checksummed; undefined when not given. */
export function addressList(text: string | undefined, what: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${what} is empty`);
  return items.map((a) => {
    if (!isAddress(a)) throw new ConfigError(`${what}: "${a}" is not an address`);
    return getAddress(a);
  });
}

const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** The settings every daemon shares; `defaultPollMs` is the daemon's own default. */
export function commonConfig(values: FlagValues, env: Env, defaultPollMs: number): CommonConfig {
  const rpc = setting(values, "rpc", env, "RPC_URL") ?? "http://127.0.0.1:8545";
  if (!/^https?:\/\/\S+$/.test(rpc)) throw new ConfigError(`--rpc must be an http(s) URL, got "${rpc}"`);
  const file = setting(values, "deployment", env, "DEPLOYMENT");
  const network = setting(values, "network", env, "NETWORK") ?? "localhost";
  let deployment: Deployment;
  try {
    deployment = readDeployment(file ?? network);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const logLevel = setting(values, "log-level", env, "LOG_LEVEL") ?? "info";
  if (!LEVELS.has(logLevel))
    throw new ConfigError(`--log-level must be one of ${[...LEVELS].join(", ")}, got "${logLevel}"`);
  const onceEnv = env.ONCE;
  if (onceEnv !== undefined && onceEnv !== "" && onceEnv !== "0" && onceEnv !== "1") {
    throw new ConfigError(`ONCE must be 0 or 1, got "${onceEnv}"`);
  }
  const indexerUrl = setting(values, "indexer", env, "INDEXER_URL");
  if (indexerUrl !== undefined && !/^https?:\/\/\S+$/.test(indexerUrl))
    throw new ConfigError(`--indexer must be an http(s) URL, got "${indexerUrl}"`);
  return {
    rpc,
    deployment,
    once: values.once === true || onceEnv === "1",
    pollMs: integer(setting(values, "poll-ms", env, "POLL_MS"), "--poll-ms", defaultPollMs, 10, 86_400_000),
    logRange: integer(setting(values, "log-range", env, "LOG_RANGE"), "--log-range", 2_000, 1, 1_000_000),
    logLevel,
    indexerUrl,
    metrics: metricsConfig(values, env),
    tx: txSettings(values, env, deployment.chainId),
    txWaitMs: integer(setting(values, "tx-wait-ms", env, "TX_WAIT_MS"), "--tx-wait-ms", 120_000, 1_000, 3_600_000),
    rpcConcurrency: integer(
      setting(values, "rpc-concurrency", env, "RPC_CONCURRENCY"),
      "--rpc-concurrency",
      DEFAULT_RPC_CONCURRENCY,
      1,
      MAX_RPC_CONCURRENCY,
    ),
  };
}

/** A fee in gwei (decimals allowed down to the wei), as wei. */
function gwei(text: string, what: string): bigint {
  const t = text.trim();
  if (!/^\d+(\.\d{1,9})?$/.test(t) || parseUnits(t, "gwei") === 0n)
    throw new ConfigError(`${what} must be a positive amount of gwei such as 1.5, got "${text}"`);
  return parseUnits(t, "gwei");
}

/**
 * How the daemon prices and settles its transactions. Blocks count as final after 2 confirmations, except on
 * the local node (chain 31337), which has no reorganisations of its own and mines a block a second.
 */
function txSettings(values: FlagValues, env: Env, chainId: number): TxSettings {
  const priority = setting(values, "priority-fee-gwei", env, "PRIORITY_FEE_GWEI");
  const tx: TxSettings = {
    maxFee: gwei(setting(values, "max-fee-gwei", env, "MAX_FEE_GWEI") ?? "100", "--max-fee-gwei"),
    priorityFee: priority === undefined ? undefined : gwei(priority, "--priority-fee-gwei"),
    replaceAfterBlocks: integer(
      setting(values, "replace-after-blocks", env, "REPLACE_AFTER_BLOCKS"),
      "--replace-after-blocks",
      3,
      1,
      1_000,
    ),
    confirmations: integer(
      setting(values, "confirmations", env, "CONFIRMATIONS"),
      "--confirmations",
      chainId === 31337 ? 0 : 2,
      0,
      1_000,
    ),
    pollMs: 1_000,
  };
  if (tx.priorityFee !== undefined && tx.priorityFee > tx.maxFee)
    throw new ConfigError("--priority-fee-gwei must not be above --max-fee-gwei");
  return tx;
}

/** The metrics server's settings; none without a port (then there is no server). */
function metricsConfig(values: FlagValues, env: Env): MetricsConfig | undefined {
  const port = setting(values, "metrics-port", env, "METRICS_PORT");
  if (port === undefined) return undefined;
  const floor = (setting(values, "min-balance-eth", env, "MIN_BALANCE_ETH") ?? "0.01").trim();
  if (!/^\d+(\.\d{1,18})?$/.test(floor))
    throw new ConfigError(`--min-balance-eth must be an amount of ETH such as 0.05, got "${floor}"`);
  return {
    port: integer(port, "--metrics-port", 0, 1, 65_535),
    host: setting(values, "metrics-host", env, "METRICS_HOST") ?? "127.0.0.1",
    minBalance: parseEther(floor),
  };
}
