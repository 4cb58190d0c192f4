import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployFixture, requestOf, DATES, E1, FEE, Status } from "../fixtures";
import type { InferenceMarket } from "../../typechain-types";
import { activeMarketOn, feeShare, poolOf, rewardOf, INPUT, Kind, OUTPUT } from "./markets";

/*
 * Fee tokens that do not behave like a plain ERC-20. The market's answers: a token that delivers less than the
 * fee is refused (request.test.ts covers `request`; here the permit path and the exactness of the check); a
 * token that returns false is turned into a revert by SafeERC20 and nothing is lost; a token that blocks
 * addresses only ever locks the blocked party's own money, except when it blocks the market itself.
 */

interface Balances {
  balanceOf(account: string): Promise<bigint>;
}

/** Balances of the market and of every party, the epoch's figures and what each party can claim. */
async function stateOf(market: InferenceMarket, token: Balances, parties: HardhatEthersSigner[]) {
  const accounts = [await market.getAddress(), ...parties.map((p) => p.address)];
  const count = await market.requestCount();
  const requests = [];
  for (let id = 1n; id <= count + 1n; id++) requests.push([...(await market.requestState(id))]);
  return {
    balances: await Promise.all(accounts.map((a) => token.balanceOf(a))),
    figures: [...(await market.epochFigures(1, E1))],
    requests,
    rewards: await Promise.all(parties.map((p) => market.claimableReward(1, p.address, E1))),
    fees: await Promise.all([Kind.Creator, Kind.Admin, Kind.Platform].map((k) => market.claimableFees(1, k, E1))),
  };
}

