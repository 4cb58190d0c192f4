import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME, Status } from "../fixtures";
import type { RequestKey } from "../fixtures";
import type { InferenceMarket, TestToken } from "../../typechain-types";

const E2 = E1 + 1n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));
const out = (i: number) => ethers.hexlify(ethers.toUtf8Bytes(`score:${700 + i}`));

type Made = { id: bigint; key: RequestKey; createdAt: bigint; deadline: bigint };

/** Makes a request of challenge 1 by `user`, at exactly `at` when given. */
async function makeRequest(market: InferenceMarket, user: Signer, at?: bigint): Promise<Made> {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  return requestOf(market, await market.connect(user).request(1, FEE, INPUT));
}

/** Everything a rejected answer must leave untouched: points, figures, request states, balances. */
async function snapshot(market: InferenceMarket, token: TestToken, modelers: string[], ids: bigint[]) {
  const points: bigint[] = [];
  for (const m of modelers) for (const e of [E1, E2]) points.push(await market.pointsOf(1, m, e));
  const figures = [];
  for (const e of [E1, E2]) figures.push([...(await market.epochFigures(1, e))]);
  const states = [];
  for (const id of ids) states.push([...(await market.requestState(id))]);
  const balance = await token.balanceOf(await market.getAddress());
  return { points, figures, states, balance, count: await market.requestCount() };
}

/** One open request (id 1) made by users[0] inside E1. */
async function openRequestFixture() {
  const f = await loadFixture(activeFixture);
  const t = DATES.e1Start + 3_600n;
  const r = await makeRequest(f.market, f.users[0], t);
  return { ...f, r, t, addrs: f.listed.map((m) => m.address) };
}

