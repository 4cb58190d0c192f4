import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME, Status } from "../fixtures";
import type { RequestKey } from "../fixtures";
import type { InferenceMarket, TestToken } from "../../typechain-types";

const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

/**
 * Everything a rejected refund must leave untouched. A request's status is left out because Open turns into
 * Expired with the clock alone; its stored createdAt, deadline and answered mask (all zero once refunded) stay.
 */
async function snapshot(market: InferenceMarket, token: TestToken, accounts: string[], ids: bigint[]) {
  const balances = await Promise.all([await market.getAddress(), ...accounts].map((a) => token.balanceOf(a)));
  const states = [];
  for (const id of ids) states.push([...(await market.requestState(id))].slice(1));
  const figures = [...(await market.epochFigures(1, E1))];
  return { balances, states, figures, count: await market.requestCount() };
}

/** Two requests in E1 made at t (users[0], id 1) and t + 1 (users[1], id 2); neither answered. */
async function twoRequestsFixture() {
  const f = await loadFixture(activeFixture);
  const t = DATES.e1Start + 7_200n;
  await time.setNextBlockTimestamp(t);
  const r = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, INPUT));
  await time.setNextBlockTimestamp(t + 1n);
  const r2 = await requestOf(f.market, await f.market.connect(f.users[1]).request(1, FEE, INPUT));
  return { ...f, t, r, r2 };
}

