import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME, Status } from "../fixtures";
import { claimsOpenAt, finalAt, startOf, windowStart, endOf } from "../../sdk/time";

describe("InferenceMarket views", () => {
  describe("currentEpoch", () => {
    it("rolls with the clock: Wednesday 2026-12-02 23:59:59 is E1, Thursday 2026-12-03 00:00:00 is E2", async () => {
      const { market } = await loadFixture(activeFixture);
      await time.increaseTo(DATES.e1Last);
      expect(await market.currentEpoch()).to.equal(E1);
      await time.increaseTo(DATES.e2Start);
      expect(await market.currentEpoch()).to.equal(E1 + 1n);
      expect(await market.epochAt(DATES.e1Last)).to.equal(E1);
      expect(await market.epochAt(DATES.e2Start)).to.equal(E1 + 1n);
    });
  });

  describe("epochTimes", () => {
    it("gives the real dates of E1: start, Monday window, end, final time and claim opening", async () => {
      const { market } = await loadFixture(activeFixture);
      const [start, window, end, final, claims] = await market.epochTimes(E1);
      expect([start, window, end, final, claims]).to.deep.equal([
        DATES.e1Start,
        DATES.e1Window,
        DATES.e2Start,
        DATES.e2Start + TIME.sla,
        DATES.e1ClaimsOpen,
      ]);
      expect([start, window, end, final, claims]).to.deep.equal([
        startOf(TIME, E1),
        windowStart(TIME, E1),
        endOf(TIME, E1),
        finalAt(TIME, E1),
        claimsOpenAt(TIME, E1),
      ]);
    });
  });

  describe("requestState", () => {
    it("is None for ids never issued, Open up to the deadline, then Expired, then Refunded", async () => {
      const { market, users } = await loadFixture(activeFixture);
      expect((await market.requestState(0))[0]).to.equal(Status.None);
      expect((await market.requestState(1))[0]).to.equal(Status.None);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, "0x01"));
      expect(await market.requestState(r.id)).to.deep.equal([Status.Open, r.createdAt, r.deadline, 0n]);
      await time.increaseTo(r.deadline);
      expect((await market.requestState(r.id))[0]).to.equal(Status.Open);
      await time.increaseTo(r.deadline + 1n);
      expect(await market.requestState(r.id)).to.deep.equal([Status.Expired, r.createdAt, r.deadline, 0n]);
      await market.refund(r.id, r.key);
      expect(await market.requestState(r.id)).to.deep.equal([Status.Refunded, 0n, 0n, 0n]);
      expect((await market.requestState(r.id + 1n))[0]).to.equal(Status.None);
    });

    it("is Answered with one mask bit per list position that answered, after the deadline too", async () => {
      const { market, users, hosts } = await loadFixture(activeFixture);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, "0x01"));
      await market.connect(hosts[1]).answer(r.id, r.key, 1, "0x02");
      await market.connect(hosts[3]).answer(r.id, r.key, 3, "0x02");
      expect(await market.requestState(r.id)).to.deep.equal([Status.Answered, r.createdAt, r.deadline, 0b1010n]);
      await time.increaseTo(r.deadline + 1n);
      expect((await market.requestState(r.id))[0]).to.equal(Status.Answered);
    });
  });

  describe("activeListId and challenge", () => {
    it("report the serving list and the challenge's parties, fee and lists", async () => {
      const { market, creator, challengeAdmin } = await loadFixture(activeFixture);
      expect(await market.activeListId(1)).to.equal(1n);
      expect(await market.activeListId(2)).to.equal(0n);
      expect(await market.challenge(1)).to.deep.equal([creator.address, challengeAdmin.address, FEE, 1n, E1]);
    });
  });

  describe("epoch numbers beyond 24 bits", function () {
    const MAX = 2n ** 24n - 1n;

    it("are refused by claims, eviction and epochTimes with EpochsEpochOutOfRange; the last valid one is not", async function () {
      const { market, modelers } = await loadFixture(activeFixture);
      const calls = [
        () => market.claimRewards(1, modelers[0].address, [MAX + 1n]),
        () => market.claimFees(1, 0, [MAX + 1n]),
        () => market.evict(1, MAX + 1n, 1, 0),
        () => market.epochTimes(MAX + 1n),
        () => market.claimRewards(1, modelers[0].address, [2n ** 256n - 1n]),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(market, "EpochsEpochOutOfRange");
      }
      await expect(market.evict(1, MAX + 1n, 1, 0))
        .to.be.revertedWithCustomError(market, "EpochsEpochOutOfRange")
        .withArgs(MAX + 1n, MAX);
      const now = BigInt(await time.latest());
      await expect(market.claimRewards(1, modelers[0].address, [MAX]))
        .to.be.revertedWithCustomError(market, "MarketClaimNotOpen")
        .withArgs(MAX, (MAX + 1n) * TIME.epochLength + TIME.claimDelay, now + 1n);
      expect((await market.epochTimes(MAX)).start).to.equal(MAX * TIME.epochLength);
    });
  });
});