describe("InferenceMarket.answer", () => {
  describe("SLA deadline", () => {
    it("accepts answers at t+599 and t+600 and rejects one at t+601 with nothing changed", async () => {
      const { market, token, hosts, modelers, r, t, addrs } = await loadFixture(openRequestFixture);
      expect(r.createdAt).to.equal(t);
      expect(r.deadline).to.equal(t + TIME.sla);

      await time.setNextBlockTimestamp(t + 599n);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
      await time.setNextBlockTimestamp(t + 600n);
      await expect(market.connect(hosts[1]).answer(r.id, r.key, 1, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[1].address, E1, 0n, OUTPUT);

      const before = await snapshot(market, token, addrs, [r.id]);
      await time.setNextBlockTimestamp(t + 601n);
      await expect(market.connect(hosts[2]).answer(r.id, r.key, 2, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketDeadlinePassed")
        .withArgs(r.id, t + 600n, t + 601n);
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
      expect(await market.pointsOf(1, modelers[2].address, E1)).to.equal(0n);
      expect((await market.epochFigures(1, E1)).points).to.equal(2n);
    });

    it("a first answer at exactly t+600 settles the fee", async () => {
      const { market, hosts, modelers, r, t } = await loadFixture(openRequestFixture);
      await time.setNextBlockTimestamp(t + 600n);
      await expect(market.connect(hosts[4]).answer(r.id, r.key, 4, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[4].address, E1, FEE, OUTPUT);
      expect((await market.epochFigures(1, E1)).settledFees).to.equal(FEE);
      const [status, , , mask] = await market.requestState(r.id);
      expect(status).to.equal(BigInt(Status.Answered));
      expect(mask).to.equal(1n << 4n);
    });

    it("rejects the only answer at t+601: the request stays unanswered and expired", async () => {
      const { market, token, hosts, r, t, addrs } = await loadFixture(openRequestFixture);
      await time.setNextBlockTimestamp(t + 601n);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketDeadlinePassed")
        .withArgs(r.id, t + 600n, t + 601n);
      const after = await snapshot(market, token, addrs, [r.id]);
      expect(after.states[0]).to.deep.equal([BigInt(Status.Expired), t, t + 600n, 0n]);
      expect(after.points.every((p) => p === 0n)).to.equal(true);
      const fig = await market.epochFigures(1, E1);
      expect(fig.points).to.equal(0n);
      expect(fig.settledFees).to.equal(0n);
      // A request nobody answered in time is not an answered request: it never counts toward eviction.
      expect(fig.answeredRequests).to.equal(0n);
      expect(after.balance).to.equal(FEE);
    });
  });

  describe("points and settlement", () => {
    it("the first answer settles the fee, later ones settle 0; one point per answering modeler", async () => {
      const { market, token, hosts, modelers, r, t } = await loadFixture(openRequestFixture);
      const marketBalance = await token.balanceOf(await market.getAddress());
      await time.setNextBlockTimestamp(t + 10n);
      const first = await market.connect(hosts[0]).answer(r.id, r.key, 0, out(0));
      await expect(first).to.emit(market, "RequestAnswered").withArgs(r.id, 1n, modelers[0].address, E1, FEE, out(0));
      let [status, createdAt, deadline, mask] = await market.requestState(r.id);
      expect([status, createdAt, deadline, mask]).to.deep.equal([BigInt(Status.Answered), t, t + 600n, 1n]);

      await expect(market.connect(hosts[2]).answer(r.id, r.key, 2, out(2)))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[2].address, E1, 0n, out(2));
      [status, , , mask] = await market.requestState(r.id);
      expect(status).to.equal(BigInt(Status.Answered));
      expect(mask).to.equal(0b101n);

      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[2].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(0n);
      const fig = await market.epochFigures(1, E1);
      expect(fig.points).to.equal(2n);
      expect(fig.settledFees).to.equal(FEE);
      // One request with two answers: answered once, counted once.
      expect(fig.answeredRequests).to.equal(1n);
      expect(fig.pool + fig.creatorShare + fig.adminShare + fig.platformShare).to.equal(FEE);
      // Answers move no tokens: the fee stays escrowed until claims.
      expect(await token.balanceOf(await market.getAddress())).to.equal(marketBalance);
    });

    it("all 5 listed modelers answering the same request earn 5 points and settle one fee", async () => {
      const { market, hosts, modelers, r, users } = await loadFixture(openRequestFixture);
      for (let i = 0; i < 5; i++) {
        await expect(market.connect(hosts[i]).answer(r.id, r.key, i, out(i)))
          .to.emit(market, "RequestAnswered")
          .withArgs(r.id, 1n, modelers[i].address, E1, i === 0 ? FEE : 0n, out(i));
      }
      for (let i = 0; i < 5; i++) expect(await market.pointsOf(1, modelers[i].address, E1)).to.equal(1n);
      const fig = await market.epochFigures(1, E1);
      expect(fig.points).to.equal(5n);
      expect(fig.settledFees).to.equal(FEE);
      expect((await market.requestState(r.id)).answeredMask).to.equal(0b11111n);
      // A second request answered by one modeler adds one point and one fee.
      const r2 = await makeRequest(market, users[1]);
      await market.connect(hosts[3]).answer(r2.id, r2.key, 3, OUTPUT);
      expect(await market.pointsOf(1, modelers[3].address, E1)).to.equal(2n);
      const fig2 = await market.epochFigures(1, E1);
      expect(fig2.points).to.equal(6n);
      expect(fig2.settledFees).to.equal(2n * FEE);
    });
  });

  describe("answer guards", () => {
    it("reverts MarketAlreadyAnswered when a modeler answers the same request twice", async () => {
      const { market, token, hosts, modelers, r, addrs } = await loadFixture(openRequestFixture);
      await market.connect(hosts[1]).answer(r.id, r.key, 1, OUTPUT);
      const before = await snapshot(market, token, addrs, [r.id]);
      await expect(market.connect(hosts[1]).answer(r.id, r.key, 1, out(9)))
        .to.be.revertedWithCustomError(market, "MarketAlreadyAnswered")
        .withArgs(r.id, modelers[1].address);
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
      expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(1n);
    });

    it("reverts MarketNotHost for a stranger, the modeler itself, another modeler's host, or a former host", async () => {
      const { market, token, hosts, modelers, stranger, r, addrs } = await loadFixture(openRequestFixture);
      const before = await snapshot(market, token, addrs, [r.id]);
      for (const caller of [stranger, modelers[0], hosts[1]]) {
        await expect(market.connect(caller).answer(r.id, r.key, 0, OUTPUT))
          .to.be.revertedWithCustomError(market, "MarketNotHost")
          .withArgs(modelers[0].address, caller.address);
      }
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
      // After a host change only the new host answers.
      await market.connect(modelers[0]).setHost(1, hosts[5].address);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(modelers[0].address, hosts[0].address);
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
      await expect(market.connect(hosts[5]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
    });

    it("reverts MarketNotListed for an index beyond the list", async () => {
      const { market, token, hosts, r, addrs } = await loadFixture(openRequestFixture);
      const before = await snapshot(market, token, addrs, [r.id]);
      for (const index of [5n, 10n, 255n, ethers.MaxUint256]) {
        await expect(market.connect(hosts[0]).answer(r.id, r.key, index, OUTPUT))
          .to.be.revertedWithCustomError(market, "MarketNotListed")
          .withArgs(1n, 1n, index);
      }
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
    });

    it("reverts MarketRequestKeyMismatch when any key field is altered", async () => {
      const { market, token, hosts, users, r, addrs } = await loadFixture(openRequestFixture);
      const key = r.key;
      const altered: RequestKey[] = [
        { ...key, requester: users[1].address },
        { ...key, challengeId: 2n },
        { ...key, listId: 2n },
        { ...key, fee: FEE - 1n },
        { ...key, fee: FEE + 1n },
      ];
      const before = await snapshot(market, token, addrs, [r.id]);
      for (const k of altered) {
        await expect(market.connect(hosts[0]).answer(r.id, k, 0, OUTPUT))
          .to.be.revertedWithCustomError(market, "MarketRequestKeyMismatch")
          .withArgs(r.id);
      }
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
    });

    it("reverts MarketUnknownRequest for id 0 and for the id after the last", async () => {
      const { market, token, hosts, r, addrs } = await loadFixture(openRequestFixture);
      const count = await market.requestCount();
      expect(count).to.equal(1n);
      const before = await snapshot(market, token, addrs, [r.id]);
      for (const id of [0n, count + 1n]) {
        await expect(market.connect(hosts[0]).answer(id, r.key, 0, OUTPUT))
          .to.be.revertedWithCustomError(market, "MarketUnknownRequest")
          .withArgs(id);
      }
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
    });

    it("reverts MarketRequestRefunded for a refunded request", async () => {
      const { market, token, hosts, stranger, r, t, addrs } = await loadFixture(openRequestFixture);
      await time.setNextBlockTimestamp(t + 601n);
      await market.connect(stranger).refund(r.id, r.key);
      const before = await snapshot(market, token, addrs, [r.id]);
      expect(before.states[0][0]).to.equal(BigInt(Status.Refunded));
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketRequestRefunded")
        .withArgs(r.id);
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
    });

    it("reverts MarketModelerEvicted for a modeler evicted after under-serving E1", async () => {
      const { market, hosts, modelers, users, stranger } = await loadFixture(activeFixture);
      const r1 = await makeRequest(market, users[0], DATES.e1Start + 100n);
      await market.connect(hosts[0]).answer(r1.id, r1.key, 0, OUTPUT);
      // E1 is final at Thursday 00:10 (end + SLA): modelers[1] answered 0 of 1 request.
      await time.setNextBlockTimestamp(DATES.e2Start + TIME.sla);
      await market.connect(stranger).evict(1, E1, 1, 1);
      expect((await market.modelerInfo(1, modelers[1].address)).evicted).to.equal(true);
      const r2 = await makeRequest(market, users[1]);
      await expect(market.connect(hosts[1]).answer(r2.id, r2.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerEvicted")
        .withArgs(1n, modelers[1].address);
      expect(await market.pointsOf(1, modelers[1].address, E2)).to.equal(0n);
      expect((await market.requestState(r2.id)).answeredMask).to.equal(0n);
      // Another listed modeler still answers it.
      await expect(market.connect(hosts[2]).answer(r2.id, r2.key, 2, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r2.id, 1n, modelers[2].address, E2, FEE, OUTPUT);
    });
  });

  describe("points across epochs", () => {
    it("a late answer to a request of E1's last second counts in E1 after the modeler's first E2 answer", async () => {
      const { market, hosts, modelers, users } = await loadFixture(activeFixture);
      const m0 = modelers[0].address;
      // E1: one request answered in E1.
      const a = await makeRequest(market, users[0], DATES.e1Start + 1_000n);
      await market.connect(hosts[0]).answer(a.id, a.key, 0, OUTPUT);
      // E1's last second: a request left open across the boundary.
      const late = await makeRequest(market, users[1], DATES.e1Last);
      // E2: a request answered first.
      const b = await makeRequest(market, users[2], DATES.e2Start);
      await time.setNextBlockTimestamp(DATES.e2Start + 10n);
      await expect(market.connect(hosts[0]).answer(b.id, b.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(b.id, 1n, m0, E2, FEE, OUTPUT);
      expect(await market.pointsOf(1, m0, E1)).to.equal(1n);
      expect(await market.pointsOf(1, m0, E2)).to.equal(1n);
      // The late request is not answered yet: E1 counts only request a as answered.
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(1n);
      // Then the late E1 request, still within its SLA (deadline Thursday 00:09:59).
      await time.setNextBlockTimestamp(DATES.e2Start + 20n);
      await expect(market.connect(hosts[0]).answer(late.id, late.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(late.id, 1n, m0, E1, FEE, OUTPUT);
      expect(await market.pointsOf(1, m0, E1)).to.equal(2n);
      expect(await market.pointsOf(1, m0, E2)).to.equal(1n);
      // A further E2 answer still lands in E2.
      const c = await makeRequest(market, users[3], DATES.e2Start + 30n);
      await market.connect(hosts[0]).answer(c.id, c.key, 0, OUTPUT);
      expect(await market.pointsOf(1, m0, E1)).to.equal(2n);
      expect(await market.pointsOf(1, m0, E2)).to.equal(2n);

      const e1 = await market.epochFigures(1, E1);
      // The late request's answer, given in E2, counts it as answered in its own epoch E1.
      expect([e1.answeredRequests, e1.points, e1.settledFees]).to.deep.equal([2n, 2n, 2n * FEE]);
      const e2 = await market.epochFigures(1, E2);
      expect([e2.answeredRequests, e2.points, e2.settledFees]).to.deep.equal([2n, 2n, 2n * FEE]);
      // Other modelers are untouched.
      expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(0n);
      expect(await market.pointsOf(1, modelers[1].address, E2)).to.equal(0n);
    });

    it("a late E1 answer after several E2 answers by other modelers still counts in E1 for each", async () => {
      const { market, hosts, modelers, users } = await loadFixture(activeFixture);
      const late = await makeRequest(market, users[0], DATES.e1Last);
      const b = await makeRequest(market, users[1], DATES.e2Start);
      for (let i = 0; i < 3; i++) await market.connect(hosts[i]).answer(b.id, b.key, i, OUTPUT);
      for (let i = 0; i < 3; i++) await market.connect(hosts[i]).answer(late.id, late.key, i, OUTPUT);
      for (let i = 0; i < 3; i++) {
        expect(await market.pointsOf(1, modelers[i].address, E1)).to.equal(1n);
        expect(await market.pointsOf(1, modelers[i].address, E2)).to.equal(1n);
      }
      expect((await market.epochFigures(1, E1)).points).to.equal(3n);
      expect((await market.epochFigures(1, E2)).points).to.equal(3n);
    });
  });
});
