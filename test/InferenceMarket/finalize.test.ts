import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { loadFixture, reset, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, requestOf, DATES, E1, TIME } from "../fixtures";
import { claimsOpenAt, finalAt, utc } from "../../sdk/time";

/*
 * finalize: an epoch's total of points and the dust of its floored rewards, summed once over the list that
 * served it. E1 = Thu 2026-11-26 .. Wed 2026-12-02; its final time (end + SLA) is Thu 2026-12-03 00:10:00 UTC,
 * its claims open Fri 2026-12-04 00:00:00. E2's final time is Thu 2026-12-10 00:10:00.
 * List 1 = [A, B, C, D, X]: A..D registered with hosts[0..3], X never registers. The fee is 19 so that the
 * floors leave dust. Every expected figure below is worked out by hand from the rule: shares
 * floor(settled * 5%), pool = settled - 3 shares, reward floor(pool * points / total), dust = pool - rewards.
 */

const E0 = E1 - 1n;
const E2 = E1 + 1n;
const MAX = 2n ** 24n - 1n;
const FINAL = { e0: finalAt(TIME, E0), e1: finalAt(TIME, E1), e2: finalAt(TIME, E2) };
const CLAIMS = { e0: claimsOpenAt(TIME, E0), e1: claimsOpenAt(TIME, E1), e2: claimsOpenAt(TIME, E2) };
const FEE = 19n;
const Kind = { Creator: 0, Admin: 1, Platform: 2 } as const;
const KINDS = [Kind.Creator, Kind.Admin, Kind.Platform];
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

/*
 * e1Fixture: seven requests, all answered (7 answered requests): settled 7 * 19 = 133, shares 6, pool 115;
 * points A 7, B 4, C 2, D 1, X 0 of 14: rewards 805/14, 460/14, 230/14, 115/14 floor to 57, 32, 16, 8 = 113,
 * dust 2.
 */
const E1_FIGURES = {
  settledFees: 133n,
  answeredRequests: 7n,
  points: 14n,
  pool: 115n,
  creatorShare: 6n,
  adminShare: 6n,
  platformShare: 6n + 2n,
  rewardDust: 2n,
  listId: 1n,
};
const E1_REWARDS = [57n, 32n, 16n, 8n, 0n];

/*
 * crossingFixture adds r8, made in E1's last second and answered in E2 by A, B and C: E1 then has 8
 * answered requests (r8 counts in its own epoch though answered in E2), settled 152, shares 7, pool 131;
 * points A 8, B 5, C 3, D 1 of 17: rewards 1048/17, 655/17, 393/17, 131/17 floor to 61, 38, 23, 7 = 129,
 * dust 2.
 */
const E1X_FIGURES = {
  settledFees: 152n,
  answeredRequests: 8n,
  points: 17n,
  pool: 131n,
  creatorShare: 7n,
  adminShare: 7n,
  platformShare: 7n + 2n,
  rewardDust: 2n,
  listId: 1n,
};
const E1X_REWARDS = [61n, 38n, 23n, 7n, 0n];

type Figures = typeof E1_FIGURES;
type Req = Awaited<ReturnType<typeof requestOf>>;
type F = Awaited<ReturnType<typeof listFixture>>;

/** List 1 = [A, B, C, D, X] promoted on Mon 2026-11-23 23:59, serving from E1; the fee is then set to 19. */
async function listFixture() {
  const f = await loadFixture(challengeFixture);
  const [A, B, C, D] = f.modelers;
  const X = f.modelers[5];
  const listed = [A, B, C, D, X];
  await time.increaseTo(DATES.e0Window);
  await f.market.connect(f.keeper).promote(
    1,
    listed.map((m) => m.address),
    ethers.id("leaderboard-e0"),
  );
  await time.increaseTo(DATES.e1Start);
  await f.market.connect(f.challengeAdmin).setFee(1, FEE);
  return { ...f, A, B, C, D, X, listed };
}

async function makeRequest(f: F, user: number, at?: bigint): Promise<Req> {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  return requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, INPUT));
}

/** The listed modeler at `index` answers `req` through its host, hosts[index], at `at` if given. */
async function answerAs(f: F, index: number, req: Req, at?: bigint) {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  return f.market.connect(f.hosts[index]).answer(req.id, req.key, index, OUTPUT);
}

