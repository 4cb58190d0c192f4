import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, reset, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME, Status } from "../fixtures";

/*
 * The eviction base is the epoch's answered requests: those that got at least one answer in time. A request that
 * nobody answered says nothing about one modeler, and a refund makes it free to send, so unanswered and refunded
 * requests never count. A judged modeler meets the threshold when points * 10000 >= answered * 5000.
 * E1 = Thu 2026-11-26 .. Wed 2026-12-02; eviction for it opens at Thu 2026-12-03 00:10 (its end + SLA).
 * List 1 = modelers[0..4], A..E at indexes 0..4, answering through hosts[0..4].
 */

const E1_FINAL = DATES.e2Start + TIME.sla;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const GARBAGE = ethers.hexlify(ethers.toUtf8Bytes("not a wallet address"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

type F = Awaited<ReturnType<typeof activeFixture>>;
type Req = Awaited<ReturnType<typeof requestOf>>;

async function makeRequest(f: F, user: number, input = INPUT): Promise<Req> {
  return requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, input));
}

/** The listed modeler at `index` answers each of `reqs` through its host. */
async function answerAll(f: F, index: number, reqs: Req[]) {
  for (const r of reqs) await f.market.connect(f.hosts[index]).answer(r.id, r.key, index, OUTPUT);
}

/** What a refused eviction must leave as it was: every listed modeler's registration, and E1's figures. */
async function snapshot(f: F) {
  const infos = await Promise.all(f.listed.map(async (m) => [...(await f.market.modelerInfo(1, m.address))]));
  return { infos, figures: [...(await f.market.epochFigures(1, E1))] };
}

/**
 * E1 from Thu 2026-11-26 01:00: 10 requests that get answers, then 100 garbage requests that nobody answers
 * (a host's answer after the SLA is refused); the first 20 garbage requests are refunded after their deadline,
 * the other 80 are left expired. Of the 10 answered requests A answers all 10, B 4, C 5, D none, E 10.
 * Counting every request made, the base would be 110 and even A (10 of 110) would be evictable.
 */
async function garbageFixture() {
  const f = await loadFixture(activeFixture);
  await time.setNextBlockTimestamp(DATES.e1Start + 3_600n);
  const answered: Req[] = [];
  for (let i = 0; i < 10; i++) answered.push(await makeRequest(f, i % 5));
  await answerAll(f, 0, answered);
  await answerAll(f, 1, answered.slice(0, 4));
  await answerAll(f, 2, answered.slice(0, 5));
  await answerAll(f, 4, answered);
  const garbage: Req[] = [];
  for (let i = 0; i < 100; i++) garbage.push(await makeRequest(f, i % 5, GARBAGE));
  // A late answer is no answer: the request stays unanswered.
  const last = garbage[garbage.length - 1];
  await time.setNextBlockTimestamp(last.deadline + 1n);
  await expect(f.market.connect(f.hosts[0]).answer(last.id, last.key, 0, OUTPUT))
    .to.be.revertedWithCustomError(f.market, "MarketDeadlinePassed")
    .withArgs(last.id, last.deadline, last.deadline + 1n);
  for (const r of garbage.slice(0, 20)) await f.market.connect(f.stranger).refund(r.id, r.key);
  const [A, B, C, D, E] = f.listed;
  return { ...f, answered, garbage, A, B, C, D, E };
}

/** E1 with 3 requests, all answered by E; A answers 2 of them, B 1. */
async function oddBaseFixture() {
  const f = await loadFixture(activeFixture);
  const reqs: Req[] = [];
  for (let i = 0; i < 3; i++) reqs.push(await makeRequest(f, i));
  await answerAll(f, 4, reqs);
  await answerAll(f, 0, reqs.slice(0, 2));
  await answerAll(f, 1, reqs.slice(0, 1));
  return f;
}

/**
 * E1 with 5 requests and not one answer in time: one answer comes a second late and is refused, two requests
 * are refunded, two left expired.
 */
async function nothingAnsweredFixture() {
  const f = await loadFixture(activeFixture);
  const reqs: Req[] = [];
  for (let i = 0; i < 5; i++) reqs.push(await makeRequest(f, i));
  await time.setNextBlockTimestamp(reqs[4].deadline + 1n);
  await expect(f.market.connect(f.hosts[2]).answer(reqs[4].id, reqs[4].key, 2, OUTPUT)).to.be.revertedWithCustomError(
    f.market,
    "MarketDeadlinePassed",
  );
  for (const r of reqs.slice(0, 2)) await f.market.connect(f.stranger).refund(r.id, r.key);
  return { ...f, reqs };
}

