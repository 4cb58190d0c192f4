import { expect } from "chai";
import { ethers, ignition } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import InferenceMarketModule from "../../ignition/modules/InferenceMarket";
import { InferenceMarket__factory } from "../../typechain-types";
import { activeFixture, challengeFixture, deployFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { claimsOpenAt, startOf, windowStart, type TimeConfig } from "../../sdk/time";
import { feeShare, poolOf, rewardOf, INPUT, Kind, OUTPUT } from "./markets";

/*
 * The largest values the storage types allow, where a test can reach them:
 *   - Challenge.fee (uint96): 2^96 - 1, through request, settlement, every claim and a refund;
 *   - Request.answered (uint16, one bit per list position): all ten bits of a full list;
 *   - Tally.rewardDust (uint8): its largest possible value, list size - 1 = 9;
 *   - Modeler.pointsEpoch (uint24) and the epochs of claims: epoch 2^24 - 1 on the shortest (hour-long) epochs;
 *   - the claimed-epochs bitmap (256 epochs a word): fifty epochs across a word boundary in one claim.
 * The others cannot be reached, by a test or by anyone:
 *   - _requestCount and _challengeCount (uint64): 2^64 transactions;
 *   - Tally.answered and Tally.points (uint40), Modeler.points (uint32): a challenge's epoch would need 2^32
 *     requests (~4 * 10^14 gas at ~100k gas each), hundreds of times what Ethereum mainnet offers in a week;
 *     and the counters are checked, so an overflow would revert the answer (the fee stays refundable), never wrap;
 *   - Tally.settledFees (uint128): 2^32 requests at the largest fee in one epoch, same bound;
 *   - Challenge.listCount, ModelerList.activationEpoch, Tally.listId (uint32): one list per epoch, epochs < 2^24;
 *   - Request.createdAt and Modeler.optedInAt (uint40): block times up to the year 36812.
 * An epoch of 2^24 or later is refused by claims (EpochsEpochOutOfRange): with hour-long epochs it begins in
 * December 3883, with weekly epochs 321,000 years from now.
 */

const MAX_FEE = 2n ** 96n - 1n;
const MAX_EPOCH = 2n ** 24n - 1n;

describe("adversarial: bounds", () => {
  describe("the largest fee, 2^96 - 1", () => {
    it("is accepted (2^96 is not), escrowed, settled, split and paid out to the unit; the market ends at 0", async () => {
      const { market, token, users, modelers, hosts, challengeAdmin, creator, treasury, stranger } =
        await loadFixture(activeFixture);
      await expect(market.connect(challengeAdmin).setFee(1, MAX_FEE + 1n))
        .to.be.revertedWithCustomError(market, "MarketInvalidFee")
        .withArgs(MAX_FEE + 1n);
      await market.connect(challengeAdmin).setFee(1, MAX_FEE);
      for (const user of users.slice(0, 4)) await token.mint(user.address, MAX_FEE);

      const rs = [];
      for (let i = 0; i < 4; i++) {
        const tx = market.connect(users[i]).request(1, MAX_FEE, INPUT);
        await expect(tx).to.changeTokenBalances(token, [users[i], market], [-MAX_FEE, MAX_FEE]);
        rs.push(await requestOf(market, await tx));
      }
      expect(await token.balanceOf(await market.getAddress())).to.equal(4n * MAX_FEE);
      // r0 is answered by modelers 0, 1 and 2, r1 by 0 and 1, r2 by 0; r3 by nobody.
      const plan = [[0, 1, 2], [0, 1], [0]];
      for (const [i, indexes] of plan.entries()) {
        for (const index of indexes) {
          await expect(market.connect(hosts[index]).answer(rs[i].id, rs[i].key, index, OUTPUT))
            .to.emit(market, "RequestAnswered")
            .withArgs(rs[i].id, 1n, modelers[index].address, E1, index === indexes[0] ? MAX_FEE : 0n, OUTPUT);
        }
      }

      const settled = 3n * MAX_FEE;
      const pool = poolOf(settled);
      const points = [3n, 2n, 1n];
      const rewards = points.map((p) => rewardOf(pool, p, 6n));
      const dust = pool - rewards.reduce((a, b) => a + b);
      const figures = await market.epochFigures(1, E1);
      expect(figures.settledFees).to.equal(settled);
      expect(figures.pool).to.equal(pool);
      expect(figures.points).to.equal(6n);
      expect(figures.rewardDust).to.equal(dust);
      expect(figures.platformShare).to.equal(feeShare(settled) + dust);

      await time.increaseTo(DATES.e1ClaimsOpen);
      await expect(market.connect(stranger).refund(rs[3].id, rs[3].key)).to.changeTokenBalances(
        token,
        [users[3], market],
        [MAX_FEE, -MAX_FEE],
      );
      for (const i of [2, 0, 1]) {
        const claim = market.connect(stranger).claimRewards(1, modelers[i].address, [E1]);
        await expect(claim).to.emit(market, "RewardsClaimed").withArgs(1n, modelers[i].address, [E1], rewards[i]);
        await expect(claim).to.changeTokenBalances(token, [modelers[i], market], [rewards[i], -rewards[i]]);
      }
      for (const [kind, who, amount] of [
        [Kind.Creator, creator, feeShare(settled)],
        [Kind.Admin, challengeAdmin, feeShare(settled)],
        [Kind.Platform, treasury, feeShare(settled) + dust],
      ] as const) {
        await expect(market.connect(stranger).claimFees(1, kind, [E1])).to.changeTokenBalances(
          token,
          [who, market],
          [amount, -amount],
        );
      }
      expect(await token.balanceOf(await market.getAddress())).to.equal(0n);
    });
  });

  describe("a full list of ten", () => {
    /**
     * Ten modelers listed, modelers 5..9 all served by hosts[5]; a fee of 1e18 + 9, whose pool is 9 (mod 10). Each
     * test makes its request: the chain's clock follows the wall clock, and a slow run could outlast the SLA.
     */
    async function fullListFixture() {
      const f = await loadFixture(challengeFixture);
      for (let i = 5; i < 10; i++) await f.market.connect(f.modelers[i]).register(1, f.hosts[5].address);
      await time.increaseTo(DATES.e0Window);
      const listed = f.modelers.slice(0, 10);
      await f.market.connect(f.keeper).promote(
        1,
        listed.map((m) => m.address),
        ethers.id("ten"),
      );
      await time.increaseTo(DATES.e1Start);
      const fee = FEE + 9n;
      await f.market.connect(f.challengeAdmin).setFee(1, fee);
      return { ...f, listed, fee };
    }

    it("all ten answer one request (one host for five of them, in a batch): mask 0x3FF, ten points", async () => {
      const { market, users, hosts, listed, fee } = await loadFixture(fullListFixture);
      const r = await requestOf(market, await market.connect(users[0]).request(1, fee, INPUT));
      for (let i = 0; i < 5; i++) await market.connect(hosts[i]).answer(r.id, r.key, i, OUTPUT);
      const batch = [5, 6, 7, 8, 9].map((index) => ({ requestId: r.id, key: r.key, index, output: OUTPUT }));
      const tx = await market.connect(hosts[5]).answerBatch(batch);
      for (let i = 5; i < 10; i++) {
        await expect(tx).to.emit(market, "RequestAnswered").withArgs(r.id, 1n, listed[i].address, E1, 0n, OUTPUT);
      }
      expect((await market.requestState(r.id)).answeredMask).to.equal(0x3ffn);
      expect((await market.epochFigures(1, E1)).points).to.equal(10n);
      for (const index of [10n, ethers.MaxUint256]) {
        await expect(market.connect(hosts[5]).answer(r.id, r.key, index, OUTPUT))
          .to.be.revertedWithCustomError(market, "MarketNotListed")
          .withArgs(1n, 1n, index);
      }
      await expect(market.connect(hosts[5]).answer(r.id, r.key, 9, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketAlreadyAnswered")
        .withArgs(r.id, listed[9].address);
      expect((await market.requestState(r.id)).answeredMask).to.equal(0x3ffn);
    });

    it("ten floored rewards leave the largest dust, 9 units, which the platform's share takes", async () => {
      const { market, token, users, hosts, listed, fee, treasury, stranger } = await loadFixture(fullListFixture);
      const r = await requestOf(market, await market.connect(users[0]).request(1, fee, INPUT));
      for (let i = 0; i < 5; i++) await market.connect(hosts[i]).answer(r.id, r.key, i, OUTPUT);
      await market
        .connect(hosts[5])
        .answerBatch([5, 6, 7, 8, 9].map((index) => ({ requestId: r.id, key: r.key, index, output: OUTPUT })));
      await time.increaseTo(DATES.e1ClaimsOpen);
      const pool = poolOf(fee);
      const reward = rewardOf(pool, 1n, 10n);
      expect(pool - 10n * reward).to.equal(9n);
      await expect(market.connect(stranger).finalize(1, E1))
        .to.emit(market, "EpochFinalized")
        .withArgs(1n, E1, 1n, 10n, 9n);
      for (const m of listed) {
        await expect(market.connect(stranger).claimRewards(1, m.address, [E1])).to.changeTokenBalances(
          token,
          [m, market],
          [reward, -reward],
        );
      }
      await expect(market.connect(stranger).claimFees(1, Kind.Platform, [E1])).to.changeTokenBalances(
        token,
        [treasury, market],
        [feeShare(fee) + 9n, -(feeShare(fee) + 9n)],
      );
      expect(await token.balanceOf(await market.getAddress())).to.equal(2n * feeShare(fee));
    });
  });

  describe("fifty epochs in one claim", () => {
    // Epochs 3050..3099 (2028-06-15 to 2029-05-30) span two words of the claimed-epochs bitmap (3072 = 12 * 256).
    const FIRST = 3_050n;
    const EPOCHS = Array.from({ length: 50 }, (_, i) => FIRST + BigInt(i));
    const LAST = EPOCHS[EPOCHS.length - 1];

    /** One request a epoch, answered by modeler 0, and in odd epochs by modeler 1 too. */
    async function fiftyEpochsFixture() {
      const f = await loadFixture(challengeFixture);
      await time.increaseTo(windowStart(TIME, FIRST - 1n));
      await f.market.connect(f.keeper).promote(
        1,
        f.modelers.slice(0, 5).map((m) => m.address),
        ethers.id("fifty"),
      );
      for (const [i, e] of EPOCHS.entries()) {
        await time.setNextBlockTimestamp(startOf(TIME, e) + 60n);
        const r = await requestOf(f.market, await f.market.connect(f.users[i % 5]).request(1, FEE, INPUT));
        await f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT);
        if (e % 2n === 1n) await f.market.connect(f.hosts[1]).answer(r.id, r.key, 1, OUTPUT);
      }
      await time.increaseTo(claimsOpenAt(TIME, LAST));
      return f;
    }

    it("pays modeler 0 fifty epochs and modeler 1 its twenty-five, then every fee share, to the unit", async () => {
      const { market, token, modelers, creator, challengeAdmin, treasury, stranger } =
        await loadFixture(fiftyEpochsFixture);
      const pool = poolOf(FEE);
      const pointsOf = (e: bigint) => (e % 2n === 1n ? 2n : 1n);
      const first = EPOCHS.reduce((sum, e) => sum + rewardOf(pool, 1n, pointsOf(e)), 0n);
      const odd = EPOCHS.filter((e) => e % 2n === 1n);
      const second = odd.reduce((sum, e) => sum + rewardOf(pool, 1n, 2n), 0n);

      const claim = await market.connect(stranger).claimRewards(1, modelers[0].address, EPOCHS);
      await expect(claim).to.emit(market, "RewardsClaimed").withArgs(1n, modelers[0].address, EPOCHS, first);
      await expect(claim).to.changeTokenBalances(token, [modelers[0], market], [first, -first]);
      const rewardsGas = (await claim.wait())!.gasUsed;
      await expect(market.connect(stranger).claimRewards(1, modelers[1].address, odd)).to.changeTokenBalances(
        token,
        [modelers[1], market],
        [second, -second],
      );
      for (const e of EPOCHS) expect((await market.epochFigures(1, e)).finalized).to.equal(true);

      const share = 50n * feeShare(FEE);
      const feesGas: bigint[] = [];
      for (const [kind, who] of [
        [Kind.Creator, creator],
        [Kind.Admin, challengeAdmin],
        [Kind.Platform, treasury],
      ] as const) {
        const tx = await market.connect(stranger).claimFees(1, kind, EPOCHS);
        await expect(tx).to.changeTokenBalances(token, [who, market], [share, -share]);
        feesGas.push((await tx.wait())!.gasUsed);
      }
      expect(await token.balanceOf(await market.getAddress())).to.equal(0n);

      const blockGasLimit = (await ethers.provider.getBlock("latest"))!.gasLimit;
      console.log(
        `      gas for 50 epochs: claimRewards ${rewardsGas} (${rewardsGas / 50n} an epoch, finalizing each), ` +
          `claimFees ${feesGas.join(" / ")} (creator / admin / platform); block gas limit ${blockGasLimit}`,
      );
      expect(rewardsGas).to.be.lessThan(blockGasLimit);
    });
  });

  describe("the last epoch the contracts store, 2^24 - 1", () => {
    const HOURLY: TimeConfig = {
      epochLength: 3_600n,
      windowOffset: 1_800n,
      sla: 600n,
      claimDelay: 600n,
      activationDelay: 1n,
    };

    // Put the chain back in 2026 for the test files that run after this one.
    after(async () => {
      await loadFixture(deployFixture);
    });

    it("on hour-long epochs, takes a request, an answer and a claim in epoch 2^24 - 1 (December 3883)", async () => {
      const f = await loadFixture(deployFixture);
      const deployed = await ignition.deploy(InferenceMarketModule, {
        parameters: {
          InferenceMarket: {
            token: await f.token.getAddress(),
            admin: f.admin.address,
            treasury: f.treasury.address,
            epochLength: Number(HOURLY.epochLength),
            windowOffset: Number(HOURLY.windowOffset),
            sla: Number(HOURLY.sla),
            claimDelay: Number(HOURLY.claimDelay),
          },
        },
      });
      const market = InferenceMarket__factory.connect(await deployed.market.getAddress(), f.admin);
      await market.grantRole(await market.CHALLENGE_MANAGER_ROLE(), f.manager.address);
      await market.grantRole(await market.KEEPER_ROLE(), f.keeper.address);
      await market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "last epoch");
      await market.connect(f.modelers[0]).register(1, f.hosts[0].address);
      await f.token.connect(f.users[0]).approve(await market.getAddress(), FEE);

      await time.increaseTo(windowStart(HOURLY, MAX_EPOCH - 1n));
      await market.connect(f.keeper).promote(1, [f.modelers[0].address], ethers.id("last"));
      const at = startOf(HOURLY, MAX_EPOCH);
      await time.setNextBlockTimestamp(at);
      const r = await requestOf(market, await market.connect(f.users[0]).request(1, FEE, INPUT));
      expect((await market.requestState(r.id)).createdAt).to.equal(at);
      await expect(market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, f.modelers[0].address, MAX_EPOCH, FEE, OUTPUT);
      expect(await market.pointsOf(1, f.modelers[0].address, MAX_EPOCH)).to.equal(1n);

      await time.increaseTo(claimsOpenAt(HOURLY, MAX_EPOCH));
      const pool = poolOf(FEE);
      await expect(
        market.connect(f.stranger).claimRewards(1, f.modelers[0].address, [MAX_EPOCH]),
      ).to.changeTokenBalances(f.token, [f.modelers[0], market], [pool, -pool]);
      expect((await market.epochTimes(MAX_EPOCH)).start).to.equal(at);
      await expect(market.epochTimes(MAX_EPOCH + 1n))
        .to.be.revertedWithCustomError(market, "EpochsEpochOutOfRange")
        .withArgs(MAX_EPOCH + 1n, MAX_EPOCH);

      // The list still serves, but a request of epoch 2^24 could never be claimed: it is refused and escrows nothing.
      await f.token.connect(f.users[0]).approve(await market.getAddress(), FEE);
      const count = await market.requestCount();
      const balance = await f.token.balanceOf(await market.getAddress());
      await expect(market.connect(f.users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "EpochsEpochOutOfRange")
        .withArgs(MAX_EPOCH + 1n, MAX_EPOCH);
      expect(await market.requestCount()).to.equal(count);
      expect(await f.token.balanceOf(await market.getAddress())).to.equal(balance);
    });
  });
});