/** E1 on Thu 2026-11-26: seven requests; A answers all, B the first four, C the first two, D the first. */
async function e1Fixture() {
  const f = await loadFixture(listFixture);
  const reqs: Req[] = [];
  for (let i = 0; i < 7; i++) reqs.push(await makeRequest(f, i % 5));
  const plan: Record<number, number> = { 0: 7, 1: 4, 2: 2, 3: 1 };
  for (const [index, count] of Object.entries(plan)) {
    for (const r of reqs.slice(0, count)) await answerAs(f, Number(index), r);
  }
  return { ...f, reqs };
}

/**
 * e1Fixture, then r8 made at Wed 2026-12-02 23:59:59 (E1), due at Thu 2026-12-03 00:09:59, and q0 made in E2:
 * D answers q0 at E2 + 200 s, A q0 at + 300 s and r8 at + 400 s (after its first E2 answer), B r8 at + 500 s,
 * C r8 at + 599 s, its deadline, one second before E1's final time. The chain is left at that second.
 */
async function crossingFixture() {
  const f = await loadFixture(e1Fixture);
  const r8 = await makeRequest(f, 2, DATES.e1Last);
  const q0 = await makeRequest(f, 3, DATES.e2Start + 100n);
  await answerAs(f, 3, q0, DATES.e2Start + 200n);
  await answerAs(f, 0, q0, DATES.e2Start + 300n);
  await answerAs(f, 0, r8, DATES.e2Start + 400n);
  await answerAs(f, 1, r8, DATES.e2Start + 500n);
  await answerAs(f, 2, r8, r8.deadline);
  return { ...f, r8, q0 };
}

async function expectFigures(f: F, epoch: bigint, expected: Figures, finalized: boolean) {
  const fig = await f.market.epochFigures(1, epoch);
  expect({
    settledFees: fig.settledFees,
    answeredRequests: fig.answeredRequests,
    points: fig.points,
    pool: fig.pool,
    creatorShare: fig.creatorShare,
    adminShare: fig.adminShare,
    platformShare: fig.platformShare,
    rewardDust: fig.rewardDust,
    listId: fig.listId,
  }).to.deep.equal(expected);
  expect(fig.finalized, `epoch ${epoch} finalized`).to.equal(finalized);
}

/** What the views say each payee of `epoch` may claim: the listed modelers' rewards, then the three fee shares. */
async function claimables(f: F, epoch: bigint) {
  const rewards = await Promise.all(f.listed.map((m) => f.market.claimableReward(1, m.address, epoch)));
  const fees = await Promise.all(KINDS.map((k) => f.market.claimableFees(1, k, epoch)));
  return { rewards, fees };
}

/** Everything a rejected finalize must leave untouched. */
async function snapshot(f: F) {
  const figures = await Promise.all([E0, E1, E2].map(async (e) => [...(await f.market.epochFigures(1, e))]));
  const views = await Promise.all([E0, E1, E2].map((e) => claimables(f, e)));
  const balances = await Promise.all(
    [await f.market.getAddress(), f.stranger.address].map((a) => f.token.balanceOf(a)),
  );
  return { figures, views, balances };
}

/** How many EpochFinalized events `tx` emitted. */
async function finalizedEvents(f: F, tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  return receipt!.logs.filter((l) => f.market.interface.parseLog(l)?.name === "EpochFinalized").length;
}