describe("InferenceMarket evict: the base is the epoch's answered requests", function () {
  before(async function () {
    await reset();
  });
  after(async function () {
    await reset();
  });

  describe("evict: unanswered and refunded requests never count", function () {
    it("110 requests, 100 never answered (20 refunded): E1 counts 10 answered requests", async function () {
      const f = await loadFixture(garbageFixture);
      expect(await f.market.requestCount()).to.equal(110n);
      const fig = await f.market.epochFigures(1, E1);
      expect([fig.answeredRequests, fig.settledFees, fig.listId]).to.deep.equal([10n, 10n * FEE, 1n]);
      expect((await f.market.requestState(f.garbage[0].id)).status).to.equal(BigInt(Status.Refunded));
      expect((await f.market.requestState(f.garbage[99].id)).status).to.equal(BigInt(Status.Expired));
    });

    it("a modeler that answered all 10 answered requests is not evictable: MarketModelerMetThreshold(10, 10)", async function () {
      const f = await loadFixture(garbageFixture);
      await time.increaseTo(E1_FINAL);
      const before = await snapshot(f);
      for (const [index, m] of [
        [0, f.A],
        [4, f.E],
      ] as const) {
        await expect(f.market.connect(f.stranger).evict(1, E1, 1, index))
          .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
          .withArgs(1, m.address, 10, 10);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("a modeler that answered 4 of the 10 is evictable, the event carrying answeredRequests = 10", async function () {
      const f = await loadFixture(garbageFixture);
      await time.increaseTo(E1_FINAL);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.B.address, E1, 4, 10);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 3))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.D.address, E1, 0, 10);
      for (const m of [f.B, f.D]) expect((await f.market.modelerInfo(1, m.address)).evicted).to.equal(true);
      for (const m of [f.A, f.C, f.E]) expect((await f.market.modelerInfo(1, m.address)).evicted).to.equal(false);
    });

    it("refunding the other 80 after E1 is final changes no judgement", async function () {
      const f = await loadFixture(garbageFixture);
      await time.increaseTo(E1_FINAL);
      for (const r of f.garbage.slice(20)) await f.market.connect(f.stranger).refund(r.id, r.key);
      expect((await f.market.epochFigures(1, E1)).answeredRequests).to.equal(10n);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.A.address, 10, 10);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.B.address, E1, 4, 10);
    });
  });

  describe("evict: the threshold is half of the answered requests, inclusive", function () {
    it("exactly half (5 of 10) is not evictable: MarketModelerMetThreshold(5, 10)", async function () {
      const f = await loadFixture(garbageFixture);
      await time.increaseTo(E1_FINAL);
      const before = await snapshot(f);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 2))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.C.address, 5, 10);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("one answer short of half (4 of 10) is evictable", async function () {
      const f = await loadFixture(garbageFixture);
      await time.increaseTo(E1_FINAL);
      expect(await f.market.pointsOf(1, f.B.address, E1)).to.equal(4n);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.B.address, E1, 4, 10);
    });

    it("on an odd base of 3, 2 answers meet the threshold and 1 does not", async function () {
      const f = await loadFixture(oddBaseFixture);
      await time.increaseTo(E1_FINAL);
      const [A, B] = f.listed;
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, A.address, 2, 3);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, B.address, E1, 1, 3);
    });
  });

  describe("evict: an epoch with no answered request evicts nobody", function () {
    it("5 requests, none answered in time (one late answer, two refunds): MarketModelerMetThreshold(0, 0) for all", async function () {
      const f = await loadFixture(nothingAnsweredFixture);
      await time.increaseTo(E1_FINAL);
      const fig = await f.market.epochFigures(1, E1);
      expect([fig.answeredRequests, fig.settledFees, fig.points, fig.listId]).to.deep.equal([0n, 0n, 0n, 1n]);
      const before = await snapshot(f);
      for (const [i, m] of f.listed.entries()) {
        await expect(f.market.connect(f.stranger).evict(1, E1, 1, i))
          .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
          .withArgs(1, m.address, 0, 0);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });
});