describe("InferenceMarket.refund", () => {
  describe("refund of an unanswered request", () => {
    it("reverts MarketDeadlineNotPassed at t+600 with nothing changed", async () => {
      const { market, token, users, stranger, r, r2, t } = await loadFixture(twoRequestsFixture);
      const accounts = [users[0].address, stranger.address];
      const before = await snapshot(market, token, accounts, [r.id, r2.id]);
      await time.setNextBlockTimestamp(t + TIME.sla);
      await expect(market.connect(stranger).refund(r.id, r.key))
        .to.be.revertedWithCustomError(market, "MarketDeadlineNotPassed")
        .withArgs(r.id, t + 600n, t + 600n);
      expect(await snapshot(market, token, accounts, [r.id, r2.id])).to.deep.equal(before);
      expect((await market.requestState(r.id)).status).to.equal(BigInt(Status.Open));
      // One second later request 2, made one second after request 1, is at its own deadline.
      await time.setNextBlockTimestamp(t + 601n);
      await expect(market.connect(stranger).refund(r2.id, r2.key))
        .to.be.revertedWithCustomError(market, "MarketDeadlineNotPassed")
        .withArgs(r2.id, t + 601n, t + 601n);
      expect(await snapshot(market, token, accounts, [r.id, r2.id])).to.deep.equal(before);
      expect((await market.requestState(r.id)).status).to.equal(BigInt(Status.Expired));
      expect((await market.requestState(r2.id)).status).to.equal(BigInt(Status.Open));
    });

    it("at t+601 returns the whole fee to the requester even when a stranger sends it", async () => {
      const { market, token, users, stranger, r, t } = await loadFixture(twoRequestsFixture);
      expect((await market.requestState(r.id)).status).to.equal(BigInt(Status.Open));
      await time.increaseTo(t + 600n);
      expect((await market.requestState(r.id)).status).to.equal(BigInt(Status.Open));
      const userBefore = await token.balanceOf(users[0].address);
      const marketBefore = await token.balanceOf(await market.getAddress());
      const strangerBefore = await token.balanceOf(stranger.address);
      // increaseTo mined a block at t + 600, so this refund lands at t + 601.
      const tx = await market.connect(stranger).refund(r.id, r.key);
      expect((await tx.getBlock())!.timestamp).to.equal(Number(t + 601n));
      await expect(tx).to.emit(market, "RequestRefunded").withArgs(r.id, 1n, users[0].address, FEE);
      await expect(tx).to.changeTokenBalances(token, [users[0], market, stranger], [FEE, -FEE, 0n]);
      expect(await token.balanceOf(users[0].address)).to.equal(userBefore + FEE);
      expect(await token.balanceOf(await market.getAddress())).to.equal(marketBefore - FEE);
      expect(await token.balanceOf(stranger.address)).to.equal(strangerBefore);
      expect([...(await market.requestState(r.id))]).to.deep.equal([BigInt(Status.Refunded), 0n, 0n, 0n]);
    });

    it("the requester can refund its own expired request", async () => {
      const { market, token, users, r, t } = await loadFixture(twoRequestsFixture);
      await time.increaseTo(t + 601n);
      expect([...(await market.requestState(r.id))]).to.deep.equal([BigInt(Status.Expired), t, t + 600n, 0n]);
      const tx = await market.connect(users[0]).refund(r.id, r.key);
      await expect(tx).to.emit(market, "RequestRefunded").withArgs(r.id, 1n, users[0].address, FEE);
      await expect(tx).to.changeTokenBalances(token, [users[0], market], [FEE, -FEE]);
      // Only this request: the other one stays escrowed.
      expect(await token.balanceOf(await market.getAddress())).to.equal(FEE);
      expect([...(await market.requestState(2))]).to.deep.equal([BigInt(Status.Expired), t + 1n, t + 601n, 0n]);
    });

    it("reverts MarketRequestRefunded on a second refund", async () => {
      const { market, token, users, stranger, r, r2, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 601n);
      await market.connect(stranger).refund(r.id, r.key);
      const accounts = [users[0].address, stranger.address];
      const before = await snapshot(market, token, accounts, [r.id, r2.id]);
      for (const caller of [stranger, users[0]]) {
        await expect(market.connect(caller).refund(r.id, r.key))
          .to.be.revertedWithCustomError(market, "MarketRequestRefunded")
          .withArgs(r.id);
      }
      expect(await snapshot(market, token, accounts, [r.id, r2.id])).to.deep.equal(before);
    });

    it("a refunded request cannot be answered any more", async () => {
      const { market, token, users, hosts, stranger, r, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 601n);
      await market.connect(stranger).refund(r.id, r.key);
      const before = await snapshot(market, token, [users[0].address, hosts[0].address], [r.id]);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketRequestRefunded")
        .withArgs(r.id);
      expect(await snapshot(market, token, [users[0].address, hosts[0].address], [r.id])).to.deep.equal(before);
    });
  });

  describe("refund guards", () => {
    it("reverts MarketRequestAnswered after the deadline for a request answered at its last second", async () => {
      const { market, token, users, hosts, stranger, r, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 600n);
      await market.connect(hosts[2]).answer(r.id, r.key, 2, OUTPUT);
      const accounts = [users[0].address, stranger.address];
      const before = await snapshot(market, token, accounts, [r.id]);
      await time.setNextBlockTimestamp(t + 601n);
      await expect(market.connect(stranger).refund(r.id, r.key))
        .to.be.revertedWithCustomError(market, "MarketRequestAnswered")
        .withArgs(r.id);
      await time.increaseTo(t + 86_400n);
      await expect(market.connect(users[0]).refund(r.id, r.key))
        .to.be.revertedWithCustomError(market, "MarketRequestAnswered")
        .withArgs(r.id);
      expect(await snapshot(market, token, accounts, [r.id])).to.deep.equal(before);
      expect((await market.requestState(r.id)).status).to.equal(BigInt(Status.Answered));
    });

    it("reverts MarketRequestAnswered before the deadline for a request already answered", async () => {
      const { market, token, users, hosts, stranger, r2, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 10n);
      await market.connect(hosts[0]).answer(r2.id, r2.key, 0, OUTPUT);
      const accounts = [users[1].address, stranger.address];
      const before = await snapshot(market, token, accounts, [r2.id]);
      await time.setNextBlockTimestamp(t + 11n);
      await expect(market.connect(stranger).refund(r2.id, r2.key))
        .to.be.revertedWithCustomError(market, "MarketRequestAnswered")
        .withArgs(r2.id);
      expect(await snapshot(market, token, accounts, [r2.id])).to.deep.equal(before);
    });

    it("reverts MarketRequestKeyMismatch when the key names another requester or alters any field", async () => {
      const { market, token, users, stranger, r, r2, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 601n);
      const accounts = [users[0].address, users[1].address, stranger.address];
      const before = await snapshot(market, token, accounts, [r.id, r2.id]);
      const altered: RequestKey[] = [
        { ...r.key, requester: stranger.address },
        { ...r.key, requester: users[1].address },
        { ...r.key, challengeId: 2n },
        { ...r.key, listId: 0n },
        { ...r.key, fee: 2n * FEE },
      ];
      for (const key of altered) {
        await expect(market.connect(stranger).refund(r.id, key))
          .to.be.revertedWithCustomError(market, "MarketRequestKeyMismatch")
          .withArgs(r.id);
      }
      // Request 2's key with request 1's id: users[1] cannot take users[0]'s fee.
      await expect(market.connect(users[1]).refund(r.id, r2.key))
        .to.be.revertedWithCustomError(market, "MarketRequestKeyMismatch")
        .withArgs(r.id);
      expect(await snapshot(market, token, accounts, [r.id, r2.id])).to.deep.equal(before);
    });

    it("reverts MarketUnknownRequest for id 0 and for the id after the last", async () => {
      const { market, token, users, stranger, r, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 601n);
      const count = await market.requestCount();
      const accounts = [users[0].address, stranger.address];
      const before = await snapshot(market, token, accounts, [r.id]);
      for (const id of [0n, count + 1n, ethers.MaxUint256]) {
        await expect(market.connect(stranger).refund(id, r.key))
          .to.be.revertedWithCustomError(market, "MarketUnknownRequest")
          .withArgs(id);
      }
      expect(await snapshot(market, token, accounts, [r.id])).to.deep.equal(before);
    });
  });

  describe("refunds and the epoch's figures", () => {
    it("leave settledFees unchanged and never count the refunded request as answered", async () => {
      const { market, users, hosts, stranger, r, r2, t } = await loadFixture(twoRequestsFixture);
      // Request 2 answered, request 1 left to expire.
      await time.setNextBlockTimestamp(t + 100n);
      await market.connect(hosts[1]).answer(r2.id, r2.key, 1, OUTPUT);
      const before = await market.epochFigures(1, E1);
      // Two requests made, one answered: only the answered one is counted.
      expect(before.answeredRequests).to.equal(1n);
      expect(before.settledFees).to.equal(FEE);
      expect(before.points).to.equal(1n);
      expect(before.listId).to.equal(1n);
      await time.setNextBlockTimestamp(t + 601n);
      await market.connect(stranger).refund(r.id, r.key);
      const after = await market.epochFigures(1, E1);
      expect([...after]).to.deep.equal([...before]);
      // A later request counts only once it is answered.
      const r3 = await requestOf(market, await market.connect(users[2]).request(1, FEE, INPUT));
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(1n);
      await market.connect(hosts[0]).answer(r3.id, r3.key, 0, OUTPUT);
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(2n);
      expect((await market.epochFigures(1, E1)).settledFees).to.equal(2n * FEE);
    });
  });
});