describe("InferenceMarket finalize", function () {
  before(async function () {
    await reset();
  });
  after(async function () {
    await reset();
  });

  it("opens at E1's final time, Thu 2026-12-03 00:10:00: reverts MarketEpochNotFinal one second before", async function () {
    const f = await loadFixture(e1Fixture);
    expect(FINAL.e1).to.equal(utc("2026-12-03T00:10:00Z"));
    expect((await f.market.epochTimes(E1)).finalAt).to.equal(FINAL.e1);
    const before = await snapshot(f);
    await time.setNextBlockTimestamp(DATES.e1Last);
    await expect(f.market.connect(f.stranger).finalize(1, E1))
      .to.be.revertedWithCustomError(f.market, "MarketEpochNotFinal")
      .withArgs(E1, FINAL.e1, DATES.e1Last);
    await time.setNextBlockTimestamp(FINAL.e1 - 1n);
    await expect(f.market.connect(f.stranger).finalize(1, E1))
      .to.be.revertedWithCustomError(f.market, "MarketEpochNotFinal")
      .withArgs(E1, FINAL.e1, FINAL.e1 - 1n);
    expect(await snapshot(f)).to.deep.equal(before);

    await time.setNextBlockTimestamp(FINAL.e1);
    await expect(f.market.connect(f.stranger).finalize(1, E1))
      .to.emit(f.market, "EpochFinalized")
      .withArgs(1, E1, 1, E1_FIGURES.points, E1_FIGURES.rewardDust);
    expect(await time.latest()).to.equal(Number(FINAL.e1));
    await expectFigures(f, E1, E1_FIGURES, true);
  });

  it("stores the totals and the dust, pays nobody, and the views say the same before and after", async function () {
    const f = await loadFixture(e1Fixture);
    const expected = { rewards: E1_REWARDS, fees: [6n, 6n, 8n] };
    // Already during E1, after its last answer, the views sum the same totals live.
    await expectFigures(f, E1, E1_FIGURES, false);
    expect(await claimables(f, E1)).to.deep.equal(expected);
    await time.increaseTo(FINAL.e1);
    await expectFigures(f, E1, E1_FIGURES, false);
    expect(await claimables(f, E1)).to.deep.equal(expected);

    const tx = f.market.connect(f.stranger).finalize(1, E1);
    await expect(tx).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, 14, 2);
    await expect(tx).to.changeTokenBalances(f.token, [f.market, f.stranger], [0n, 0n]);
    await expectFigures(f, E1, E1_FIGURES, true);
    expect(await claimables(f, E1)).to.deep.equal(expected);
    for (const [i, m] of f.listed.entries()) {
      expect(await f.market.pointsOf(1, m.address, E1)).to.equal([7n, 4n, 2n, 1n, 0n][i]);
    }

    await time.increaseTo(CLAIMS.e1);
    await expect(f.market.claimRewards(1, f.A.address, [E1])).to.changeTokenBalance(f.token, f.A, 57n);
    await expectFigures(f, E1, E1_FIGURES, true);
    expect(await claimables(f, E1)).to.deep.equal({ rewards: [0n, ...E1_REWARDS.slice(1)], fees: [6n, 6n, 8n] });
  });

  it("a second finalize reverts MarketEpochAlreadyFinalized and changes nothing", async function () {
    const f = await loadFixture(e1Fixture);
    await time.setNextBlockTimestamp(FINAL.e1);
    await f.market.connect(f.keeper).finalize(1, E1);
    const before = await snapshot(f);
    for (const sender of [f.keeper, f.stranger]) {
      await expect(f.market.connect(sender).finalize(1, E1))
        .to.be.revertedWithCustomError(f.market, "MarketEpochAlreadyFinalized")
        .withArgs(1, E1);
    }
    expect(await snapshot(f)).to.deep.equal(before);
    await expectFigures(f, E1, E1_FIGURES, true);
  });

  it("an unknown challenge reverts MarketChallengeNotFound, before and after the final time", async function () {
    const f = await loadFixture(e1Fixture);
    const before = await snapshot(f);
    for (const id of [0n, 2n]) {
      await expect(f.market.finalize(id, E1))
        .to.be.revertedWithCustomError(f.market, "MarketChallengeNotFound")
        .withArgs(id);
    }
    await time.increaseTo(FINAL.e1);
    for (const id of [0n, 2n]) {
      await expect(f.market.finalize(id, E1))
        .to.be.revertedWithCustomError(f.market, "MarketChallengeNotFound")
        .withArgs(id);
    }
    expect(await snapshot(f)).to.deep.equal(before);
    await expect(f.market.finalize(1, E1)).to.emit(f.market, "EpochFinalized");
  });

  it("an epoch beyond 24 bits reverts EpochsEpochOutOfRange; the last valid one is not final", async function () {
    const f = await loadFixture(e1Fixture);
    const before = await snapshot(f);
    for (const epoch of [MAX + 1n, 2n ** 256n - 1n]) {
      await expect(f.market.finalize(1, epoch))
        .to.be.revertedWithCustomError(f.market, "EpochsEpochOutOfRange")
        .withArgs(epoch, MAX);
    }
    await time.setNextBlockTimestamp(FINAL.e1);
    await expect(f.market.finalize(1, MAX))
      .to.be.revertedWithCustomError(f.market, "MarketEpochNotFinal")
      .withArgs(MAX, finalAt(TIME, MAX), FINAL.e1);
    expect(await snapshot(f)).to.deep.equal(before);
  });

  it("an epoch without requests (E0) stores list 0, 0 points and no dust; its fees stay unclaimable", async function () {
    const f = await loadFixture(listFixture);
    const none = {
      settledFees: 0n,
      answeredRequests: 0n,
      points: 0n,
      pool: 0n,
      creatorShare: 0n,
      adminShare: 0n,
      platformShare: 0n,
      rewardDust: 0n,
      listId: 0n,
    };
    await expectFigures(f, E0, none, false);
    await time.setNextBlockTimestamp(FINAL.e0 - 1n);
    await expect(f.market.finalize(1, E0))
      .to.be.revertedWithCustomError(f.market, "MarketEpochNotFinal")
      .withArgs(E0, FINAL.e0, FINAL.e0 - 1n);
    await time.setNextBlockTimestamp(FINAL.e0);
    await expect(f.market.finalize(1, E0)).to.emit(f.market, "EpochFinalized").withArgs(1, E0, 0, 0, 0);
    await expectFigures(f, E0, none, true);
    await time.increaseTo(CLAIMS.e0);
    for (const kind of KINDS) {
      const recipient = [f.creator, f.challengeAdmin, f.treasury][kind].address;
      await expect(f.market.claimFees(1, kind, [E0]))
        .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
        .withArgs(1, recipient, E0);
    }
  });

  it("an epoch whose only request was refunded stores its list, 0 points and no dust", async function () {
    const f = await loadFixture(listFixture);
    const r = await makeRequest(f, 0);
    await time.setNextBlockTimestamp(r.deadline + 1n);
    await f.market.connect(f.stranger).refund(r.id, r.key);
    // The refunded request was never answered: it does not count as an answered request.
    const refunded = {
      settledFees: 0n,
      answeredRequests: 0n,
      points: 0n,
      pool: 0n,
      creatorShare: 0n,
      adminShare: 0n,
      platformShare: 0n,
      rewardDust: 0n,
      listId: 1n,
    };
    // A platform claim with nothing to pay reverts, and the finalization it began reverts with it.
    await time.increaseTo(CLAIMS.e1);
    await expect(f.market.claimFees(1, Kind.Platform, [E1]))
      .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
      .withArgs(1, f.treasury.address, E1);
    await expectFigures(f, E1, refunded, false);
    await expect(f.market.finalize(1, E1)).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, 0, 0);
    await expectFigures(f, E1, refunded, true);
    expect(await f.token.balanceOf(await f.market.getAddress())).to.equal(0n);
  });

  it("counts in the request's epoch the answers given after the epoch's end, up to the last deadline", async function () {
    const f = await loadFixture(crossingFixture);
    expect(f.r8.createdAt).to.equal(utc("2026-12-02T23:59:59Z"));
    expect(f.r8.deadline).to.equal(FINAL.e1 - 1n);
    expect(await time.latest()).to.equal(Number(FINAL.e1 - 1n));
    const e1Points = [8n, 5n, 3n, 1n, 0n];
    const e2Points = [1n, 0n, 0n, 1n, 0n];
    for (const [i, m] of f.listed.entries()) {
      expect(await f.market.pointsOf(1, m.address, E1), `E1 points of ${i}`).to.equal(e1Points[i]);
      expect(await f.market.pointsOf(1, m.address, E2), `E2 points of ${i}`).to.equal(e2Points[i]);
    }

    await time.setNextBlockTimestamp(FINAL.e1);
    await expect(f.market.connect(f.stranger).finalize(1, E1))
      .to.emit(f.market, "EpochFinalized")
      .withArgs(1, E1, 1, E1X_FIGURES.points, E1X_FIGURES.rewardDust);
    await expectFigures(f, E1, E1X_FIGURES, true);
    expect((await claimables(f, E1)).rewards).to.deep.equal(E1X_REWARDS);
    // E2 holds q0 only: its fee, D's and A's answers; it is not final yet.
    const e2 = await f.market.epochFigures(1, E2);
    const e2Now = [e2.answeredRequests, e2.settledFees, e2.points, e2.listId, e2.finalized];
    expect(e2Now).to.deep.equal([1n, FEE, 2n, 1n, false]);

    // From the final time on, no answer to an E1 request can land.
    const before = await snapshot(f);
    await expect(answerAs(f, 3, f.r8, FINAL.e1 + 1n))
      .to.be.revertedWithCustomError(f.market, "MarketDeadlinePassed")
      .withArgs(f.r8.id, f.r8.deadline, FINAL.e1 + 1n);
    expect(await snapshot(f)).to.deep.equal(before);
  });

  it("counts an evicted modeler's points from before its eviction and a never-registered one as 0; all paid to 0", async function () {
    const f = await loadFixture(crossingFixture);
    const market = await f.market.getAddress();
    // D answered 1 of E1's 8 answered requests: evicted as soon as E1 is final, after its answer to q0 in E2.
    await time.setNextBlockTimestamp(FINAL.e1);
    await expect(f.market.connect(f.stranger).evict(1, E1, 1, 3))
      .to.emit(f.market, "ModelerEvicted")
      .withArgs(1, f.D.address, E1, 1, 8);
    expect((await f.market.modelerInfo(1, f.D.address)).evicted).to.equal(true);
    await answerAs(f, 1, f.q0, f.q0.deadline); // B, on q0's last second
    const q1 = await makeRequest(f, 0, DATES.e2Start + 1_000n);
    await answerAs(f, 0, q1);
    await expect(answerAs(f, 3, q1))
      .to.be.revertedWithCustomError(f.market, "MarketModelerEvicted")
      .withArgs(1, f.D.address);
    await expect(answerAs(f, 4, q1))
      .to.be.revertedWithCustomError(f.market, "MarketModelerNotRegistered")
      .withArgs(1, f.X.address);

    /*
     * E2: q0 and q1, settled 38, shares 1, pool 35; points A 2, B 1, D 1 of 4: rewards 70/4, 35/4, 35/4
     * floor to 17, 8, 8 = 33, dust 2.
     */
    const e2Figures = {
      settledFees: 38n,
      answeredRequests: 2n,
      points: 4n,
      pool: 35n,
      creatorShare: 1n,
      adminShare: 1n,
      platformShare: 1n + 2n,
      rewardDust: 2n,
      listId: 1n,
    };
    const e2Rewards = [17n, 8n, 0n, 8n, 0n];
    await expectFigures(f, E2, e2Figures, false);
    await time.setNextBlockTimestamp(FINAL.e2);
    await expect(f.market.finalize(1, E2)).to.emit(f.market, "EpochFinalized").withArgs(1, E2, 1, 4, 2);
    await expect(f.market.finalize(1, E1)).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, 17, 2);
    await expectFigures(f, E1, E1X_FIGURES, true);
    await expectFigures(f, E2, e2Figures, true);
    expect(await f.market.pointsOf(1, f.D.address, E2)).to.equal(1n);
    for (const e of [E1, E2]) expect(await f.market.pointsOf(1, f.X.address, e)).to.equal(0n);

    await time.increaseTo(CLAIMS.e2);
    for (const e of [E1, E2]) {
      await expect(f.market.claimRewards(1, f.X.address, [e]))
        .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
        .withArgs(1, f.X.address, e);
    }
    const claims = [
      { modeler: f.A, epochs: [E1, E2], amount: E1X_REWARDS[0] + e2Rewards[0] },
      { modeler: f.B, epochs: [E1, E2], amount: E1X_REWARDS[1] + e2Rewards[1] },
      { modeler: f.C, epochs: [E1], amount: E1X_REWARDS[2] },
      { modeler: f.D, epochs: [E1, E2], amount: E1X_REWARDS[3] + e2Rewards[3] },
    ];
    for (const { modeler, epochs, amount } of claims) {
      await expect(f.market.claimRewards(1, modeler.address, epochs)).to.changeTokenBalances(
        f.token,
        [modeler, f.market],
        [amount, -amount],
      );
    }
    const shares = [7n + 1n, 7n + 1n, 9n + 3n];
    for (const kind of KINDS) {
      const who = [f.creator, f.challengeAdmin, f.treasury][kind];
      await expect(f.market.claimFees(1, kind, [E1, E2])).to.changeTokenBalances(
        f.token,
        [who, f.market],
        [shares[kind], -shares[kind]],
      );
    }
    // 61 + 17, 38 + 8, 23, 7 + 8 to the modelers and 8, 8, 12 to the fee recipients: 152 + 38 paid in.
    expect(await f.token.balanceOf(f.D.address)).to.equal(15n);
    expect(await f.token.balanceOf(market)).to.equal(0n);
  });

  it("is done by the first claimRewards if nobody did it, once", async function () {
    const f = await loadFixture(e1Fixture);
    await time.increaseTo(CLAIMS.e1);
    await expectFigures(f, E1, E1_FIGURES, false);
    const tx = f.market.connect(f.stranger).claimRewards(1, f.A.address, [E1]);
    await expect(tx).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, 14, 2);
    await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, f.A.address, [E1], 57);
    expect(await finalizedEvents(f, tx)).to.equal(1);
    await expectFigures(f, E1, E1_FIGURES, true);

    const second = f.market.connect(f.stranger).claimRewards(1, f.B.address, [E1]);
    await expect(second).to.not.emit(f.market, "EpochFinalized");
    await expect(second).to.changeTokenBalance(f.token, f.B, 32n);
    const platform = f.market.claimFees(1, Kind.Platform, [E1]);
    await expect(platform).to.not.emit(f.market, "EpochFinalized");
    await expect(platform).to.changeTokenBalance(f.token, f.treasury, 8n);
    await expect(f.market.finalize(1, E1))
      .to.be.revertedWithCustomError(f.market, "MarketEpochAlreadyFinalized")
      .withArgs(1, E1);
  });

  it("is done by the platform's claimFees if nobody did it, once; its share takes the dust", async function () {
    const f = await loadFixture(e1Fixture);
    await time.increaseTo(CLAIMS.e1);
    const tx = f.market.connect(f.stranger).claimFees(1, Kind.Platform, [E1]);
    await expect(tx).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, 14, 2);
    await expect(tx).to.emit(f.market, "FeesClaimed").withArgs(1, f.treasury.address, E1, Kind.Platform, 8);
    await expect(tx).to.changeTokenBalances(f.token, [f.treasury, f.market], [8n, -8n]);
    expect(await finalizedEvents(f, tx)).to.equal(1);
    await expectFigures(f, E1, E1_FIGURES, true);

    const claim = f.market.claimRewards(1, f.A.address, [E1]);
    await expect(claim).to.not.emit(f.market, "EpochFinalized");
    await expect(claim).to.changeTokenBalance(f.token, f.A, 57n);
    await expect(f.market.finalize(1, E1))
      .to.be.revertedWithCustomError(f.market, "MarketEpochAlreadyFinalized")
      .withArgs(1, E1);
  });

  it("is not done by the creator's or the admin's claimFees; their claimed marks survive it", async function () {
    const f = await loadFixture(e1Fixture);
    await time.increaseTo(CLAIMS.e1);
    for (const [kind, who] of [
      [Kind.Creator, f.creator],
      [Kind.Admin, f.challengeAdmin],
    ] as const) {
      const tx = f.market.connect(f.stranger).claimFees(1, kind, [E1]);
      await expect(tx).to.not.emit(f.market, "EpochFinalized");
      await expect(tx).to.changeTokenBalance(f.token, who, 6n);
      await expectFigures(f, E1, E1_FIGURES, false);
    }
    await expect(f.market.finalize(1, E1)).to.emit(f.market, "EpochFinalized").withArgs(1, E1, 1, 14, 2);
    expect((await claimables(f, E1)).fees).to.deep.equal([0n, 0n, 8n]);
    for (const [kind, who] of [
      [Kind.Creator, f.creator],
      [Kind.Admin, f.challengeAdmin],
    ] as const) {
      await expect(f.market.claimFees(1, kind, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketAlreadyClaimed")
        .withArgs(1, who.address, E1);
    }
    await expect(f.market.claimFees(1, Kind.Platform, [E1])).to.changeTokenBalance(f.token, f.treasury, 8n);
  });
});
