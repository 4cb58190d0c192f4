import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { toBeHex } from "ethers";
import { activeFixture, requestOf, DATES, FEE } from "../fixtures";
import { HostAgent, type HostAgentOptions } from "../../daemons/host/agent";
import * as creditScore from "../../models/credit-score";
import { slowModel } from "../../models/slow";
import { encodeText, decodeText } from "../../sdk/text";
import { RequestStatus } from "../../sdk/market";
import type { InferenceMarket } from "../../typechain-types";
import { FAST_RETRY, captureLog } from "./helpers";

/** A wallet with 99 ether and 9 transactions: the credit score gives it 750 (see models.test.ts). */
const WALLET = "0x0000000000000000000000000000000000abcdef";
const SCORE = "750";

/** activeFixture where hosts[0] serves modelers 0 and 1 of the list; WALLET is set up for the model. */
async function hostFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.modelers[1]).setHost(1, f.hosts[0].address);
  await network.provider.send("hardhat_setBalance", [WALLET, toBeHex(99n * 10n ** 18n)]);
  await network.provider.send("hardhat_setNonce", [WALLET, toBeHex(9)]);
  const marketAddress = await f.market.getAddress();
  const agentWith = (options: Partial<HostAgentOptions> = {}) => {
    const capture = captureLog("host");
    const agent = new HostAgent({ signer: f.hosts[0], market: marketAddress, model: creditScore, log: capture.log, retry: FAST_RETRY, ...options });
    return { agent, ...capture };
  };
  const ask = async (user = 0, input = WALLET) =>
    requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, encodeText(input)));
  return { ...f, agentWith, ask };
}

/** Every answer on chain as `requestId/modeler = output`, in order. */
async function answers(market: InferenceMarket) {
  const events = await market.queryFilter(market.filters.RequestAnswered());
  return events.map((e) => `${e.args.requestId}/${e.args.modeler}=${decodeText(e.args.output)}`);
}

