/**
 * Measures the host agent daemon as it runs for real: a `hardhat node` mining one block a second, the
 * market deployed by the deploy script, one `daemons/host.ts` process answering for every modeler, and
 * users sending a steady load of requests. Reports answers per second and the delay in blocks from each
 * request's block to each of its answers' blocks, prints a table and writes reports/agent.json.
 *
 *   npm run bench:agent [-- --requests 300 --seconds 10 --users 10 --modelers 3 --batch-size 50 --poll-ms 250]
 *
 * The agent runs tuned for one-second blocks: its largest batch and a poll well under a block (its own
 * defaults, 10 answers and 2 s, suit twelve-second blocks). 300 requests to 3 modelers in 10 s offer 90
 * answers a second, above the aim, so a host that keeps up shows it in both figures.
 *
 *   npm run bench:agent -- --overload [--rates 10,20,40,80,120,160 --step-seconds 15]
 *
 * The overload mode ramps the request rate until answering falls behind, on two challenges side by side: a
 * plain answerBatch script answers one (the node's own ceiling), the agent the other (bench/agent/overload.ts).
 * It writes both curves and their ratio to reports/agent.json and plots them to reports/agent-overload.png.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DeploySpot, Node, ROOT, daemon, stopAll, type Proc } from "../test/e2e/harness";
import { FEE, cast, prepare } from "./agent/setup";
import { sendLoad } from "./agent/load";
import { figures, percentile, type Figures } from "./agent/stats";
import { overload, type OverloadResult, type OverloadSettings } from "./agent/overload";
import { chartSvg, writePng } from "./agent/plot";
import { runBench } from "./run";

/**
 * The aims: a host keeps up with a busy challenge and answers within a few blocks; under overload it sustains
 * most of what the node itself can mine.
 */
const AIM = { answersPerSecond: 50, p95Blocks: 3, ceilingRatio: 0.7 };
const BLOCK_MS = 1_000;
/** After the last request, how long the agent has to catch up before the run is cut. */
const DRAIN_MS = 60_000;

interface Settings {
  overload?: OverloadSettings;
  requests: number;
  seconds: number;
  users: number;
  modelers: number;
  batchSize: number;
  pollMs: number;
}

function settings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: "string", default: "300" },
      seconds: { type: "string", default: "10" },
      users: { type: "string", default: "10" },
      modelers: { type: "string", default: "3" },
      "batch-size": { type: "string", default: "50" },
      "poll-ms": { type: "string", default: "250" },
      overload: { type: "boolean", default: false },
      rates: { type: "string", default: "10,20,40,80,120,160" },
      "step-seconds": { type: "string", default: "15" },
    },
    strict: true,
  });
  const whole = (name: keyof typeof values, min: number, max: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const rates = values.rates.split(",").map(Number);
  if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 1_000))
    throw new Error("--rates must be whole numbers of requests per second from 1 to 1000, comma-separated");
  const common = {
    users: whole("users", 1, 20),
    modelers: whole("modelers", 1, 10),
    batchSize: whole("batch-size", 1, 50),
    pollMs: whole("poll-ms", 10, 60_000),
  };
  return {
    ...common,
    overload: values.overload ? { ...common, rates, stepSeconds: whole("step-seconds", 5, 300) } : undefined,
    requests: whole("requests", 1, 10_000),
    seconds: whole("seconds", 1, 300),
  };
}

/** What the agent's own log says about the run. */
function agentLog(host: Proc) {
  const ends = host.logsOf("tick", "done").map((l) => Date.parse(String(l.time)));
  const gaps = ends.slice(1).map((t, i) => t - ends[i]);
  return {
    passes: ends.length,
    /** Milliseconds from one pass's end to the next's: the poll wait plus the pass's own work. */
    gapP50: percentile(gaps, 50),
    gapMax: gaps.length ? Math.max(...gaps) : undefined,
    retries: host.logsOf("rpc", "retrying").length,
    errors: host.logsOf("model").length,
    problems: host
      .logs()
      .filter((l) => ["reverted", "failed", "already", "skipped", "left-out"].includes(String(l.status))).length,
  };
}

