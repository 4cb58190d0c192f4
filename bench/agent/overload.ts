import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, daemon, freePort, type DeploySpot, type Node, type Proc } from "../../test/e2e/harness";
import { Market } from "../../sdk/market";
import { PlainAnswerer } from "./plain";
import { BenchProvider } from "./provider";
import { sendStep, type SentStep } from "./ramp";
import { cast, prepare, type Market1, type Team } from "./setup";
import { knee, stepFigures, type StepFigures } from "./stats";

export interface OverloadSettings {
  /** Requests per second of each step, in order; the ramp stops after the step where both answerers fell behind. */
  rates: number[];
  stepSeconds: number;
  users: number;
  modelers: number;
  batchSize: number;
  pollMs: number;
}

export interface RunFigures {
  steps: StepFigures[];
  /** The highest answer rate sustained in any step. */
  maxAnswersPerSecond: number;
  /** Index of the first step that fell below 90% of its offered rate; null when none did. */
  knee: number | null;
}

export interface OverloadResult {
  ceiling: RunFigures;
  agent: RunFigures;
  ratio: number;
  /** The worst p95 delay of the agent's steps below its knee, in blocks. */
  agentP95BelowKnee: number | null;
}

const BLOCK_MS = 1_000;
/** Blocks at the start of a step left out of its rate, while the answerer picks up the new load. */
const WARM_BLOCKS = 3;
/** After a step, how long its answerer has to catch up before the next step starts anyway. */
const DRAIN_MS = 90_000;

interface Run {
  name: string;
  challengeId: bigint;
  steps: StepFigures[];
}

/**
 * The overload mode. Two challenges with a team of modelers each: the plain script answers the first (the
 * node's own ceiling for answers), one host agent process the second. Each rate of the ramp is sent to the
 * plain script's challenge, then, once those answers are in, to the agent's: the two meet the same node, the
 * same block space and the same requests a minute apart, so the ratio compares the answerers, not the hour.
 */
export async function overload(node: Node, spot: DeploySpot, s: OverloadSettings): Promise<OverloadResult> {
  const c = cast(s.modelers, s.users, true);
  const m = await prepare(node, spot, c);
  const agent = await startAgent(node, spot, m.rivalChallengeId!, c.rival!, s);
  await node.rpc("evm_setAutomine", [false]);
  await node.rpc("evm_setIntervalMining", [BLOCK_MS]);
  const provider = new BenchProvider(node.url);
  const plain = new PlainAnswerer(provider, m.deployment.market, c.host, m.challengeId, s.modelers);
  plain.start(await provider.getBlockNumber());

  const runs: Run[] = [
    { name: "plain script", challengeId: m.challengeId, steps: [] },
    { name: "host agent", challengeId: m.rivalChallengeId!, steps: [] },
  ];
  try {
    for (const rate of s.rates) {
      for (const run of runs) {
        const sent = await sendStep(provider, m, c, run.challengeId, rate, s.stepSeconds);
        const f = await settle(provider, m, sent, s.modelers);
        run.steps.push(f);
        console.log(
          `  ${run.name.padEnd(12)} ${String(rate).padStart(4)} requests/s: ${f.answersPerSecond} answers/s of ${f.offered}, p95 ${f.p95Blocks} blocks` +
            (sent.sendSeconds > s.stepSeconds * 1.1 ? ` (sending took ${sent.sendSeconds.toFixed(1)} s)` : ""),
        );
      }
      if (runs.every((r) => knee(r.steps) !== undefined)) break;
    }
  } finally {
    await plain.stop();
    const exit = await agent.stop(30_000);
    mkdirSync(join(ROOT, "reports"), { recursive: true });
    writeFileSync(join(ROOT, "reports", "agent-overload-host.log"), agent.output(Infinity));
    if (exit.code !== 0) throw new Error(`the host agent exited with ${JSON.stringify(exit)}\n${agent.output()}`);
  }
  const [ceiling, agentRun] = runs.map(summarize);
  const below = agentRun.knee ?? agentRun.steps.length;
  const delays = agentRun.steps.slice(0, below).map((x) => x.p95Blocks ?? Infinity);
  return {
    ceiling,
    agent: agentRun,
    ratio: Math.round((agentRun.maxAnswersPerSecond / ceiling.maxAnswersPerSecond) * 1000) / 1000,
    agentP95BelowKnee: delays.length ? Math.max(...delays) : null,
  };
}

function summarize(run: Run): RunFigures {
  return {
    steps: run.steps,
    maxAnswersPerSecond: Math.max(...run.steps.map((x) => x.answersPerSecond)),
    knee: knee(run.steps) ?? null,
  };
}

/** One `daemons/host.ts` process answering for `team` on `challengeId`, tuned for one-second blocks. */
async function startAgent(
  node: Node,
  spot: DeploySpot,
  challengeId: bigint,
  team: Team,
  s: OverloadSettings,
): Promise<Proc> {
  const port = await freePort();
  const host = daemon(
    "host",
    [
      ...["--deployment", spot.file, "--model", "models/credit-score.ts"],
      ...["--batch-size", String(s.batchSize), "--poll-ms", String(s.pollMs)],
      ...["--modelers", team.modelers.map((x) => `${challengeId}:${x.address}`).join(",")],
    ],
    // The same tip as the users' requests and the plain script: no answerer buys its way ahead.
    // RPC_CONCURRENCY: a local node has no rate limit (the default, 8, suits a provider's). Warnings only: a
    // line per answer through a pipe to this busy process would hold the agent up on its writes, which a
    // journal never does. It is ready when its /healthz says so.
    {
      RPC_URL: node.url,
      HOST_KEY: team.host.privateKey,
      PRIORITY_FEE_GWEI: "1",
      RPC_CONCURRENCY: "32",
      LOG_LEVEL: "warn",
      METRICS_PORT: String(port),
    },
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return host;
    if (host.exit || Date.now() > deadline) throw new Error(`the host agent did not get ready\n${host.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until every answer the step calls for is mined (or DRAIN_MS), then reads the step's figures. */
async function settle(provider: BenchProvider, m: Market1, step: SentStep, modelers: number): Promise<StepFigures> {
  const market = Market.connect(m.deployment.market, provider);
  const contract = market.contract;
  const answered = () =>
    contract.queryFilter(contract.filters.RequestAnswered(undefined, step.challengeId), step.fromBlock + 1);
  const cutAt = Date.now() + DRAIN_MS;
  let answers = await answered();
  while (answers.length < step.sent * modelers && Date.now() < cutAt) {
    await new Promise((r) => setTimeout(r, BLOCK_MS));
    answers = await answered();
  }
  const made = await market.requestsMade({ fromBlock: step.fromBlock + 1, challengeId: step.challengeId });
  const times = new Map<number, number>();
  const timeOf = async (b: number) => {
    if (!times.has(b)) times.set(b, (await provider.getBlock(b))!.timestamp);
    return times.get(b)!;
  };
  return stepFigures(
    step,
    made.map((r) => ({ requestId: r.requestId, block: r.blockNumber })),
    answers.map((a) => ({ requestId: a.args.requestId, block: a.blockNumber, txHash: a.transactionHash })),
    modelers,
    WARM_BLOCKS,
    timeOf,
  );
}
