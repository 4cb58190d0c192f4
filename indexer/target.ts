/*
 * What the indexer indexes and where it writes, resolved from the environment (and the project's .env) once and
 * checked before Ponder does anything else:
 *   DEPLOYMENT    a deployment file; else deployments/<NETWORK>.json, NETWORK defaulting to localhost
 *   RPC_URL       the node (default http://127.0.0.1:8545); it must serve the deployment's chain and market
 *   DATABASE_URL  postgresql://… selects PostgreSQL; unset, the embedded PGlite in PGLITE_DIR
 * Empty values count as unset, as in a copied .env.example. A problem ends the process with one line on stderr
 * and exit code 1: Ponder's own RPC and database checks come later and exit 75 after a multi-line log.
 *
 * The market's settings are immutable, so they are read here once, at config time, and the handlers import
 * them: no handler calls the chain. Ponder runs the config and the handlers in one module graph, so this file
 * is evaluated once per start.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { config as loadEnv } from "dotenv";
import pg from "pg";
import { createPublicClient, http, type Address } from "viem";
import { readDeployment, type Deployment } from "../sdk/deployment";
import type { PayoutShares } from "../sdk/payouts";
import type { TimeConfig } from "../sdk/time";
import { InferenceMarket__factory } from "../typechain-types/factories/contracts/InferenceMarket__factory";
import { defaultPgliteDir } from "./pglite";

const INDEXER = dirname(fileURLToPath(import.meta.url));
loadEnv({ path: join(INDEXER, "..", ".env") });

/**
 * Ponder runs in indexer/ (it writes generated/ where it runs): a path the user gives is relative to where they
 * typed the command, which npm passes on as INIT_CWD.
 */
const userPath = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);

const CHECK_TIMEOUT_MS = 5_000;

function fail(message: string): never {
  console.error(`indexer: ${message}`);
  process.exit(1);
}

/** An error in one line: its first line and, when it has causes (viem's and pg's do), the deepest one's. */
function reason(err: unknown): string {
  const lines: string[] = [];
  for (let e = err as Cause | undefined; e instanceof Object && lines.length < 8; e = e.cause) {
    const [first] = String(e.shortMessage ?? e.message ?? "").split("\n");
    const text = first.replace(/[.:]$/, "") || e.code;
    if (text && !lines.includes(text)) lines.push(text);
  }
  return lines.length > 1 ? `${lines[0]}: ${lines[lines.length - 1]}` : (lines[0] ?? String(err));
}
type Cause = { shortMessage?: string; message?: string; code?: string; cause?: Cause };

const setting = (name: string): string | undefined => process.env[name]?.trim() || undefined;

function loadDeployment(): Deployment {
  const file = setting("DEPLOYMENT");
  const which = file ? userPath(file) : (setting("NETWORK") ?? "localhost");
  try {
    return readDeployment(which);
  } catch (err) {
    return fail(err instanceof SyntaxError ? `the deployment ${which} is not JSON: ${reason(err)}` : reason(err));
  }
}

export const deployment = loadDeployment();
export const rpcUrl = setting("RPC_URL") ?? "http://127.0.0.1:8545";
const market = deployment.market as Address;

/** The chain answers with the deployment's id and holds the market's code; then the settings, read once. */
async function checkChain() {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: CHECK_TIMEOUT_MS }) });
  const unreachable = (err: unknown) => fail(`cannot reach the node at RPC_URL ${rpcUrl}: ${reason(err)}`);
  const chainId = await client.getChainId().catch(unreachable);
  if (chainId !== deployment.chainId) {
    fail(`the node at ${rpcUrl} serves chain ${chainId}, but the deployment is on chain ${deployment.chainId}`);
  }
  const [code, start] = await Promise.all([
    client.getCode({ address: market }),
    client.getBlock({ blockNumber: BigInt(deployment.startBlock) }).catch(() => undefined),
  ]).catch(unreachable);
  if (!code || code === "0x" || !start) {
    fail(
      `no market ${market} from block ${deployment.startBlock} on the node at ${rpcUrl}: ` +
        `a restarted local node forgets its deployments, deploy again`,
    );
  }
  const settings = await client
    .readContract({ address: market, abi: InferenceMarket__factory.abi, functionName: "settings" })
    .catch((err) => fail(`${market} does not answer as an InferenceMarket: ${reason(err)}`));
  return { settings, startBlockHash: start.hash };
}

/** The password of a connection URL, hidden for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

async function checkPostgres(url: string): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(url)) fail(`DATABASE_URL must be a postgresql:// URL, got ${redact(url)}`);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CHECK_TIMEOUT_MS });
  // A refused connection also emits "error" on the client: handled here, not as an uncaught exception.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
  } catch (err) {
    fail(`cannot use DATABASE_URL ${redact(url)}: ${reason(err)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

const databaseUrl = setting("DATABASE_URL");
const pgliteDir = setting("PGLITE_DIR");
const [chain] = await Promise.all([checkChain(), databaseUrl ? checkPostgres(databaseUrl) : undefined]);

/** Where Ponder writes: PostgreSQL at DATABASE_URL, else PGlite in PGLITE_DIR or a folder of its own (pglite.ts). */
export const database = databaseUrl
  ? ({ kind: "postgres", connectionString: databaseUrl } as const)
  : ({
      kind: "pglite",
      directory: pgliteDir ? userPath(pgliteDir) : defaultPgliteDir(INDEXER, deployment.chainId, chain.startBlockHash),
    } as const);

/** The deployment's settings as the SDK's time and payout rules take them. */
const s = chain.settings;
export const time: TimeConfig = {
  epochLength: BigInt(s.epochLength),
  windowOffset: BigInt(s.windowOffset),
  sla: BigInt(s.sla),
  claimDelay: BigInt(s.claimDelay),
  activationDelay: BigInt(s.activationDelay),
};
export const shares: PayoutShares = {
  creatorBps: BigInt(s.creatorBps),
  adminBps: BigInt(s.adminBps),
  platformBps: BigInt(s.platformBps),
};
export const evictionThresholdBps = BigInt(s.evictionThresholdBps);
