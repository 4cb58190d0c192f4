/*
 * The whole system as its users run it, each part a process: `hardhat node`, the deploy script, the keeper
 * and host agent daemons, and the `request` CLI task. One chain carries the story, so the steps run in
 * order and a failed step skips the rest.
 */
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NonceManager, parseUnits, type HDNodeWallet } from "ethers";
import {
  Market,
  activationEpoch,
  decodeText,
  epochOf,
  isoOf,
  readDeployment,
  startOf,
  windowStart,
  type Deployment,
  type MadeRequest,
  type TimeConfig,
} from "../../sdk";
import { TestToken__factory } from "../../typechain-types";
import { leaderboardHash, parseLeaderboard } from "../../daemons/keeper/leaderboard";
import * as creditScore from "../../models/credit-score";
import {
  DeploySpot,
  Node,
  account,
  daemon,
  hardhat,
  liveChildren,
  run,
  stopAll,
  type LogLine,
  type Proc,
} from "./harness";

/** Who is who among the node's accounts. */
const DEPLOYER = account(0);
const KEEPER = account(1);
const HOST = account(2);
/** Listed and opted in with HOST; MISSING is listed first but never opts in. */
const MODELERS = [account(3), account(4), account(5)];
const MISSING = account(11);
const USERS = [account(6), account(7), account(8), account(9)];
const FEE = parseUnits("1", 18);

/** The four leaderboard entries; the keeper ranks them MISSING, then MODELERS in order. */
const LEADERBOARD = {
  challengeId: "1",
  entries: [
    { modeler: MODELERS[1].address, score: 0.8 },
    { modeler: MISSING.address, score: 0.95 },
    { modeler: MODELERS[0].address, score: 0.9 },
    { modeler: MODELERS[2].address, score: 0.7 },
  ],
};
const LISTED = [MISSING, ...MODELERS].map((w) => w.address);
/** The list positions HOST answers for. */
const HOSTED = [1, 2, 3];

/**
 * Log statuses a host must never print: an answer found already made, a rejected or failed transaction.
 * An RPC retry ("retrying") is not one of them: it is how the daemon rides out a node's hiccup.
 */
const TROUBLE = new Set(["already", "reverted", "failed"]);

