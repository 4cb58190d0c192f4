/**
 * Gas benchmark: every user path in a live market's steady state, and the hot paths' growth with use.
 * Prints a table, writes reports/gas.json ({"<path>": gas of the whole transaction}) and exits non-zero when a
 * budget is broken or a hot path grows by more than MAX_GROWTH. Run with `npm run bench:gas`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { BUDGETS, MAX_GROWTH, REFERENCES } from "./gas/budgets";
import { growth } from "./gas/growth";
import { steadyState } from "./gas/steady";

const started = Date.now();
const progress = (step: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${step}`);

function growthFailures(gas: Record<string, number>): string[] {
  const groups = new Map<string, number[]>();
  for (const [key, value] of Object.entries(gas)) {
    const m = key.match(/^growth\.(.+)\.([a-z]+)\d+$/);
    if (!m) continue;
    const group = `${m[1]} by ${m[2]}`;
    groups.set(group, [...(groups.get(group) ?? []), value]);
  }
  const failures: string[] = [];
  for (const [group, values] of groups) {
    const growthRatio = Math.max(...values) / Math.min(...values) - 1;
    const line = `${group}: ${values.map((v) => v.toLocaleString("en-US")).join(" / ")} (+${(growthRatio * 100).toFixed(2)}%)`;
    console.log(`  ${growthRatio > MAX_GROWTH ? "FAIL" : "ok  "} ${line}`);
    if (growthRatio > MAX_GROWTH) failures.push(line);
  }
  return failures;
}

async function main() {
  const gas = { ...(await steadyState(progress)), ...(await growth(progress)) };
  mkdirSync("reports", { recursive: true });
  writeFileSync("reports/gas.json", JSON.stringify(gas, null, 2) + "\n");

  const failures: string[] = [];
  const rows = Object.entries(gas)
    .filter(([key]) => !key.startsWith("growth."))
    .map(([path, value]) => {
      const budget = BUDGETS[path];
      const verdict = budget === undefined ? "" : value <= budget ? "within" : "OVER";
      if (verdict === "OVER") failures.push(`${path}: ${value} > ${budget}`);
      return {
        path,
        gas: value.toLocaleString("en-US"),
        budget: budget?.toLocaleString("en-US") ?? "",
        verdict,
        reference: REFERENCES[path] ?? "",
      };
    });
  console.table(rows);
  console.log("growth (cheapest / ... / dearest case):");
  failures.push(...growthFailures(gas));
  console.log(`wrote reports/gas.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failures.length) {
    console.error(`gas check failed:\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
