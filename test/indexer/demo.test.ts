/*
 * The indexer against the demo: the demo's two weeks played by `hardhat run scripts/demo.ts` against a real
 * `hardhat node` that mines only on transactions, and the indexer started as soon as the demo publishes its
 * deployment, so it backfills the first blocks and follows the rest live. Once it has indexed the head, its
 * figures equal the contract's views for every epoch, modeler and fee kind, and its tables equal the demo's
 * ledger (the market's events as the demo read them back). PGlite, or PostgreSQL at INDEXER_TEST_DATABASE_URL.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, Network } from "ethers";
import { FEE_KINDS, Market, epochOf, readDeployment, reward, type Deployment } from "../../sdk";
import type { DemoResult } from "../../scripts/demo/scenario";
import { Node, Proc, ROOT, childEnv, liveChildren } from "../e2e/harness";
import { expectIndexedEqualsChain, type Indexed } from "./chain";
import { Indexer } from "./harness";
import { EPOCH_FIELDS, low, type Big, type EpochRow, type ListRow } from "./rows";

const HARDHAT = join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");

/** What JSON.stringify makes of a value whose bigints the demo wrote as decimal strings (DEMO_JSON). */
type Written<T> = T extends bigint
  ? string
  : T extends readonly (infer U)[]
    ? Written<U>[]
    : T extends object
      ? { [K in keyof T]: Written<T[K]> }
      : T;

/** Sorted by `key`, so rows written in one block compare whatever order the index returns them in. */
const sorted = <T>(rows: T[], key: (row: T) => string) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));
const pad = (n: Big) => n.padStart(12, "0");

