/**
 * The demo: two weeks of the market on the in-process Hardhat network, in one command (`npm run demo`).
 * Deploy, a wallet-credit-score challenge, a leaderboard of twelve modelers, the keeper's promotions,
 * ten host agents (one offline, one too slow), six users' requests over a week with a stretch when every
 * host is down, refunds, eviction, finalization and every claim; then a report of who got what, audited
 * against the market's events and balance. Exits non-zero when a check fails.
 */
import { Presets, SingleBar } from "cli-progress";
import { decodeError } from "../sdk/errors";
import { isoOf } from "../sdk/time";
import { report } from "./demo/report";
import { runScenario } from "./demo/scenario";

async function main() {
  const hre = (await import("hardhat")).default;
  if (hre.network.name !== "hardhat")
    throw new Error(`the demo runs on the in-process network only, not ${hre.network.name}`);
  const bar = new SingleBar(
    { format: "two weeks |{bar}| {value}/{total} steps | {when} {label}", hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const started = Date.now();
  try {
    const result = await runScenario(hre, {
      onPlan: (steps) => bar.start(steps, 0, { when: "", label: "" }),
      onStep: (at, label) => bar.increment({ when: isoOf(at), label }),
    });
    bar.stop();
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
