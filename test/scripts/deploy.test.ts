import { expect } from "chai";
import { rmSync } from "node:fs";
import hre, { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deploy, keeperOf, report } from "../../scripts/deploy";
import { InferenceMarket__factory, TestToken__factory } from "../../typechain-types";
import { DEFAULT_TIME, deploymentPath, isoOf, readDeployment } from "../../sdk";

const ROLE = {
  manager: ethers.id("CHALLENGE_MANAGER_ROLE"),
  pauser: ethers.id("PAUSER_ROLE"),
  keeper: ethers.id("KEEPER_ROLE"),
};

describe("scripts/deploy", () => {
  // The file names an in-process chain that ends with the tests.
  after(() => rmSync(deploymentPath("hardhat"), { force: true }));

  async function localFixture() {
    const [deployer, accountOne] = await ethers.getSigners();
    const result = await deploy(hre, { TOKEN: "", KEEPER_ADDRESS: "" });
    return { result, deployer, accountOne };
  }

  it("deploys the test token and the market with the default settings when TOKEN is empty", async () => {
    const { result, deployer } = await loadFixture(localFixture);
    const d = result.deployment;
    expect(result.module).to.equal("LocalMarket");
    const market = InferenceMarket__factory.connect(d.market, ethers.provider);
    expect(await market.token()).to.equal(d.token);
    expect(await TestToken__factory.connect(d.token, ethers.provider).symbol()).to.equal("tUSD");
    const s = await market.settings();
    expect([s.epochLength, s.windowOffset, s.sla, s.claimDelay, s.activationDelay]).to.deep.equal(
      Object.values(DEFAULT_TIME),
    );
    expect(await market.hasRole(await market.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(true);
    expect([result.admin, result.treasury]).to.deep.equal([deployer.address, deployer.address]);
  });

  it("grants the deployer CHALLENGE_MANAGER_ROLE and PAUSER_ROLE, and the local chain's account #1 KEEPER_ROLE", async () => {
    const { result, deployer, accountOne } = await loadFixture(localFixture);
    const market = InferenceMarket__factory.connect(result.deployment.market, ethers.provider);
    expect(await market.hasRole(ROLE.manager, deployer.address)).to.equal(true);
    expect(await market.hasRole(ROLE.pauser, deployer.address)).to.equal(true);
    expect(await market.hasRole(ROLE.keeper, accountOne.address)).to.equal(true);
    expect(await market.hasRole(ROLE.keeper, deployer.address)).to.equal(false);
    expect(result.keeper).to.deep.equal({ address: accountOne.address, source: "account #1" });
    expect(result.granted).to.deep.equal([
      `CHALLENGE_MANAGER_ROLE -> ${deployer.address}`,
      `PAUSER_ROLE -> ${deployer.address}`,
      `KEEPER_ROLE -> ${accountOne.address}`,
    ]);
    expect(result.missing).to.deep.equal([]);
  });

  it("prints every role's holders and names the default keeper", async () => {
    const { result, deployer, accountOne } = await loadFixture(localFixture);
    expect(result.holders).to.deep.equal({
      DEFAULT_ADMIN_ROLE: [deployer.address],
      CHALLENGE_MANAGER_ROLE: [deployer.address],
      KEEPER_ROLE: [accountOne.address],
      PAUSER_ROLE: [deployer.address],
    });
    const lines = report(result);
    expect(lines).to.include.members([
      `keeper    ${accountOne.address}: the node's account #1, the local default (KEEPER_ADDRESS overrides)`,
      `granted   KEEPER_ROLE -> ${accountOne.address}`,
      `role      DEFAULT_ADMIN_ROLE -> ${deployer.address}`,
      `role      CHALLENGE_MANAGER_ROLE -> ${deployer.address}`,
      `role      KEEPER_ROLE -> ${accountOne.address}`,
      `role      PAUSER_ROLE -> ${deployer.address}`,
    ]);
    expect(lines.join("\n")).to.not.include("WARNING");
  });

  it("has no default keeper off a local chain", async () => {
    expect(await keeperOf(hre, 11_155_111, {})).to.equal(undefined);
    const [, accountOne] = await ethers.getSigners();
    expect(await keeperOf(hre, 31337, {})).to.deep.equal({ address: accountOne.address, source: "account #1" });
  });

  it("warns, with the command to run, when nobody holds KEEPER_ROLE", async () => {
    const { result } = await loadFixture(localFixture);
    const lines = report({ ...result, keeper: undefined, holders: { ...result.holders, KEEPER_ROLE: [] } });
    expect(lines).to.include("role      KEEPER_ROLE -> nobody");
    expect(lines.at(-1)).to.equal(
      "WARNING   nobody holds KEEPER_ROLE, so no list can be promoted: the admin grants it with " +
        "npx hardhat --network hardhat roles --grant KEEPER --to <keeper address>, or set KEEPER_ADDRESS and deploy again",
    );
  });

  it("tells how to grant the roles the deployer could not", async () => {
    const { result, deployer } = await loadFixture(localFixture);
    const lines = report({ ...result, granted: [], missing: [`PAUSER_ROLE -> ${deployer.address}`] });
    const at = lines.indexOf(`the admin must grant PAUSER_ROLE -> ${deployer.address}`);
    expect(lines[at + 1]).to.equal(
      "          with: npx hardhat --network hardhat roles --grant <ROLE> --to <address> --from <admin>",
    );
  });

  it("writes deployments/hardhat.json with the chain, the addresses and the market's first block", async () => {
    const { result } = await loadFixture(localFixture);
    const d = result.deployment;
    expect(readDeployment("hardhat")).to.deep.equal(d);
    expect(result.path).to.match(/deployments\/hardhat\.json$/);
    expect(d.chainId).to.equal(31337);
    expect(await ethers.provider.getCode(d.market, d.startBlock)).to.not.equal("0x");
    expect(await ethers.provider.getCode(d.market, d.startBlock - 1)).to.equal("0x");
    expect(d.deployedAt).to.equal(isoOf(BigInt((await ethers.provider.getBlock(d.startBlock))!.timestamp)));
  });

  async function keeperFixture() {
    const signers = await ethers.getSigners();
    const result = await deploy(hre, { TOKEN: "", KEEPER_ADDRESS: signers[5].address });
    return { result, accountOne: signers[1], keeper: signers[5] };
  }

  it("grants KEEPER_ROLE to KEEPER_ADDRESS instead when it is set", async () => {
    const { result, accountOne, keeper } = await loadFixture(keeperFixture);
    const market = InferenceMarket__factory.connect(result.deployment.market, ethers.provider);
    expect(await market.hasRole(ROLE.keeper, keeper.address)).to.equal(true);
    expect(await market.hasRole(ROLE.keeper, accountOne.address)).to.equal(false);
    expect(result.holders.KEEPER_ROLE).to.deep.equal([keeper.address]);
    expect(report(result)).to.include(`keeper    ${keeper.address} (KEEPER_ADDRESS)`);
  });

  async function tokenFixture() {
    const [, , treasury] = await ethers.getSigners();
    const token = await (await ethers.getContractFactory("TestToken")).deploy();
    const address = await token.getAddress();
    return { treasury, address, result: await deploy(hre, { TOKEN: address, TREASURY: treasury.address }) };
  }

  it("deploys the market alone on an existing TOKEN, paying the TREASURY", async () => {
    const { treasury, address, result } = await loadFixture(tokenFixture);
    expect(result.module).to.equal("InferenceMarket");
    expect(result.deployment.token).to.equal(address);
    expect(result.treasury).to.equal(treasury.address);
    expect(await InferenceMarket__factory.connect(result.deployment.market, ethers.provider).treasury()).to.equal(
      treasury.address,
    );
  });

  it("refuses a TOKEN that is not an address", async () => {
    await expect(deploy(hre, { TOKEN: "usdc" })).to.be.rejectedWith('TOKEN is not an address: "usdc"');
  });
});
