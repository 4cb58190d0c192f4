import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { deployFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { activeMarketOn, feeShare, poolOf, rewardOf, INPUT, Kind, OUTPUT } from "./markets";

/*
 * A fee token that calls back into the market in the middle of its transfer, after the balances moved.
 * Every function that moves tokens (request, requestWithPermit, refund, claimRewards, claimFees) is
 * nonReentrant: each one, entered from inside each other's transfer, must revert the whole transaction with
 * ReentrancyGuardReentrantCall and change nothing. Each inner call is valid on its own (the token makes it
 * outside any market call and it succeeds), so the guard is what refuses it.
 * answer and finalize move no tokens and are not guarded: a reentrant answer can neither settle a fee being
 * refunded nor change the figures of an epoch being claimed, and a reentrant finalize stores the same totals the
 * claim would have stored.
 */

const E2 = E1 + 1n;
const NO_SIGNATURE = [0, ethers.ZeroHash, ethers.ZeroHash] as const;

/**
 * A market on the ReentrantToken. In E1, r1 was answered by modelers 0 and 1 (one point each, fee settled),
 * r2 and r3 were left unanswered. Modeler 2 named the token as its host. The clock is at E1's claims opening
 * (Friday 2026-12-04 00:00, in E2), where r2 and r3 are refundable and E1 is claimable.
 * The token holds 10 FEE that it approved to the market, so it can pay for a request itself.
 */
async function reentrancyFixture() {
  const f = await loadFixture(deployFixture);
  const token = await ethers.deployContract("ReentrantToken");
  const tokenAddress = await token.getAddress();
  const market = await activeMarketOn(f, token);
  const marketAddress = await market.getAddress();
  await market.connect(f.modelers[2]).setHost(1, tokenAddress);

  const r1 = await requestOf(market, await market.connect(f.users[0]).request(1, FEE, INPUT));
  const r2 = await requestOf(market, await market.connect(f.users[1]).request(1, FEE, INPUT));
  const r3 = await requestOf(market, await market.connect(f.users[2]).request(1, FEE, INPUT));
  await market.connect(f.hosts[0]).answer(r1.id, r1.key, 0, OUTPUT);
  await market.connect(f.hosts[1]).answer(r1.id, r1.key, 1, OUTPUT);
  await time.increaseTo(DATES.e1ClaimsOpen);

  await token.mint(tokenAddress, 10n * FEE);
  await token.approveSelf(marketAddress, ethers.MaxUint256);
  const permitDeadline = DATES.e1ClaimsOpen + 3_600n;
  return { ...f, token, tokenAddress, market, marketAddress, r1, r2, r3, permitDeadline };
}
type Fixture = Awaited<ReturnType<typeof reentrancyFixture>>;

/** Everything a reverted call must leave as it was: balances, figures, requests and what is claimable. */
async function stateOf(f: Fixture) {
  const { market, token } = f;
  const accounts = [
    f.marketAddress,
    f.tokenAddress,
    ...f.users.map((u) => u.address),
    ...f.modelers.slice(0, 3).map((m) => m.address),
    f.creator.address,
    f.challengeAdmin.address,
    f.treasury.address,
    f.stranger.address,
  ];
  const count = await market.requestCount();
  const requests = [];
  for (let id = 1n; id <= count + 1n; id++) requests.push([...(await market.requestState(id))]);
  return {
    balances: await Promise.all(accounts.map((a) => token.balanceOf(a))),
    figures: await Promise.all([E1, E2].map(async (e) => [...(await market.epochFigures(1, e))])),
    count,
    requests,
    rewards: await Promise.all(f.modelers.slice(0, 3).map((m) => market.claimableReward(1, m.address, E1))),
    fees: await Promise.all([Kind.Creator, Kind.Admin, Kind.Platform].map((k) => market.claimableFees(1, k, E1))),
    allowance: await token.allowance(f.tokenAddress, f.marketAddress),
  };
}

interface Entry {
  name: string;
  /** Sent by an account; its token transfer fires the armed call. */
  outer: (f: Fixture) => Promise<ContractTransactionResponse>;
  /** The calldata the token sends back into the market: the same function, with other valid arguments. */
  inner: (f: Fixture) => string;
  /** What the inner call does when the token makes it outside any market call. */
  innerSucceeds: (f: Fixture, tx: ContractTransactionResponse) => Promise<void>;
}

const pool = poolOf(FEE);

const ENTRIES: Entry[] = [
  {
    name: "request",
    outer: (f) => f.market.connect(f.users[4]).request(1, FEE, INPUT),
    inner: (f) => f.market.interface.encodeFunctionData("request", [1, FEE, INPUT]),
    innerSucceeds: async (f, tx) => {
      const at = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx)
        .to.emit(f.market, "RequestMade")
        .withArgs(4n, 1n, f.tokenAddress, 1n, FEE, at + TIME.sla, INPUT);
      await expect(tx).to.changeTokenBalances(f.token, [f.tokenAddress, f.marketAddress], [-FEE, FEE]);
    },
  },
  {
    name: "requestWithPermit",
    outer: (f) => f.market.connect(f.users[4]).requestWithPermit(1, FEE, INPUT, f.permitDeadline, ...NO_SIGNATURE),
    inner: (f) =>
      f.market.interface.encodeFunctionData("requestWithPermit", [1, FEE, INPUT, f.permitDeadline, ...NO_SIGNATURE]),
    innerSucceeds: async (f, tx) => {
      const at = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx)
        .to.emit(f.market, "RequestMade")
        .withArgs(4n, 1n, f.tokenAddress, 1n, FEE, at + TIME.sla, INPUT);
      await expect(tx).to.changeTokenBalances(f.token, [f.tokenAddress, f.marketAddress], [-FEE, FEE]);
    },
  },
  {
    name: "refund",
    outer: (f) => f.market.connect(f.stranger).refund(f.r2.id, f.r2.key),
    inner: (f) => f.market.interface.encodeFunctionData("refund", [f.r3.id, f.r3.key]),
    innerSucceeds: async (f, tx) => {
      await expect(tx).to.emit(f.market, "RequestRefunded").withArgs(f.r3.id, 1n, f.users[2].address, FEE);
      await expect(tx).to.changeTokenBalances(f.token, [f.users[2], f.marketAddress], [FEE, -FEE]);
    },
  },
  {
    name: "claimRewards",
    outer: (f) => f.market.connect(f.stranger).claimRewards(1, f.modelers[0].address, [E1]),
    inner: (f) => f.market.interface.encodeFunctionData("claimRewards", [1, f.modelers[1].address, [E1]]),
    innerSucceeds: async (f, tx) => {
      const amount = rewardOf(pool, 1n, 2n);
      await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1n, f.modelers[1].address, [E1], amount);
      await expect(tx).to.changeTokenBalances(f.token, [f.modelers[1], f.marketAddress], [amount, -amount]);
    },
  },
  {
    name: "claimFees",
    outer: (f) => f.market.connect(f.stranger).claimFees(1, Kind.Creator, [E1]),
    inner: (f) => f.market.interface.encodeFunctionData("claimFees", [1, Kind.Admin, [E1]]),
    innerSucceeds: async (f, tx) => {
      const share = feeShare(FEE);
      await expect(tx).to.emit(f.market, "FeesClaimed").withArgs(1n, f.challengeAdmin.address, E1, Kind.Admin, share);
      await expect(tx).to.changeTokenBalances(f.token, [f.challengeAdmin, f.marketAddress], [share, -share]);
    },
  },
];

