import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, E1, FEE, TIME } from "../fixtures";
import { DAY, Market, RevertError, isoOf } from "../../sdk";

/** E1 with two requests: modeler 0 answers both, modeler 1 one: 3 points, pool 1.7 FEE. */
async function claimsFixture() {
  const f = await loadFixture(activeFixture);
  const address = await f.market.getAddress();
  const as = (signer: Parameters<typeof Market.connect>[1]) => Market.connect(address, signer);
  const a = await as(f.users[0]).request(1, "a");
  const b = await as(f.users[1]).request(1, "b");
  await as(f.hosts[0]).answer(a.requestId, a.key, 0, "1");
  await as(f.hosts[0]).answer(b.requestId, b.key, 0, "1");
  await as(f.hosts[1]).answer(a.requestId, a.key, 1, "1");
  return { ...f, as };
}

const POOL = (2n * FEE * 85n) / 100n;
const SHARE = (2n * FEE * 5n) / 100n;
/** Rewards are floors of pool * points / 3; the unit they leave goes to the platform. */
const REWARD0 = (POOL * 2n) / 3n;
const REWARD1 = POOL / 3n;
const DUST = POOL - REWARD0 - REWARD1;

describe("sdk/market claims", () => {
  describe("claimable", () => {
    it("gives each epoch's amount and opening for a modeler or a fee share", async () => {
      const { as, stranger, modelers } = await loadFixture(claimsFixture);
      const market = as(stranger);
      expect(await market.claimable(1, modelers[0].address, [E1 - 1n, E1])).to.deep.equal([
        { epoch: E1 - 1n, amount: 0n, claimsOpenAt: DATES.e1Start + DAY, open: false },
        { epoch: E1, amount: REWARD0, claimsOpenAt: DATES.e1ClaimsOpen, open: false },
      ]);
      expect((await market.claimable(1, "platform", [E1]))[0].amount).to.equal(SHARE + DUST);
      expect(DUST).to.equal(1n);
      await time.increaseTo(DATES.e1ClaimsOpen);
      expect((await market.claimable(1, modelers[1].address, [E1]))[0]).to.deep.equal({
        epoch: E1,
        amount: REWARD1,
        claimsOpenAt: DATES.e1ClaimsOpen,
        open: true,
      });
    });
  });

  describe("finalize", () => {
    it("stores the epoch's totals once it is final, and only once", async () => {
      const { as, stranger, market } = await loadFixture(claimsFixture);
      const sdk = as(stranger);
      await expect(sdk.finalize(1, E1)).to.be.rejectedWith(
        RevertError,
        /^MarketEpochNotFinal\(epoch=2969, finalAt=2026-12-03T00:10:00Z/,
      );
      await time.increaseTo(DATES.e2Start + TIME.sla);
      await sdk.finalize(1, E1);
      const figures = await market.epochFigures(1, E1);
      expect([figures.finalized, figures.points, figures.rewardDust]).to.deep.equal([true, 3n, DUST]);
      await expect(sdk.finalize(1, E1)).to.be.rejectedWith(
        RevertError,
        `MarketEpochAlreadyFinalized(challengeId=1, epoch=${E1})`,
      );
    });
  });

  describe("claimRewards and claimFees", () => {
    it("pay the modeler and the fee recipients, whoever sends, and report the amount", async () => {
      const { as, stranger, modelers, token, creator, challengeAdmin, treasury, market } =
        await loadFixture(claimsFixture);
      await time.increaseTo(DATES.e1ClaimsOpen);
      const sdk = as(stranger);
      expect((await sdk.claimRewards(1, modelers[0].address, [E1])).amount).to.equal(REWARD0);
      expect((await sdk.claimRewards(1, modelers[1].address, [E1])).amount).to.equal(REWARD1);
      expect((await sdk.claimFees(1, "creator", [E1])).amount).to.equal(SHARE);
      expect((await sdk.claimFees(1, "admin", [E1])).amount).to.equal(SHARE);
      expect((await sdk.claimFees(1, "platform", [E1])).amount).to.equal(SHARE + DUST);
      expect(await token.balanceOf(modelers[0].address)).to.equal(REWARD0);
      expect(await token.balanceOf(modelers[1].address)).to.equal(REWARD1);
      expect(await token.balanceOf(creator.address)).to.equal(SHARE);
      expect(await token.balanceOf(challengeAdmin.address)).to.equal(SHARE);
      expect(await token.balanceOf(treasury.address)).to.equal(SHARE + DUST);
      expect(await token.balanceOf(await market.getAddress())).to.equal(0n);
      expect(await token.balanceOf(stranger.address)).to.equal(0n);
    });

    it("throw MarketClaimNotOpen before the opening, with its time, and pay nothing", async () => {
      const { as, stranger, modelers, token } = await loadFixture(claimsFixture);
      const err = (await as(stranger)
        .claimRewards(1, modelers[0].address, [E1])
        .catch((e: unknown) => e)) as RevertError;
      expect(err).to.be.instanceOf(RevertError);
      expect(err.errorName).to.equal("MarketClaimNotOpen");
      expect(err.message).to.match(
        new RegExp(
          `^MarketClaimNotOpen\\(epoch=${E1}, opensAt=${isoOf(DATES.e1ClaimsOpen)} \\(${DATES.e1ClaimsOpen}\\), timestamp=2026-11-26T`,
        ),
      );
      expect(await token.balanceOf(modelers[0].address)).to.equal(0n);
    });
  });
});
