import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, challengeFixture, DATES, E1, FEE } from "../fixtures";
import { runTask } from "./run";

// Signer indexes of the fixtures: 2 manager, 5 creator, 6 challenge admin, 7 stranger, 8.. users, 25.. hosts.
const MANAGER = "2";
const CHALLENGE_ADMIN = "6";
const STRANGER = "7";

describe("tasks: operator", () => {
  describe("challenge:create", () => {
    it("creates a challenge with a fee in token units and prints its id", async () => {
      const { market, manager, creator } = await loadFixture(challengeFixture);
      const { result, out } = await runTask("challenge:create", {
        market: await market.getAddress(),
        from: MANAGER,
        fee: "2.5",
        creator: creator.address,
        metadata: "churn",
      });
      expect(result.challengeId).to.equal(2n);
      expect(out).to.match(
        new RegExp(
          `^challenge 2 created: fee 2.5 tUSD, creator ${creator.address}, admin ${manager.address} \\(tx 0x[0-9a-f]{64}\\)$`,
        ),
      );
      expect(await market.challenge(2)).to.deep.equal([
        creator.address,
        manager.address,
        2_500_000_000_000_000_000n,
        0n,
        0n,
      ]);
    });

    it("fails with the decoded error, naming the missing role, and creates nothing", async () => {
      const { market, stranger } = await loadFixture(challengeFixture);
      await expect(
        runTask("challenge:create", { market: await market.getAddress(), from: STRANGER, fee: "1" }),
      ).to.be.rejectedWith(
        `AccessControlUnauthorizedAccount(account=${stranger.address}, neededRole=CHALLENGE_MANAGER_ROLE)`,
      );
      expect(await market.challengeCount()).to.equal(1n);
    });

    it("refuses an amount with more decimals than the token has", async () => {
      const { market } = await loadFixture(challengeFixture);
      await expect(
        runTask("challenge:create", { market: await market.getAddress(), from: MANAGER, fee: "0.0000000000000000001" }),
      ).to.be.rejectedWith('--fee has more than 18 decimals: "0.0000000000000000001"');
    });
  });

  describe("challenge:fee", () => {
    it("sets the fee of later requests and prints the change", async () => {
      const { market } = await loadFixture(challengeFixture);
      const { result, out } = await runTask("challenge:fee", {
        market: await market.getAddress(),
        from: CHALLENGE_ADMIN,
        challenge: "1",
        fee: "0.5",
        json: true,
      });
      expect(JSON.parse(out)).to.deep.include({ challengeId: "1", oldFee: FEE.toString(), fee: (FEE / 2n).toString() });
      expect(result.fee).to.equal(FEE / 2n);
      expect((await market.challenge(1)).fee).to.equal(FEE / 2n);
    });
  });

  describe("claim:fees", () => {
    it("pays every fee share owed for the finished epochs of the last eight", async () => {
      const { market, users, hosts, token, creator, challengeAdmin, treasury } = await loadFixture(activeFixture);
      await market.connect(users[0]).request(1, FEE, "0x01");
      await market
        .connect(hosts[0])
        .answer(1, { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE }, 0, "0x02");
      await time.increaseTo(DATES.e1ClaimsOpen);
      const { out } = await runTask("claim:fees", {
        market: await market.getAddress(),
        from: STRANGER,
        challenge: "1",
      });
      expect(out.split("\n").map((l) => l.replace(/ \(tx 0x[0-9a-f]{64}\)$/, ""))).to.deep.equal([
        `creator: paid 0.05 tUSD for epoch ${E1}`,
        `admin: paid 0.05 tUSD for epoch ${E1}`,
        `platform: paid 0.05 tUSD for epoch ${E1}`,
      ]);
      for (const who of [creator, challengeAdmin, treasury])
        expect(await token.balanceOf(who.address)).to.equal(FEE / 20n);
      const again = await runTask("claim:fees", { market: await market.getAddress(), challenge: "1", kind: "creator" });
      expect(again.out).to.equal("creator: nothing owed");
    });

    it("before claims open, says what each share is owed and when, and exits with an error", async () => {
      const { market, users, hosts, token, creator } = await loadFixture(activeFixture);
      await market.connect(users[0]).request(1, FEE, "0x01");
      await market
        .connect(hosts[0])
        .answer(1, { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE }, 0, "0x02");
      await time.increaseTo(DATES.e1ClaimsOpen - 1n);
      await expect(runTask("claim:fees", { market: await market.getAddress(), challenge: "1" })).to.be.rejectedWith(
        ["creator", "admin", "platform"]
          .map(
            (k) =>
              `${k}: nothing claimable yet: owed 0.05 tUSD for epoch ${E1}, whose claims open 2026-12-04T00:00:00Z`,
          )
          .join("\n"),
      );
      expect(await token.balanceOf(creator.address)).to.equal(0n);
    });

    it("fails with MarketClaimNotOpen for an epoch given before its claims open", async () => {
      const { market, users, hosts } = await loadFixture(activeFixture);
      await market.connect(users[0]).request(1, FEE, "0x01");
      await market
        .connect(hosts[0])
        .answer(1, { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE }, 0, "0x02");
      await expect(
        runTask("claim:fees", { market: await market.getAddress(), challenge: "1", kind: "admin", epochs: `${E1}` }),
      ).to.be.rejectedWith(/^MarketClaimNotOpen\(epoch=2969, opensAt=2026-12-04T00:00:00Z \(1796342400\), timestamp=/);
    });
  });
});
