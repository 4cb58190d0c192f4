/*
 * A crash in the middle of the backfill: a history of a few hundred answered requests on a real node, the
 * indexer started on a PGlite folder and killed with SIGKILL once /status shows indexed blocks while /ready still
 * answers 503, then started again on the same folder. Ponder commits the backfill block range by block range,
 * each with its checkpoint (`_ponder_checkpoint`); a start that finds its own build id in the schema's metadata
 * logs "Detected crash recovery", reverts what was written after the last safe checkpoint and goes on from there.
 * A build id that differs (other config, schema or handlers) is refused instead: "previously used by a different
 * Ponder app". The second start must index only what the first left, and end equal to the chain.
 */
import { expect } from "chai";
import { MaxUint256, NonceManager, id, parseUnits } from "ethers";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Market, startOf, windowStart, type Deployment, type MadeRequest } from "../../sdk";
import { TestToken__factory } from "../../typechain-types";
import { DeploySpot, Node, account, liveChildren, type LogLine } from "../e2e/harness";
import { expectIndexedEqualsChain, type Indexed } from "./chain";
import { Indexer, deployedNode } from "./harness";
import { DEPLOYER, HOST, KEEPER, MODELERS, Story } from "./scenario";

/** Requesters of the history, each making its requests one after another; all of them at once. */
const REQUESTERS = Array.from({ length: 10 }, (_, i) => account(20 + i));
const REQUESTS_EACH = 20;
/** Answers per `answerBatch`: well under the block gas limit. */
const BATCH = 60;

/** A block range of Ponder's "Indexed block range" log line. */
const rangeOf = (l: LogLine): [number, number] => JSON.parse(String(l.block_range)) as [number, number];

