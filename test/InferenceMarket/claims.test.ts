import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, reset, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE } from "../fixtures";
import { utc } from "../../sdk/time";
import type { InferenceMarket } from "../../typechain-types";

/*
 * Claims: claimRewards and claimFees on the real calendar.
 * E1 = Thu 2026-11-26 .. Wed 2026-12-02, its claims open Fri 2026-12-04 00:00:00 UTC (the end of Thursday 12-03).
 * E2 = Thu 2026-12-03 .. Wed 2026-12-09, claims open Fri 2026-12-11 00:00:00.
 * E3 = Thu 2026-12-10 .. Wed 2026-12-16, claims open Fri 2026-12-18 00:00:00.
 * Expected money is computed here from the answers the tests made, with the protocol's default split
 * (5% creator, 5% admin, 5% platform, the pool takes the rest), never read back from the contract.
 * A reward is the floor of pool * points / totalPoints; the dust the floors leave goes to the platform.
 */

const E0 = E1 - 1n;
const E2 = E1 + 1n;
const E3 = E1 + 2n;
const E4 = E1 + 3n;
const CLAIMS_OPEN = {
  e1: DATES.e1ClaimsOpen, // Fri 2026-12-04 00:00:00
  e2: utc("2026-12-11T00:00:00Z"),
  e3: utc("2026-12-18T00:00:00Z"),
  e4: utc("2026-12-25T00:00:00Z"),
};
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

const BPS = 10_000n;
const SHARE_BPS = 500n; // creator, admin and platform each
const Kind = { Creator: 0, Admin: 1, Platform: 2 } as const;

/** One fee share of `settled` (floor). */
const feeShare = (settled: bigint) => (settled * SHARE_BPS) / BPS;
/** The modelers' pool: the settled fees minus the three floored shares (85% when exact). */
const poolOf = (settled: bigint) => settled - 3n * feeShare(settled);
/** The spec's reward: pool * points / totalPoints (floor). */
const rewardOf = (settled: bigint, points: bigint, total: bigint) => (poolOf(settled) * points) / total;
/** What the floored rewards of an epoch played by `play` leave of its pool: the platform's dust. */
const dustOf = (e: { settled: bigint; points: Record<number, bigint>; total: bigint }) =>
  Object.values(e.points).reduce((left, p) => left - rewardOf(e.settled, p, e.total), poolOf(e.settled));

type Req = Awaited<ReturnType<typeof requestOf>>;
type F = Awaited<ReturnType<typeof activeFixture>>;

/** Answers `req` for the listed modeler at `index` (through its host, hosts[index]). */
function answerAs(f: F, index: number, req: Req) {
  return f.market.connect(f.hosts[index]).answer(req.id, req.key, index, OUTPUT);
}

async function makeRequests(f: F, n: number, maxFee = FEE): Promise<Req[]> {
  const out: Req[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await requestOf(f.market, await f.market.connect(f.users[i % f.users.length]).request(1, maxFee, INPUT)));
  }
  return out;
}

/**
 * Plays `plan` (list index -> request positions it answers) and returns each list index's points and the
 * settled fees (the fee of each request that got at least one answer), computed from the plan itself.
 */
async function play(f: F, reqs: Req[], plan: Record<number, number[]>) {
  const points: Record<number, bigint> = {};
  const answered = new Set<number>();
  for (const [index, positions] of Object.entries(plan)) {
    points[Number(index)] = BigInt(positions.length);
    for (const p of positions) {
      await answerAs(f, Number(index), reqs[p]);
      answered.add(p);
    }
  }
  let settled = 0n;
  for (const p of answered) settled += BigInt(reqs[p].key.fee);
  const total = Object.values(points).reduce((a, b) => a + b, 0n);
  return { points, settled, total };
}

/**
 * E1 (list 1 = modelers[0..4]): five requests of FEE made on Thu 2026-11-26; A (index 0) answers four, B two,
 * C two, D and E none; the fifth request is never answered (it stays escrowed, expired).
 */