describe("daemons/host", () => {
  describe("answering", () => {
    it("answers one open request for each of its modelers in one batch", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const { agent, of } = agentWith();
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([`${r.id}/0`, `${r.id}/1`]);
      expect(report.transactions).to.equal(1);
      expect(await answers(market)).to.deep.equal([`${r.id}/${listed[0].address}=${SCORE}`, `${r.id}/${listed[1].address}=${SCORE}`]);
      expect((await market.requestState(r.id)).answeredMask).to.equal(0b11n);
      const [batch] = of("answerBatch", "sent");
      expect(batch).to.include({ size: 2 });
      expect(of("answer", "sent").map((l) => [l.requestId, l.challengeId, l.modeler, l.index, l.output, l.txHash])).to.deep.equal([
        [r.id.toString(), "1", listed[0].address, 0, SCORE, batch.txHash],
        [r.id.toString(), "1", listed[1].address, 1, SCORE, batch.txHash],
      ]);
    });

    it("sends a single answer with answer(), not a batch", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const { agent, of } = agentWith({ modelers: [listed[1].address] });
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/1`]);
      expect(of("answerBatch")).to.deep.equal([]);
      expect(of("answer", "sent").length).to.equal(1);
      expect(await answers(market)).to.deep.equal([`${r.id}/${listed[1].address}=${SCORE}`]);
    });

    it("splits many due answers into batches of at most batchSize, most urgent first", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const rs = [await ask(0), await ask(1), await ask(2)];
      const { agent, of } = agentWith({ batchSize: 4 });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal(rs.flatMap((r) => [`${r.id}/0`, `${r.id}/1`]));
      expect(report.transactions).to.equal(2);
      const batches = of("answerBatch", "sent");
      expect(batches.map((b) => [b.size, b.requestIds])).to.deep.equal([
        [4, [rs[0].id, rs[0].id, rs[1].id, rs[1].id].map(String)],
        [2, [rs[2].id, rs[2].id].map(String)],
      ]);
      expect(batches[0].txHash).to.not.equal(batches[1].txHash);
      expect((await answers(market)).length).to.equal(6);
    });

    it("answers nothing for a modeler that moved to another host", async () => {
      const { market, modelers, hosts, agentWith, ask } = await loadFixture(hostFixture);
      await market.connect(modelers[1]).setHost(1, hosts[1].address);
      const r = await ask();
      expect((await agentWith().agent.tick()).answered).to.deep.equal([`${r.id}/0`]);
    });

    it("logs a model failure once and still answers the other requests", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const bad = await ask(0, "not an address");
      const good = await ask(1);
      const { agent, of } = agentWith({ modelers: [listed[0].address] });
      expect((await agent.tick()).answered).to.deep.equal([`${good.id}/0`]);
      expect((await agent.tick()).answered).to.deep.equal([]);
      const failed = of("answer", "failed");
      expect(failed.map((l) => [l.requestId, l.error])).to.deep.equal([[bad.id.toString(), 'input is not a wallet address: "not an address"']]);
      expect((await market.requestState(bad.id)).answeredMask).to.equal(0n);
    });
  });

  describe("deadlines", () => {
    it("skips a request with less than the margin left, and logs it once", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      await time.increaseTo(r.deadline - 5n);
      const { agent, of } = agentWith({ marginS: 10 });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([]);
      expect(report.skipped).to.deep.equal([
        { id: `${r.id}/0`, reason: "only 5 s left, margin 10 s" },
        { id: `${r.id}/1`, reason: "only 5 s left, margin 10 s" },
      ]);
      await agent.tick();
      expect(of("answer", "skipped").map((l) => [l.requestId, l.index, l.deadline])).to.deep.equal([
        [r.id.toString(), 0, r.deadline.toString()],
        [r.id.toString(), 1, r.deadline.toString()],
      ]);
      expect((await market.requestState(r.id)).answeredMask).to.equal(0n);
    });

    it("answers with exactly the margin left", async () => {
      const { agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      await time.increaseTo(r.deadline - 10n);
      expect((await agentWith({ marginS: 10 }).agent.tick()).answered).to.deep.equal([`${r.id}/0`, `${r.id}/1`]);
    });

    it("drops the answer of a model too slow for the SLA and sends nothing", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const blocks = await ethers.provider.getBlockNumber();
      // The model's clock is the chain's: 601 s pass (one block) while the slow model runs.
      const sleep = (ms: number) => time.increase(ms / 1000).then(() => undefined);
      const { agent } = agentWith({ model: slowModel(601_000), sleep, modelers: [listed[0].address] });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([]);
      expect(report.transactions).to.equal(0);
      expect(report.skipped).to.deep.equal([
        { id: `${r.id}/0`, reason: `deadline passed while the model ran (now ${r.createdAt + 601n}, deadline ${r.deadline})` },
      ]);
      expect(await ethers.provider.getBlockNumber()).to.equal(blocks + 1);
      expect((await market.requestState(r.id)).status).to.equal(BigInt(RequestStatus.Expired));
    });
  });

  describe("restarts and concurrency", () => {
    it("a new instance finds every still-open request of the last SLA window and answers none twice", async () => {
      const { market, listed, hosts, agentWith, ask } = await loadFixture(hostFixture);
      await time.setNextBlockTimestamp(DATES.e1Start + 100n);
      const stale = await ask(0);
      await time.increaseTo(stale.deadline + 1n);
      const r1 = await ask(1);
      expect((await agentWith().agent.tick()).answered).to.deep.equal([`${r1.id}/0`, `${r1.id}/1`]);

      // The previous instance sent one answer of r2 and stopped; r3 arrives while nothing runs.
      const r2 = await ask(2);
      await market.connect(hosts[0]).answer(r2.id, r2.key, 0, encodeText(SCORE));
      const r3 = await ask(3);

      const restarted = agentWith();
      expect((await restarted.agent.tick()).answered).to.deep.equal([`${r2.id}/1`, `${r3.id}/0`, `${r3.id}/1`]);
      expect((await restarted.agent.tick()).answered).to.deep.equal([]);
      expect((await agentWith().agent.tick()).answered).to.deep.equal([]);

      const [m0, m1] = [listed[0].address, listed[1].address];
      expect(await answers(market)).to.deep.equal([
        `${r1.id}/${m0}=${SCORE}`,
        `${r1.id}/${m1}=${SCORE}`,
        `${r2.id}/${m0}=${SCORE}`,
        `${r2.id}/${m1}=${SCORE}`,
        `${r3.id}/${m0}=${SCORE}`,
        `${r3.id}/${m1}=${SCORE}`,
      ]);
      expect((await market.requestState(stale.id)).status).to.equal(BigInt(RequestStatus.Expired));
    });

    it("two instances of the same host racing answer each request once", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const rs = [await ask(0), await ask(1)];
      const a = agentWith();
      const b = agentWith();
      const [ra, rb] = await Promise.all([a.agent.tick(), b.agent.tick()]);
      expect([...ra.answered, ...rb.answered].sort()).to.deep.equal(rs.flatMap((r) => [`${r.id}/0`, `${r.id}/1`]).sort());
      expect((await answers(market)).length).to.equal(4);
      for (const r of rs) expect((await market.requestState(r.id)).answeredMask).to.equal(0b11n);
      for (const l of [...a.of("answer", "already"), ...b.of("answer", "already")]) {
        expect(l.reason).to.match(/^MarketAlreadyAnswered\(requestId=\d+, modeler=0x[0-9a-fA-F]{40}\)$/);
      }
    });
  });

  it("leaves a request past its deadline alone", async () => {
    const { agentWith, ask } = await loadFixture(hostFixture);
    const r = await ask();
    await time.increaseTo(r.deadline + 1n);
    const blocks = await ethers.provider.getBlockNumber();
    const report = await agentWith().agent.tick();
    expect(report).to.deep.include({ answered: [], transactions: 0, skipped: [] });
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
  });
});
