/*
 * What the browser tests run against, each part a real process: the app built once (vite build) and served by
 * `vite preview`, a `hardhat node` on a free port with the market deployed by `npm run deploy`, one challenge
 * whose list of two modelers serves, a host agent for each modeler, the indexer, and one headless Chromium.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { NonceManager, id, parseUnits, type HDNodeWallet } from "ethers";
import { Market } from "../../sdk/market";
import { readDeployment, type Deployment } from "../../sdk/deployment";
import { activationEpoch, epochOf, startOf, windowStart } from "../../sdk/time";
import { Indexer } from "../indexer/harness";
import { launchBrowser } from "./browser";
import { DeploySpot, Node, Proc, ROOT, account, childEnv, daemon, freePort, run } from "../e2e/harness";

const VITE = join(ROOT, "node_modules", "vite", "bin", "vite.js");

export const DEPLOYER = account(0);
export const KEEPER = account(1);
/** Each modeler of the list with its own host agent. */
export const MODELERS = [account(3), account(4)];
const HOSTS = [account(13), account(14)];
export const FEE = parseUnits("1", 18);
export const CHALLENGE = 1n;

export class AppStack {
  private constructor(
    readonly node: Node,
    readonly spot: DeploySpot,
    readonly deployment: Deployment,
    readonly indexer: Indexer,
    readonly hosts: Proc[],
    readonly preview: Proc,
    readonly url: string,
    readonly browser: Browser,
    private readonly outDir: string,
    /** Start-up times, for the test's log. */
    readonly timings: string[],
  ) {}

  /** The market read through the node. */
  get market(): Market {
    return Market.connect(this.deployment.market, this.node.provider);
  }

  static async start(): Promise<AppStack> {
    const t0 = Date.now();
    const timings: string[] = [];
    const since = (what: string) => timings.push(`${what} ${Date.now() - t0} ms`);
    const outDir = mkdtempSync(join(tmpdir(), "app-"));
    const spot = new DeploySpot();
    const parts: { node?: Node; indexer?: Indexer; procs: Proc[]; browser?: Browser } = { procs: [] };
    try {
      const [built, node] = await Promise.all([
        run(
          "vite build",
          process.execPath,
          [VITE, "build", "app", "--outDir", outDir, "--emptyOutDir", "--logLevel", "error"],
          {},
        ),
        Node.start(),
      ]);
      parts.node = node;
      expect(built.code, `${built.stdout}\n${built.stderr}`).to.equal(0);
      since("build and node");
      const deployed = await run(
        "npm run deploy",
        "npm",
        ["run", "--silent", "deploy", "--", "--network", "localhost"],
        {
          RPC_URL: node.url,
          KEEPER_ADDRESS: KEEPER.address,
          ...spot.env(),
        },
      );
      expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).to.equal(0);
      const deployment = readDeployment(spot.file);
      since("deploy");

      const [indexer] = await Promise.all([
        Indexer.start({ deployment: spot.file, rpcUrl: node.url }),
        serveChallenge(node, deployment),
      ]);
      parts.indexer = indexer;
      since("indexer and challenge");

      const hosts = MODELERS.map((m, i) =>
        daemon(
          "host",
          [
            "--deployment",
            spot.file,
            "--model",
            "models/credit-score.ts",
            "--modelers",
            `1:${m.address}`,
            "--poll-ms",
            "200",
          ],
          { RPC_URL: node.url, HOST_KEY: HOSTS[i].privateKey, LOG_LEVEL: "debug" },
        ),
      );
      parts.procs.push(...hosts);
      const port = await freePort();
      const preview = new Proc(
        "vite preview",
        process.execPath,
        [VITE, "preview", "app", "--outDir", outDir, "--port", String(port), "--strictPort"],
        childEnv({ DEPLOYMENT: spot.file, RPC_URL: node.url, INDEXER_URL: indexer.url }),
      );
      parts.procs.push(preview);
      const url = `http://127.0.0.1:${port}`;
      const [browser] = await Promise.all([
        launchBrowser(),
        ...hosts.map((h) => h.waitForLog((l) => l.action === "tick" && l.status === "done", "a first pass", 60_000)),
        preview.waitFor(() => (preview.stdout.some((l) => l.includes(`:${port}`)) ? true : undefined), "listening"),
      ]);
      parts.browser = browser as Browser;
      since("hosts, preview and browser");
      return new AppStack(node, spot, deployment, indexer, hosts, preview, url, browser as Browser, outDir, timings);
    } catch (err) {
      await parts.browser?.close();
      await Promise.all(parts.procs.map((p) => p.stop()));
      await parts.indexer?.stop();
      await parts.node?.stop();
      spot.remove();
      rmSync(outDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Stops the host agents: requests made from now on get no answer. */
  async stopHosts(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
  }

  async stop(): Promise<void> {
    try {
      await this.browser.close();
      await Promise.all([...this.hosts, this.preview].map((p) => p.stop()));
      await this.indexer.stop();
      await this.node.stop();
    } finally {
      this.spot.remove();
      rmSync(this.outDir, { recursive: true, force: true });
    }
  }
}

/**
 * Challenge 1 with a fee of 1 token; both modelers registered with their hosts, promoted by the keeper inside
 * the window, and the chain moved to the list's first epoch, so it serves.
 */
async function serveChallenge(node: Node, deployment: Deployment): Promise<void> {
  const as = (w: HDNodeWallet) => Market.connect(deployment.market, new NonceManager(w.connect(node.provider)));
  const operator = as(DEPLOYER);
  const time = await operator.timeConfig();
  await operator.createChallenge(DEPLOYER.address, DEPLOYER.address, FEE, "wallet credit score");
  await Promise.all(MODELERS.map((m, i) => as(m).register(CHALLENGE, HOSTS[i].address)));
  const epoch = epochOf(time, await node.latestTimestamp());
  await node.mineAt(windowStart(time, epoch));
  await as(KEEPER).promote(
    CHALLENGE,
    MODELERS.map((m) => m.address),
    id("app test leaderboard"),
  );
  await node.mineAt(startOf(time, activationEpoch(time, epoch)));
}
