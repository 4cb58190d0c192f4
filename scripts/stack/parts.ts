/*
 * The parts of a local stack that `npm run stack` and the browser tests share: the accounts and their roles, the
 * app's build and preview server, the deploy, the challenge that serves, and its two host agents. Each part is a
 * real process of the e2e harness (test/e2e/harness.ts), which kills every one it started when we exit.
 */
import { join } from "node:path";
import { NonceManager, id, parseUnits, type HDNodeWallet } from "ethers";
import { Market } from "../../sdk/market";
import { readDeployment, type Deployment } from "../../sdk/deployment";
import { activationEpoch, epochOf, startOf, windowStart } from "../../sdk/time";
import {
  DeploySpot,
  Node,
  Proc,
  ROOT,
  account,
  childEnv,
  daemon,
  freePort,
  run,
  type Ran,
} from "../../test/e2e/harness";

const VITE = join(ROOT, "node_modules", "vite", "bin", "vite.js");

export const DEPLOYER = account(0);
export const KEEPER = account(1);
/** Each modeler of the list with its own host agent; the two of examples/leaderboard.json. */
export const MODELERS = [account(3), account(4)];
const HOSTS = [account(13), account(14)];
export const FEE = parseUnits("1", 18);
export const CHALLENGE = 1n;
/** The hash the first promotion of challenge 1 names. */
export const LEADERBOARD_HASH = id("local stack leaderboard");

function check(ran: Ran, what: string): void {
  if (ran.code !== 0) throw new Error(`${what} failed (${JSON.stringify(ran.code)})\n${ran.stdout}\n${ran.stderr}`);
}

/** `vite build` of app/ into `outDir`. */
export async function buildApp(outDir: string): Promise<void> {
  const args = [VITE, "build", "app", "--outDir", outDir, "--emptyOutDir", "--logLevel", "error"];
  check(await run("vite build", process.execPath, args, {}), "vite build");
}

/** `npm run deploy` on `node`, into `spot`, with KEEPER holding the keeper role. */
export async function deploy(node: Node, spot: DeploySpot): Promise<Deployment> {
  const args = ["run", "--silent", "deploy", "--", "--network", "localhost"];
  check(
    await run("npm run deploy", "npm", args, { RPC_URL: node.url, KEEPER_ADDRESS: KEEPER.address, ...spot.env() }),
    "npm run deploy",
  );
  return readDeployment(spot.file);
}

/** A client of the market sending as `wallet`, its nonces counted locally so calls may overlap. */
function marketAs(node: Node, deployment: Deployment, wallet: HDNodeWallet): Market {
  return Market.connect(deployment.market, new NonceManager(wallet.connect(node.provider)));
}

/**
 * Challenge 1 with a fee of 1 token; both modelers registered with their hosts, promoted inside the window, and
 * the chain moved to the list's first epoch, so it serves.
 */
export async function serveChallenge(node: Node, deployment: Deployment): Promise<void> {
  const operator = marketAs(node, deployment, DEPLOYER);
  const time = await operator.timeConfig();
  await operator.createChallenge(DEPLOYER.address, DEPLOYER.address, FEE, "wallet credit score");
  await Promise.all(MODELERS.map((m, i) => marketAs(node, deployment, m).register(CHALLENGE, HOSTS[i].address)));
  const epoch = epochOf(time, await node.latestTimestamp());
  await node.mineAt(windowStart(time, epoch));
  await marketAs(node, deployment, KEEPER).promote(
    CHALLENGE,
    MODELERS.map((m) => m.address),
    LEADERBOARD_HASH,
  );
  await node.mineAt(startOf(time, activationEpoch(time, epoch)));
}

/** A host agent for each modeler. */
export function startHosts(node: Node, deploymentFile: string, env: Record<string, string> = {}): Proc[] {
  return MODELERS.map((m, i) =>
    daemon(
      "host",
      [
        ...["--deployment", deploymentFile, "--model", "models/credit-score.ts"],
        ...["--modelers", `1:${m.address}`, "--poll-ms", "200"],
      ],
      { RPC_URL: node.url, HOST_KEY: HOSTS[i].privateKey, ...env },
    ),
  );
}

/** `vite preview` of the build in `outDir`, serving config.json from `env`; resolves once it listens. */
export async function startPreview(
  outDir: string,
  env: { DEPLOYMENT: string; RPC_URL: string; INDEXER_URL: string },
  port?: number,
): Promise<{ proc: Proc; url: string }> {
  const listen = port ?? (await freePort());
  const proc = new Proc(
    "vite preview",
    process.execPath,
    [VITE, "preview", "app", "--outDir", outDir, "--port", String(listen), "--strictPort"],
    childEnv(env),
  );
  await proc.waitFor(() => (proc.stdout.some((l) => l.includes(`:${listen}`)) ? true : undefined), "listening");
  return { proc, url: `http://127.0.0.1:${listen}` };
}
