/**
 * The coverage gate, run after `hardhat coverage` (npm run coverage:check does both). It reads the istanbul
 * summary that .solcover.js asks for (coverage/coverage-summary.json) and the per-line data solidity-coverage
 * always writes (coverage.json), prints every contract's figures, and exits 1 when a file under contracts/
 * (mocks are not instrumented) covers less than 100% of its lines or functions, or less than 95% of its
 * branches, naming the uncovered lines, functions and branches.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..");
const SUMMARY = path.join(ROOT, "coverage", "coverage-summary.json");
const DETAIL = path.join(ROOT, "coverage.json");
const THRESHOLDS = { lines: 100, functions: 100, branches: 95 } as const;
type Metric = keyof typeof THRESHOLDS;
const METRICS = Object.keys(THRESHOLDS) as Metric[];

interface Figure {
  total: number;
  covered: number;
}
type Summary = Record<string, Record<Metric | "statements", Figure>>;
/** solidity-coverage's istanbul file coverage: hits per line, per function and per branch outcome. */
interface Detail {
  l: Record<string, number>;
  f: Record<string, number>;
  fnMap: Record<string, { name: string; line: number }>;
  b: Record<string, number[]>;
  branchMap: Record<string, { line: number }>;
}

const relative = (file: string) => path.relative(ROOT, path.resolve(ROOT, file)).split(path.sep).join("/");
/** 0 of 0 counts as full coverage, as istanbul reports it. */
const percent = ({ covered, total }: Figure) => (total === 0 ? 100 : (covered * 100) / total);
const cell = (f: Figure) => `${percent(f).toFixed(2)}% (${f.covered}/${f.total})`;

function uncovered(detail: Detail | undefined, metric: Metric): string {
  if (!detail) return "";
  const missed =
    metric === "lines"
      ? Object.entries(detail.l)
          .filter(([, hits]) => hits === 0)
          .map(([line]) => `line ${line}`)
      : metric === "functions"
        ? Object.entries(detail.f)
            .filter(([, hits]) => hits === 0)
            .map(([id]) => `${detail.fnMap[id].name} (line ${detail.fnMap[id].line})`)
        : Object.entries(detail.b).flatMap(([id, outcomes]) =>
            outcomes.flatMap((hits, i) => (hits === 0 ? [`line ${detail.branchMap[id].line} path ${i}`] : [])),
          );
  return missed.length ? `; not covered: ${missed.join(", ")}` : "";
}

function main(): number {
  if (!existsSync(SUMMARY)) {
    console.error(
      `${relative(SUMMARY)} not found: run \`npx hardhat coverage\` first (.solcover.js adds json-summary).`,
    );
    return 1;
  }
  const summary = JSON.parse(readFileSync(SUMMARY, "utf8")) as Summary;
  const details: Record<string, Detail> = {};
  if (existsSync(DETAIL)) {
    for (const [file, detail] of Object.entries(JSON.parse(readFileSync(DETAIL, "utf8")) as Record<string, Detail>)) {
      details[relative(file)] = detail;
    }
  }
  const files = Object.entries(summary)
    .filter(([file]) => file !== "total")
    .map(([file, figures]) => [relative(file), figures] as const)
    .filter(([file]) => file.startsWith("contracts/") && !file.startsWith("contracts/mocks/"))
    .sort(([a], [b]) => a.localeCompare(b));
  if (files.length === 0) {
    console.error(`${relative(SUMMARY)} holds no file under contracts/: was the coverage run complete?`);
    return 1;
  }

  console.table(
    Object.fromEntries(
      files.map(([file, f]) => [
        file,
        {
          lines: cell(f.lines),
          functions: cell(f.functions),
          branches: cell(f.branches),
          statements: cell(f.statements),
        },
      ]),
    ),
  );
  const failures = files.flatMap(([file, figures]) =>
    METRICS.filter((m) => percent(figures[m]) < THRESHOLDS[m]).map(
      (m) => `${file}: ${m} ${cell(figures[m])} is below ${THRESHOLDS[m]}%${uncovered(details[file], m)}`,
    ),
  );
  const gate = METRICS.map((m) => `${m} ${THRESHOLDS[m]}%`).join(", ");
  if (failures.length) {
    console.error(`Coverage below the gate (${gate}):\n  ${failures.join("\n  ")}`);
    return 1;
  }
  console.log(`Coverage gate passed (${gate}) for ${files.length} files.`);
  return 0;
}

process.exitCode = main();
