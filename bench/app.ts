/**
 * Measures the web app against its budgets: the first-load JavaScript gzipped (bench/app/bundle.ts), at most
 * 250 kB; and the time from navigation to the live calendar and serving list (bench/app/load.ts), the median of
 * BENCH_LOADS loads (default 5) against the browser tests' local stack (test/app/stack.ts): a `hardhat node`, the
 * deployed market, a serving challenge, two host agents, the indexer, `vite preview` and a headless Chromium, all
 * on this machine. Prints a table and writes reports/app.json.
 *
 *   npm run bench:app
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, stopAll } from "../test/e2e/harness";
import { AppStack } from "../test/app/stack";
import { buildApp } from "../scripts/stack/parts";
import { firstLoadJs, type BundleFile } from "./app/bundle";
import { marketLoads, type Loads } from "./app/load";
import { runBench } from "./run";

/** kB as the issue counts them, 1000 bytes. */
const FIRST_LOAD_BUDGET_BYTES = 250_000;

export interface Report {
  machine: { cpus: number; node: string };
  firstLoadJs: { files: BundleFile[]; gzipBytes: number; budgetBytes: number; withinBudget: boolean };
  marketLoad: Loads & { loads: number };
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

async function main(): Promise<number> {
  const loads = Number(process.env.BENCH_LOADS || 5);
  const outDir = mkdtempSync(join(tmpdir(), "bench-app-"));
  let stack: AppStack | undefined;
  try {
    await buildApp(outDir);
    const files = firstLoadJs(outDir);
    const gzipBytes = files.reduce((sum, f) => sum + f.gzipBytes, 0);
    stack = await AppStack.start();
    const load = await marketLoads(stack.browser, stack.url, loads);
    const report: Report = {
      machine: { cpus: cpus().length, node: process.version },
      firstLoadJs: {
        files,
        gzipBytes,
        budgetBytes: FIRST_LOAD_BUDGET_BYTES,
        withinBudget: gzipBytes <= FIRST_LOAD_BUDGET_BYTES,
      },
      marketLoad: { ...load, loads },
    };
    const rows: [string, string][] = [
      [
        "first-load JS, gzipped",
        `${kB(gzipBytes)} of ${kB(FIRST_LOAD_BUDGET_BYTES)} (${files.length} file(s), ` +
          `${kB(files.reduce((sum, f) => sum + f.bytes, 0))} minified)`,
      ],
      ["navigation to live calendar and list", `median ${load.medianMs} ms (${load.runsMs.join(", ")} ms)`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    mkdirSync(join(ROOT, "reports"), { recursive: true });
    const path = join(ROOT, "reports", "app.json");
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${path}`);
    return report.firstLoadJs.withinBudget ? 0 : 1;
  } finally {
    await stack?.stop().catch(() => undefined);
    await stopAll();
    rmSync(outDir, { recursive: true, force: true });
  }
}

runBench(main);
