/*
 * The daemons with an indexer (INDEXER_URL), against a real `hardhat node` and a Ponder process that followed
 * the indexer suite's story (test/indexer/scenario.ts). The host agent's scan and the keeper's refund sweep read
 * the history from the index up to its last block, and the chain's logs after it; with no indexer answering
 * they read the logs alone. Each half shows on its own with an index that lags: an answer the indexer gave
 * before the last requests were made.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { ConfigError } from "../../daemons/common/config";
import { connect } from "../../daemons/common/connect";
import { IndexedHistory } from "../../daemons/common/indexer";
import { HostAgent } from "../../daemons/host/agent";
import { Keeper } from "../../daemons/keeper/keeper";
import * as creditScore from "../../models/credit-score";
import { RequestStatus, type MadeRequest } from "../../sdk";
import { daemon, freePort, liveChildren } from "../e2e/harness";
import { indexedStory, type IndexedStory } from "../indexer/harness";
import { HOST, KEEPER, MODELERS, USERS } from "../indexer/scenario";
import { FAST_RETRY, captureLog, tempDir, writeJson } from "./helpers";

/** An index that saw nothing after it gave `answer`: every read returns that answer again. */
function lagging(answer: unknown): IndexedHistory {
  return { read: async () => answer } as unknown as IndexedHistory;
}

