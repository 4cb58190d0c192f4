import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, E1, FEE } from "../fixtures";
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

describe("sdk/market claims", () => {
  describe("claimable", () => {
    it("gives each epoch's amount and opening for a modeler or a fee share", async () => {
      const { as, stranger, modelers } = await loadFixture(claimsFixture);
      const market = as(stranger);
      expect(await market.claimable(1, modelers[0].address, [E1 - 1n, E1])).to.deep.equal([
        { epoch: E1 - 1n, amount: 0n, claimsOpenAt: DATES.e1Start + DAY, open: false },
        { epoch: E1, amount: (POOL * 2n) / 3n, claimsOpenAt: DATES.e1ClaimsOpen, open: false },
      ]);
      expect((await market.claimable(1, "platform", [E1]))[0].amount).to.equal(SHARE);
      await time.increaseTo(DATES.e1ClaimsOpen);
      expect((await market.claimable(1, modelers[1].address, [E1]))[0]).to.deep.equal({
        epoch: E1,
        amount: POOL / 3n,
        claimsOpenAt: DATES.e1ClaimsOpen,
        open: true,
      });
    });
  });

  describe("claimRewards and claimFees", () => {
    it("pay the modeler and the fee recipients, whoever sends, and report the amount", async () => {
      const { as, stranger, modelers, token, creator, challengeAdmin, treasury, market } = await loadFixture(claimsFixture);
      await time.increaseTo(DATES.e1ClaimsOpen);
      const sdk = as(stranger);
      expect((await sdk.claimRewards(1, modelers[0].address, [E1])).amount).to.equal((POOL * 2n) / 3n);
      expect((await sdk.claimRewards(1, modelers[1].address, [E1])).amount).to.equal(POOL - (POOL * 2n) / 3n);
      for (const kind of ["creator", "admin", "platform"] as const) {
        expect((await sdk.claimFees(1, kind, [E1])).amount).to.equal(SHARE);
      }
      expect(await token.balanceOf(modelers[0].address)).to.equal((POOL * 2n) / 3n);
      expect(await token.balanceOf(creator.address)).to.equal(SHARE);
      expect(await token.balanceOf(challengeAdmin.address)).to.equal(SHARE);
      expect(await token.balanceOf(treasury.address)).to.equal(SHARE);
      expect(await token.balanceOf(await market.getAddress())).to.equal(0n);
      expect(await token.balanceOf(stranger.address)).to.equal(0n);
    });

    it("throw MarketClaimNotOpen before the opening, with its time, and pay nothing", async () => {
      const { as, stranger, modelers, token } = await loadFixture(claimsFixture);
      const err = (await as(stranger).claimRewards(1, modelers[0].address, [E1]).catch((e: unknown) => e)) as RevertError;
      expect(err).to.be.instanceOf(RevertError);
      expect(err.errorName).to.equal("MarketClaimNotOpen");
      expect(err.message).to.match(new RegExp(`^MarketClaimNotOpen\\(epoch=${E1}, opensAt=${isoOf(DATES.e1ClaimsOpen)} \\(${DATES.e1ClaimsOpen}\\), timestamp=2026-11-26T`));
      expect(await token.balanceOf(modelers[0].address)).to.equal(0n);
    });
  });
});
