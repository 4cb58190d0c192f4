import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { deployFixture } from "../fixtures";
import { changeRole, roleHolders, roleId, roleNamed, ROLE_NAMES } from "../../sdk/roles";

describe("sdk/roles", () => {
  describe("roleNamed", () => {
    it("takes a role in any case, with or without _ROLE, and ADMIN for DEFAULT_ADMIN_ROLE", () => {
      expect(["keeper", "KEEPER", "Keeper_Role"].map(roleNamed)).to.deep.equal(Array(3).fill("KEEPER_ROLE"));
      expect(["challenge_manager", "PAUSER_ROLE"].map(roleNamed)).to.deep.equal([
        "CHALLENGE_MANAGER_ROLE",
        "PAUSER_ROLE",
      ]);
      expect(["admin", "DEFAULT_ADMIN", "default_admin_role"].map(roleNamed)).to.deep.equal(
        Array(3).fill("DEFAULT_ADMIN_ROLE"),
      );
    });

    it("knows no other role", () => {
      expect(["", "ROLE", "MINTER", "keeperrole", "KEEPER_ROLE_ROLE"].map(roleNamed)).to.deep.equal(
        Array(5).fill(undefined),
      );
    });
  });

  it("roleId is the contract's id of each role", async () => {
    const { market } = await loadFixture(deployFixture);
    for (const name of ROLE_NAMES) expect(roleId(name)).to.equal(await market.getFunction(name).staticCall());
  });

  describe("roleHolders", () => {
    it("replays grants and revokes in order, scanning in spans as short as asked", async () => {
      const { market, admin, keeper, manager, pauser, stranger } = await loadFixture(deployFixture);
      await changeRole(market, "grant", "KEEPER_ROLE", stranger.address);
      await changeRole(market, "revoke", "KEEPER_ROLE", keeper.address);
      await changeRole(market, "revoke", "KEEPER_ROLE", stranger.address);
      await changeRole(market, "grant", "KEEPER_ROLE", stranger.address);
      // A second market grants KEEPER_ROLE to the keeper again: only this market's events may count.
      await deployFixture();
      await mine(3);
      const holders = await roleHolders(market, { fromBlock: 0, maxRange: 3 });
      expect(holders).to.deep.equal({
        DEFAULT_ADMIN_ROLE: [admin.address],
        CHALLENGE_MANAGER_ROLE: [manager.address],
        KEEPER_ROLE: [stranger.address],
        PAUSER_ROLE: [pauser.address],
      });
      expect(await roleHolders(market, { fromBlock: 0 })).to.deep.equal(holders);
    });

    it("reads the roles as they were at the range's last block", async () => {
      const { market, keeper } = await loadFixture(deployFixture);
      const before = await ethers.provider.getBlockNumber();
      await changeRole(market, "revoke", "KEEPER_ROLE", keeper.address);
      expect((await roleHolders(market, { fromBlock: 0, toBlock: before })).KEEPER_ROLE).to.deep.equal([
        keeper.address,
      ]);
      expect((await roleHolders(market, { fromBlock: 0 })).KEEPER_ROLE).to.deep.equal([]);
    });
  });

  describe("changeRole", () => {
    it("refuses a signer without the admin role with the decoded error, and sends nothing", async () => {
      const { market, stranger } = await loadFixture(deployFixture);
      const nonce = await ethers.provider.getTransactionCount(stranger.address);
      await expect(changeRole(market.connect(stranger), "grant", "KEEPER_ROLE", stranger.address)).to.be.rejectedWith(
        `AccessControlUnauthorizedAccount(account=${stranger.address}, neededRole=DEFAULT_ADMIN_ROLE)`,
      );
      expect(await ethers.provider.getTransactionCount(stranger.address)).to.equal(nonce);
    });
  });
});