/** Resolves once `proc` has written `file`; the demo prints nothing while it plays, so the file is polled. */
async function published(proc: Proc, file: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (proc.exit) throw new Error(`${proc.name} exited before writing ${file}\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${proc.name}: no ${file} within ${timeoutMs} ms\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("indexer: the demo's two weeks", function () {
  let node: Node;
  let dir: string;
  let demo: Proc | undefined;
  let indexer: Indexer | undefined;
  let deployment: Deployment;
  /** Reads the checks make one after another: unbatched, so none waits out ethers' batch stall. */
  let reader: JsonRpcProvider | undefined;
  let market: Market;
  let result: Written<DemoResult>;
  let indexed: Indexed;
  let lists: ListRow[];
  let epochs: EpochRow[];
  const timings: string[] = [];

  before(async function () {
    this.timeout(600_000);
    node = await Node.start(90_000, { MINE_INTERVAL_MS: "0" });
    const local = Network.from(31337);
    reader = new JsonRpcProvider(node.url, local, { staticNetwork: local, batchMaxCount: 1 });
    dir = mkdtempSync(join(tmpdir(), "indexer-demo-"));
    const deploymentFile = join(dir, "deployment.json");
    const resultFile = join(dir, "demo.json");
    const started = Date.now();
    demo = new Proc(
      "demo",
      process.execPath,
      [HARDHAT, "run", "--no-compile", "scripts/demo.ts", "--network", "localhost"],
      childEnv({ RPC_URL: node.url, DEMO_DEPLOYMENT: deploymentFile, DEMO_JSON: resultFile }),
      200,
    );
    await published(demo, deploymentFile);
    deployment = readDeployment(deploymentFile);
    const databaseUrl = process.env.INDEXER_TEST_DATABASE_URL?.trim() || undefined;
    indexer = await Indexer.start({ deployment: deploymentFile, rpcUrl: node.url, databaseUrl });
    timings.push(`${databaseUrl ? "PostgreSQL" : "PGlite"}, start-up to /ready ${indexer.readyMs} ms`);

    const exit = await demo.exited;
    expect(exit, demo.output()).to.deep.equal({ code: 0, signal: null });
    const head = await reader.getBlockNumber();
    timings.push(`demo ${Date.now() - started} ms (blocks ${deployment.startBlock}..${head})`);
    // On PGlite the indexer follows a few blocks a second, fewer than the demo mines: it ends well behind.
    timings.push(`head indexed ${await indexer.waitForBlock(head, 240_000)} ms after the demo's exit`);
    result = JSON.parse(readFileSync(resultFile, "utf8")) as Written<DemoResult>;
    market = Market.connect(deployment.market, reader);
    lists = await indexer.all<ListRow>(
      "lists",
      "challengeId listId epoch activationEpoch leaderboardHash members",
      ', orderBy: "blockNumber"',
    );
    epochs = await indexer.all<EpochRow>("challengeEpochs", EPOCH_FIELDS);
  });

  after(async function () {
    this.timeout(60_000);
    try {
      reader?.destroy();
      await demo?.stop();
      await indexer?.stop();
      await node?.stop();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    console.log(`      indexer: ${timings.join(", ")}`);
  });

  it("equals the chain: requests, answers and refunds as the events, figures as `epochFigures` and `pointsOf`", async () => {
    indexed = await expectIndexedEqualsChain(indexer!, market, deployment);
    expect(result.market).to.equal(deployment.market);
    expect(indexed.requests).to.have.length(result.ledger.requests.length);
  });

  it("has the demo's challenge as `challenge`, with its parties", async () => {
    const rows = await indexer!.all<{ id: Big; creator: string; admin: string; fee: Big; listCount: Big }>(
      "challenges",
      "id creator admin fee listCount",
    );
    const onChain = await market.contract.challenge(result.challengeId);
    expect(rows).to.deep.equal([
      {
        id: result.challengeId,
        creator: low(result.parties.creator),
        admin: low(result.parties.admin),
        fee: String(onChain.fee),
        listCount: String(onChain.listCount),
      },
    ]);
    expect([onChain.creator, onChain.admin]).to.deep.equal([result.parties.creator, result.parties.admin]);
  });

  it("for every epoch, modeler and fee kind: points as `pointsOf`, claimable as `claimableReward` and `claimableFees`", async () => {
    const rows = await indexer!.all<{
      challengeId: Big;
      modeler: string;
      epoch: Big;
      points: Big;
      claimable: Big | null;
      claimed: boolean;
    }>("modelerEpochs", "challengeId modeler epoch points claimable claimed");
    const settings = await market.timeConfig();
    const headTime = BigInt((await reader!.getBlock("latest"))!.timestamp);
    const first = epochOf(settings, BigInt(Date.parse(deployment.deployedAt) / 1000));
    const last = epochOf(settings, headTime);
    const c = result.challengeId;
    const modelers = [...new Set(lists.flatMap((l) => l.members))];
    expect(modelers).to.have.length(11);
    const { e0, e2 } = result.calendar;
    expect(first <= BigInt(e0) && last >= BigInt(e2), `epochs ${first}..${last} cover E0 to E2`).to.equal(true);
    for (let epoch = first; epoch <= last; epoch++) {
      const e = String(epoch);
      const figures = epochs.find((r) => r.challengeId === c && r.epoch === e);
      for (const modeler of modelers) {
        const where = `${modeler} in epoch ${e}`;
        const row = rows.find((r) => r.challengeId === c && r.modeler === modeler && r.epoch === e);
        expect(row?.points ?? "0", where).to.equal(String(await market.contract.pointsOf(c, modeler, e)));
        // Before finalization the reward moves with every answer; a reader sums it from the epoch's figures.
        const claimable =
          !row || row.claimed
            ? 0n
            : figures!.finalized
              ? BigInt(row.claimable!)
              : reward(BigInt(figures!.pool), BigInt(row.points), BigInt(figures!.points));
        expect(claimable, where).to.equal(await market.contract.claimableReward(c, modeler, e));
      }
      const shares = figures && {
        creator: figures.creatorClaimed ? "0" : figures.creatorShare,
        admin: figures.adminClaimed ? "0" : figures.adminShare,
        platform: figures.platformClaimed ? "0" : figures.platformShare,
      };
      for (const [i, kind] of FEE_KINDS.entries()) {
        expect(shares?.[kind] ?? "0", `${kind}'s share of epoch ${e}`).to.equal(
          String(await market.contract.claimableFees(c, i, e)),
        );
      }
    }
    // The demo's own reading of `pointsOf` for E1, every modeler of the leaderboard.
    for (const m of result.modelers) {
      const row = rows.find((r) => r.modeler === low(m.address) && r.epoch === result.calendar.e1);
      expect(row?.points ?? "0", m.name).to.equal(m.pointsOnChain);
    }
  });

  it("holds the demo's promotions and registrations", async () => {
    const { ledger } = result;
    expect(
      lists.map((l) => ({ listId: l.listId, epoch: l.epoch, activationEpoch: l.activationEpoch, members: l.members })),
    ).to.deep.equal(
      ledger.promotions.map((p) => ({
        listId: p.listId,
        epoch: p.epoch,
        activationEpoch: p.activationEpoch,
        members: p.modelers.map(low),
      })),
    );
    const promotedAt = await indexer!.all<{ listId: Big; timestamp: Big }>("lists", "listId timestamp");
    expect(sorted(promotedAt, (l) => pad(l.listId))).to.deep.equal(
      ledger.promotions.map((p) => ({ listId: p.listId, timestamp: p.at })),
    );
    const modelers = await indexer!.all<{ modeler: string; host: string; registeredAt: Big | null }>(
      "modelers",
      "modeler host registeredAt",
      ", where: { registered: true }",
    );
    const byModeler = (r: { modeler: string }) => r.modeler;
    expect(sorted(modelers, byModeler)).to.deep.equal(
      sorted(
        ledger.registrations.map((r) => ({ modeler: low(r.modeler), host: low(r.host), registeredAt: r.optedInAt })),
        byModeler,
      ),
    );
    const hosts = await indexer!.all<{ modeler: string; host: string }>(
      "hostChanges",
      "modeler host",
      ", where: { registration: true }",
    );
    expect(sorted(hosts, byModeler)).to.deep.equal(
      sorted(
        ledger.registrations.map((r) => ({ modeler: low(r.modeler), host: low(r.host) })),
        byModeler,
      ),
    );
  });

  it("holds the demo's requests, answers, skipped entries and refunds", async () => {
    const { ledger } = result;
    expect(
      indexed.requests.map((r) => ({
        requestId: r.id,
        requester: r.requester,
        listId: r.listId,
        fee: r.fee,
        createdAt: r.createdAt,
        input: r.inputText,
      })),
    ).to.deep.equal(ledger.requests.map((r) => ({ ...r, requester: low(r.requester) })));

    const answerKey = (a: { requestId: Big; modeler: string }) => `${pad(a.requestId)}/${a.modeler}`;
    expect(
      sorted(
        indexed.answers.map((a) => ({
          requestId: a.requestId,
          modeler: a.modeler,
          epoch: a.epoch,
          settledFee: a.settledFee,
          at: a.timestamp,
          output: a.outputText,
        })),
        answerKey,
      ),
    ).to.deep.equal(
      sorted(
        ledger.answers.map((a) => ({ ...a, modeler: low(a.modeler) })),
        answerKey,
      ),
    );
    expect(indexed.answers).to.have.length(2340);

    const skipped = await indexer!.all<{ requestId: Big; index: Big; txHash: string }>(
      "skippedAnswers",
      "requestId index txHash",
    );
    const skipKey = (s: { requestId: Big; index: Big }) => `${pad(s.requestId)}/${pad(s.index)}`;
    expect(sorted(skipped, skipKey)).to.deep.equal(sorted(ledger.skipped, skipKey));

    const refundKey = (r: { requestId: Big }) => pad(r.requestId);
    expect(
      sorted(
        indexed.refunds.map((r) => ({ requestId: r.requestId, requester: r.requester, fee: r.fee, txHash: r.txHash })),
        refundKey,
      ),
    ).to.deep.equal(
      sorted(
        ledger.refunds.map((r) => ({ ...r, requester: low(r.requester) })),
        refundKey,
      ),
    );
    expect(indexed.refunds).to.have.length(12);
  });

  it("holds the demo's finalization, claims and eviction", async () => {
    const { ledger } = result;
    expect(
      sorted(
        epochs.filter((e) => e.finalized),
        (e) => pad(e.epoch),
      ).map((e) => ({ epoch: e.epoch, listId: e.listId, points: e.points, rewardDust: e.rewardDust })),
    ).to.deep.equal(ledger.finalized.map(({ txHash: _, ...f }) => f));
    expect(ledger.finalized.map((f) => f.epoch)).to.deep.equal([result.calendar.e1]);

    const rewards = await indexer!.all<{ modeler: string; epochs: Big[]; amount: Big }>(
      "rewardClaims",
      "modeler epochs amount",
    );
    const byModeler = (r: { modeler: string }) => r.modeler;
    expect(sorted(rewards, byModeler)).to.deep.equal(
      sorted(
        ledger.rewardClaims.map((r) => ({ ...r, modeler: low(r.modeler) })),
        byModeler,
      ),
    );
    expect(rewards).to.have.length(9);

    const fees = await indexer!.all<{ kind: string; recipient: string; epoch: Big; amount: Big }>(
      "feeClaims",
      "kind recipient epoch amount",
    );
    const feeKey = (f: { kind: string; epoch: Big }) => `${f.kind}/${pad(f.epoch)}`;
    expect(sorted(fees, feeKey)).to.deep.equal(
      sorted(
        ledger.feeClaims.map((f) => ({ ...f, recipient: low(f.recipient) })),
        feeKey,
      ),
    );
    expect(sorted(fees, feeKey).map((f) => [f.kind, f.recipient])).to.deep.equal([
      ["admin", low(result.parties.admin)],
      ["creator", low(result.parties.creator)],
      ["platform", low(result.parties.treasury)],
    ]);

    const evictions = await indexer!.all<{ modeler: string; epoch: Big; points: Big; answeredRequests: Big }>(
      "evictions",
      "modeler epoch points answeredRequests",
    );
    expect(evictions).to.deep.equal(ledger.evictions.map((e) => ({ ...e, modeler: low(e.modeler) })));
    expect(evictions.map((e) => e.modeler)).to.deep.equal(result.keeper.evicted.map(low));
  });
});