describe("indexer: a restart after a crash mid-backfill resumes and ends equal", function () {
  let node: Node;
  let spot: DeploySpot;
  let deployment: Deployment;
  let market: Market;
  let pgliteDir: string;
  let first: Indexer;
  let second: Indexer;
  let head: number;
  /** The last block the first start had committed when it was killed, as /status said. */
  let killedAt: number;
  let indexed: Indexed;
  const timings: string[] = [];

  before(async function () {
    this.timeout(300_000);
    ({ spot, node, deployment } = await deployedNode());
    market = Market.connect(deployment.market, node.provider);

    // A challenge with a list of three serving the next epoch, the clock at its start.
    let t0 = Date.now();
    const story = new Story(node, deployment);
    await story.prologue();
    const [challengeId] = story.ledger.challenges;
    const time = await market.timeConfig();
    await node.mineAt(windowStart(time, story.ledger.e0));
    await story.as(KEEPER).promote(
      challengeId,
      MODELERS.map((m) => m.address),
      id("restart"),
    );
    await node.mineAt(startOf(time, story.ledger.e0 + 1n));

    // Tokens and an allowance for good, so each request is one transaction; then every requester at once.
    const token = TestToken__factory.connect(deployment.token, new NonceManager(DEPLOYER.connect(node.provider)));
    // One sender's transactions in order: an automining node refuses a nonce ahead of the next.
    for (const u of REQUESTERS) await (await token.mint(u.address, parseUnits("1000", 18))).wait();
    await Promise.all(
      REQUESTERS.map(async (u) => {
        await (await token.connect(u.connect(node.provider)).approve(deployment.market, MaxUint256)).wait();
      }),
    );
    const made: MadeRequest[] = [];
    await Promise.all(
      REQUESTERS.map(async (u, n) => {
        const user = story.as(u);
        for (let i = 0; i < REQUESTS_EACH; i++) made.push(await user.request(challengeId, `restart ${n}/${i}`));
      }),
    );
    // Every request answered by all three modelers, in batches.
    const entries = made.flatMap((r) =>
      [0, 1, 2].map((index) => ({ requestId: r.requestId, key: r.key, index, output: `${index}` })),
    );
    const host = story.as(HOST);
    for (let i = 0; i < entries.length; i += BATCH) {
      const { skipped } = await host.answerBatch(entries.slice(i, i + BATCH));
      expect(skipped).to.deep.equal([]);
    }
    // Empty blocks on top, so that the whole history is final (30 blocks deep on chain 31337) and backfilled, not
    // followed live; they cost the backfill nothing, having no logs. One `evm_mine` each: the blocks that
    // `hardhat_mine` reserves answer with hashes that are not their successors' parentHash, which Ponder takes
    // for a reorg.
    for (let i = 0; i < 35; i++) await node.rpc("evm_mine");
    head = Number(await node.rpc<string>("eth_blockNumber"));
    timings.push(
      `history of ${made.length} requests and ${entries.length} answers in ${Date.now() - t0} ms ` +
        `(blocks ${deployment.startBlock}..${head})`,
    );

    // The first start, killed once it has committed part of the backfill and before it is done.
    pgliteDir = mkdtempSync(join(tmpdir(), "indexer-restart-"));
    const options = { deployment: spot.file, rpcUrl: node.url, pgliteDir: join(pgliteDir, "pglite") };
    t0 = Date.now();
    first = await Indexer.launch(options);
    for (killedAt = -1; killedAt <= deployment.startBlock;) {
      const [block, ready] = await Promise.all([first.indexedBlock().catch(() => -1), first.ready()]);
      expect(ready, `the backfill ended before it could be killed\n${first.proc.output()}`).to.equal(false);
      killedAt = block;
      if (killedAt <= deployment.startBlock) await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill();
    timings.push(`first start killed after ${Date.now() - t0} ms at block ${killedAt}`);

    t0 = Date.now();
    second = await Indexer.launch(options);
    const readyMs = await second.waitForReady();
    await second.waitForBlock(head);
    timings.push(`second start to /ready ${Date.now() - t0} ms (backfill ${readyMs} ms after the HTTP server)`);
    indexed = await expectIndexedEqualsChain(second, market, deployment);
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await first?.stop();
      await second?.stop();
      await node?.stop();
    } finally {
      spot?.remove();
      if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
    }
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    console.log(`      indexer: ${timings.join(", ")}`);
  });

  it("the first start was killed mid-backfill, with blocks committed and more to come", () => {
    expect(first.proc.exit?.signal).to.equal("SIGKILL");
    expect(killedAt).to.be.greaterThan(deployment.startBlock).and.lessThan(head);
    const ranges = first.proc.logs().filter((l) => l.msg === "Indexed block range");
    expect(ranges, first.proc.output()).to.not.deep.equal([]);
    expect(first.proc.logs().some((l) => l.msg === "Completed backfill indexing across all chains")).to.equal(false);
  });

  it("the second start recognised its own build in the folder and recovered from the crash", () => {
    const logs = second.proc.logs();
    const recovery = logs.find((l) => l.msg === "Detected crash recovery");
    expect(recovery, second.proc.output()).to.not.equal(undefined);
    // A different build would have been refused, not recovered: the same build id, which the first start wrote.
    expect(recovery!.build_id).to.be.a("string").and.not.equal("");
    expect(logs.some((l) => l.msg === "Created database tables")).to.equal(false);
  });

  it("the second start indexed only the blocks after the first one's checkpoint", () => {
    // The backfill's range: from the start block the first time, from the crash's checkpoint the second.
    const started = (i: Indexer) => i.proc.logs().find((l) => l.msg === "Started backfill indexing");
    expect(rangeOf(started(first)!)[0]).to.equal(deployment.startBlock);
    expect(rangeOf(started(second)!)[0]).to.equal(killedAt);
    const ranges = second.proc.logs().filter((l) => l.msg === "Indexed block range");
    expect(ranges, second.proc.output()).to.not.deep.equal([]);
    const [from] = rangeOf(ranges[0]);
    expect(from, "the first range indexed after the restart").to.be.greaterThan(deployment.startBlock);
    expect(from).to.be.at.most(killedAt + 1);
  });

  it("ends equal to the chain: every request and answer once", () => {
    expect(indexed.requests).to.have.length(REQUESTERS.length * REQUESTS_EACH);
    expect(indexed.answers).to.have.length(REQUESTERS.length * REQUESTS_EACH * 3);
    expect(indexed.requests.every((r) => r.status === "answered" && r.answerCount === 3)).to.equal(true);
  });
});