describe("indexer: the daemons read history from it (INDEXER_URL)", function () {
  this.timeout(300_000);
  let s: IndexedStory;
  let deadUrl: string;

  before(async function () {
    s = await indexedStory();
    deadUrl = `http://127.0.0.1:${await freePort()}`;
  });

  after(async function () {
    this.timeout(60_000);
    await s?.stop();
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
  });

  const c1 = () => s.story.ledger.challenges[0];
  const served = () =>
    s.story.ledger.challenges.flatMap((challengeId) => MODELERS.map((m) => ({ challengeId, modeler: m.address })));
  const request = (input: string): Promise<MadeRequest> => s.story.as(USERS[0]).request(c1(), input);
  const head = () => s.node.provider.getBlockNumber();
  const answered = async (r: { requestId: bigint }) => (await s.market.requestState(r.requestId)).answered;
  const status = async (r: { requestId: bigint }) => (await s.market.requestState(r.requestId)).status;
  /** An IndexedHistory on `url` whose log lines go to the daemon's log. */
  const historyAt = (url: string) => (log: ReturnType<typeof captureLog>["log"]) =>
    new IndexedHistory(url, s.deployment.market, log);
  type HistoryFor = (log: ReturnType<typeof captureLog>["log"]) => IndexedHistory;

  /** The host agent, and the first block of each eth_getLogs call it makes. */
  function agent(history?: HistoryFor) {
    const { log, of } = captureLog("host");
    const { provider, signer } = connect(s.node.url, s.deployment, new Wallet(HOST.privateKey));
    const logsFrom: number[] = [];
    const send = provider.send.bind(provider);
    provider.send = (method, params) => {
      if (method === "eth_getLogs") logsFrom.push(Number((params as { fromBlock: string }[])[0].fromBlock));
      return send(method, params);
    };
    const a = new HostAgent({
      signer,
      market: s.deployment.market,
      model: creditScore,
      log,
      modelers: served(),
      fromBlock: s.deployment.startBlock,
      retry: FAST_RETRY,
      history: history?.(log),
    });
    return { agent: a, of, logsFrom };
  }

  function keeper(options: { history?: HistoryFor; fromBlock: number; lookbackBlocks?: number }) {
    const { log, of } = captureLog("keeper");
    const { signer } = connect(s.node.url, s.deployment, new Wallet(KEEPER.privateKey));
    const k = new Keeper({
      signer,
      market: s.deployment.market,
      leaderboards: [],
      log,
      retry: FAST_RETRY,
      fromBlock: options.fromBlock,
      lookbackBlocks: options.lookbackBlocks,
      history: options.history?.(log),
    });
    return { keeper: k, of };
  }

  describe("the host agent's scan", () => {
    it("answers what the index holds and what the logs after its last block tell, each once", async () => {
      // r9 is open to m0 and m1 (m2 was evicted from c1's serving list) at the story's head.
      const r9 = s.story.ledger.requests.get("r9")!;
      const { sla } = await s.market.timeConfig();
      const real = historyAt(s.indexer.url)(captureLog().log);
      const before = await real.read("openRequestsFor", (c) =>
        c.openRequestsFor(served(), s.headTime - sla, { now: s.headTime, host: HOST.address }),
      );
      expect(before?.indexedBlock).to.equal(await head());
      expect(before?.found.map((r) => [r.requestId, r.index])).to.deep.equal([
        [r9.requestId, 0],
        [r9.requestId, 1],
      ]);
      const r12 = await request("0x1212121212121212121212121212121212121212");

      const { agent: a, of, logsFrom } = agent(() => lagging(before));
      const report = await a.tick();
      // The logs were read from the block after the index's last one: r9 came from the index alone.
      expect(logsFrom.length).to.be.greaterThan(0);
      expect(Math.min(...logsFrom)).to.equal(before!.indexedBlock + 1);
      expect(report.answered.sort()).to.deep.equal(
        [`${r9.requestId}/0`, `${r9.requestId}/1`, `${r12.requestId}/0`, `${r12.requestId}/1`].sort(),
      );
      expect([await answered(r9), await answered(r12)]).to.deep.equal([
        [0, 1],
        [0, 1],
      ]);
      expect((await a.tick()).answered).to.deep.equal([]);
      expect(of("indexer", "failed")).to.deep.equal([]);
    });

    it("with an indexer that does not answer, scans the logs and says so once", async () => {
      const r = await request("0x1313131313131313131313131313131313131313");
      const { agent: a, of } = agent(historyAt(deadUrl));
      expect((await a.tick()).answered.sort()).to.deep.equal([`${r.requestId}/0`, `${r.requestId}/1`]);
      await a.tick();
      expect(of("indexer", "failed")).to.have.length(1);
      expect(of("indexer", "failed")[0]).to.include({ query: "openRequestsFor", url: deadUrl });
    });
  });

  describe("the keeper's refund sweep", () => {
    it("refunds what the index holds, however old, and what the logs after its last block tell", async () => {
      const r7 = s.story.ledger.requests.get("r7")!;
      const now = await s.node.latestTimestamp();
      expect(await status(r7)).to.equal(RequestStatus.Expired);
      // Without an indexer, a sweep that looks no block back finds nothing to refund.
      const blind = keeper({ fromBlock: await head(), lookbackBlocks: 0 });
      expect((await blind.keeper.tick()).refunded).to.deep.equal([]);

      await s.indexer.waitForBlock(await head());
      const before = await historyAt(s.indexer.url)(captureLog().log).read("expiredUnrefunded", (c) =>
        c.expiredUnrefunded(undefined, now),
      );
      expect(before?.found.map((r) => r.requestId)).to.deep.equal([r7.requestId]);
      const late = await request("0x1414141414141414141414141414141414141414");
      await s.node.advance(601);

      // The sweep looks back to the block after r7's (the pass may mine a few before it sweeps): r7 can come from
      // the index alone, `late` from the logs alone.
      const { keeper: k } = keeper({
        history: () => lagging(before),
        fromBlock: s.deployment.startBlock,
        lookbackBlocks: (await head()) - r7.blockNumber - 1,
      });
      expect(late.blockNumber).to.be.greaterThan(before!.indexedBlock);
      expect((await k.tick()).refunded).to.deep.equal([r7.requestId, late.requestId]);
      expect([await status(r7), await status(late)]).to.deep.equal([RequestStatus.Refunded, RequestStatus.Refunded]);
    });

    it("with an indexer that does not answer, sweeps the logs and says so once", async () => {
      const r = await request("0x1515151515151515151515151515151515151515");
      await s.node.advance(601);
      const { keeper: k, of } = keeper({ history: historyAt(deadUrl), fromBlock: s.deployment.startBlock });
      expect((await k.tick()).refunded).to.deep.equal([r.requestId]);
      await k.tick();
      expect(of("indexer", "failed")).to.have.length(1);
      expect(of("indexer", "failed")[0]).to.include({ query: "expiredUnrefunded", url: deadUrl });
    });
  });

  describe("the daemons' INDEXER_URL", () => {
    it("refuses an indexer of another market at start", async () => {
      const other = new IndexedHistory(s.indexer.url, HOST.address, captureLog().log);
      const err = await other.check().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.equal(
        `the indexer at ${s.indexer.url} indexes the market ${s.deployment.market}, not the deployment's ${HOST.address}`,
      );
    });

    it("`npm run keeper -- --once` with INDEXER_URL reads the index and refunds through it", async () => {
      const r = await request("0x1616161616161616161616161616161616161616");
      await s.node.advance(601);
      await s.indexer.waitForBlock(await head());
      const board = writeJson(tempDir(), "board.json", {
        challengeId: String(c1()),
        entries: MODELERS.map((m, i) => ({ modeler: m.address, score: 10 - i })),
      });
      const p = daemon("keeper", ["--once", "--leaderboard", `${c1()}=${board}`, "--lookback-blocks", "0"], {
        RPC_URL: s.node.url,
        DEPLOYMENT: s.spot.file,
        KEEPER_KEY: KEEPER.privateKey,
        INDEXER_URL: s.indexer.url,
      });
      const exit = await p.exited;
      expect(exit.code, p.output()).to.equal(0);
      expect(p.logsOf("indexer", "ready")).to.have.length(1);
      expect(p.logsOf("refund", "sent").map((l) => l.requestId)).to.deep.equal([String(r.requestId)]);
      expect(await status(r)).to.equal(RequestStatus.Refunded);
    });
  });
});
