import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, FEE } from "../fixtures";
import { checkLocalChain } from "../../tasks/lib/cli";
import { runTask } from "./run";

const NEWCOMER = "0x00000000000000000000000000000000000c0ffe";

describe("tasks: faucet", () => {
  it("mints test tokens and tops the address up to the ETH asked", async () => {
    const { market, token } = await loadFixture(challengeFixture);
    const { result, out } = await runTask("faucet", {
      market: await market.getAddress(),
      to: NEWCOMER.toUpperCase().replace("0X", "0x"),
      amount: "250.5",
      eth: "3",
    });
    expect(await token.balanceOf(NEWCOMER)).to.equal((2505n * FEE) / 10n);
    expect(await ethers.provider.getBalance(NEWCOMER)).to.equal(3n * 10n ** 18n);
    expect(result.to).to.equal(NEWCOMER);
    expect(out).to.match(
      new RegExp(`^faucet: minted 250.5 tUSD to ${NEWCOMER} \\(tx 0x[0-9a-f]{64}\\); it holds 3.0 ETH$`),
    );
  });

  it("never lowers an ETH balance above the one asked", async () => {
    const { market, users } = await loadFixture(challengeFixture);
    const before = await ethers.provider.getBalance(users[0].address);
    await runTask("faucet", { market: await market.getAddress(), to: users[0].address, amount: "1", eth: "10" });
    expect(await ethers.provider.getBalance(users[0].address)).to.equal(before);
  });

  it("refuses a bad address or amount, and mints nothing", async () => {
    const { market, token } = await loadFixture(challengeFixture);
    const address = await market.getAddress();
    const supply = await token.totalSupply();
    await expect(runTask("faucet", { market: address, to: "0x12", amount: "1", eth: "1" })).to.be.rejectedWith(
      '--to is not an address: "0x12"',
    );
    await expect(runTask("faucet", { market: address, to: NEWCOMER, amount: "-1", eth: "1" })).to.be.rejectedWith(
      '--amount must be an amount such as 1.5, got "-1"',
    );
    expect(await token.totalSupply()).to.equal(supply);
  });

  it("works on a local chain only", () => {
    expect(() => checkLocalChain(31337n, "localhost", "faucet")).to.not.throw();
    expect(() => checkLocalChain(11155111n, "sepolia", "faucet")).to.throw(
      "faucet works only on a local chain (chain id 31337); network sepolia is chain 11155111",
    );
  });
});
