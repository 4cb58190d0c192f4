/*
 * `npm run stack` as a newcomer runs it, minus npm and the compile step: it comes up with the app answering and
 * serving the deployment it made, and Ctrl-C (SIGINT to its process group, as a terminal sends it) leaves none of
 * its processes behind. Every process it starts inherits our environment, so a mark in it finds them all.
 */
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readDeployment } from "../../sdk/deployment";
import { Proc, ROOT, childEnv, freePort } from "../e2e/harness";

/** The live processes whose environment holds `mark`. */
function marked(mark: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(join("/proc", entry, "environ"), "latin1").includes(mark)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return pids;
}

describe("scripts/stack", () => {
  it("serves the app for the deployment it made, and SIGINT stops every process it started", async function () {
    this.timeout(240_000);
    const mark = `STACK_TEST_MARK=${process.pid}-${Date.now()}`;
    const port = await freePort();
    const stack = new Proc(
      "stack",
      process.execPath,
      ["-r", "ts-node/register/transpile-only", join(ROOT, "scripts", "stack.ts")],
      childEnv({ APP_PORT: String(port), STACK_TEST_MARK: mark.split("=")[1] }),
    );
    const field = (name: string) =>
      stack.stdout
        .find((l) => l.trim().startsWith(`${name} `))
        ?.trim()
        .split(/\s+/)[1];
    const url = await stack.waitFor(() => field("app"), "the app's URL", 180_000);
    expect(url).to.equal(`http://127.0.0.1:${port}`);
    const deploymentFile = field("deployment")!;
    expect((await fetch(url)).status).to.equal(200);
    const config = (await (await fetch(`${url}/config.json`)).json()) as { market: string };
    expect(config.market).to.equal(readDeployment(deploymentFile).market);
    // The script, the node, the keeper, two hosts, the indexer and the preview server.
    expect(marked(mark)).to.have.length.of.at.least(7);

    stack.signal("SIGINT");
    expect((await stack.exited).code, stack.output()).to.equal(0);
    expect(marked(mark)).to.deep.equal([]);
    expect(existsSync(deploymentFile)).to.equal(false);
  });
});
