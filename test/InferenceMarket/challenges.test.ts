import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { activeFixture, challengeFixture, deployFixture, requestOf, DATES, E1, FEE, Status } from "../fixtures";
import type { InferenceMarket, TestToken } from "../../typechain-types";

const E0 = E1 - 1n;
const E2 = E1 + 1n;
const MAX_FEE = 2n ** 96n - 1n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

enum Kind {
  Creator,
  Admin,
  Platform,
}

/** The challenge view as a plain array: [creator, admin, fee, listCount, latestActivationEpoch]. */
async function info(market: InferenceMarket, challengeId: bigint | number) {
  return [...(await market.challenge(challengeId))];
}

/** What a rejected call must leave untouched: challenges, counts, figures and token balances. */
async function snapshot(market: InferenceMarket, token: TestToken, accounts: string[]) {
  const count = await market.challengeCount();
  const challenges = [];
  for (let id = 1n; id <= count; id++) challenges.push(await info(market, id));
  const figures = [];
  for (const e of [E0, E1, E2]) figures.push([...(await market.epochFigures(1, e))]);
  const balances = await Promise.all([await market.getAddress(), ...accounts].map((a) => token.balanceOf(a)));
  return {
    count,
    challenges,
    figures,
    balances,
    requests: await market.requestCount(),
    treasury: await market.treasury(),
  };
}

async function request(market: InferenceMarket, user: Signer, maxFee: bigint, at?: bigint) {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  return requestOf(market, await market.connect(user).request(1, maxFee, INPUT));
}

/** activeFixture with one request (users[0], fee FEE) answered by modelers[0] and modelers[1] in E1. */
async function answeredFixture() {
  const f = await loadFixture(activeFixture);
  const r = await request(f.market, f.users[0], FEE, DATES.e1Start + 3_600n);
  await f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT);
  await f.market.connect(f.hosts[1]).answer(r.id, r.key, 1, OUTPUT);
  return { ...f, r };
}