async function e1Fixture() {
  const f = await loadFixture(activeFixture);
  const reqs = await makeRequests(f, 5);
  const e1 = await play(f, reqs, { 0: [0, 1, 2, 3], 1: [0, 1], 2: [2, 3] });
  const [A, B, C, D] = f.listed;
  return { ...f, reqs, e1, A, B, C, D };
}

/** e1Fixture, then E2: two requests answered by A only; E3: one request answered by A and B. */
async function multiEpochFixture() {
  const f = await loadFixture(e1Fixture);
  await time.increaseTo(DATES.e2Start + 3_600n); // Thu 2026-12-03 01:00
  const r2 = await makeRequests(f, 2);
  const e2 = await play(f, r2, { 0: [0, 1] });
  await time.increaseTo(DATES.e3Start + 3_600n); // Thu 2026-12-10 01:00
  const r3 = await makeRequests(f, 1);
  const e3 = await play(f, r3, { 0: [0], 1: [0] });
  return { ...f, e2, e3 };
}

/** Fee 19 (set by the challenge admin); seven requests answered 7, 3 and 1 times by modelers 0, 1 and 2. */
async function roundingFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.challengeAdmin).setFee(1, 19);
  const reqs = await makeRequests(f, 7, 19n);
  const e1 = await play(f, reqs, { 0: [0, 1, 2, 3, 4, 5, 6], 1: [1, 3, 5], 2: [4] });
  return { ...f, reqs, e1 };
}

/** Everything a rejected claim must leave untouched. */
async function snapshot(market: InferenceMarket, token: F["token"], accounts: string[], modelers: string[]) {
  const balances = await Promise.all([await market.getAddress(), ...accounts].map((a) => token.balanceOf(a)));
  const figures = await Promise.all([E0, E1, E2, E3].map(async (e) => [...(await market.epochFigures(1, e))]));
  const rewards = await Promise.all(
    modelers.flatMap((m) => [E0, E1, E2, E3].map((e) => market.claimableReward(1, m, e))),
  );
  const fees = await Promise.all(
    [Kind.Creator, Kind.Admin, Kind.Platform].flatMap((k) =>
      [E0, E1, E2, E3].map((e) => market.claimableFees(1, k, e)),
    ),
  );
  return { balances, figures, rewards, fees };
}

function snap(f: F, extra: string[] = []) {
  const accounts = [f.stranger, f.creator, f.challengeAdmin, f.treasury, ...f.listed, ...f.hosts.slice(0, 5)].map(
    (s) => s.address,
  );
  return snapshot(
    f.market,
    f.token,
    [...accounts, ...extra],
    f.listed.map((m) => m.address),
  );
}

/*
 * Fixtures are nested through loadFixture so that each starts from a clean snapshot on the real calendar;
 * the chain is reset before and after this file so that neither earlier nor later files see a moved clock.
 */
