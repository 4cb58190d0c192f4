import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME, Status, signPermit } from "../fixtures";
import { utc } from "../../sdk/time";
import type { InferenceMarket } from "../../typechain-types";

const E0 = E1 - 1n;
const E2 = E1 + 1n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

/** Everything a rejected request must leave untouched. */
async function snapshot(market: InferenceMarket, token: { balanceOf(a: string): Promise<bigint> }, accounts: string[]) {
  const marketAddress = await market.getAddress();
  const balances = await Promise.all([marketAddress, ...accounts].map((a) => token.balanceOf(a)));
  const figures = [];
  for (const challengeId of [1n, 2n]) {
    for (const e of [E0, E1, E2]) figures.push([...(await market.epochFigures(challengeId, e))]);
  }
  const count = await market.requestCount();
  const last = [...(await market.requestState(count + 1n))];
  return { balances, figures, count, last };
}

/*
 * Every fixture here grows from activeFixture (loaded through loadFixture), so none has to travel back in time.
 */

/** The active market plus a funded account that never approved the market (permits only). */
async function permitFixture() {
  const f = await loadFixture(activeFixture);
  const fresh = (await ethers.getSigners())[37];
  await f.token.mint(fresh.address, 10n * FEE);
  return { ...f, fresh };
}

/** Challenge 2 (registered modelers, no list yet) beside the active challenge 1, in E1. */
async function secondChallengeFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "second");
  for (let i = 0; i < 5; i++) await f.market.connect(f.modelers[i]).register(2, f.hosts[i].address);
  return f;
}

/** Challenge 2's first list promoted on Monday 2026-11-30 23:59 (serving from E2), the clock still in E1. */
async function secondPromotedFixture() {
  const f = await loadFixture(secondChallengeFixture);
  await time.increaseTo(DATES.e1Window);
  await f.market.connect(f.keeper).promote(
    2,
    f.modelers.slice(0, 5).map((m) => m.address),
    ethers.id("lb2"),
  );
  return f;
}

/** A market with default settings on a token that burns 1% of every transfer; its challenge 1 serves from E2. */
async function feeOnTransferFixture() {
  const f = await loadFixture(activeFixture);
  const fot = await ethers.deployContract("FeeOnTransferToken");
  const settings = await f.market.defaultSettings();
  const market = (await ethers.deployContract("InferenceMarket", [
    await fot.getAddress(),
    f.admin.address,
    f.treasury.address,
    [...settings],
  ])) as unknown as InferenceMarket;
  await market.grantRole(await market.CHALLENGE_MANAGER_ROLE(), f.manager.address);
  await market.grantRole(await market.KEEPER_ROLE(), f.keeper.address);
  await market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "fot");
  for (let i = 0; i < 5; i++) await market.connect(f.modelers[i]).register(1, f.hosts[i].address);
  await time.increaseTo(DATES.e1Window);
  await market.connect(f.keeper).promote(
    1,
    f.modelers.slice(0, 5).map((m) => m.address),
    ethers.id("lb"),
  );
  await time.increaseTo(DATES.e2Start);
  const user = f.users[0];
  await fot.mint(user.address, 100n * FEE);
  await fot.connect(user).approve(await market.getAddress(), ethers.MaxUint256);
  return { ...f, fot, fotMarket: market, settings, user };
}

