import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MaxUint256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import LocalMarketModule from "../../ignition/modules/LocalMarket";
import { InferenceMarket__factory, TestToken__factory } from "../../typechain-types";
import { Market, type Settings } from "../../sdk/market";
import type { Deployment } from "../../sdk/deployment";
import { epochOf, isoOf, type TimeConfig } from "../../sdk/time";
import { Keeper, type KeeperReport } from "../../daemons/keeper/keeper";
import { HostAgent, type HostReport } from "../../daemons/host/agent";
import type { Model } from "../../daemons/host/model";
import * as creditScore from "../../models/credit-score";
import { slowModel } from "../../models/slow";
import { OFFLINE, SLOW, castOf, leaderboardDoc, type Cast, type Modeler } from "./cast";
import { ChainClock } from "./clock";
import { calendarFrom, planBursts, REJECTED, SLOW_DELAY_S, type Burst, type Calendar } from "./plan";
import { readLedger, type Ledger } from "./ledger";
import { keptLogger, missed, ERROR, type LogLine } from "./logs";
import { audit, type Audit } from "./checks";

export const FEE = 10n ** 18n;
const USER_FUNDS = 1_000n * FEE;

export type HostKind = "credit-score" | "slow" | "offline";

export interface DemoResult {
  calendar: Calendar;
  time: TimeConfig;
  settings: Settings;
  challengeId: bigint;
  market: string;
  token: { address: string; symbol: string; decimals: number };
  startBlock: number;
  parties: { creator: string; admin: string; treasury: string; keeper: string };
  users: string[];
  /** Every modeler of the leaderboard; `host` and `kind` for those that registered in week one. */
  modelers: { name: string; address: string; host?: string; kind?: HostKind; pointsOnChain: bigint }[];
  ledger: Ledger;
  /** Requests a host left unanswered for lack of time, from the host agents' logs. */
  missed: { requestId: bigint; modeler: string; reason: string }[];
  /** The input of the burst of requests that no model accepts. */
  rejectedInput: string;
  keeper: { promoted: bigint[]; refunded: bigint[]; evicted: string[] };
  /** Who sent the transaction that finalized E1. */
  finalizedBy?: string;
  daemonErrors: LogLine[];
  marketBalance: bigint;
  timeline: { at: bigint; what: string }[];
  audit: Audit;
}

export interface ScenarioOptions {
  /** Once the market is deployed, before anything else happens on it. */
  onDeployed?(deployment: Deployment): void;
  /** The number of steps, once the plan is known. */
  onPlan?(steps: number): void;
  /** After each step, with its chain time. */
  onStep?(at: bigint, label: string): void;
}

interface Step {
  at: bigint;
  label: string;
  run(): Promise<void>;
}

/**
 * Plays the demo's two weeks on `hre`'s network (the in-process one, or a node that passed `checkOwnClock`)
 * with the SDK, the keeper and the host agents, then reads the market's events back and audits them. The
 * caller owns the network: the run moves its clock about three weeks forward.
 */
