/**
 * The demo: two weeks of the market on the in-process Hardhat network, in one command (`npm run demo`).
 * Deploy, a wallet-credit-score challenge, a leaderboard of twelve modelers, the keeper's promotions,
 * ten host agents (one offline, one too slow), six users' requests over a week with a stretch when every
 * host is down, refunds, eviction, finalization and every claim; then a report of who got what, audited
 * against the market's events and balance. Exits non-zero when a check fails.
 *
 * The demo drives the chain's clock, so it also runs against a local Hardhat node that mines only on
 * transactions (`MINE_INTERVAL_MS=0 npx hardhat node`, then `npx hardhat run scripts/demo.ts --network
 * localhost`), and refuses any other network or a node that mines on its own. For a reader of the chain
 * (the indexer, a test) it can publish, at paths given in the environment:
 *   DEMO_DEPLOYMENT  the deployment file (sdk/deployment.ts), written as soon as the market is deployed
 *   DEMO_JSON        the DemoResult with its bigints as decimal strings, written at the end
 */
import { renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Presets, SingleBar } from "cli-progress";
import { writeDeployment } from "../sdk/deployment";
import { decodeError } from "../sdk/errors";
import { isoOf } from "../sdk/time";
import { checkOwnClock } from "./demo/clock";
import { report } from "./demo/report";
import { runScenario } from "./demo/scenario";

const setting = (name: string) => process.env[name]?.trim() || undefined;

async function main() {
  const hre = (await import("hardhat")).default;
  await checkOwnClock(hre.network.name, hre.network.provider);
  const deploymentFile = setting("DEMO_DEPLOYMENT");
  const resultFile = setting("DEMO_JSON");
  const bar = new SingleBar(
    { format: "two weeks |{bar}| {value}/{total} steps | {when} {label}", hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const started = Date.now();
  try {
    const result = await runScenario(hre, {
      onPlan: (steps) => bar.start(steps, 0, { when: "", label: "" }),
      onStep: (at, label) => bar.increment({ when: isoOf(at), label }),
      // Renamed into place, so a reader watching for the file never reads half of it.
      onDeployed: deploymentFile
        ? (d) => renameSync(writeDeployment(d, `${resolve(deploymentFile)}.tmp`), resolve(deploymentFile))
        : undefined,
    });
    bar.stop();
    if (resultFile)
      writeFileSync(
        resolve(resultFile),
        JSON.stringify(result, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
      );
    console.log(report(result));
    console.log(`\nPlayed in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    if (result.audit.checks.some((c) => !c.ok)) process.exitCode = 1;
  } finally {
    bar.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${decodeError(err)}`);
  if (err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = 1;
});