describe("InferenceMarket claims", function () {
  before(async function () {
    await reset();
  });
  after(async function () {
    await reset();
  });

  describe("claimRewards: claims open at the end of the Thursday after the epoch", function () {
    it("E1's claims open on Friday 2026-12-04 00:00:00 UTC", async function () {
      const { market } = await loadFixture(e1Fixture);
      const times = await market.epochTimes(E1);
      expect(times.claimsOpenAt).to.equal(CLAIMS_OPEN.e1);
      expect(CLAIMS_OPEN.e1).to.equal(utc("2026-12-03T23:59:59Z") + 1n);
    });

    it("reverts MarketClaimNotOpen at 2026-12-03 23:59:59 and changes nothing", async function () {
      const f = await loadFixture(e1Fixture);
      const before = await snap(f);
      await time.setNextBlockTimestamp(CLAIMS_OPEN.e1 - 1n);
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketClaimNotOpen")
        .withArgs(E1, CLAIMS_OPEN.e1, CLAIMS_OPEN.e1 - 1n);
      expect(await snap(f)).to.deep.equal(before);
    });

    it("succeeds at 2026-12-04 00:00:00 exactly", async function () {
      const f = await loadFixture(e1Fixture);
      const amount = rewardOf(f.e1.settled, f.e1.points[0], f.e1.total);
      await time.setNextBlockTimestamp(CLAIMS_OPEN.e1 - 1n);
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [E1])).to.be.revertedWithCustomError(
        f.market,
        "MarketClaimNotOpen",
      );
      await time.setNextBlockTimestamp(CLAIMS_OPEN.e1);
      const tx = f.market.connect(f.A).claimRewards(1, f.A.address, [E1]);
      await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, f.A.address, [E1], amount);
      await expect(tx).to.changeTokenBalances(f.token, [f.A, f.market], [amount, -amount]);
      const block = await ethers.provider.getBlock("latest");
      expect(block!.timestamp).to.equal(Number(CLAIMS_OPEN.e1));
    });
  });

  describe("claimRewards: amount, event and recipient", function () {
    it("pays each modeler pool * points / totalPoints, pool being 85% of the settled fees", async function () {
      const f = await loadFixture(e1Fixture);
      // 4 answered requests of 1 FEE: settled 4 FEE, pool 3.4 FEE; points 4, 2, 2 of 8.
      expect(f.e1.settled).to.equal(4n * FEE);
      expect(poolOf(f.e1.settled)).to.equal((4n * FEE * 85n) / 100n);
      await time.increaseTo(CLAIMS_OPEN.e1);
      let paid = 0n;
      for (const [index, m] of [f.A, f.B, f.C].entries()) {
        const points = f.e1.points[index];
        const amount = rewardOf(f.e1.settled, points, f.e1.total);
        expect(await f.market.pointsOf(1, m.address, E1)).to.equal(points);
        const tx = f.market.connect(m).claimRewards(1, m.address, [E1]);
        await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, m.address, [E1], amount);
        await expect(tx).to.changeTokenBalances(f.token, [m, f.market], [amount, -amount]);
        paid += amount;
      }
      // 3.4 FEE over 4/8, 2/8 and 2/8 divides exactly: the floors leave no dust.
      expect(paid).to.equal(poolOf(f.e1.settled));
      const figures = await f.market.epochFigures(1, E1);
      expect(figures.points).to.equal(f.e1.total);
      expect(figures.rewardDust).to.equal(0n);
      expect(figures.platformShare).to.equal(feeShare(f.e1.settled));
      expect(figures.finalized).to.equal(true);
      expect(figures.settledFees).to.equal(f.e1.settled);
    });

    it("sent by a stranger, pays the modeler only: the stranger and the modeler's host get nothing", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const amount = rewardOf(f.e1.settled, f.e1.points[0], f.e1.total);
      expect(await f.market.connect(f.stranger).claimRewards.staticCall(1, f.A.address, [E1])).to.equal(amount);
      const tx = f.market.connect(f.stranger).claimRewards(1, f.A.address, [E1]);
      await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, f.A.address, [E1], amount);
      await expect(tx).to.changeTokenBalances(
        f.token,
        [f.A, f.stranger, f.hosts[0], f.market],
        [amount, 0n, 0n, -amount],
      );
    });

    it("a second claim of the same epoch reverts MarketAlreadyClaimed and changes nothing", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      await f.market.connect(f.stranger).claimRewards(1, f.A.address, [E1]);
      const before = await snap(f);
      for (const sender of [f.A, f.stranger]) {
        await expect(f.market.connect(sender).claimRewards(1, f.A.address, [E1]))
          .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
          .withArgs(1, f.A.address, E1);
      }
      expect(await snap(f)).to.deep.equal(before);
    });

    it("an epoch without points reverts MarketNothingToClaim and changes nothing", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const before = await snap(f);
      // D is listed and registered but answered nothing in E1, which has settled fees.
      expect(await f.market.pointsOf(1, f.D.address, E1)).to.equal(0);
      await expect(f.market.connect(f.D).claimRewards(1, f.D.address, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
        .withArgs(1, f.D.address, E1);
      // A has points in E1 but none in E0; an address that never modeled has none at all.
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [E0]))
        .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
        .withArgs(1, f.A.address, E0);
      await expect(f.market.connect(f.stranger).claimRewards(1, f.stranger.address, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
        .withArgs(1, f.stranger.address, E1);
      expect(await snap(f)).to.deep.equal(before);
    });

    it("an empty array reverts MarketEmptyBatch and changes nothing", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const before = await snap(f);
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [])).to.be.revertedWithCustomError(
        f.market,
        "MarketEmptyBatch",
      );
      expect(await snap(f)).to.deep.equal(before);
    });
  });

  describe("claimableReward", function () {
    it("matches what the claim pays, before and after claims open, and is 0 after the claim", async function () {
      const f = await loadFixture(e1Fixture);
      const amounts = [0, 1, 2].map((i) => rewardOf(f.e1.settled, f.e1.points[i], f.e1.total));
      for (const [i, m] of [f.A, f.B, f.C].entries()) {
        expect(await f.market.claimableReward(1, m.address, E1)).to.equal(amounts[i]);
      }
      expect(await f.market.claimableReward(1, f.D.address, E1)).to.equal(0);
      await time.increaseTo(CLAIMS_OPEN.e1);
      for (const [i, m] of [f.A, f.B, f.C].entries()) {
        const view = await f.market.claimableReward(1, m.address, E1);
        expect(view).to.equal(amounts[i]);
        await expect(f.market.claimRewards(1, m.address, [E1])).to.changeTokenBalance(f.token, m, view);
        expect(await f.market.claimableReward(1, m.address, E1)).to.equal(0);
      }
    });
  });

  describe("claimRewards: several epochs in one call", function () {
    it("pays the sum of E1, E2 and E3 and emits one RewardsClaimed for the batch", async function () {
      const f = await loadFixture(multiEpochFixture);
      await time.increaseTo(CLAIMS_OPEN.e3);
      const a1 = rewardOf(f.e1.settled, f.e1.points[0], f.e1.total);
      const a2 = rewardOf(f.e2.settled, f.e2.points[0], f.e2.total);
      const a3 = rewardOf(f.e3.settled, f.e3.points[0], f.e3.total);
      const sum = a1 + a2 + a3;
      const views = await Promise.all([E1, E2, E3].map((e) => f.market.claimableReward(1, f.A.address, e)));
      expect(views).to.deep.equal([a1, a2, a3]);
      expect(await f.market.connect(f.stranger).claimRewards.staticCall(1, f.A.address, [E1, E2, E3])).to.equal(sum);
      const tx = f.market.connect(f.stranger).claimRewards(1, f.A.address, [E1, E2, E3]);
      await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, f.A.address, [E1, E2, E3], sum);
      await expect(tx).to.changeTokenBalances(f.token, [f.A, f.stranger, f.market], [sum, 0n, -sum]);
      const receipt = await (await tx).wait();
      const events = receipt!.logs.map((l) => f.market.interface.parseLog(l));
      expect(events.filter((e) => e?.name === "RewardsClaimed").length).to.equal(1);
      // Nobody finalized the three epochs: the claim does, each once.
      expect(events.filter((e) => e?.name === "EpochFinalized").map((e) => [...e!.args])).to.deep.equal(
        [f.e1, f.e2, f.e3].map((e, i) => [1n, E1 + BigInt(i), 1n, e.total, dustOf(e)]),
      );
      for (const e of [E1, E2, E3]) expect(await f.market.claimableReward(1, f.A.address, e)).to.equal(0);
    });

    it("an already-claimed epoch in the batch reverts the whole batch", async function () {
      const f = await loadFixture(multiEpochFixture);
      await time.increaseTo(CLAIMS_OPEN.e3);
      await f.market.claimRewards(1, f.A.address, [E2]);
      const before = await snap(f);
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [E1, E2, E3]))
        .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
        .withArgs(1, f.A.address, E2);
      // The same epoch twice in one batch is also a second claim.
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [E1, E1]))
        .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
        .withArgs(1, f.A.address, E1);
      expect(await snap(f)).to.deep.equal(before);
      expect(await f.market.claimableReward(1, f.A.address, E1)).to.equal(
        rewardOf(f.e1.settled, f.e1.points[0], f.e1.total),
      );
    });

    it("an epoch not yet open in the batch reverts the whole batch", async function () {
      const f = await loadFixture(multiEpochFixture);
      await time.setNextBlockTimestamp(CLAIMS_OPEN.e3 - 1n);
      const before = await snap(f);
      await expect(f.market.connect(f.A).claimRewards(1, f.A.address, [E1, E2, E3]))
        .to.be.revertedWithCustomError(f.market, "MarketClaimNotOpen")
        .withArgs(E3, CLAIMS_OPEN.e3, CLAIMS_OPEN.e3 - 1n);
      expect(await snap(f)).to.deep.equal(before);
    });
  });

  describe("claimFees", function () {
    const recipients = (f: F) => [
      { kind: Kind.Creator, who: f.creator },
      { kind: Kind.Admin, who: f.challengeAdmin },
      { kind: Kind.Platform, who: f.treasury },
    ];

    it("pays creator, challenge admin and treasury each floor(settled * 500 / 10000)", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const share = feeShare(f.e1.settled);
      expect(share).to.equal((4n * FEE * 5n) / 100n);
      for (const { kind, who } of recipients(f)) {
        const tx = f.market.connect(who).claimFees(1, kind, [E1]);
        await expect(tx).to.emit(f.market, "FeesClaimed").withArgs(1, who.address, E1, kind, share);
        await expect(tx).to.changeTokenBalances(f.token, [who, f.market], [share, -share]);
      }
    });

    it("anyone may send; only the recipient is paid", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const share = feeShare(f.e1.settled);
      const others = [f.creator, f.challengeAdmin, f.treasury, f.stranger];
      for (const { kind, who } of recipients(f)) {
        const tx = f.market.connect(f.stranger).claimFees(1, kind, [E1]);
        await expect(tx).to.emit(f.market, "FeesClaimed").withArgs(1, who.address, E1, kind, share);
        await expect(tx).to.changeTokenBalances(
          f.token,
          [...others, f.market],
          [...others.map((o) => (o === who ? share : 0n)), -share],
        );
      }
    });

    it("once per epoch and kind: a second claim reverts MarketAlreadyClaimed, other kinds stay claimable", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const share = feeShare(f.e1.settled);
      await f.market.claimFees(1, Kind.Creator, [E1]);
      const before = await snap(f);
      await expect(f.market.connect(f.creator).claimFees(1, Kind.Creator, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
        .withArgs(1, f.creator.address, E1);
      await expect(f.market.claimFees(1, Kind.Admin, [E1, E1]))
        .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
        .withArgs(1, f.challengeAdmin.address, E1);
      expect(await snap(f)).to.deep.equal(before);
      await expect(f.market.claimFees(1, Kind.Admin, [E1])).to.changeTokenBalance(f.token, f.challengeAdmin, share);
      await expect(f.market.claimFees(1, Kind.Platform, [E1])).to.changeTokenBalance(f.token, f.treasury, share);
      for (const { kind, who } of recipients(f)) {
        await expect(f.market.claimFees(1, kind, [E1]))
          .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
          .withArgs(1, who.address, E1);
      }
    });

    it("reverts MarketClaimNotOpen at 2026-12-03 23:59:59 and succeeds at 2026-12-04 00:00:00", async function () {
      const f = await loadFixture(e1Fixture);
      const before = await snap(f);
      await time.setNextBlockTimestamp(CLAIMS_OPEN.e1 - 1n);
      await expect(f.market.connect(f.treasury).claimFees(1, Kind.Platform, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketClaimNotOpen")
        .withArgs(E1, CLAIMS_OPEN.e1, CLAIMS_OPEN.e1 - 1n);
      expect(await snap(f)).to.deep.equal(before);
      await time.setNextBlockTimestamp(CLAIMS_OPEN.e1);
      await expect(f.market.connect(f.treasury).claimFees(1, Kind.Platform, [E1])).to.changeTokenBalance(
        f.token,
        f.treasury,
        feeShare(f.e1.settled),
      );
    });

    it("an epoch without settled fees reverts MarketNothingToClaim", async function () {
      const f = await loadFixture(e1Fixture);
      // E4 (Thu 2026-12-17 ..): one request that nobody answers, refunded after its deadline.
      await time.increaseTo(utc("2026-12-17T12:00:00Z"));
      const [r] = await makeRequests(f, 1);
      await time.increaseTo(r.deadline + 1n);
      await f.market.connect(f.stranger).refund(r.id, r.key);
      await time.increaseTo(CLAIMS_OPEN.e4);
      // The epoch had a request (its list is recorded) but no answered one.
      const e4 = await f.market.epochFigures(1, E4);
      expect([e4.listId, e4.answeredRequests, e4.settledFees]).to.deep.equal([1n, 0n, 0n]);
      const before = await snap(f);
      for (const { kind, who } of recipients(f)) {
        for (const e of [E0, E4]) {
          await expect(f.market.connect(who).claimFees(1, kind, [e]))
            .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
            .withArgs(1, who.address, e);
        }
        expect(await f.market.claimableFees(1, kind, E4)).to.equal(0);
      }
      expect(await snap(f)).to.deep.equal(before);
    });

    it("an unknown challenge reverts MarketChallengeNotFound; an empty batch MarketEmptyBatch", async function () {
      const f = await loadFixture(e1Fixture);
      await time.increaseTo(CLAIMS_OPEN.e1);
      const before = await snap(f);
      for (const id of [0n, 2n]) {
        await expect(f.market.connect(f.creator).claimFees(id, Kind.Creator, [E1]))
          .to.be.revertedWithCustomError(f.market, "MarketChallengeNotFound")
          .withArgs(id);
      }
      await expect(f.market.connect(f.creator).claimFees(1, Kind.Creator, [])).to.be.revertedWithCustomError(
        f.market,
        "MarketEmptyBatch",
      );
      expect(await snap(f)).to.deep.equal(before);
    });

    it("claims several epochs in one call, one FeesClaimed per epoch", async function () {
      const f = await loadFixture(multiEpochFixture);
      await time.increaseTo(CLAIMS_OPEN.e3);
      const shares = [f.e1, f.e2, f.e3].map((e) => feeShare(e.settled));
      const sum = shares.reduce((a, b) => a + b, 0n);
      const tx = f.market.connect(f.stranger).claimFees(1, Kind.Admin, [E1, E2, E3]);
      for (const [i, e] of [E1, E2, E3].entries()) {
        await expect(tx)
          .to.emit(f.market, "FeesClaimed")
          .withArgs(1, f.challengeAdmin.address, e, Kind.Admin, shares[i]);
      }
      await expect(tx).to.changeTokenBalances(f.token, [f.challengeAdmin, f.stranger, f.market], [sum, 0n, -sum]);
    });
  });

  describe("claimableFees", function () {
    it("matches what claimFees pays and is 0 after the claim, per kind", async function () {
      const f = await loadFixture(e1Fixture);
      const share = feeShare(f.e1.settled);
      for (const kind of [Kind.Creator, Kind.Admin, Kind.Platform]) {
        expect(await f.market.claimableFees(1, kind, E1)).to.equal(share);
        expect(await f.market.claimableFees(1, kind, E0)).to.equal(0);
      }
      await time.increaseTo(CLAIMS_OPEN.e1);
      await f.market.claimFees(1, Kind.Admin, [E1]);
      expect(await f.market.claimableFees(1, Kind.Admin, E1)).to.equal(0);
      expect(await f.market.claimableFees(1, Kind.Creator, E1)).to.equal(share);
      expect(await f.market.claimableFees(1, Kind.Platform, E1)).to.equal(share);
    });
  });

  describe("claims: rounding never loses a unit, the platform takes the dust", function () {
    /*
     * roundingFixture: settled 7 * 19 = 133, shares floor(133 * 500 / 10000) = 6 each, pool 133 - 18 = 115;
     * points 7, 3, 1 of 11: rewards floor(805 / 11) = 73, floor(345 / 11) = 31, floor(115 / 11) = 10, which
     * leave 115 - 114 = 1 unit of dust to the platform: 6 + 1 = 7.
     */
    const REWARDS = [73n, 31n, 10n];
    const SHARES = [6n, 6n, 7n]; // by Kind: creator, admin, platform with the dust
    const DUST = 1n;
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    type Step = { modeler: number } | { kind: number };

    orders.forEach((order, n) => {
      // The platform claims before, between or after the modelers: every place is taken by some order.
      const platformAt = n % 4;
      const steps: Step[] = [{ kind: Kind.Creator }, ...order.map((modeler) => ({ modeler }))];
      steps.splice(1 + platformAt, 0, { kind: Kind.Platform });
      steps.push({ kind: Kind.Admin });
      const names = steps.map((s) => ("modeler" in s ? `M${s.modeler}` : ["creator", "admin", "platform"][s.kind]));

      it(`fee 19, points 7/3/1, claims ${names.join(", ")}: each modeler its floor, the platform the dust, market ends at 0`, async function () {
        const f = await loadFixture(roundingFixture);
        const market = await f.market.getAddress();
        expect((await f.market.challenge(1)).fee).to.equal(19);
        const settled = f.e1.settled;
        expect(settled).to.equal(7n * 19n);
        const pool = poolOf(settled);
        expect(pool).to.equal(115n);
        expect(feeShare(settled)).to.equal(6n);
        expect([0, 1, 2].map((i) => rewardOf(settled, f.e1.points[i], f.e1.total))).to.deep.equal(REWARDS);
        expect(pool - REWARDS.reduce((a, b) => a + b, 0n)).to.equal(DUST);
        expect(await f.token.balanceOf(market)).to.equal(settled);
        const figures = await f.market.epochFigures(1, E1);
        expect(figures.pool).to.equal(pool);
        expect(figures.settledFees).to.equal(settled);
        expect(figures.rewardDust).to.equal(DUST);
        expect(figures.platformShare).to.equal(SHARES[Kind.Platform]);

        await time.increaseTo(CLAIMS_OPEN.e1);
        let finalized = false;
        let paid = 0n;
        for (const step of steps) {
          const payee =
            "modeler" in step ? f.listed[step.modeler] : [f.creator, f.challengeAdmin, f.treasury][step.kind];
          const expected = "modeler" in step ? REWARDS[step.modeler] : SHARES[step.kind];
          const view =
            "modeler" in step
              ? await f.market.claimableReward(1, payee.address, E1)
              : await f.market.claimableFees(1, step.kind, E1);
          expect(view, `view for ${payee.address}`).to.equal(expected);
          const tx =
            "modeler" in step
              ? f.market.connect(f.stranger).claimRewards(1, payee.address, [E1])
              : f.market.connect(f.stranger).claimFees(1, step.kind, [E1]);
          await expect(tx).to.changeTokenBalances(f.token, [payee, f.market], [expected, -expected]);
          // The first claim of a modeler or of the platform sums the epoch; creator and admin need no totals.
          const finalizes: boolean = !finalized && ("modeler" in step || step.kind === Kind.Platform);
          if (finalizes) await expect(tx).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, f.e1.total, DUST);
          else await expect(tx).to.not.emit(f.market, "EpochFinalized");
          finalized ||= finalizes;
          expect((await f.market.epochFigures(1, E1)).finalized).to.equal(finalized);
          paid += expected;
        }
        expect(paid).to.equal(settled);
        expect(await f.token.balanceOf(market)).to.equal(0);
        for (const [i, m] of f.listed.slice(0, 3).entries()) {
          expect(await f.token.balanceOf(m.address), `modeler ${i}`).to.equal(REWARDS[i]);
        }
        expect(await f.token.balanceOf(f.treasury.address)).to.equal(feeShare(settled) + DUST);
      });
    });
  });

  describe("fee split of awkward fees: the parts sum exactly to the fee", function () {
    /*
     * One request answered by two modelers: one point each of two, so each reward is floor(pool / 2) and an
     * odd pool leaves one unit of dust to the platform. Computed by hand from the split and the reward rule.
     */
    const CASES = [
      { fee: 1n, share: 0n, reward: 0n, dust: 1n }, // pool 1
      { fee: 3n, share: 0n, reward: 1n, dust: 1n }, // pool 3
      { fee: 19n, share: 0n, reward: 9n, dust: 1n }, // pool 19
      { fee: 20n, share: 1n, reward: 8n, dust: 1n }, // pool 17
      { fee: 10n ** 18n + 7n, share: 5n * 10n ** 16n, reward: 425n * 10n ** 15n + 3n, dust: 1n }, // pool 85e16 + 7
      { fee: 10n ** 18n + 8n, share: 5n * 10n ** 16n, reward: 425n * 10n ** 15n + 4n, dust: 0n }, // pool 85e16 + 8
    ];
    for (const { fee, share, reward, dust } of CASES) {
      it(`fee ${fee}: rewards ${reward} + ${reward}, shares ${share}, dust ${dust} to the platform, market ends at 0`, async function () {
        const f = await loadFixture(activeFixture);
        const market = await f.market.getAddress();
        expect(feeShare(fee)).to.equal(share);
        expect(poolOf(fee)).to.equal(2n * reward + dust);
        expect(rewardOf(fee, 1n, 2n)).to.equal(reward);
        await f.market.connect(f.challengeAdmin).setFee(1, fee);
        const [req] = await makeRequests(f, 1, fee);
        await answerAs(f, 0, req);
        await answerAs(f, 1, req);
        expect(await f.token.balanceOf(market)).to.equal(fee);

        await time.increaseTo(CLAIMS_OPEN.e1);
        for (const m of f.listed.slice(0, 2)) {
          const tx = f.market.claimRewards(1, m.address, [E1]);
          await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, m.address, [E1], reward);
          await expect(tx).to.changeTokenBalances(f.token, [m, f.market], [reward, -reward]);
        }
        const recipients = [f.creator, f.challengeAdmin, f.treasury];
        for (const kind of [Kind.Creator, Kind.Admin, Kind.Platform]) {
          const amount = kind === Kind.Platform ? share + dust : share;
          // A zero share (fees below 20 units) has nothing to claim, unless the platform has dust.
          if (amount === 0n) {
            await expect(f.market.claimFees(1, kind, [E1]))
              .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
              .withArgs(1n, recipients[kind].address, E1);
          } else {
            await expect(f.market.claimFees(1, kind, [E1])).to.changeTokenBalances(
              f.token,
              [recipients[kind], f.market],
              [amount, -amount],
            );
          }
        }
        expect(await f.token.balanceOf(f.creator.address)).to.equal(share);
        expect(await f.token.balanceOf(f.challengeAdmin.address)).to.equal(share);
        expect(await f.token.balanceOf(f.treasury.address)).to.equal(share + dust);
        expect(await f.token.balanceOf(market)).to.equal(0n);
      });
    }
  });
});
