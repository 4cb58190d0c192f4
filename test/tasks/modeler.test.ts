import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, challengeFixture, DATES, E1, FEE } from "../fixtures";
import { runTask } from "./run";

// Signer indexes of the fixtures: 13.. modelers, 25.. hosts.
const MODELER = (i: number) => String(13 + i);

describe("tasks: modeler", () => {
  describe("register", () => {
    it("opts the signer in with its host and prints from when requests are open to it", async () => {
      const { market, modelers, hosts } = await loadFixture(challengeFixture);
      const { result, out } = await runTask("register", {
        market: await market.getAddress(),
        from: MODELER(7),
        challenge: "1",
        host: hosts[7].address,
      });
      const at = BigInt(await time.latest());
      expect(await market.modelerInfo(1, modelers[7].address)).to.deep.equal([hosts[7].address, at, false]);
      expect(result.optedInAt).to.equal(at);
      expect(out.split("\n")[0]).to.equal(
        `modeler ${modelers[7].address} registered on challenge 1 with host ${hosts[7].address}`,
      );
    });

    it("defaults the host to the signer, and fails with the decoded error on a second registration", async () => {
      const { market, modelers } = await loadFixture(challengeFixture);
      await runTask("register", { market: await market.getAddress(), from: modelers[8].address, challenge: "1" });
      expect((await market.modelerInfo(1, modelers[8].address)).host).to.equal(modelers[8].address);
      await expect(
        runTask("register", { market: await market.getAddress(), from: MODELER(8), challenge: "1" }),
      ).to.be.rejectedWith(`MarketModelerAlreadyRegistered(challengeId=1, modeler=${modelers[8].address})`);
    });
  });

  describe("host:set", () => {
    it("changes the signer's host", async () => {
      const { market, modelers, hosts } = await loadFixture(challengeFixture);
      const { out } = await runTask("host:set", {
        market: await market.getAddress(),
        from: MODELER(0),
        challenge: "1",
        host: hosts[9].address,
      });
      expect(out).to.match(
        new RegExp(
          `^modeler ${modelers[0].address} on challenge 1: host ${hosts[0].address} -> ${hosts[9].address} \\(tx`,
        ),
      );
      expect((await market.modelerInfo(1, modelers[0].address)).host).to.equal(hosts[9].address);
    });
  });

  describe("claim", () => {
    it("pays the signer's rewards of every open epoch of the last eight, then has nothing left", async () => {
      const { market, users, hosts, modelers, token } = await loadFixture(activeFixture);
      const key = { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE };
      await market.connect(users[0]).request(1, FEE, "0x01");
      await market.connect(hosts[2]).answer(1, key, 2, "0x02");
      await time.increaseTo(DATES.e1ClaimsOpen);
      const { result, out } = await runTask("claim", {
        market: await market.getAddress(),
        from: MODELER(2),
        challenge: "1",
      });
      expect(result.epochs).to.deep.equal([E1]);
      expect(out).to.match(
        new RegExp(`^modeler ${modelers[2].address}: paid 0.85 tUSD for epoch ${E1} \\(tx 0x[0-9a-f]{64}\\)$`),
      );
      expect(await token.balanceOf(modelers[2].address)).to.equal((FEE * 85n) / 100n);
      expect(
        (await runTask("claim", { market: await market.getAddress(), from: MODELER(2), challenge: "1" })).out,
      ).to.equal(`modeler ${modelers[2].address}: nothing owed`);
    });

    it("before claims open, says what is owed and when it opens, and exits with an error", async () => {
      const { market, users, hosts, modelers, token } = await loadFixture(activeFixture);
      const key = { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE };
      await market.connect(users[0]).request(1, FEE, "0x01");
      await market.connect(hosts[2]).answer(1, key, 2, "0x02");
      await time.increaseTo(DATES.e1ClaimsOpen - 1n);
      await expect(
        runTask("claim", { market: await market.getAddress(), from: MODELER(2), challenge: "1" }),
      ).to.be.rejectedWith(
        `modeler ${modelers[2].address}: nothing claimable yet: owed 0.85 tUSD for epoch ${E1}, whose claims open 2026-12-04T00:00:00Z`,
      );
      expect(await token.balanceOf(modelers[2].address)).to.equal(0n);
      // A modeler owed nothing is told so, with exit 0.
      const { out } = await runTask("claim", { market: await market.getAddress(), from: MODELER(3), challenge: "1" });
      expect(out).to.equal(`modeler ${modelers[3].address}: nothing owed`);
    });

    it("fails with MarketNothingToClaim for an epoch without points, paying nothing", async () => {
      const { market, modelers, token } = await loadFixture(activeFixture);
      await time.increaseTo(DATES.e1ClaimsOpen);
      await expect(
        runTask("claim", {
          market: await market.getAddress(),
          challenge: "1",
          modeler: modelers[3].address,
          epochs: `${E1}`,
        }),
      ).to.be.rejectedWith(`MarketNothingToClaim(challengeId=1, recipient=${modelers[3].address}, epoch=${E1})`);
      expect(await token.balanceOf(modelers[3].address)).to.equal(0n);
    });
  });
});
