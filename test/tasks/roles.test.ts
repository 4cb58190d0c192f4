import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployFixture } from "../fixtures";
import { runTask } from "./run";

describe("tasks: roles", () => {
  async function rolesFixture() {
    const f = await loadFixture(deployFixture);
    return { ...f, address: await f.market.getAddress() };
  }

  /** The task's output lines for the table rows, as [role, holder]. */
  const rows = (out: string) =>
    out
      .split("\n")
      .filter((l) => /^ {2}\S+_ROLE /.test(l))
      .map((l) => l.trim().split(/\s+/));

  it("lists every role and its holders, from the role events", async () => {
    const { address, admin, manager, keeper, pauser } = await loadFixture(rolesFixture);
    const { result, out } = await runTask("roles", { market: address });
    expect(out.split("\n")[0]).to.equal(`roles of ${address} (events since block 0):`);
    expect(rows(out)).to.deep.equal([
      ["DEFAULT_ADMIN_ROLE", admin.address],
      ["CHALLENGE_MANAGER_ROLE", manager.address],
      ["KEEPER_ROLE", keeper.address],
      ["PAUSER_ROLE", pauser.address],
    ]);
    expect(result.holders.KEEPER_ROLE).to.deep.equal([keeper.address]);
    expect(result.change).to.equal(undefined);
  });

  it("grants and revokes as the admin, and lists the holders afterwards", async () => {
    const { address, market, keeper, stranger } = await loadFixture(rolesFixture);
    const granted = await runTask("roles", { market: address, grant: "keeper", to: stranger.address });
    expect(await market.hasRole(await market.KEEPER_ROLE(), stranger.address)).to.equal(true);
    expect(granted.out.split("\n")[0]).to.match(
      new RegExp(`^roles: granted KEEPER_ROLE to ${stranger.address} \\(tx 0x[0-9a-f]{64}\\)$`),
    );
    expect(granted.result.holders.KEEPER_ROLE).to.deep.equal([keeper.address, stranger.address]);

    const revoked = await runTask("roles", { market: address, revoke: "KEEPER_ROLE", fromAccount: keeper.address });
    expect(await market.hasRole(await market.KEEPER_ROLE(), keeper.address)).to.equal(false);
    expect(revoked.result.change).to.include({ action: "revoke", role: "KEEPER_ROLE", account: keeper.address });
    expect(revoked.out.split("\n")[0]).to.match(new RegExp(`^roles: revoked KEEPER_ROLE from ${keeper.address} `));

    const { out } = await runTask("roles", { market: address });
    expect(rows(out).filter(([role]) => role === "KEEPER_ROLE")).to.deep.equal([["KEEPER_ROLE", stranger.address]]);
  });

  it("says nobody for a role without holders", async () => {
    const { address, pauser } = await loadFixture(rolesFixture);
    const { out } = await runTask("roles", { market: address, revoke: "pauser", fromAccount: pauser.address });
    expect(rows(out)).to.deep.include(["PAUSER_ROLE", "nobody"]);
  });

  it("prints JSON with --json", async () => {
    const { address, admin } = await loadFixture(rolesFixture);
    const { out } = await runTask("roles", { market: address, json: true });
    expect(JSON.parse(out)).to.deep.include({ market: address, fromBlock: 0 });
    expect(JSON.parse(out).holders.DEFAULT_ADMIN_ROLE).to.deep.equal([admin.address]);
  });

  it("sends nothing, and exits 0, for a grant already held or a revoke not held", async () => {
    const { address, keeper, stranger } = await loadFixture(rolesFixture);
    const block = await ethers.provider.getBlockNumber();
    const held = await runTask("roles", { market: address, grant: "KEEPER", to: keeper.address });
    expect(held.out.split("\n")[0]).to.equal(`roles: ${keeper.address} already holds KEEPER_ROLE; nothing sent`);
    expect(held.result.change).to.deep.equal({
      action: "grant",
      role: "KEEPER_ROLE",
      account: keeper.address,
      sent: false,
    });
    const notHeld = await runTask("roles", { market: address, revoke: "KEEPER", fromAccount: stranger.address });
    expect(notHeld.out.split("\n")[0]).to.equal(`roles: ${stranger.address} does not hold KEEPER_ROLE; nothing sent`);
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
  });

  it("refuses a signer without the admin role before sending, naming the admins", async () => {
    const { address, market, admin, stranger } = await loadFixture(rolesFixture);
    const block = await ethers.provider.getBlockNumber();
    await expect(
      runTask("roles", { market: address, from: stranger.address, grant: "PAUSER", to: stranger.address }),
    ).to.be.rejectedWith(
      `${stranger.address} lacks DEFAULT_ADMIN_ROLE, needed to grant PAUSER_ROLE: sign with --from <admin> ` +
        `(admins: ${admin.address})`,
    );
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect(await market.hasRole(await market.PAUSER_ROLE(), stranger.address)).to.equal(false);
  });

  it("refuses to revoke the only admin", async () => {
    const { address, market, admin } = await loadFixture(rolesFixture);
    await expect(runTask("roles", { market: address, revoke: "admin", fromAccount: admin.address })).to.be.rejectedWith(
      `${admin.address} is the only admin: grant ADMIN to another account before revoking it`,
    );
    expect(await market.hasRole(await market.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
  });

  it("lets an admin go once another admin exists", async () => {
    const { address, market, admin, stranger } = await loadFixture(rolesFixture);
    await runTask("roles", { market: address, grant: "ADMIN", to: stranger.address });
    const { result } = await runTask("roles", { market: address, revoke: "DEFAULT_ADMIN", fromAccount: admin.address });
    expect(result.holders.DEFAULT_ADMIN_ROLE).to.deep.equal([stranger.address]);
    expect(await market.hasRole(await market.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(false);
  });

  it("refuses an unknown role name", async () => {
    const { address, stranger } = await loadFixture(rolesFixture);
    await expect(runTask("roles", { market: address, grant: "MINTER", to: stranger.address })).to.be.rejectedWith(
      'unknown role "MINTER": use KEEPER, PAUSER, CHALLENGE_MANAGER or ADMIN (any case, _ROLE optional)',
    );
  });

  it("refuses a change missing its account, or mixing grant and revoke", async () => {
    const { address, stranger } = await loadFixture(rolesFixture);
    const cases: [Record<string, string>, string][] = [
      [{ grant: "KEEPER" }, "--grant needs --to <address>"],
      [{ revoke: "KEEPER" }, "--revoke needs --from-account <address>"],
      [{ grant: "KEEPER", revoke: "PAUSER", to: stranger.address }, "give --grant or --revoke, not both"],
      [{ revoke: "KEEPER", to: stranger.address }, "--to goes with --grant"],
      [{ fromAccount: stranger.address }, "--from-account goes with --revoke"],
      [{ grant: "KEEPER", to: "0x12" }, '--to is not an address: "0x12"'],
    ];
    for (const [args, message] of cases) {
      await expect(runTask("roles", { market: address, ...args })).to.be.rejectedWith(message);
    }
  });
});
