/*
 * `npm run stack`: the whole market live on this machine for a newcomer with a browser wallet. A `hardhat node`
 * (a block every second), the market deployed, the keeper, two host agents serving challenge 1, the indexer, a
 * few requests already answered, and the app built and served. Prints the URL and a funded account to import;
 * Ctrl-C stops every process it started.
 *
 *   APP_PORT  the app's port (default 4173, vite preview's own)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NonceManager, parseUnits } from "ethers";
import { Market } from "../sdk/market";
import type { Deployment } from "../sdk/deployment";
import { connectTestToken } from "../sdk/abi";
import { DeploySpot, Node, account, daemon, stopAll } from "../test/e2e/harness";
import { startIndexer, type RunningIndexer } from "./stack/indexer";
import { CHALLENGE, KEEPER, buildApp, deploy, serveChallenge, startHosts, startPreview } from "./stack/parts";

/** The account printed for the browser wallet; the stack's own traffic is sent by another. */
const TESTER = account(20);
const TRAFFIC_USER = account(5);
const REQUESTS = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"];

const say = (line: string) => console.log(`[stack] ${line}`);

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), "stack-app-"));
  const spot = new DeploySpot();
  let indexer: RunningIndexer | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    try {
      await indexer?.stop();
      await stopAll();
    } catch (err) {
      console.error(err);
      code = 1;
    } finally {
      spot.remove();
      rmSync(outDir, { recursive: true, force: true });
    }
    process.exit(code);
  };
  // Replaces the harness's own handlers (an immediate SIGKILL): each child gets its SIGTERM and its grace.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.removeAllListeners(sig);
    process.on(sig, () => void shutdown(0));
  }
  try {
    say("building the app and starting a hardhat node…");
    const [, node] = await Promise.all([buildApp(outDir), Node.start()]);
    say(`node at ${node.url}; deploying…`);
    const deployment = await deploy(node, spot);
    say("challenge 1 with two modelers promoted and serving; indexer starting…");
    [indexer] = await Promise.all([startIndexer(spot.file, node.url), serveChallenge(node, deployment)]);
    const env = { DEPLOYMENT: spot.file, RPC_URL: node.url };
    daemon("keeper", ["--deployment", spot.file, "--leaderboard", `${CHALLENGE}=examples/leaderboard.json`], {
      ...env,
      KEEPER_KEY: KEEPER.privateKey,
    });
    startHosts(node, spot.file);
    say("keeper and two host agents running; a few requests…");
    await playTraffic(node, deployment);
    const preview = await startPreview(
      outDir,
      { ...env, INDEXER_URL: indexer.url },
      Number(process.env.APP_PORT || 4173),
    );
    console.log(
      [
        "",
        `  app        ${preview.url}`,
        `  chain      ${node.url} (chain id 31337)`,
        `  indexer    ${indexer.url}/graphql`,
        `  deployment ${spot.file}`,
        `  account    ${TESTER.address}`,
        `  key        ${TESTER.privateKey}   (a public test key: never send real money to it)`,
        "",
        "  Import the key into your browser wallet, add the chain, and open the app. Ctrl-C stops everything.",
        "",
      ].join("\n"),
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    await shutdown(1);
  }
}

/** Test tokens for both users, and requests the host agents answer: history for the pages from the first look. */
async function playTraffic(node: Node, deployment: Deployment): Promise<void> {
  // One nonce count for the mints and the requests, all sent by the same account.
  const signer = new NonceManager(TRAFFIC_USER.connect(node.provider));
  const user = Market.connect(deployment.market, signer);
  const token = connectTestToken(deployment.token, signer);
  for (const to of [TRAFFIC_USER, TESTER]) await (await token.mint(to.address, parseUnits("100", 18))).wait();
  for (const input of REQUESTS) {
    const made = await user.request(CHALLENGE, input);
    await user.waitForAnswers(made);
  }
}

void main();
