import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, challengeFixture, DATES, E1, FEE, TIME } from "../fixtures";
import { DEFAULT_TIME, Market, RevertError } from "../../sdk";

async function sdkFixture() {
  const f = await loadFixture(activeFixture);
  const address = await f.market.getAddress();
  const as = (signer: Parameters<typeof Market.connect>[1]) => Market.connect(address, signer);
  return { ...f, as };
}

describe("sdk/market lists, keeper and operator", () => {
  describe("settings and time", () => {
    it("reads the deployment's time rules and the chain's clock", async () => {
      const { as, stranger } = await loadFixture(sdkFixture);
      const market = as(stranger);
      expect(await market.timeConfig()).to.deep.equal(DEFAULT_TIME);
      expect(await market.now()).to.equal(BigInt(await time.latest()));
      expect(await market.epochTimes(E1)).to.deep.equal({
        start: DATES.e1Start,
        windowStart: DATES.e1Window,
        end: DATES.e2Start,
        finalAt: DATES.e2Start + TIME.sla,
        claimsOpenAt: DATES.e1ClaimsOpen,
      });
      expect((await market.token()).symbol).to.equal("tUSD");
      expect((await market.token()).decimals).to.equal(18);
    });

    it("finds the first block at or after a time", async () => {
      const { as, stranger } = await loadFixture(sdkFixture);
      const start = await ethers.provider.getBlockNumber();
      await time.increaseTo(DATES.e1Start + 100n);
      await time.increaseTo(DATES.e1Start + 200n);
      const market = as(stranger);
      expect(await market.blockAt(DATES.e1Start + 100n)).to.equal(start + 1);
      expect(await market.blockAt(DATES.e1Start + 101n)).to.equal(start + 2);
      expect(await market.blockAt(DATES.e1Start + 101n, start + 2)).to.equal(start + 2);
      expect(await market.blockAt(DATES.e1Start + 999n)).to.equal(start + 2);
    });

    it("finds the same block from any hint at or before it, as a walk block by block does", async () => {
      const { as, stranger } = await loadFixture(sdkFixture);
      const start = await ethers.provider.getBlockNumber();
      // Twenty blocks, 1 to 3 s apart, so that some seconds have no block.
      for (let i = 0; i < 20; i++) await time.increase(1 + (i % 3));
      const head = await ethers.provider.getBlockNumber();
      const times: bigint[] = [];
      for (let n = 0; n <= head; n++) times.push(BigInt((await ethers.provider.getBlock(n))!.timestamp));
      const market = as(stranger);
      for (let t = times[start]; t <= times[head] + 1n; t++) {
        const walked = times.findIndex((x, n) => n >= start && x >= t);
        const want = walked === -1 ? head : walked;
        for (const hint of [start, want - 7, want - 2, want - 1, want]) {
          if (hint < start) continue;
          expect(await market.blockAt(t, hint)).to.equal(want, `time ${t} from block ${hint}`);
        }
      }
    });
  });

  describe("activeList", () => {
    it("gives the serving list with each member's host, none before the first activation", async () => {
      const { as, stranger, listed, hosts } = await loadFixture(sdkFixture);
      const market = as(stranger);
      expect(await market.activeList(1, DATES.e1Start - 1n)).to.deep.equal({
        listId: 0n,
        activationEpoch: 0n,
        members: [],
      });
      const active = await market.activeList(1);
      expect(active.listId).to.equal(1n);
      expect(active.activationEpoch).to.equal(E1);
      expect(active.members.map((m) => [m.index, m.modeler, m.host, m.evicted])).to.deep.equal(
        listed.map((m, i) => [i, m.address, hosts[i].address, false]),
      );
    });
  });

  describe("promote", () => {
    it("promotes in the window and returns the new list's id; the list serves from the next epoch", async () => {
      const { as, keeper, modelers, stranger } = await loadFixture(sdkFixture);
      await time.increaseTo(DATES.e1Window);
      const { listId } = await as(keeper).promote(1, [modelers[6].address, modelers[0].address], ethers.id("board"));
      expect(listId).to.equal(2n);
      const status = await as(stranger).status(1);
      expect(status.activeList.listId).to.equal(1n);
      expect(status.pendingList?.listId).to.equal(2n);
      expect(status.pendingList?.members.map((m) => [m.modeler, m.host])).to.deep.equal([
        [modelers[6].address, ethers.ZeroAddress],
        [modelers[0].address, (await as(stranger).activeList(1)).members[0].host],
      ]);
      await time.increaseTo(DATES.e2Start);
      expect((await as(stranger).activeList(1)).listId).to.equal(2n);
    });

    it("throws MarketAlreadyPromoted for a second promotion in the epoch", async () => {
      const { as, keeper, modelers, market } = await loadFixture(sdkFixture);
      await time.increaseTo(DATES.e1Window);
      await as(keeper).promote(1, [modelers[6].address], ethers.ZeroHash);
      await expect(as(keeper).promote(1, [modelers[7].address], ethers.ZeroHash)).to.be.rejectedWith(
        RevertError,
        `MarketAlreadyPromoted(challengeId=1, epoch=${E1})`,
      );
      expect((await market.challenge(1)).listCount).to.equal(2n);
    });
  });

  describe("evictionCandidates and evict", () => {
    const below = (index: number, modeler: string, points: bigint, answeredRequests: bigint, threshold: bigint) => ({
      listId: 1n,
      index,
      modeler,
      points,
      answeredRequests,
      threshold,
      judged: true,
      notJudgedBecause: undefined,
      below: true,
    });

    it("names the members of the serving list under the threshold, and evicts one", async () => {
      const { as, users, hosts, stranger, modelers } = await loadFixture(sdkFixture);
      const market = as(stranger);
      const a = await as(users[0]).request(1, "a");
      const b = await as(users[1]).request(1, "b");
      for (const i of [0, 1, 2]) await as(hosts[i]).answer(a.requestId, a.key, i, "ok");
      await as(hosts[0]).answer(b.requestId, b.key, 0, "ok");
      expect(await market.evictionCandidates(1, E1 - 1n)).to.deep.equal([]);
      expect(await market.evictionCandidates(1, E1)).to.deep.equal([
        below(3, modelers[3].address, 0n, 2n, 1n),
        below(4, modelers[4].address, 0n, 2n, 1n),
      ]);
      await time.increaseTo(DATES.e2Start + TIME.sla);
      await market.evict(1, E1, 1, 4);
      expect((await market.evictionCandidates(1, E1)).map((c) => c.index)).to.deep.equal([3]);
      expect((await market.activeList(1)).members[4].evicted).to.equal(true);
    });

    it("counts only answered requests: unanswered ones, refunded or not, never push a modeler under", async () => {
      const { as, users, hosts, stranger, modelers } = await loadFixture(sdkFixture);
      const market = as(stranger);
      const genuine = [];
      for (let i = 0; i < 4; i++) genuine.push(await as(users[i % 3]).request(1, `0x${i}`));
      const garbage = [];
      for (let i = 0; i < 12; i++) garbage.push(await as(users[3]).request(1, "not a wallet"));
      // Modelers 0..2 answer the 4 genuine requests; modeler 3 answers 2 of them, exactly the threshold;
      // modeler 4 answers 1, under it. Nobody answers the garbage; one garbage request is refunded.
      for (const r of genuine) for (const i of [0, 1, 2]) await as(hosts[i]).answer(r.requestId, r.key, i, "700");
      for (const r of genuine.slice(0, 2)) await as(hosts[3]).answer(r.requestId, r.key, 3, "700");
      await as(hosts[4]).answer(genuine[0].requestId, genuine[0].key, 4, "700");
      await time.increaseTo(garbage[garbage.length - 1].deadline + 1n);
      await as(users[3]).refund(garbage[0].requestId, garbage[0].key);
      const js = await market.judgements(1, E1);
      expect(js.map((j) => [j.points, j.answeredRequests, j.threshold, j.below])).to.deep.equal([
        [4n, 4n, 2n, false],
        [4n, 4n, 2n, false],
        [4n, 4n, 2n, false],
        [2n, 4n, 2n, false],
        [1n, 4n, 2n, true],
      ]);
      expect(await market.evictionCandidates(1, E1)).to.deep.equal([below(4, modelers[4].address, 1n, 4n, 2n)]);
      // The contract agrees on both sides of the threshold.
      await time.increaseTo(DATES.e2Start + TIME.sla);
      await expect(market.evict(1, E1, 1, 3)).to.be.rejectedWith(RevertError, "MarketModelerMetThreshold");
      await market.evict(1, E1, 1, 4);
    });

    it("judges nobody on an epoch where no request was answered", async () => {
      const { as, users, stranger } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "not a wallet");
      await time.increaseTo(r.deadline + 1n);
      const js = await as(stranger).judgements(1, E1);
      expect(js).to.have.length(5);
      expect(js.every((j) => j.judged && !j.below && j.answeredRequests === 0n && j.threshold === 0n)).to.equal(true);
      expect(await as(stranger).evictionCandidates(1, E1)).to.deep.equal([]);
    });

    it("judges a modeler only on epochs it was opted in for from their first second", async () => {
      const { as, keeper, users, hosts, stranger, modelers, market: contract } = await loadFixture(sdkFixture);
      const market = as(stranger);
      // Modeler 5 is promoted in E1's window; modeler 6 too but never registers.
      await time.increaseTo(DATES.e1Window);
      await as(keeper).promote(1, [modelers[0].address, modelers[5].address, modelers[6].address], ethers.id("e1"));
      // Modeler 5 registers at the first second of E2 and is judged on E2; a second later it would not be.
      await time.setNextBlockTimestamp(DATES.e2Start);
      await as(modelers[5]).register(1, hosts[5].address);
      const r = await as(users[0]).request(1, "a");
      await as(hosts[0]).answer(r.requestId, r.key, 0, "700");
      const e2 = E1 + 1n;
      const [first, atStart, never] = await market.judgements(1, e2);
      expect([first.judged, first.below]).to.deep.equal([true, false]);
      expect([atStart.modeler, atStart.judged, atStart.below, atStart.threshold]).to.deep.equal([
        modelers[5].address,
        true,
        true,
        1n,
      ]);
      expect([never.judged, never.notJudgedBecause, never.below]).to.deep.equal([false, "not registered", false]);
      expect((await market.evictionCandidates(1, e2)).map((c) => c.modeler)).to.deep.equal([modelers[5].address]);
      expect((await contract.modelerInfo(1, modelers[5].address)).optedInAt).to.equal(DATES.e2Start);
    });

    it("does not judge a modeler that registered one second into the epoch", async () => {
      const { as, keeper, users, hosts, stranger, modelers } = await loadFixture(sdkFixture);
      await time.increaseTo(DATES.e1Window);
      await as(keeper).promote(1, [modelers[0].address, modelers[5].address], ethers.id("e1"));
      await time.setNextBlockTimestamp(DATES.e2Start + 1n);
      await as(modelers[5]).register(1, hosts[5].address);
      const r = await as(users[0]).request(1, "a");
      await as(hosts[0]).answer(r.requestId, r.key, 0, "700");
      const [, late] = await as(stranger).judgements(1, E1 + 1n);
      expect([late.judged, late.notJudgedBecause, late.below]).to.deep.equal([
        false,
        "opted in during or after the epoch",
        false,
      ]);
      expect(await as(stranger).evictionCandidates(1, E1 + 1n)).to.deep.equal([]);
    });
  });

  describe("operator, admin and modeler calls", () => {
    it("create a challenge, set its fee, register a modeler and change its host", async () => {
      const { as, manager, creator, challengeAdmin, modelers, hosts, market } = await loadFixture(sdkFixture);
      const { challengeId } = await as(manager).createChallenge(creator.address, challengeAdmin.address, FEE, "churn");
      expect(challengeId).to.equal(2n);
      await as(challengeAdmin).setFee(2, 3n * FEE);
      expect((await market.challenge(2)).fee).to.equal(3n * FEE);
      await as(modelers[9]).register(2, hosts[9].address);
      await as(modelers[9]).setHost(2, hosts[8].address);
      expect((await market.modelerInfo(2, modelers[9].address)).host).to.equal(hosts[8].address);
    });

    it("throw the decoded error and change nothing when the caller lacks the right", async () => {
      const { creator, market, stranger } = await loadFixture(challengeFixture);
      const sdk = Market.connect(await market.getAddress(), stranger);
      await expect(sdk.setFee(1, 1n)).to.be.rejectedWith(
        RevertError,
        `MarketNotChallengeAdmin(challengeId=1, account=${stranger.address})`,
      );
      await expect(sdk.createChallenge(creator.address, creator.address, 1n, "")).to.be.rejectedWith(
        `AccessControlUnauthorizedAccount(account=${stranger.address}, neededRole=CHALLENGE_MANAGER_ROLE)`,
      );
      expect((await market.challenge(1)).fee).to.equal(FEE);
      expect(await market.challengeCount()).to.equal(1n);
    });
  });

  describe("status", () => {
    it("shows the clock, the current epoch's times, the parties, the lists and the epoch's figures", async () => {
      const { as, users, hosts, stranger, creator, challengeAdmin } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "a");
      await as(hosts[1]).answer(r.requestId, r.key, 1, "ok");
      const s = await as(stranger).status(1);
      expect(s.now).to.equal(BigInt(await time.latest()));
      expect(s.epoch).to.equal(E1);
      expect(s.times.windowStart).to.equal(DATES.e1Window);
      expect(s.inWindow).to.equal(false);
      expect(s.paused).to.equal(false);
      expect([s.creator, s.admin, s.fee]).to.deep.equal([creator.address, challengeAdmin.address, FEE]);
      expect(s.activeList.listId).to.equal(1n);
      expect(s.pendingList).to.equal(undefined);
      expect(s.figures).to.deep.equal({
        answeredRequests: 1n,
        points: 1n,
        settledFees: FEE,
        pool: (FEE * 85n) / 100n,
        finalized: false,
      });
      expect(s.judgements.map((j) => [j.index, j.points, j.threshold, j.judged, j.below])).to.deep.equal([
        [0, 0n, 1n, true, true],
        [1, 1n, 1n, true, false],
        [2, 0n, 1n, true, true],
        [3, 0n, 1n, true, true],
        [4, 0n, 1n, true, true],
      ]);
    });
  });
});