describe("InferenceMarket.request", () => {
  describe("request (approved allowance)", () => {
    it("escrows the fee from the user and emits RequestMade with the SLA deadline and the input", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      const tx = await market.connect(users[0]).request(1, FEE, INPUT);
      await expect(tx)
        .to.emit(market, "RequestMade")
        .withArgs(1n, 1n, users[0].address, 1n, FEE, t + TIME.sla, INPUT);
      await expect(tx).to.changeTokenBalances(token, [users[0], market], [-FEE, FEE]);
      expect(await token.balanceOf(await market.getAddress())).to.equal(FEE);
      expect(await token.balanceOf(users[0].address)).to.equal(1_000n * FEE - FEE);
    });

    it("numbers requests from 1, counts them, and records them Open with createdAt and deadline", async () => {
      const { market, users } = await loadFixture(activeFixture);
      expect(await market.requestCount()).to.equal(0n);
      const start = BigInt(await time.latest()) + 10n;
      for (let i = 0; i < 3; i++) {
        const t = start + BigInt(i) * 7n;
        await time.setNextBlockTimestamp(t);
        const tx = await market.connect(users[i]).request(1, FEE, INPUT);
        const r = await requestOf(market, tx);
        expect(r.id).to.equal(BigInt(i + 1));
        expect(r.key.requester).to.equal(users[i].address);
        expect(r.key.listId).to.equal(1n);
        expect(r.deadline).to.equal(t + 600n);
        expect(await market.requestCount()).to.equal(BigInt(i + 1));
        const [status, createdAt, deadline, mask] = await market.requestState(r.id);
        expect(status).to.equal(BigInt(Status.Open));
        expect(createdAt).to.equal(t);
        expect(deadline).to.equal(t + 600n);
        expect(mask).to.equal(0n);
      }
      // An id not yet issued has no state.
      expect((await market.requestState(4)).status).to.equal(BigInt(Status.None));
      expect((await market.requestState(0)).status).to.equal(BigInt(Status.None));
    });

    it("records the serving list in the epoch's figures, settles nothing and counts no answered request", async () => {
      const { market, users } = await loadFixture(activeFixture);
      for (let i = 0; i < 3; i++) {
        await market.connect(users[i % 2]).request(1, FEE, INPUT);
        const fig = await market.epochFigures(1, E1);
        expect(fig.listId).to.equal(1n);
        // Only a request with an answer in time is an answered request (the eviction base).
        expect(fig.answeredRequests).to.equal(0n);
        expect(fig.settledFees).to.equal(0n);
        expect(fig.points).to.equal(0n);
        expect(fig.pool).to.equal(0n);
      }
      const e2 = await market.epochFigures(1, E2);
      expect([e2.listId, e2.answeredRequests]).to.deep.equal([0n, 0n]);
    });

    it("accepts a maxFee exactly equal to the fee and charges the fee, not maxFee", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      await expect(market.connect(users[0]).request(1, FEE, INPUT)).to.changeTokenBalances(
        token,
        [users[0], market],
        [-FEE, FEE],
      );
      await expect(market.connect(users[1]).request(1, 5n * FEE, INPUT)).to.changeTokenBalances(
        token,
        [users[1], market],
        [-FEE, FEE],
      );
    });
  });

  describe("requestWithPermit", () => {
    it("approves through a permit of maxFee signed by the user and escrows the fee", async () => {
      const { market, token, fresh } = await loadFixture(permitFixture);
      const marketAddress = await market.getAddress();
      expect(await token.allowance(fresh.address, marketAddress)).to.equal(0n);
      const maxFee = 2n * FEE;
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(token, fresh, marketAddress, maxFee, deadline);
      const t = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(t);
      const tx = await market.connect(fresh).requestWithPermit(1, maxFee, INPUT, deadline, sig.v, sig.r, sig.s);
      await expect(tx)
        .to.emit(market, "RequestMade")
        .withArgs(1n, 1n, fresh.address, 1n, FEE, t + 600n, INPUT);
      await expect(tx).to.changeTokenBalances(token, [fresh, market], [-FEE, FEE]);
      // The permit granted maxFee and the request spent the fee.
      expect(await token.allowance(fresh.address, marketAddress)).to.equal(maxFee - FEE);
      expect(await token.nonces(fresh.address)).to.equal(1n);
      expect(await market.requestCount()).to.equal(1n);
      const fig = await market.epochFigures(1, E1);
      expect([fig.listId, fig.answeredRequests, fig.settledFees]).to.deep.equal([1n, 0n, 0n]);
    });

    it("still succeeds when the permit was front-run with token.permit", async () => {
      const { market, token, fresh, stranger } = await loadFixture(permitFixture);
      const marketAddress = await market.getAddress();
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(token, fresh, marketAddress, FEE, deadline);
      // Someone copies the signature from the mempool and submits it first.
      await token.connect(stranger).permit(fresh.address, marketAddress, FEE, deadline, sig.v, sig.r, sig.s);
      expect(await token.allowance(fresh.address, marketAddress)).to.equal(FEE);
      const tx = await market.connect(fresh).requestWithPermit(1, FEE, INPUT, deadline, sig.v, sig.r, sig.s);
      await expect(tx).to.emit(market, "RequestMade");
      await expect(tx).to.changeTokenBalances(token, [fresh, market, stranger], [-FEE, FEE, 0n]);
      expect(await token.allowance(fresh.address, marketAddress)).to.equal(0n);
      expect(await token.nonces(fresh.address)).to.equal(1n);
      expect((await market.requestState(1)).status).to.equal(BigInt(Status.Open));
    });

    it("reverts with the token's ERC20InsufficientAllowance on an invalid permit and no allowance", async () => {
      const { market, token, fresh, stranger } = await loadFixture(permitFixture);
      const marketAddress = await market.getAddress();
      const deadline = BigInt(await time.latest()) + 3600n;
      // Signed by someone else than the caller: the permit fails and no allowance exists.
      const forged = await signPermit(token, stranger, marketAddress, FEE, deadline);
      // A genuine signature for a smaller value than the maxFee passed.
      const tooSmall = await signPermit(token, fresh, marketAddress, FEE - 1n, deadline);
      const before = await snapshot(market, token, [fresh.address]);
      for (const sig of [forged, tooSmall]) {
        await expect(market.connect(fresh).requestWithPermit(1, FEE, INPUT, deadline, sig.v, sig.r, sig.s))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(marketAddress, 0n, FEE);
      }
      // An expired permit is ignored the same way.
      const expired = await signPermit(token, fresh, marketAddress, FEE, BigInt(await time.latest()));
      await expect(
        market
          .connect(fresh)
          .requestWithPermit(1, FEE, INPUT, BigInt(await time.latest()), expired.v, expired.r, expired.s),
      )
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(marketAddress, 0n, FEE);
      expect(await snapshot(market, token, [fresh.address])).to.deep.equal(before);
      expect(await token.allowance(fresh.address, marketAddress)).to.equal(0n);
      expect(await token.nonces(fresh.address)).to.equal(0n);
    });
  });

  describe("fee-on-transfer token", () => {
    it("refuses a token that delivers less than the fee (MarketFeeNotReceived) and changes nothing", async () => {
      const { fot, fotMarket, settings, user } = await loadFixture(feeOnTransferFixture);
      expect([...(await fotMarket.settings())]).to.deep.equal([...settings]);
      expect(await fotMarket.activeListId(1)).to.equal(1n);
      const before = await snapshot(fotMarket, fot, [user.address]);
      await expect(fotMarket.connect(user).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(fotMarket, "MarketFeeNotReceived")
        .withArgs(FEE, FEE - FEE / 100n);
      expect(await snapshot(fotMarket, fot, [user.address])).to.deep.equal(before);
      expect(await fotMarket.requestCount()).to.equal(0n);
      expect(await fot.balanceOf(await fotMarket.getAddress())).to.equal(0n);
    });
  });

  describe("request guards", () => {
    it("reverts MarketFeeAboveMax when the fee exceeds maxFee, and changes nothing", async () => {
      const { market, token, users, challengeAdmin } = await loadFixture(activeFixture);
      const before = await snapshot(market, token, [users[0].address]);
      await expect(market.connect(users[0]).request(1, FEE - 1n, INPUT))
        .to.be.revertedWithCustomError(market, "MarketFeeAboveMax")
        .withArgs(FEE, FEE - 1n);
      await expect(market.connect(users[0]).request(1, 0, INPUT))
        .to.be.revertedWithCustomError(market, "MarketFeeAboveMax")
        .withArgs(FEE, 0n);
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
      // After a fee raise, a maxFee that was enough no longer is.
      await market.connect(challengeAdmin).setFee(1, 2n * FEE);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "MarketFeeAboveMax")
        .withArgs(2n * FEE, FEE);
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
    });

    it("reverts MarketChallengeNotFound for an unknown challenge", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      const before = await snapshot(market, token, [users[0].address]);
      for (const id of [0n, 2n, 2n ** 200n]) {
        await expect(market.connect(users[0]).request(id, FEE, INPUT))
          .to.be.revertedWithCustomError(market, "MarketChallengeNotFound")
          .withArgs(id);
      }
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
    });

    it("reverts MarketNoActiveList for a challenge with no list yet", async () => {
      const { market, token, users } = await loadFixture(secondChallengeFixture);
      const before = await snapshot(market, token, [users[0].address]);
      await expect(market.connect(users[0]).request(2, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "MarketNoActiveList")
        .withArgs(2n, E1);
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
    });

    it("takes requests from the first second of the list's activation epoch, not the last second before", async () => {
      const { market, token, users } = await loadFixture(secondPromotedFixture);
      expect((await market.challenge(2)).latestActivationEpoch).to.equal(E2);
      const before = await snapshot(market, token, [users[0].address]);
      await time.setNextBlockTimestamp(DATES.e2Start - 1n);
      await expect(market.connect(users[0]).request(2, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "MarketNoActiveList")
        .withArgs(2n, E1);
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
      expect((await market.epochFigures(2, E1)).listId).to.equal(0n);
      await time.setNextBlockTimestamp(DATES.e2Start);
      await expect(market.connect(users[0]).request(2, FEE, INPUT))
        .to.emit(market, "RequestMade")
        .withArgs(1n, 2n, users[0].address, 1n, FEE, DATES.e2Start + 600n, INPUT);
      expect((await market.epochFigures(2, E2)).listId).to.equal(1n);
      expect((await market.epochFigures(2, E1)).listId).to.equal(0n);
    });

    it("reverts with ERC20InsufficientAllowance when the allowance is short, and changes nothing", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      const marketAddress = await market.getAddress();
      await token.connect(users[0]).approve(marketAddress, FEE - 1n);
      const before = await snapshot(market, token, [users[0].address]);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(marketAddress, FEE - 1n, FEE);
      await token.connect(users[0]).approve(marketAddress, 0);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(marketAddress, 0n, FEE);
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
      // Exactly the fee is enough.
      await token.connect(users[0]).approve(marketAddress, FEE);
      await expect(market.connect(users[0]).request(1, FEE, INPUT)).to.emit(market, "RequestMade");
    });
  });

  describe("reward epoch at the epoch boundary", () => {
    it("a request at Wednesday 23:59:59 counts in E1, and so do its answers given on Thursday 00:05", async () => {
      const { market, users, hosts, modelers } = await loadFixture(activeFixture);
      expect(await market.epochAt(DATES.e1Last)).to.equal(E1);
      await time.setNextBlockTimestamp(DATES.e1Last);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, INPUT));
      expect(r.deadline).to.equal(DATES.e1Last + 600n);
      expect((await market.epochFigures(1, E1)).listId).to.equal(1n);
      expect((await market.epochFigures(1, E2)).listId).to.equal(0n);

      const answeredAt = utc("2026-12-03T00:05:00Z");
      expect(await market.epochAt(answeredAt)).to.equal(E2);
      await time.setNextBlockTimestamp(answeredAt);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
      await market.connect(hosts[3]).answer(r.id, r.key, 3, OUTPUT);

      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[3].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[0].address, E2)).to.equal(0n);
      const e1 = await market.epochFigures(1, E1);
      expect(e1.points).to.equal(2n);
      expect(e1.settledFees).to.equal(FEE);
      // Answered on Thursday, counted as answered in its own epoch.
      expect(e1.answeredRequests).to.equal(1n);
      const e2 = await market.epochFigures(1, E2);
      expect(e2.points).to.equal(0n);
      expect(e2.settledFees).to.equal(0n);
      expect(e2.answeredRequests).to.equal(0n);
      expect(e2.listId).to.equal(0n);
    });

    it("a request at Thursday 00:00:00 counts in E2", async () => {
      const { market, users, hosts, modelers } = await loadFixture(activeFixture);
      await time.setNextBlockTimestamp(DATES.e2Start);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, INPUT));
      expect(r.createdAt).to.equal(DATES.e2Start);
      expect((await market.epochFigures(1, E2)).listId).to.equal(1n);
      expect((await market.epochFigures(1, E1)).listId).to.equal(0n);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[0].address, E2, FEE, OUTPUT);
      expect(await market.pointsOf(1, modelers[0].address, E2)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(0n);
      expect((await market.epochFigures(1, E2)).settledFees).to.equal(FEE);
      expect((await market.epochFigures(1, E1)).settledFees).to.equal(0n);
      expect((await market.epochFigures(1, E2)).answeredRequests).to.equal(1n);
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(0n);
    });
  });
});