describe("adversarial: a fee token that re-enters the market", () => {
  describe("each inner call is valid on its own", () => {
    for (const entry of ENTRIES) {
      it(`${entry.name}, made by the token during a plain transfer between users, succeeds`, async () => {
        const f = await loadFixture(reentrancyFixture);
        await f.token.arm(f.marketAddress, entry.inner(f));
        const tx = await f.token.connect(f.users[0]).transfer(f.users[1].address, 1n);
        await entry.innerSucceeds(f, tx);
        expect(await f.token.armedTarget()).to.equal(ethers.ZeroAddress);
      });
    }
  });

  describe("every token-moving function refuses every reentry with ReentrancyGuardReentrantCall", () => {
    for (const outer of ENTRIES) {
      for (const inner of ENTRIES) {
        it(`${inner.name} inside ${outer.name}'s transfer: the whole call reverts and nothing changes`, async () => {
          const f = await loadFixture(reentrancyFixture);
          await f.token.arm(f.marketAddress, inner.inner(f));
          const before = await stateOf(f);
          await expect(outer.outer(f)).to.be.revertedWithCustomError(f.market, "ReentrancyGuardReentrantCall");
          expect(await stateOf(f)).to.deep.equal(before);
          expect(await f.token.armedTarget()).to.equal(f.marketAddress);
        });
      }
    }
  });

  describe("answer and finalize are not guarded and need no guard", () => {
    const answerData = (f: Fixture, r: Fixture["r1"]) =>
      f.market.interface.encodeFunctionData("answer", [r.id, r.key, 2, OUTPUT]);

    it("inside a refund's transfer, an answer to the refunded request finds it already refunded", async () => {
      const f = await loadFixture(reentrancyFixture);
      await f.token.arm(f.marketAddress, answerData(f, f.r2));
      const before = await stateOf(f);
      await expect(f.market.connect(f.stranger).refund(f.r2.id, f.r2.key))
        .to.be.revertedWithCustomError(f.market, "MarketRequestRefunded")
        .withArgs(f.r2.id);
      expect(await stateOf(f)).to.deep.equal(before);
    });

    it("inside a claim's transfer, an answer to a request of the claimed epoch is past its deadline", async () => {
      const f = await loadFixture(reentrancyFixture);
      await f.token.arm(f.marketAddress, answerData(f, f.r3));
      const before = await stateOf(f);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(f.market.connect(f.stranger).claimRewards(1, f.modelers[0].address, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketDeadlinePassed")
        .withArgs(f.r3.id, f.r3.deadline, at);
      expect(await stateOf(f)).to.deep.equal(before);
    });

    it("inside a request's transfer, an answer to another open request lands as if sent on its own", async () => {
      const f = await loadFixture(reentrancyFixture);
      // Made here, not in the fixture: the chain's clock follows the wall clock, and an instrumented run could
      // outlast the SLA between the fixture and this test.
      const r4 = await requestOf(f.market, await f.market.connect(f.users[3]).request(1, FEE, INPUT));
      await f.token.arm(f.marketAddress, answerData(f, r4));
      const before = await f.market.epochFigures(1, E2);
      const tx = await f.market.connect(f.users[4]).request(1, FEE, INPUT);
      await expect(tx).to.emit(f.market, "RequestAnswered").withArgs(r4.id, 1n, f.modelers[2].address, E2, FEE, OUTPUT);
      await expect(tx).to.emit(f.market, "RequestMade");
      await expect(tx).to.changeTokenBalances(f.token, [f.users[4], f.marketAddress], [-FEE, FEE]);
      const after = await f.market.epochFigures(1, E2);
      // r4 got its first answer: one more answered request. The new request, unanswered, does not count.
      expect(after.answeredRequests).to.equal(before.answeredRequests + 1n);
      expect(after.listId).to.equal(1n);
      expect(after.settledFees).to.equal(before.settledFees + FEE);
      expect(after.points).to.equal(before.points + 1n);
      expect(await f.market.pointsOf(1, f.modelers[2].address, E2)).to.equal(1n);
      expect((await f.market.requestState(r4.id)).answeredMask).to.equal(1n << 2n);
    });

    it("inside a reward claim's transfer, finalize finds the epoch already finalized by the claim", async () => {
      const f = await loadFixture(reentrancyFixture);
      await f.token.arm(f.marketAddress, f.market.interface.encodeFunctionData("finalize", [1, E1]));
      const before = await stateOf(f);
      await expect(f.market.connect(f.stranger).claimRewards(1, f.modelers[0].address, [E1]))
        .to.be.revertedWithCustomError(f.market, "MarketEpochAlreadyFinalized")
        .withArgs(1n, E1);
      expect(await stateOf(f)).to.deep.equal(before);
      expect((await f.market.epochFigures(1, E1)).finalized).to.equal(false);
    });

    it("inside a creator's fee claim, finalize stores the totals the figures already showed", async () => {
      const f = await loadFixture(reentrancyFixture);
      await f.token.arm(f.marketAddress, f.market.interface.encodeFunctionData("finalize", [1, E1]));
      const live = await f.market.epochFigures(1, E1);
      expect(live.finalized).to.equal(false);
      const tx = await f.market.connect(f.stranger).claimFees(1, Kind.Creator, [E1]);
      await expect(tx).to.emit(f.market, "EpochFinalized").withArgs(1n, E1, 1n, 2n, 0n);
      await expect(tx)
        .to.emit(f.market, "FeesClaimed")
        .withArgs(1n, f.creator.address, E1, Kind.Creator, feeShare(FEE));
      const stored = await f.market.epochFigures(1, E1);
      expect(stored.finalized).to.equal(true);
      expect([...stored].slice(0, -1)).to.deep.equal([...live].slice(0, -1));
    });
  });
});