describe("e2e: node, deploy script, daemons and CLI as processes", function () {
  let node: Node;
  let spot: DeploySpot;
  let deployment: Deployment;
  let market: Market;
  let time: TimeConfig;
  let leaderboardFile: string;
  let keeper: Proc;
  let host: Proc;
  let broken = false;
  const timings: string[] = [];

  const signers = new Map<string, NonceManager>();
  // Debug logs: the tests follow the daemons pass by pass ("pass done" is a debug line).
  const rpcEnv = () => ({ RPC_URL: node.url, LOG_LEVEL: "debug" });
  /** One signer per account for the whole run: ethers caches nonce reads for 250 ms, a NonceManager counts them. */
  const signer = (w: HDNodeWallet) => {
    if (!signers.has(w.address)) signers.set(w.address, new NonceManager(w.connect(node.provider)));
    return signers.get(w.address)!;
  };
  const as = (w: HDNodeWallet) => Market.connect(deployment.market, signer(w));
  const keeperArgs = () => ["--deployment", spot.file, "--leaderboard", `1=${leaderboardFile}`, "--poll-ms", "250"];
  const startKeeper = () => daemon("keeper", keeperArgs(), { ...rpcEnv(), KEEPER_KEY: KEEPER.privateKey });
  /** The host serves the three modelers that name it in challenge 1, as its operator lists them. */
  const served = MODELERS.map((m) => `1:${m.address}`).join(",");
  const startHost = (model: string, extra: string[] = [], env: Record<string, string> = {}) =>
    daemon("host", ["--deployment", spot.file, "--model", model, "--modelers", served, "--poll-ms", "200", ...extra], {
      ...rpcEnv(),
      HOST_KEY: HOST.privateKey,
      ...env,
    });
  const firstPass = (p: Proc) =>
    p.waitForLog((l) => l.action === "tick" && l.status === "done", "a first pass", 60_000);

  /** Every RequestAnswered of the market so far, as `requestId/modeler` with its output and block. */
  async function answersOnChain() {
    const logs = await market.contract.queryFilter(market.contract.filters.RequestAnswered(), deployment.startBlock);
    return logs.map((l) => ({ key: `${l.args.requestId}/${l.args.modeler}`, text: decodeText(l.args.output), log: l }));
  }

  /** The credit score of a request's input, read at the request's block as every host must. */
  async function expectedScore(r: MadeRequest): Promise<string> {
    const ctx = {
      provider: node.provider,
      blockTag: r.blockNumber,
      requestId: r.requestId,
      challengeId: 1n,
      sleep: async () => {},
    };
    return creditScore.postprocess(creditScore.predict(await creditScore.preprocess(decodeText(r.input), ctx)));
  }

  async function request(user: number, input: string): Promise<MadeRequest> {
    return as(USERS[user]).request(1n, input);
  }

  before(async function () {
    this.timeout(180_000);
    const t0 = Date.now();
    spot = new DeploySpot();
    node = await Node.start();
    timings.push(`node ${Date.now() - t0} ms`);
    const deployed = await run("npm run deploy", "npm", ["run", "--silent", "deploy", "--", "--network", "localhost"], {
      ...rpcEnv(),
      KEEPER_ADDRESS: KEEPER.address,
      ...spot.env(),
    });
    timings.push(`deploy ${deployed.ms} ms`);
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).to.equal(0);
    deployment = readDeployment(spot.file);
    expect(deployed.stdout).to.include(`market    ${deployment.market}`);
    expect(deployed.stdout).to.include(`granted   KEEPER_ROLE -> ${KEEPER.address}`);

    // The operator's and modelers' part, through the SDK: the CLI's own path is the user's request below.
    market = as(DEPLOYER);
    time = await market.timeConfig();
    expect(
      (await market.createChallenge(DEPLOYER.address, DEPLOYER.address, FEE, "wallet credit score")).challengeId,
    ).to.equal(1n);
    await Promise.all(MODELERS.map((m) => as(m).register(1n, HOST.address)));
    const token = TestToken__factory.connect(deployment.token, signer(DEPLOYER));
    for (const u of USERS) await (await token.mint(u.address, 100n * FEE)).wait();

    leaderboardFile = join(spot.dir, "leaderboard.json");
    writeFileSync(leaderboardFile, JSON.stringify(LEADERBOARD));
    // Both daemons start now and get ready while the story goes on.
    keeper = startKeeper();
    host = startHost("models/credit-score.ts");
  });

  beforeEach(function () {
    if (broken) this.skip();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") broken = true;
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await stopAll();
      await node?.stop();
    } finally {
      spot?.remove();
    }
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    if (process.env.E2E_TIMINGS === "1") console.log(`      ${timings.join(", ")}`);
  });

  it("starts on 2026-11-20, before the first promotion window (Monday 2026-11-23 23:59 UTC)", async () => {
    const now = await node.latestTimestamp();
    const epoch = epochOf(time, now);
    expect(isoOf(now).slice(0, 10)).to.equal("2026-11-20");
    expect(isoOf(windowStart(time, epoch))).to.equal("2026-11-23T23:59:00Z");
    expect(isoOf(startOf(time, activationEpoch(time, epoch)))).to.equal("2026-11-26T00:00:00Z");
  });

  it("keeper: promotes the leaderboard once inside the window, even when killed there with SIGKILL and restarted", async function () {
    this.timeout(120_000);
    const t0 = Date.now();
    const epoch = epochOf(time, await node.latestTimestamp());
    const opens = windowStart(time, epoch);
    const before = await firstPass(keeper);
    expect(before.promoted).to.deep.equal([]);
    expect(before.nextAt).to.equal(opens.toString());

    await node.mineAt(opens);
    const sent = await keeper.waitForLog((l) => l.action === "promote" && l.status === "sent", "a promotion");
    await keeper.kill();
    keeper = startKeeper();
    const again = await keeper.waitForLog(
      (l) => l.action === "promote",
      "the restarted keeper's promotion check",
      60_000,
    );
    timings.push(`keeper kill and restart ${Date.now() - t0} ms`);

    expect(again).to.include({ status: "already", challengeId: "1", epoch: epoch.toString(), listId: "1" });
    const promoted = await market.contract.queryFilter(market.contract.filters.ListPromoted(), deployment.startBlock);
    expect(promoted).to.have.length(1);
    const [p] = promoted;
    expect(p.transactionHash).to.equal(sent.txHash);
    expect(p.args.challengeId).to.equal(1n);
    expect(p.args.listId).to.equal(1n);
    expect(p.args.epoch).to.equal(epoch);
    expect(p.args.activationEpoch).to.equal(epoch + 1n);
    expect([...p.args.modelers]).to.deep.equal(LISTED);
    expect(p.args.leaderboardHash).to.equal(
      leaderboardHash(parseLeaderboard(JSON.parse(readFileSync(leaderboardFile, "utf8")), "e2e")),
    );
    const block = await node.provider.getBlock(p.blockNumber);
    expect(BigInt(block!.timestamp) >= opens).to.equal(true);
  });

  it("user: `hardhat request` after activation prints every opted-in modeler's answer and their majority", async function () {
    this.timeout(120_000);
    await firstPass(host);
    const epoch = epochOf(time, await node.latestTimestamp());
    await node.mineAt(startOf(time, epoch + 1n));

    const input = DEPLOYER.address;
    const cli = await hardhat(
      [
        "request",
        "--network",
        "localhost",
        "--market",
        deployment.market,
        "--from",
        "6",
        "--challenge",
        "1",
        "--input",
        input,
        "--poll-ms",
        "200",
      ],
      rpcEnv(),
    );
    timings.push(`request CLI ${cli.ms} ms`);
    expect(cli.code, `${cli.stdout}\n${cli.stderr}`).to.equal(0);

    const [made] = await market.requestsMade({ fromBlock: deployment.startBlock, requester: USERS[0].address });
    expect(made.requestId).to.equal(1n);
    const score = await expectedScore(made);
    const lines = cli.stdout.split("\n");
    // At once: the request; then each answer as it lands; at the end the answers with their delays and the majority.
    expect(lines[0]).to.match(
      new RegExp(
        `^request 1 on challenge 1 \\(list 1\\) by ${USERS[0].address}: fee 1\\.0 tUSD, made .* \\(tx ${made.txHash}\\)$`,
      ),
    );
    expect(lines[1]).to.match(/^waiting for answers from 3 modelers until /);
    const landed = lines.filter((l) => l.startsWith("answer from ")).map((l) => l.replace(/ after \d+ s:/, ":"));
    expect(landed.sort()).to.deep.equal(MODELERS.map((m) => `answer from ${m.address}: ${score}`).sort());
    const summary = lines.indexOf("answers (3 of 3 expected):");
    expect(lines.slice(summary + 2).map((l) => l.replace(/\s+\d+ s\s+/, "  "))).to.deep.equal([
      ...MODELERS.map((m) => `  ${m.address}  ${score}`),
      `majority: ${score}`,
    ]);
    const answers = (await answersOnChain()).filter((a) => a.key.startsWith("1/"));
    expect(answers.map((a) => a.text)).to.deep.equal([score, score, score]);
    for (const a of answers) expect((await a.log.getTransaction()).from).to.equal(HOST.address);
  });

  it("host: killed with SIGKILL while requests are open, answers after a restart every request still in its SLA, none twice", async function () {
    this.timeout(120_000);
    const t0 = Date.now();
    expect(await host.stop()).to.deep.equal({ code: 0, signal: null });

    // X is made first; after 400 s a burst of six more. X's deadline passes while the host is down.
    const x = await request(1, deployment.token);
    await node.advance(400);
    const inputs = [
      DEPLOYER.address,
      HOST.address,
      deployment.market,
      USERS[3].address,
      MODELERS[0].address,
      deployment.token,
    ];
    const burst = (
      await Promise.all(
        [0, 1, 2].map(async (u) => [await request(u, inputs[2 * u]), await request(u, inputs[2 * u + 1])]),
      )
    ).flat();
    const all = [x, ...burst];

    // Two answers per transaction, one batch's models at a time and 1.5 s per model run: the host is killed just
    // after its first batch.
    host = startHost("models/slow.ts", ["--batch-size", "2", "--model-batches", "1"], { SLOW_MODEL_DELAY_MS: "1500" });
    await host.waitForLog((l) => l.action === "answerBatch" && l.status === "sent", "a first batch", 60_000);
    await host.kill();
    const killed = host;
    const answeredAtKill = new Set((await answersOnChain()).map((a) => a.key));
    const pairs = (r: MadeRequest) => MODELERS.map((m) => `${r.requestId}/${m.address}`);
    const xLeft = pairs(x).filter((k) => !answeredAtKill.has(k));
    expect(xLeft.length, "X still has modelers to answer when the host dies").to.be.greaterThan(0);

    await node.advance(300);
    const now = await node.latestTimestamp();
    expect(now > x.deadline).to.equal(true);
    for (const r of burst) expect(r.deadline > now).to.equal(true);

    host = startHost("models/credit-score.ts");
    const wanted = burst.flatMap(pairs);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const have = new Set((await answersOnChain()).map((a) => a.key));
      if (wanted.every((k) => have.has(k))) break;
      if (Date.now() > deadline || host.exit)
        throw new Error(`the restarted host did not answer everything\n${host.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // One more pass after the last answer: the restarted host must not try anything again.
    const passes = host.logsOf("tick", "done").length;
    await host.waitFor(() => (host.logsOf("tick", "done").length > passes ? true : undefined), "another pass");
    timings.push(`host kill and restart ${Date.now() - t0} ms`);

    const answers = await answersOnChain();
    const keys = answers.map((a) => a.key);
    expect(new Set(keys).size, "no modeler answered a request twice").to.equal(keys.length);
    expect(keys.filter((k) => k.startsWith(`${x.requestId}/`)).sort()).to.deep.equal(
      pairs(x)
        .filter((k) => answeredAtKill.has(k))
        .sort(),
    );
    for (const r of burst) {
      const score = await expectedScore(r);
      const mine = answers.filter((a) => a.key.startsWith(`${r.requestId}/`));
      expect(mine.map((a) => a.key).sort()).to.deep.equal(pairs(r).sort());
      expect(mine.map((a) => a.text)).to.deep.equal([score, score, score]);
      for (const a of mine) {
        const block = await node.provider.getBlock(a.log.blockNumber);
        expect(BigInt(block!.timestamp) <= r.deadline).to.equal(true);
      }
    }

    // The restarted host sent exactly what was missing, and neither host hit an answer already made.
    const modelerOf = new Map(MODELERS.map((m, i) => [String(HOSTED[i]), m.address]));
    const sentAfter = host.logsOf("answer", "sent").map((l) => `${l.requestId}/${modelerOf.get(String(l.index))}`);
    const missing = all.flatMap(pairs).filter((k) => !answeredAtKill.has(k) && !xLeft.includes(k));
    expect(sentAfter.sort()).to.deep.equal(missing.sort());
    for (const p of [killed, host]) {
      const trouble = p
        .logs()
        .filter((l: LogLine) => TROUBLE.has(String(l.status)) || JSON.stringify(l).includes("MarketAlreadyAnswered"));
      expect(trouble, p.name).to.deep.equal([]);
    }
    expect(host.logs().filter((l) => l.requestId === x.requestId.toString())).to.deep.equal([]);
    expect(all.map((r) => r.requestId).sort()).to.deep.equal([2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });

  it("SIGTERM stops the keeper and the host agent cleanly: exit code 0 after a last log line", async function () {
    this.timeout(30_000);
    for (const p of [keeper, host]) p.signal("SIGTERM");
    for (const p of [keeper, host]) {
      expect(await p.exited, p.output()).to.deep.equal({ code: 0, signal: null });
      // The pass in flight when the signal came may log its end between the two shutdown lines.
      const logs = p.logs();
      const stopping = logs.findIndex((l) => l.action === "shutdown" && l.status === "stopping");
      expect(logs[stopping]).to.include({ signal: "SIGTERM" });
      // So may the host's summary of the last minute.
      const between = logs.slice(stopping + 1, -1);
      expect(between.every((l) => (l.action === "tick" && l.status === "done") || l.action === "summary")).to.equal(
        true,
      );
      expect(logs.at(-1)).to.include({ action: "shutdown", status: "stopped" });
      expect(p.stderr.filter((l) => l.trim() !== "")).to.deep.equal([]);
      expect(p.groupAlive()).to.equal(false);
    }
  });
});