export async function runScenario(hre: HardhatRuntimeEnvironment, options: ScenarioOptions = {}): Promise<DemoResult> {
  const cast = await castOf(hre);
  const provider = hre.ethers.provider;
  const timeline: DemoResult["timeline"] = [];
  const now = async () => BigInt((await provider.getBlock("latest"))!.timestamp);
  const note = async (what: string) => void timeline.push({ at: await now(), what });

  // ------------------------------------------------------------------ deployment (through Ignition, as scripts/deploy.ts)
  const startBlock = (await provider.getBlockNumber()) + 1;
  // Off the in-process network Ignition keeps a journal, which would make a later run on the same node reuse
  // this market: each run deploys under an id of its own and drops the journal once deployed.
  const deploymentId = hre.network.name === "hardhat" ? undefined : `demo-${process.pid}-${Date.now()}`;
  let deployed;
  try {
    deployed = await hre.ignition.deploy(LocalMarketModule, {
      parameters: { LocalMarket: { admin: cast.operator.address, treasury: cast.treasury.address } },
      deploymentId,
    });
  } finally {
    if (deploymentId)
      rmSync(join(hre.config.paths.ignition, "deployments", deploymentId), { recursive: true, force: true });
  }
  const marketAddress = await deployed.market.getAddress();
  if (options.onDeployed) {
    let marketBlock = startBlock;
    while ((await provider.getCode(marketAddress, marketBlock)) === "0x") marketBlock++;
    options.onDeployed({
      network: hre.network.name,
      chainId: Number((await provider.getNetwork()).chainId),
      market: marketAddress,
      token: await deployed.token.getAddress(),
      startBlock: marketBlock,
      deployedAt: isoOf(BigInt((await provider.getBlock(marketBlock))!.timestamp)),
    });
  }
  const contract = InferenceMarket__factory.connect(marketAddress, cast.operator);
  const token = TestToken__factory.connect(await deployed.token.getAddress(), cast.operator);
  const market = Market.connect(marketAddress, cast.operator);
  /** The market as `signer` sends to it. */
  const as = (signer: HardhatEthersSigner) => Market.connect(marketAddress, signer);
  const settings = await market.settings();
  const time = await market.timeConfig();
  const { symbol } = await market.token();
  await note(`market ${marketAddress} and test token ${symbol} deployed (Ignition module LocalMarket)`);

  await (await contract.grantRole(await contract.CHALLENGE_MANAGER_ROLE(), cast.operator.address)).wait();
  await (await contract.grantRole(await contract.KEEPER_ROLE(), cast.keeper.address)).wait();
  const { challengeId } = await market.createChallenge(
    cast.creator.address,
    cast.challengeAdmin.address,
    FEE,
    "wallet credit score",
  );
  await note(`challenge ${challengeId} "wallet credit score" created, fee 1 ${symbol} per request`);
  for (const user of cast.users) {
    await (await token.mint(user.address, USER_FUNDS)).wait();
    await (await token.connect(user).approve(marketAddress, MaxUint256)).wait();
  }
  await note(`${cast.users.length} users funded with 1000 ${symbol} each`);

  const calendar = calendarFrom(time, await now());
  const boardDir = mkdtempSync(join(tmpdir(), "demo-leaderboard-"));
  const boardPath = join(boardDir, `challenge-${challengeId}.json`);
  const publish = (week: "week1" | "week2") =>
    writeFileSync(boardPath, JSON.stringify(leaderboardDoc(challengeId, cast.modelers, week), null, 2));
  publish("week1");

  // ------------------------------------------------------------------ daemons
  const keeperLog = keptLogger("keeper");
  const keeper = new Keeper({
    signer: cast.keeper,
    market: marketAddress,
    leaderboards: [{ challengeId, source: boardPath }],
    log: keeperLog.log,
    fromBlock: startBlock,
  });
  const keeperRuns: KeeperReport[] = [];
  const keeperTick = async () => {
    const report = await keeper.tick();
    keeperRuns.push(report);
    return report;
  };
  const hosts: { modeler: Modeler; host: string; kind: HostKind; agent?: HostAgent; lines: LogLine[] }[] = [];
  const byAddress = new Map(cast.modelers.map((m) => [m.address, m]));
  const nameOf = (address: string) => byAddress.get(address)?.name ?? address;

  const steps: Step[] = [];
  const step = (at: bigint, label: string, run: () => Promise<void>) => steps.push({ at, label, run });

  // ------------------------------------------------------------------ week one: promotion and opt-in
  step(calendar.keeperEarly, "keeper waits for the window", async () => {
    await clock.at(calendar.keeperEarly);
    const r = await keeperTick();
    await note(`keeper pass: nothing to promote before the window (next work at ${isoOf(r.nextAt)})`);
  });
  step(calendar.promote1, "keeper promotes list 1", async () => {
    await clock.at(calendar.promote1);
    await keeperTick();
    const [, modelers] = await contract.list(challengeId, 1);
    await note(`keeper promoted list 1 in the Monday 23:59 window: ${modelers.map(nameOf).join(", ")}`);
  });
  step(calendar.register1, "listed modelers register", async () => {
    await clock.nextBlockAt(calendar.register1);
    const [, listed] = await contract.list(challengeId, 1);
    for (const [i, address] of listed.entries()) {
      const modeler = byAddress.get(address)!;
      const host = cast.hosts[i];
      await as(modeler.signer).register(challengeId, host.address);
      const kind: HostKind = modeler.name === OFFLINE ? "offline" : modeler.name === SLOW ? "slow" : "credit-score";
      const { log, lines } = keptLogger(`host-${modeler.name}`);
      const model: Model = kind === "slow" ? slowModel(Number(SLOW_DELAY_S) * 1000) : creditScore;
      // Each host serves the one modeler its operator chose. The slow host's operator lets its model run as
      // long as the deadline allows (less the margin); the others keep the default budget of 60 s.
      const agent =
        kind === "offline"
          ? undefined
          : new HostAgent({
              signer: host,
              market: marketAddress,
              model,
              log,
              modelers: [{ challengeId, modeler: modeler.address }],
              fromBlock: startBlock,
              sleep: clock.sleep,
              modelTimeoutS: kind === "slow" ? Number(time.sla) : undefined,
            });
      hosts.push({ modeler, host: host.address, kind, agent, lines });
    }
    await note(
      `the ${listed.length} listed modelers registered, each naming its host; ${OFFLINE}'s host stays offline, ${SLOW}'s runs the slow model (${SLOW_DELAY_S} s a request)`,
    );
  });
  step(calendar.e1Start, "list 1 serves", async () => {
    await clock.at(calendar.e1Start);
    const active = await market.activeList(challengeId);
    await note(`epoch ${calendar.e1} starts: list ${active.listId} serves (${active.members.length} modelers)`);
  });

  // ------------------------------------------------------------------ week one: requests, answers, the outage
  let timeoutNoted = false;
  const subjects = [...cast.users, ...cast.modelers.map((m) => m.signer), ...cast.hosts].map((s) => s.address);
  subjects.push(marketAddress, await token.getAddress());
  const bursts = planBursts(calendar.e1Start, cast.users.length, subjects.length);
  const runBurst = async (burst: Burst) => {
    for (const r of burst.requests) {
      await clock.nextBlockAt(r.at);
      await as(cast.users[r.user]).request(challengeId, burst.input ?? subjects[r.subject], { maxFee: FEE });
    }
    if (!burst.hostsUp) {
      await note(`every host is down: ${burst.requests.length} requests get no answer`);
      const sweepAt = burst.requests[burst.requests.length - 1].at + time.sla + 1n;
      await clock.at(sweepAt);
      const r = await keeperTick();
      await note(`keeper's sweep refunded ${r.refunded.length} expired requests`);
      return;
    }
    await clock.at(burst.answerAt);
    const honest: HostReport[] = [];
    for (const h of hosts) if (h.agent && h.kind !== "slow") honest.push(await h.agent.tick());
    await clock.at(burst.slowAt);
    const slow: HostReport[] = [];
    for (const h of hosts) if (h.agent && h.kind === "slow") slow.push(await h.agent.tick());
    const count = (reports: HostReport[], code?: string) =>
      reports.reduce(
        (n, r) => n + (code === undefined ? r.answered.length : r.errors.filter((e) => e.code === code).length),
        0,
      );
    const timeouts = count(slow, "timeout");
    if (burst.input !== undefined) {
      await note(
        `${burst.requests.length} requests asked about "${burst.input}": the ${honest.length} honest hosts answered ${count(honest, "invalid-input")} times "error: invalid-input: …"; ` +
          `${SLOW}'s host ${count(slow, "invalid-input")} times the same, ${timeouts} times "error: timeout: …"`,
      );
    } else if (timeouts > 0 && !timeoutNoted) {
      timeoutNoted = true;
      await note(
        `${SLOW}'s model needs ${SLOW_DELAY_S} s: where less is left before a deadline, its host answers "error: timeout: …" in time (${timeouts} in this burst)`,
      );
    }
    const last = burst.requests[burst.requests.length - 1].at;
    if (epochOf(time, burst.answerAt) > epochOf(time, last)) {
      await note(
        `requests made until ${isoOf(last)} were answered after midnight: they count in epoch ${epochOf(time, last)}, their reward epoch`,
      );
    }
  };
  for (const burst of bursts) {
    const first = burst.requests[0].at;
    const label =
      burst.input !== undefined
        ? `${burst.requests.length} rejected inputs`
        : burst.hostsUp
          ? `${burst.requests.length} requests, answered`
          : `${burst.requests.length} requests, hosts down`;
    step(first, label, () => runBurst(burst));
  }
  step(calendar.promote2, "keeper promotes list 2", async () => {
    publish("week2");
    await clock.at(calendar.promote2);
    await keeperTick();
    const [[, one], [, two]] = await Promise.all([contract.list(challengeId, 1), contract.list(challengeId, 2)]);
    const joined = two.filter((m) => !one.includes(m)).map(nameOf);
    const left = one.filter((m) => !two.includes(m)).map(nameOf);
    await note(
      `keeper promoted list 2 for week two from the new leaderboard: ${joined.join(", ")} in, ${left.join(", ")} out`,
    );
  });
  step(calendar.register2, "week two's newcomer registers", async () => {
    await clock.nextBlockAt(calendar.register2);
    const [, one] = await contract.list(challengeId, 1);
    const [, two] = await contract.list(challengeId, 2);
    const newcomers = two.filter((m) => !one.includes(m)).map((m) => byAddress.get(m)!);
    for (const [i, m] of newcomers.entries())
      await as(m.signer).register(challengeId, cast.hosts[one.length + i].address);
    await note(`${newcomers.map((m) => m.name).join(", ")} registered for week two`);
  });

  // ------------------------------------------------------------------ the epoch's end, eviction, finalization, claims
  step(calendar.e1Final, "keeper evicts", async () => {
    await clock.at(calendar.e1Final);
    const r = await keeperTick();
    const figures = await contract.epochFigures(challengeId, calendar.e1);
    await note(
      `epoch ${calendar.e1} is final: ${figures.answeredRequests} answered requests; keeper evicted ${r.evicted.map((e) => nameOf(e.modeler)).join(", ") || "nobody"}` +
        (figures.finalized ? " and finalized the epoch" : ""),
    );
  });
  step(calendar.claims, "everybody claims", async () => {
    await clock.at(calendar.claims);
    await keeperTick();
    let claims = 0;
    for (const m of cast.modelers) {
      const [c] = await market.claimable(challengeId, m.address, [calendar.e1]);
      if (c.amount === 0n) continue;
      await as(m.signer).claimRewards(challengeId, m.address, [calendar.e1]);
      claims++;
    }
    const payees = { creator: cast.creator, admin: cast.challengeAdmin, platform: cast.treasury } as const;
    for (const [kind, signer] of Object.entries(payees) as [
      keyof typeof payees,
      (typeof payees)[keyof typeof payees],
    ][]) {
      await as(signer).claimFees(challengeId, kind, [calendar.e1]);
    }
    await note(
      `claims for epoch ${calendar.e1} open: ${claims} modelers claimed their rewards; creator, admin and platform their fees`,
    );
  });

  steps.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  options.onPlan?.(steps.length);
  // The steps' clock; it watches the provider's calls until disposed.
  const clock = new ChainClock(hre.network.provider);
  try {
    for (const s of steps) {
      await s.run();
      options.onStep?.(s.at, s.label);
    }
  } finally {
    clock.dispose();
    rmSync(boardDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ the record
  const ledger = await readLedger(contract, startBlock, time.sla);
  const finalization = ledger.finalized.find((f) => f.epoch === calendar.e1);
  const finalizer = finalization && (await provider.getTransaction(finalization.txHash))?.from;
  const who = new Map<string, string>([
    [cast.keeper.address, "the keeper"],
    ...cast.modelers.map((m) => [m.address, `${m.name}'s claim`] as [string, string]),
    [cast.creator.address, "the creator's claim"],
    [cast.challengeAdmin.address, "the admin's claim"],
    [cast.treasury.address, "the platform's claim"],
  ]);
  const listed = new Map(hosts.map((h) => [h.modeler.address, h]));
  const result: Omit<DemoResult, "audit"> = {
    calendar,
    time,
    settings,
    challengeId,
    market: marketAddress,
    token: { address: await token.getAddress(), symbol, decimals: Number(await token.decimals()) },
    startBlock,
    parties: {
      creator: cast.creator.address,
      admin: cast.challengeAdmin.address,
      treasury: cast.treasury.address,
      keeper: cast.keeper.address,
    },
    users: cast.users.map((u) => u.address),
    modelers: await Promise.all(
      cast.modelers.map(async (m) => ({
        name: m.name,
        address: m.address,
        host: listed.get(m.address)?.host,
        kind: listed.get(m.address)?.kind,
        pointsOnChain: await contract.pointsOf(challengeId, m.address, calendar.e1),
      })),
    ),
    ledger,
    missed: hosts.flatMap((h) => missed(h.lines)),
    rejectedInput: REJECTED.input,
    keeper: {
      promoted: keeperRuns.flatMap((r) => (r.promoted.length > 0 ? [r.epoch] : [])),
      refunded: keeperRuns.flatMap((r) => r.refunded),
      evicted: keeperRuns.flatMap((r) => r.evicted.map((e) => e.modeler)),
    },
    finalizedBy: finalizer && (who.get(finalizer) ?? finalizer),
    daemonErrors: [keeperLog.lines, ...hosts.map((h) => h.lines)].flat().filter((l) => l.level >= ERROR),
    marketBalance: await token.balanceOf(marketAddress),
    timeline,
  };
  return { ...result, audit: audit(result, { offline: byName(cast, OFFLINE), slow: byName(cast, SLOW) }) };
}

function byName(cast: Cast, name: string): string {
  const m = cast.modelers.find((x) => x.name === name);
  if (!m) throw new Error(`no modeler named ${name} in scripts/demo/leaderboard.json`);
  return m.address;
}