function printTable(s: Settings, f: Figures, log: ReturnType<typeof agentLog>) {
  const rows: [string, string][] = [
    ["requests sent", `${f.requests} over ${s.seconds} s by ${s.users} users`],
    ["answers expected", `${f.expected} (${s.modelers} modelers, one host)`],
    ["answers mined", String(f.answers)],
    [
      "answer transactions",
      `${f.transactions} (${(f.answers / Math.max(1, f.transactions)).toFixed(1)} answers each, batch size ${s.batchSize})`,
    ],
    [
      "agent passes",
      `${log.passes} (poll ${s.pollMs} ms; pass end to pass end p50 ${log.gapP50 ?? "-"} ms, max ${log.gapMax ?? "-"} ms)`,
    ],
    ["agent RPC retries", String(log.retries)],
    ["agent rejected/skipped", String(log.problems)],
    ["agent error answers", `${log.errors} (error outputs: the model rejected the input, failed or ran out of time)`],
    ["chain seconds", `${f.seconds} (first request's block to last answer's block)`],
    ["answers per second", `${f.answersPerSecond} (aim >= ${AIM.answersPerSecond})`],
    ["delay p50", `${f.p50Blocks ?? "-"} blocks`],
    ["delay p95", `${f.p95Blocks ?? "-"} blocks (aim <= ${AIM.p95Blocks})`],
    ["delay max", `${f.maxBlocks ?? "-"} blocks`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log("\nhost agent bench (1 s blocks)");
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/** The steady mode: one load, one agent, the aims of a busy challenge. */
async function steady(node: Node, spot: DeploySpot, s: Settings) {
  const c = cast(s.modelers, s.users);
  const m = await prepare(node, spot, c);
  const host = daemon(
    "host",
    [
      ...[
        "--deployment",
        spot.file,
        "--model",
        "models/credit-score.ts",
        "--batch-size",
        String(s.batchSize),
        "--poll-ms",
        String(s.pollMs),
      ],
      ...["--modelers", c.modelers.map((x) => `${m.challengeId}:${x.address}`).join(",")],
    ],
    // Debug logs: the pass lines time the agent's passes.
    { RPC_URL: node.url, HOST_KEY: c.host.privateKey, LOG_LEVEL: "debug" },
  );
  await host.waitForLog((l) => l.action === "tick" && l.status === "done", "the agent's first pass", 90_000);

  await node.rpc("evm_setAutomine", [false]);
  await node.rpc("evm_setIntervalMining", [BLOCK_MS]);
  console.log(`sending ${s.requests} requests over ${s.seconds} s...`);
  const inputs = [
    c.deployer.address,
    c.host.address,
    m.deployment.market,
    m.deployment.token,
    ...c.users.map((u) => u.address),
  ];
  const load = await sendLoad({
    provider: node.provider,
    market: m.deployment.market,
    challengeId: m.challengeId,
    fee: FEE,
    users: c.users,
    requests: s.requests,
    durationMs: s.seconds * 1_000,
    inputs,
    gasLimit: m.requestGas,
  });

  // Every request is mined in the next block or two; then the agent has DRAIN_MS to answer them all.
  const contract = m.market.contract;
  const expected = s.requests * s.modelers;
  const cutAt = Date.now() + DRAIN_MS;
  let answered = 0;
  while (Date.now() < cutAt && !host.exit) {
    answered = (await contract.queryFilter(contract.filters.RequestAnswered(), m.deployment.startBlock)).length;
    if (answered >= expected) break;
    await new Promise((r) => setTimeout(r, BLOCK_MS));
  }
  const exit = await host.stop(30_000);
  if (exit.code !== 0) throw new Error(`the host agent exited with ${JSON.stringify(exit)}\n${host.output()}`);

  const made = (await contract.queryFilter(contract.filters.RequestMade(), m.deployment.startBlock)).map((l) => ({
    requestId: l.args.requestId,
    block: l.blockNumber,
  }));
  if (made.length !== load.hashes.length) throw new Error(`${load.hashes.length} requests sent, ${made.length} mined`);
  const answers = (await contract.queryFilter(contract.filters.RequestAnswered(), m.deployment.startBlock)).map(
    (l) => ({
      requestId: l.args.requestId,
      block: l.blockNumber,
      txHash: l.transactionHash,
    }),
  );
  const provider = node.provider;
  const f = await figures(made, answers, s.modelers, async (b) => (await provider.getBlock(b))!.timestamp);
  const log = agentLog(host);
  printTable(s, f, log);

  writeReport({
    mode: "steady",
    answersPerSecond: f.answersPerSecond,
    p50Blocks: f.p50Blocks ?? null,
    p95Blocks: f.p95Blocks ?? null,
  });
  if (f.answers < f.expected)
    console.log(`${f.expected - f.answers} answers missing after ${DRAIN_MS / 1000} s of draining`);
  const met =
    f.answers === f.expected &&
    f.answersPerSecond >= AIM.answersPerSecond &&
    (f.p95Blocks ?? Infinity) <= AIM.p95Blocks;
  console.log(met ? "aims met" : "aims NOT met");
}

function printOverload(r: OverloadResult) {
  const cell = (v: number | undefined) => (v === undefined ? "-" : Number.isFinite(v) ? String(v) : "never");
  console.log("\nhost agent under overload (1 s blocks): answers per second sustained, p95 delay in blocks");
  console.log("  requests/s  offered  plain script  p95  host agent  p95");
  r.agent.steps.forEach((a, i) => {
    const p = r.ceiling.steps[i];
    console.log(
      `  ${String(a.rate).padStart(10)}  ${String(a.offered).padStart(7)}  ${String(p.answersPerSecond).padStart(12)}  ${cell(p.p95Blocks).padStart(3)}  ${String(a.answersPerSecond).padStart(10)}  ${cell(a.p95Blocks).padStart(3)}`,
    );
  });
  const kneeOf = (f: OverloadResult["agent"]) => (f.knee === null ? "none" : `${f.steps[f.knee].rate} requests/s`);
  console.log(`  ceiling (plain script)  ${r.ceiling.maxAnswersPerSecond} answers/s, knee ${kneeOf(r.ceiling)}`);
  console.log(`  host agent              ${r.agent.maxAnswersPerSecond} answers/s, knee ${kneeOf(r.agent)}`);
  console.log(`  ratio                   ${r.ratio} (aim >= ${AIM.ceilingRatio})`);
  console.log(`  agent p95 below knee    ${cell(r.agentP95BelowKnee ?? undefined)} blocks (aim <= ${AIM.p95Blocks})`);
}

/** The overload mode: the node's ceiling and the agent's sustained rate over one ramp, with the plot. */
async function overloaded(node: Node, spot: DeploySpot, s: OverloadSettings) {
  const r = await overload(node, spot, s);
  printOverload(r);
  const report = { mode: "overload", settings: s, ...r };
  writeReport(report);
  const png = join(ROOT, "reports", "agent-overload.png");
  await writePng(
    chartSvg(
      [
        { name: "plain answerBatch script (node's ceiling)", color: "#1f77b4", steps: r.ceiling.steps },
        { name: "host agent", color: "#d62728", steps: r.agent.steps },
      ],
      AIM.p95Blocks,
    ),
    png,
  );
  console.log(`wrote ${png}`);
  const met = r.ratio >= AIM.ceilingRatio && (r.agentP95BelowKnee ?? Infinity) <= AIM.p95Blocks;
  console.log(met ? "aims met" : "aims NOT met");
}

function writeReport(report: object) {
  mkdirSync(join(ROOT, "reports"), { recursive: true });
  const path = join(ROOT, "reports", "agent.json");
  writeFileSync(path, `${JSON.stringify(report, (_, v) => (v === Infinity ? null : v), 2)}\n`);
  console.log(`\nwrote ${path}`);
}

async function main(): Promise<number> {
  const s = settings(process.argv.slice(2));
  const spot = new DeploySpot();
  let node: Node | undefined;
  try {
    console.log("starting hardhat node and deploying...");
    node = await Node.start();
    if (s.overload) await overloaded(node, spot, s.overload);
    else await steady(node, spot, s);
    return 0;
  } finally {
    await stopAll();
    await node?.stop();
    spot.remove();
  }
}

runBench(main);