describe("adversarial: fee tokens", () => {
  describe("a fee-on-transfer token (burns 1% of every transfer, rounded down)", () => {
    async function feeOnTransferFixture() {
      const f = await loadFixture(deployFixture);
      const token = await ethers.deployContract("FeeOnTransferToken");
      const market = await activeMarketOn(f, token);
      return { ...f, token, market };
    }

    it("requestWithPermit is refused like request: the token has no permit, and it delivers 1% short", async () => {
      const { market, token, users } = await loadFixture(feeOnTransferFixture);
      const parties = [users[0]];
      const before = await stateOf(market, token, parties);
      const deadline = DATES.e1Start + 3_600n;
      await expect(
        market.connect(users[0]).requestWithPermit(1, FEE, INPUT, deadline, 0, ethers.ZeroHash, ethers.ZeroHash),
      )
        .to.be.revertedWithCustomError(market, "MarketFeeNotReceived")
        .withArgs(FEE, FEE - FEE / 100n);
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      expect(await market.requestCount()).to.equal(0n);
    });

    it("the check is exact: a fee of 99 arrives whole (1% rounds to 0) and is taken; a fee of 100 is refused", async () => {
      const { market, token, users, challengeAdmin } = await loadFixture(feeOnTransferFixture);
      await market.connect(challengeAdmin).setFee(1, 99);
      await expect(market.connect(users[0]).request(1, 99, INPUT)).to.changeTokenBalances(
        token,
        [users[0], market],
        [-99n, 99n],
      );
      await market.connect(challengeAdmin).setFee(1, 100);
      const before = await stateOf(market, token, [users[0]]);
      await expect(market.connect(users[0]).request(1, 100, INPUT))
        .to.be.revertedWithCustomError(market, "MarketFeeNotReceived")
        .withArgs(100n, 99n);
      expect(await stateOf(market, token, [users[0]])).to.deep.equal(before);
    });

    it("what the market accepted it pays out exactly; the token's cut of a payout falls on the recipient", async () => {
      const { market, token, users, hosts, modelers, challengeAdmin, creator, stranger } =
        await loadFixture(feeOnTransferFixture);
      await market.connect(challengeAdmin).setFee(1, 99);
      const answered = [];
      for (let i = 0; i < 2; i++)
        answered.push(await requestOf(market, await market.connect(users[i]).request(1, 99, INPUT)));
      const unanswered = await requestOf(market, await market.connect(users[2]).request(1, 99, INPUT));
      for (const r of answered) await market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT);
      expect(await token.balanceOf(await market.getAddress())).to.equal(3n * 99n);

      await time.increaseTo(DATES.e1ClaimsOpen);
      // The refund (99) is below 100: the token takes nothing.
      await expect(market.connect(stranger).refund(unanswered.id, unanswered.key)).to.changeTokenBalances(
        token,
        [users[2], market],
        [99n, -99n],
      );
      // Settled 198: shares of 9 arrive whole; the pool of 171 leaves the market whole and arrives as 170.
      const settled = 2n * 99n;
      const pool = poolOf(settled);
      expect(pool).to.equal(171n);
      const claim = market.connect(stranger).claimRewards(1, modelers[0].address, [E1]);
      await expect(claim).to.emit(market, "RewardsClaimed").withArgs(1n, modelers[0].address, [E1], pool);
      await expect(claim).to.changeTokenBalances(token, [modelers[0], market], [pool - pool / 100n, -pool]);
      await expect(market.connect(stranger).claimFees(1, Kind.Creator, [E1])).to.changeTokenBalances(
        token,
        [creator, market],
        [feeShare(settled), -feeShare(settled)],
      );
      expect(await token.balanceOf(await market.getAddress())).to.equal(2n * feeShare(settled));
    });
  });

  describe("a token that returns false instead of reverting", () => {
    /** E1: r1 answered by modeler 0, r2 unanswered; the clock at E1's claims opening; the token now failing. */
    async function falseReturningFixture() {
      const f = await loadFixture(deployFixture);
      const token = await ethers.deployContract("FalseReturningToken");
      const market = await activeMarketOn(f, token);
      const r1 = await requestOf(market, await market.connect(f.users[0]).request(1, FEE, INPUT));
      const r2 = await requestOf(market, await market.connect(f.users[1]).request(1, FEE, INPUT));
      await market.connect(f.hosts[0]).answer(r1.id, r1.key, 0, OUTPUT);
      await time.increaseTo(DATES.e1ClaimsOpen);
      await token.setFailing(true);
      const parties = [f.users[0], f.users[1], f.modelers[0], f.creator, f.challengeAdmin, f.treasury];
      return { ...f, token, market, r1, r2, parties };
    }

    it("request reverts with SafeERC20FailedOperation(token): no request, no allowance spent", async () => {
      const { market, token, users, parties } = await loadFixture(falseReturningFixture);
      const marketAddress = await market.getAddress();
      const before = await stateOf(market, token, parties);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      expect(await token.allowance(users[0].address, marketAddress)).to.equal(ethers.MaxUint256);
    });

    it("refund reverts and the fee stays escrowed and refundable; once the token works it is returned", async () => {
      const { market, token, users, stranger, r2, parties } = await loadFixture(falseReturningFixture);
      const before = await stateOf(market, token, parties);
      await expect(market.connect(stranger).refund(r2.id, r2.key))
        .to.be.revertedWithCustomError(market, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      expect((await market.requestState(r2.id)).status).to.equal(BigInt(Status.Expired));
      await token.setFailing(false);
      await expect(market.connect(stranger).refund(r2.id, r2.key)).to.changeTokenBalances(
        token,
        [users[1], market],
        [FEE, -FEE],
      );
    });

    it("claimRewards reverts without marking the epoch claimed; once the token works the reward is paid", async () => {
      const { market, token, modelers, stranger, parties } = await loadFixture(falseReturningFixture);
      const before = await stateOf(market, token, parties);
      await expect(market.connect(stranger).claimRewards(1, modelers[0].address, [E1]))
        .to.be.revertedWithCustomError(market, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      await token.setFailing(false);
      const pool = poolOf(FEE);
      await expect(market.connect(stranger).claimRewards(1, modelers[0].address, [E1])).to.changeTokenBalances(
        token,
        [modelers[0], market],
        [pool, -pool],
      );
    });

    it("claimFees reverts without marking the share claimed; once the token works the share is paid", async () => {
      const { market, token, treasury, stranger, parties } = await loadFixture(falseReturningFixture);
      const before = await stateOf(market, token, parties);
      await expect(market.connect(stranger).claimFees(1, Kind.Platform, [E1]))
        .to.be.revertedWithCustomError(market, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      await token.setFailing(false);
      await expect(market.connect(stranger).claimFees(1, Kind.Platform, [E1])).to.changeTokenBalances(
        token,
        [treasury, market],
        [feeShare(FEE), -feeShare(FEE)],
      );
    });
  });

  describe("a token that can block addresses", () => {
    /** E1: r1 answered by modelers 0 and 1, r2 and r3 unanswered; the clock at E1's claims opening. */
    async function blocklistFixture() {
      const f = await loadFixture(deployFixture);
      const token = await ethers.deployContract("BlocklistToken");
      const market = await activeMarketOn(f, token);
      const r1 = await requestOf(market, await market.connect(f.users[0]).request(1, FEE, INPUT));
      const r2 = await requestOf(market, await market.connect(f.users[1]).request(1, FEE, INPUT));
      const r3 = await requestOf(market, await market.connect(f.users[2]).request(1, FEE, INPUT));
      await market.connect(f.hosts[0]).answer(r1.id, r1.key, 0, OUTPUT);
      await market.connect(f.hosts[1]).answer(r1.id, r1.key, 1, OUTPUT);
      await time.increaseTo(DATES.e1ClaimsOpen);
      const parties = [f.users[1], f.users[2], f.modelers[0], f.modelers[1], f.creator, f.challengeAdmin, f.treasury];
      return { ...f, token, market, r1, r2, r3, parties };
    }

    it("a blocked requester's refund reverts and stays escrowed; another requester's refund is paid", async () => {
      const { market, token, users, stranger, r2, r3, parties } = await loadFixture(blocklistFixture);
      await token.setBlocked(users[1].address, true);
      const before = await stateOf(market, token, parties);
      await expect(market.connect(stranger).refund(r2.id, r2.key))
        .to.be.revertedWithCustomError(token, "BlocklistTokenBlocked")
        .withArgs(users[1].address);
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      await expect(market.connect(stranger).refund(r3.id, r3.key)).to.changeTokenBalances(
        token,
        [users[2], market],
        [FEE, -FEE],
      );
      await token.setBlocked(users[1].address, false);
      await expect(market.connect(stranger).refund(r2.id, r2.key)).to.changeTokenBalances(
        token,
        [users[1], market],
        [FEE, -FEE],
      );
    });

    it("a blocked modeler's claim reverts and its reward stays claimable; the other modeler is paid exactly", async () => {
      const { market, token, modelers, hosts, stranger, parties } = await loadFixture(blocklistFixture);
      await token.setBlocked(modelers[0].address, true);
      const before = await stateOf(market, token, parties);
      await expect(market.connect(stranger).claimRewards(1, modelers[0].address, [E1]))
        .to.be.revertedWithCustomError(token, "BlocklistTokenBlocked")
        .withArgs(modelers[0].address);
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      const pool = poolOf(FEE);
      const second = rewardOf(pool, 1n, 2n);
      await expect(market.connect(stranger).claimRewards(1, modelers[1].address, [E1])).to.changeTokenBalances(
        token,
        [modelers[1], market],
        [second, -second],
      );
      // Nobody can redirect the blocked modeler's reward: not its host, not a new host.
      expect(await market.claimableReward(1, modelers[0].address, E1)).to.equal(rewardOf(pool, 1n, 2n));
      await market.connect(modelers[0]).setHost(1, hosts[9].address);
      await expect(market.connect(hosts[9]).claimRewards(1, modelers[0].address, [E1]))
        .to.be.revertedWithCustomError(token, "BlocklistTokenBlocked")
        .withArgs(modelers[0].address);
    });

    it("a blocked treasury or challenge admin is replaced, and the unclaimed share follows the new one", async () => {
      const { market, token, admin, challengeAdmin, treasury, stranger, parties } = await loadFixture(blocklistFixture);
      const [newTreasury, newAdmin] = (await ethers.getSigners()).slice(38, 40);
      await token.setBlocked(treasury.address, true);
      await token.setBlocked(challengeAdmin.address, true);
      const before = await stateOf(market, token, parties);
      for (const [kind, who] of [
        [Kind.Platform, treasury],
        [Kind.Admin, challengeAdmin],
      ] as const) {
        await expect(market.connect(stranger).claimFees(1, kind, [E1]))
          .to.be.revertedWithCustomError(token, "BlocklistTokenBlocked")
          .withArgs(who.address);
      }
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      await market.connect(admin).setTreasury(newTreasury.address);
      await market.connect(challengeAdmin).setChallengeAdmin(1, newAdmin.address);
      const share = feeShare(FEE);
      await expect(market.connect(stranger).claimFees(1, Kind.Platform, [E1])).to.changeTokenBalances(
        token,
        [newTreasury, treasury, market],
        [share, 0n, -share],
      );
      await expect(market.connect(stranger).claimFees(1, Kind.Admin, [E1])).to.changeTokenBalances(
        token,
        [newAdmin, challengeAdmin, market],
        [share, 0n, -share],
      );
    });

    it("a blocked creator's share stays locked until it is unblocked: the creator never changes", async () => {
      const { market, token, creator, stranger, parties } = await loadFixture(blocklistFixture);
      await token.setBlocked(creator.address, true);
      const before = await stateOf(market, token, parties);
      await expect(market.connect(stranger).claimFees(1, Kind.Creator, [E1]))
        .to.be.revertedWithCustomError(token, "BlocklistTokenBlocked")
        .withArgs(creator.address);
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
      await token.setBlocked(creator.address, false);
      const share = feeShare(FEE);
      await expect(market.connect(stranger).claimFees(1, Kind.Creator, [E1])).to.changeTokenBalances(
        token,
        [creator, market],
        [share, -share],
      );
    });

    it("blocking the market itself stops every request, refund and claim: the token's issuer is trusted", async () => {
      const { market, token, users, modelers, stranger, r2, parties } = await loadFixture(blocklistFixture);
      const marketAddress = await market.getAddress();
      await token.setBlocked(marketAddress, true);
      const before = await stateOf(market, token, parties);
      const calls = [
        () => market.connect(users[3]).request(1, FEE, INPUT),
        () => market.connect(stranger).refund(r2.id, r2.key),
        () => market.connect(stranger).claimRewards(1, modelers[0].address, [E1]),
        () => market.connect(stranger).claimFees(1, Kind.Creator, [E1]),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(token, "BlocklistTokenBlocked").withArgs(marketAddress);
      }
      expect(await stateOf(market, token, parties)).to.deep.equal(before);
    });
  });
});
