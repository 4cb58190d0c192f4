/*
 * What the browser tests run against, each part a real process: the app built once (vite build) and served by
 * `vite preview`, a `hardhat node` on a free port with the market deployed by `npm run deploy`, one challenge
 * whose list of two modelers serves, a host agent for each modeler, the indexer, and one headless Chromium.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { Market } from "../../sdk/market";
import type { Deployment } from "../../sdk/deployment";
import { Indexer } from "../indexer/harness";
import { launchBrowser } from "./browser";
import { DeploySpot, Node, Proc } from "../e2e/harness";
import { buildApp, deploy, serveChallenge, startHosts, startPreview } from "../../scripts/stack/parts";

export { CHALLENGE, DEPLOYER, FEE, KEEPER, LEADERBOARD_HASH, MODELERS } from "../../scripts/stack/parts";

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
      const [, node] = await Promise.all([buildApp(outDir), Node.start()]);
      parts.node = node;
      since("build and node");
      const deployment = await deploy(node, spot);
      since("deploy");

      const [indexer] = await Promise.all([
        Indexer.start({ deployment: spot.file, rpcUrl: node.url }),
        serveChallenge(node, deployment),
      ]);
      parts.indexer = indexer;
      since("indexer and challenge");

      // At debug level a host logs each pass, its first one included.
      const hosts = startHosts(node, spot.file, { LOG_LEVEL: "debug" });
      parts.procs.push(...hosts);
      const [preview, browser] = await Promise.all([
        startPreview(outDir, { DEPLOYMENT: spot.file, RPC_URL: node.url, INDEXER_URL: indexer.url }),
        launchBrowser(),
        ...hosts.map((h) => h.waitForLog((l) => l.action === "tick" && l.status === "done", "a first pass", 60_000)),
      ]);
      parts.procs.push(preview.proc);
      parts.browser = browser;
      since("hosts, preview and browser");
      return new AppStack(node, spot, deployment, indexer, hosts, preview.proc, preview.url, browser, outDir, timings);
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