describe("InferenceMarket challenges", () => {
  describe("createChallenge", () => {
    it("numbers challenges from 1, emits ChallengeCreated with the metadata and stores the parties and fee", async () => {
      const { market, manager, creator, challengeAdmin, stranger, users } = await loadFixture(deployFixture);
      expect(await market.challengeCount()).to.equal(0n);
      expect(
        await market.connect(manager).createChallenge.staticCall(creator.address, challengeAdmin.address, FEE, "x"),
      ).to.equal(1n);

      await expect(
        market.connect(manager).createChallenge(creator.address, challengeAdmin.address, FEE, "wallet credit score"),
      )
        .to.emit(market, "ChallengeCreated")
        .withArgs(1n, creator.address, challengeAdmin.address, FEE, "wallet credit score");
      expect(await market.challengeCount()).to.equal(1n);
      expect(await info(market, 1)).to.deep.equal([creator.address, challengeAdmin.address, FEE, 0n, 0n]);

      const metadata = "ipfs://bafy-sybil-detection";
      await expect(market.connect(manager).createChallenge(stranger.address, users[0].address, 3n * FEE, metadata))
        .to.emit(market, "ChallengeCreated")
        .withArgs(2n, stranger.address, users[0].address, 3n * FEE, metadata);
      expect(await market.challengeCount()).to.equal(2n);
      expect(await info(market, 2)).to.deep.equal([stranger.address, users[0].address, 3n * FEE, 0n, 0n]);
      // the first challenge is untouched
      expect(await info(market, 1)).to.deep.equal([creator.address, challengeAdmin.address, FEE, 0n, 0n]);
    });

    it("accepts the same address as creator and admin", async () => {
      const { market, manager, creator } = await loadFixture(deployFixture);
      await market.connect(manager).createChallenge(creator.address, creator.address, FEE, "");
      expect(await info(market, 1)).to.deep.equal([creator.address, creator.address, FEE, 0n, 0n]);
    });

    it("rejects a zero creator or admin with MarketInvalidChallengeParty(creator, admin)", async () => {
      const { market, token, manager, creator, challengeAdmin } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, [manager.address]);
      const Z = ethers.ZeroAddress;
      for (const [c, a] of [
        [Z, challengeAdmin.address],
        [creator.address, Z],
        [Z, Z],
      ]) {
        await expect(market.connect(manager).createChallenge(c, a, FEE, "bad"))
          .to.be.revertedWithCustomError(market, "MarketInvalidChallengeParty")
          .withArgs(c, a);
      }
      expect(await snapshot(market, token, [manager.address])).to.deep.equal(before);
      expect(before.count).to.equal(1n);
      await expect(market.challenge(2)).to.be.revertedWithCustomError(market, "MarketChallengeNotFound").withArgs(2n);
    });

    it("rejects fee 0 and fee 2^96 with MarketInvalidFee and accepts 2^96 - 1", async () => {
      const { market, token, manager, creator, challengeAdmin } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      for (const fee of [0n, 2n ** 96n, ethers.MaxUint256]) {
        await expect(market.connect(manager).createChallenge(creator.address, challengeAdmin.address, fee, "bad"))
          .to.be.revertedWithCustomError(market, "MarketInvalidFee")
          .withArgs(fee);
      }
      expect(await snapshot(market, token, [])).to.deep.equal(before);

      await expect(market.connect(manager).createChallenge(creator.address, challengeAdmin.address, MAX_FEE, "max"))
        .to.emit(market, "ChallengeCreated")
        .withArgs(2n, creator.address, challengeAdmin.address, MAX_FEE, "max");
      expect(await info(market, 2)).to.deep.equal([creator.address, challengeAdmin.address, MAX_FEE, 0n, 0n]);
      // the smallest fee, 1 unit, is valid too
      await market.connect(manager).createChallenge(creator.address, challengeAdmin.address, 1n, "min");
      expect((await market.challenge(3)).fee).to.equal(1n);
    });

    it("requires CHALLENGE_MANAGER_ROLE", async () => {
      const { market, token, admin, keeper, stranger, creator, challengeAdmin } = await loadFixture(challengeFixture);
      const role = await market.CHALLENGE_MANAGER_ROLE();
      const before = await snapshot(market, token, []);
      for (const caller of [stranger, keeper, admin]) {
        await expect(market.connect(caller).createChallenge(creator.address, challengeAdmin.address, FEE, ""))
          .to.be.revertedWithCustomError(market, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
      expect(await snapshot(market, token, [])).to.deep.equal(before);
    });
  });

  describe("challenge (view)", () => {
    it("reverts MarketChallengeNotFound for 0 and for ids never created", async () => {
      const { market } = await loadFixture(challengeFixture);
      expect(await market.challengeCount()).to.equal(1n);
      for (const id of [0n, 2n, 1000n]) {
        await expect(market.challenge(id))
          .to.be.revertedWithCustomError(market, "MarketChallengeNotFound")
          .withArgs(id);
      }
    });

    it("reports the list count and latest activation epoch after a promotion", async () => {
      const { market, creator, challengeAdmin } = await loadFixture(activeFixture);
      expect(await info(market, 1)).to.deep.equal([creator.address, challengeAdmin.address, FEE, 1n, E1]);
    });
  });

  describe("setFee", () => {
    it("lets the challenge admin change the fee and emits ChallengeFeeChanged(old, new)", async () => {
      const { market, creator, challengeAdmin } = await loadFixture(challengeFixture);
      await expect(market.connect(challengeAdmin).setFee(1, 2n * FEE))
        .to.emit(market, "ChallengeFeeChanged")
        .withArgs(1n, FEE, 2n * FEE);
      expect(await info(market, 1)).to.deep.equal([creator.address, challengeAdmin.address, 2n * FEE, 0n, 0n]);
      await expect(market.connect(challengeAdmin).setFee(1, MAX_FEE))
        .to.emit(market, "ChallengeFeeChanged")
        .withArgs(1n, 2n * FEE, MAX_FEE);
      expect((await market.challenge(1)).fee).to.equal(MAX_FEE);
      await expect(market.connect(challengeAdmin).setFee(1, 1n))
        .to.emit(market, "ChallengeFeeChanged")
        .withArgs(1n, MAX_FEE, 1n);
      expect((await market.challenge(1)).fee).to.equal(1n);
    });

    it("rejects anyone but the challenge admin with MarketNotChallengeAdmin", async () => {
      const { market, token, admin, manager, creator, stranger } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      for (const caller of [stranger, creator, admin, manager]) {
        await expect(market.connect(caller).setFee(1, 2n * FEE))
          .to.be.revertedWithCustomError(market, "MarketNotChallengeAdmin")
          .withArgs(1n, caller.address);
      }
      expect(await snapshot(market, token, [])).to.deep.equal(before);
    });

    it("reverts MarketChallengeNotFound for an unknown challenge", async () => {
      const { market, token, challengeAdmin } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      for (const id of [0n, 2n]) {
        await expect(market.connect(challengeAdmin).setFee(id, 2n * FEE))
          .to.be.revertedWithCustomError(market, "MarketChallengeNotFound")
          .withArgs(id);
      }
      expect(await snapshot(market, token, [])).to.deep.equal(before);
    });

    it("rejects fee 0 and fee 2^96 with MarketInvalidFee", async () => {
      const { market, token, challengeAdmin } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      for (const fee of [0n, 2n ** 96n]) {
        await expect(market.connect(challengeAdmin).setFee(1, fee))
          .to.be.revertedWithCustomError(market, "MarketInvalidFee")
          .withArgs(fee);
      }
      expect(await snapshot(market, token, [])).to.deep.equal(before);
      expect((await market.challenge(1)).fee).to.equal(FEE);
    });

    it("applies to later requests only: earlier requests keep their fee for settlement and refund", async () => {
      const { market, token, challengeAdmin, users, hosts, modelers } = await loadFixture(activeFixture);
      const marketAddress = await market.getAddress();
      const t = DATES.e1Start + 3_600n;
      const answered = await request(market, users[0], FEE, t);
      const refunded = await request(market, users[1], FEE, t + 1n);
      expect(answered.key.fee).to.equal(FEE);
      expect(refunded.key.fee).to.equal(FEE);
      expect(await token.balanceOf(marketAddress)).to.equal(2n * FEE);

      await time.setNextBlockTimestamp(t + 2n);
      await market.connect(challengeAdmin).setFee(1, 3n * FEE);

      // the next request escrows the new fee
      const userBefore = await token.balanceOf(users[2].address);
      const later = await request(market, users[2], 3n * FEE, t + 3n);
      expect(later.key.fee).to.equal(3n * FEE);
      expect(await token.balanceOf(users[2].address)).to.equal(userBefore - 3n * FEE);
      expect(await token.balanceOf(marketAddress)).to.equal(5n * FEE);

      // the earlier request's key still says FEE; a key with the new fee does not match it
      await expect(market.connect(hosts[0]).answer(answered.id, { ...answered.key, fee: 3n * FEE }, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketRequestKeyMismatch")
        .withArgs(answered.id);
      await expect(market.connect(hosts[0]).answer(answered.id, answered.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(answered.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
      expect((await market.epochFigures(1, E1)).settledFees).to.equal(FEE);
      await market.connect(hosts[1]).answer(later.id, later.key, 1, OUTPUT);
      expect((await market.epochFigures(1, E1)).settledFees).to.equal(4n * FEE);

      // the unanswered earlier request is refunded at the old fee
      const refundBefore = await token.balanceOf(users[1].address);
      await time.setNextBlockTimestamp(refunded.deadline + 1n);
      await expect(market.connect(users[3]).refund(refunded.id, refunded.key))
        .to.emit(market, "RequestRefunded")
        .withArgs(refunded.id, 1n, users[1].address, FEE);
      expect(await token.balanceOf(users[1].address)).to.equal(refundBefore + FEE);
      expect(await token.balanceOf(marketAddress)).to.equal(4n * FEE);
      expect((await market.requestState(refunded.id))[0]).to.equal(BigInt(Status.Refunded));
    });

    it("honours the user's maxFee: fee - 1 after a raise reverts MarketFeeAboveMax, maxFee = fee is accepted", async () => {
      const { market, token, challengeAdmin, users } = await loadFixture(activeFixture);
      const newFee = 2n * FEE;
      await market.connect(challengeAdmin).setFee(1, newFee);
      const before = await snapshot(market, token, [users[0].address]);
      // the old fee as a ceiling, and one unit below the new fee
      for (const maxFee of [FEE, newFee - 1n]) {
        await expect(market.connect(users[0]).request(1, maxFee, INPUT))
          .to.be.revertedWithCustomError(market, "MarketFeeAboveMax")
          .withArgs(newFee, maxFee);
      }
      expect(await snapshot(market, token, [users[0].address])).to.deep.equal(before);
      expect(await market.requestState(1)).to.deep.equal([BigInt(Status.None), 0n, 0n, 0n]);

      const r = await request(market, users[0], newFee);
      expect(r.key.fee).to.equal(newFee);
      const after = await snapshot(market, token, [users[0].address]);
      expect(after.balances).to.deep.equal([before.balances[0] + newFee, before.balances[1] - newFee]);
      expect(after.requests).to.equal(1n);

      // a higher ceiling than the fee still escrows only the fee
      const r2 = await request(market, users[0], 10n * FEE);
      expect(r2.key.fee).to.equal(newFee);
      expect(await token.balanceOf(users[0].address)).to.equal(before.balances[1] - 2n * newFee);
    });
  });

  describe("setChallengeAdmin", () => {
    it("hands the admin role over: the new admin sets fees, the old one no longer can", async () => {
      const { market, token, creator, challengeAdmin, stranger } = await loadFixture(challengeFixture);
      await expect(market.connect(challengeAdmin).setChallengeAdmin(1, stranger.address))
        .to.emit(market, "ChallengeAdminChanged")
        .withArgs(1n, challengeAdmin.address, stranger.address);
      expect(await info(market, 1)).to.deep.equal([creator.address, stranger.address, FEE, 0n, 0n]);

      const before = await snapshot(market, token, []);
      await expect(market.connect(challengeAdmin).setFee(1, 2n * FEE))
        .to.be.revertedWithCustomError(market, "MarketNotChallengeAdmin")
        .withArgs(1n, challengeAdmin.address);
      await expect(market.connect(challengeAdmin).setChallengeAdmin(1, challengeAdmin.address))
        .to.be.revertedWithCustomError(market, "MarketNotChallengeAdmin")
        .withArgs(1n, challengeAdmin.address);
      expect(await snapshot(market, token, [])).to.deep.equal(before);

      await expect(market.connect(stranger).setFee(1, 2n * FEE))
        .to.emit(market, "ChallengeFeeChanged")
        .withArgs(1n, FEE, 2n * FEE);
      expect((await market.challenge(1)).fee).to.equal(2n * FEE);
    });

    it("rejects a zero new admin with MarketInvalidChallengeParty", async () => {
      const { market, token, creator, challengeAdmin } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      await expect(market.connect(challengeAdmin).setChallengeAdmin(1, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(market, "MarketInvalidChallengeParty")
        .withArgs(creator.address, ethers.ZeroAddress);
      expect(await snapshot(market, token, [])).to.deep.equal(before);
    });

    it("rejects anyone but the challenge admin, and unknown challenges", async () => {
      const { market, token, admin, creator, challengeAdmin, stranger } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      for (const caller of [stranger, creator, admin]) {
        await expect(market.connect(caller).setChallengeAdmin(1, caller.address))
          .to.be.revertedWithCustomError(market, "MarketNotChallengeAdmin")
          .withArgs(1n, caller.address);
      }
      await expect(market.connect(challengeAdmin).setChallengeAdmin(2, stranger.address))
        .to.be.revertedWithCustomError(market, "MarketChallengeNotFound")
        .withArgs(2n);
      expect(await snapshot(market, token, [])).to.deep.equal(before);
    });

    it("gives the unclaimed admin shares to the new admin", async () => {
      const { market, token, challengeAdmin, stranger, users } = await answeredFixture();
      await time.increaseTo(DATES.e1ClaimsOpen);
      const share = (await market.epochFigures(1, E1)).adminShare;
      expect(share).to.equal(FEE / 20n);
      expect(await market.claimableFees(1, Kind.Admin, E1)).to.equal(share);

      await market.connect(challengeAdmin).setChallengeAdmin(1, stranger.address);
      const oldBefore = await token.balanceOf(challengeAdmin.address);
      const newBefore = await token.balanceOf(stranger.address);
      const marketBefore = await token.balanceOf(await market.getAddress());
      // anyone may send the claim; the current admin is paid
      await expect(market.connect(users[3]).claimFees(1, Kind.Admin, [E1]))
        .to.emit(market, "FeesClaimed")
        .withArgs(1n, stranger.address, E1, Kind.Admin, share);
      expect(await token.balanceOf(stranger.address)).to.equal(newBefore + share);
      expect(await token.balanceOf(challengeAdmin.address)).to.equal(oldBefore);
      expect(await token.balanceOf(await market.getAddress())).to.equal(marketBefore - share);
      expect(await market.claimableFees(1, Kind.Admin, E1)).to.equal(0n);
    });
  });

  describe("setTreasury", () => {
    it("lets DEFAULT_ADMIN change the treasury and emits TreasuryChanged", async () => {
      const { market, admin, treasury, stranger } = await loadFixture(challengeFixture);
      expect(await market.treasury()).to.equal(treasury.address);
      await expect(market.connect(admin).setTreasury(stranger.address))
        .to.emit(market, "TreasuryChanged")
        .withArgs(treasury.address, stranger.address);
      expect(await market.treasury()).to.equal(stranger.address);
    });

    it("requires DEFAULT_ADMIN_ROLE", async () => {
      const { market, token, treasury, manager, keeper, challengeAdmin, stranger } =
        await loadFixture(challengeFixture);
      const role = await market.DEFAULT_ADMIN_ROLE();
      const before = await snapshot(market, token, []);
      for (const caller of [stranger, treasury, manager, keeper, challengeAdmin]) {
        await expect(market.connect(caller).setTreasury(caller.address))
          .to.be.revertedWithCustomError(market, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
      expect(await snapshot(market, token, [])).to.deep.equal(before);
      expect(before.treasury).to.equal(treasury.address);
    });

    it("rejects the zero address with MarketInvalidTreasury", async () => {
      const { market, token, admin, treasury } = await loadFixture(challengeFixture);
      const before = await snapshot(market, token, []);
      await expect(market.connect(admin).setTreasury(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(market, "MarketInvalidTreasury")
        .withArgs(ethers.ZeroAddress);
      expect(await snapshot(market, token, [])).to.deep.equal(before);
      expect(await market.treasury()).to.equal(treasury.address);
    });

    it("pays platform shares claimed after the change to the new treasury", async () => {
      const { market, token, admin, treasury, stranger, users } = await answeredFixture();
      // changed before claims open: the epoch's platform share is still unclaimed
      await market.connect(admin).setTreasury(stranger.address);
      await time.increaseTo(DATES.e1ClaimsOpen);
      const share = (await market.epochFigures(1, E1)).platformShare;
      expect(share).to.equal(FEE / 20n);
      const oldBefore = await token.balanceOf(treasury.address);
      const newBefore = await token.balanceOf(stranger.address);
      await expect(market.connect(users[3]).claimFees(1, Kind.Platform, [E1]))
        .to.emit(market, "FeesClaimed")
        .withArgs(1n, stranger.address, E1, Kind.Platform, share);
      expect(await token.balanceOf(stranger.address)).to.equal(newBefore + share);
      expect(await token.balanceOf(treasury.address)).to.equal(oldBefore);
      expect(await market.claimableFees(1, Kind.Platform, E1)).to.equal(0n);
    });
  });
});
