/*
 * A reorganisation seen by the indexer while it follows a real `hardhat node`: `evm_snapshot`, a branch of
 * requests, answers and a refund that the indexer indexes, then `evm_revert` and a replacing branch of other
 * transactions, longer than the orphaned one. Ponder polls the head (every second) and checks each new block's
 * parentHash against the blocks it holds, not yet final (at least the last 30 on chain 31337): a head at or below
 * its own, or a parent it does not know, is a reorg, and it walks back by parentHash to the common ancestor and
 * reverts every row written after it. The index must then equal the new chain, with nothing of the orphaned one.
 */
import { expect } from "chai";
import { id } from "ethers";
import { Market, startOf, windowStart, type Deployment, type MadeRequest } from "../../sdk";
import { DeploySpot, Node, liveChildren, type LogLine } from "../e2e/harness";
import { expectIndexedEqualsChain, type Indexed } from "./chain";
import { Indexer, deployedNode } from "./harness";
import { low } from "./rows";
import { ANYONE, HOST, KEEPER, MODELERS, Story, USERS } from "./scenario";

describe("indexer: a reorg replaces what the orphaned blocks indexed", function () {
  let node: Node;
  let spot: DeploySpot;
  let deployment: Deployment;
  let market: Market;
  let indexer: Indexer;
  let challengeId: bigint;
  /** The head when the snapshot was taken: the replacing branch forks from it. */
  let forkBlock: number;
  let orphaned: Indexed;
  let replaced: Indexed;
  let reorgLog: LogLine;
  const timings: string[] = [];
  /** The head now: ethers caches the block number for a moment, and the revert moves it back. */
  const blockNumber = async () => Number(await node.rpc<string>("eth_blockNumber"));

  before(async function () {
    this.timeout(240_000);
    ({ spot, node, deployment } = await deployedNode());
    market = Market.connect(deployment.market, node.provider);

    // A challenge whose list serves the next epoch, and the clock at that epoch's start: requests can be made.
    const story = new Story(node, deployment);
    await story.prologue();
    [challengeId] = story.ledger.challenges;
    const time = await market.timeConfig();
    await node.mineAt(windowStart(time, story.ledger.e0));
    await story.as(KEEPER).promote(
      challengeId,
      MODELERS.map((m) => m.address),
      id("reorg"),
    );
    await node.mineAt(startOf(time, story.ledger.e0 + 1n));

    indexer = await Indexer.start({ deployment: spot.file, rpcUrl: node.url });
    timings.push(`start-up to /ready ${indexer.readyMs} ms`);

    // The branch to be orphaned: three requests, three answers, a refund. Fresh signers for each branch: a
    // NonceManager would count on nonces that the revert takes back.
    const snapshot = await node.rpc<string>("evm_snapshot");
    forkBlock = await blockNumber();
    const a = new Story(node, deployment);
    const o1 = await a.as(USERS[0]).request(challengeId, "orphan 1");
    const o2 = await a.as(USERS[1]).request(challengeId, "orphan 2");
    const o3 = await a.as(USERS[0]).request(challengeId, "orphan 3");
    await a.as(HOST).answer(o1.requestId, o1.key, 0, "orphan answer 1/0");
    await a.as(HOST).answer(o1.requestId, o1.key, 1, "orphan answer 1/1");
    await a.as(HOST).answer(o2.requestId, o2.key, 0, "orphan answer 2/0");
    await node.advance(Number(time.sla) + 1);
    await a.as(ANYONE).refund(o3.requestId, o3.key);
    const orphanHead = await blockNumber();
    await indexer.waitForBlock(orphanHead);
    orphaned = await expectIndexedEqualsChain(indexer, market, deployment);

    // The replacing branch: other requesters, inputs and answers, and more blocks than the orphaned branch had.
    let t0 = Date.now();
    expect(await node.rpc<boolean>("evm_revert", [snapshot])).to.equal(true);
    const b = new Story(node, deployment);
    const r1: MadeRequest = await b.as(USERS[1]).request(challengeId, "replacement 1");
    await b.as(HOST).answer(r1.requestId, r1.key, 2, "replacement answer 1/2");
    await b.as(USERS[1]).request(challengeId, "replacement 2");
    while ((await blockNumber()) < orphanHead + 3) await node.rpc("evm_mine");
    const head = await blockNumber();
    timings.push(`replacing branch ${Date.now() - t0} ms (blocks ${forkBlock + 1}..${head}, orphaned ..${orphanHead})`);
    t0 = Date.now();
    reorgLog = await indexer.proc.waitForLog((l) => l.msg === "Reorged block", "the reorg", 30_000);
    await indexer.waitForBlock(head);
    timings.push(`reorg and new head indexed ${Date.now() - t0} ms after the last block`);
    replaced = await expectIndexedEqualsChain(indexer, market, deployment);
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await indexer?.stop();
      await node?.stop();
    } finally {
      spot?.remove();
    }
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    console.log(`      indexer: ${timings.join(", ")}`);
  });

  it("the orphaned branch was indexed first: its requests, answers and refund", () => {
    expect(orphaned.requests.map((r) => [r.inputText, r.status])).to.deep.equal([
      ["orphan 1", "answered"],
      ["orphan 2", "answered"],
      ["orphan 3", "refunded"],
    ]);
    expect(orphaned.answers).to.have.length(3);
    expect(orphaned.refunds).to.have.length(1);
  });

  it("Ponder saw the revert as a reorg back to the fork block", () => {
    // The common ancestor is the fork block, or its parent when Ponder polled the head between the revert and
    // the first replacing block (a head at the fork block's height, not above its own, is a reorg too).
    expect(reorgLog.number).to.be.oneOf([forkBlock, forkBlock - 1]);
    expect(reorgLog.chain_id).to.equal(31337);
  });

  it("the index equals the replacing chain, request ids reused by other requests", () => {
    expect(replaced.requests.map((r) => [r.id, r.requester, r.inputText, r.status])).to.deep.equal([
      [orphaned.requests[0].id, low(USERS[1].address), "replacement 1", "answered"],
      [orphaned.requests[1].id, low(USERS[1].address), "replacement 2", "open"],
    ]);
    expect(replaced.answers.map((a) => [a.requestId, a.modeler, a.outputText])).to.deep.equal([
      [orphaned.requests[0].id, low(MODELERS[2].address), "replacement answer 1/2"],
    ]);
    expect(replaced.refunds).to.deep.equal([]);
  });

  it("no orphaned request, answer, refund or modeler's points remain", async () => {
    const orphanTxs = new Set([...orphaned.requests, ...orphaned.answers, ...orphaned.refunds].map((r) => r.txHash));
    const remaining = [...replaced.requests, ...replaced.answers, ...replaced.refunds].filter((r) =>
      orphanTxs.has(r.txHash),
    );
    expect(remaining).to.deep.equal([]);
    expect(replaced.requests.filter((r) => r.inputText.startsWith("orphan"))).to.deep.equal([]);
    const points = await indexer.all<{ modeler: string; points: string }>("modelerEpochs", "modeler points");
    expect(points).to.deep.equal([{ modeler: low(MODELERS[2].address), points: "1" }]);
    const challenges = await indexer.all<{ id: string; requestCount: string }>("challenges", "id requestCount");
    expect(challenges.find((c) => c.id === String(challengeId))?.requestCount).to.equal("2");
  });
});
