import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployFixture } from "../fixtures";
import { DEFAULT_TIME } from "../../sdk/time";
import type { InferenceMarket } from "../../typechain-types";

/** The production settings of docs/PROTOCOL.md, written out. */
const SPEC = {
  epochLength: 604_800n,
  windowOffset: 431_940n, // Monday 23:59 UTC: 4 d 23 h 59 min after Thursday 00:00
  sla: 600n,
  claimDelay: 86_400n,
  activationDelay: 1n,
  creatorBps: 500n,
  adminBps: 500n,
  platformBps: 500n,
  evictionThresholdBps: 5_000n,
};
type Settings = typeof SPEC;
const FIELDS = Object.keys(SPEC) as (keyof Settings)[];

/** A coherent non-default deployment: hour-long epochs, uneven shares, a 30% eviction threshold. */
const HOURLY: Settings = {
  epochLength: 3_600n,
  windowOffset: 2_700n,
  sla: 60n,
  claimDelay: 60n,
  activationDelay: 2n,
  creatorBps: 100n,
  adminBps: 200n,
  platformBps: 300n,
  evictionThresholdBps: 3_000n,
};

const settingsOf = (s: { [K in keyof Settings]: bigint }) => FIELDS.map((k) => s[k]);

async function baseFixture() {
  const f = await deployFixture();
  const factory = await ethers.getContractFactory("InferenceMarket");
  const harness = await ethers.deployContract("EpochsHarness");
  const tokenAddress = await f.token.getAddress();
  const deploy = (settings: Settings, token = tokenAddress, admin = f.admin.address, treasury = f.treasury.address) =>
    ethers.deployContract(
      "InferenceMarket",
      [token, admin, treasury, settings],
      f.stranger,
    ) as unknown as Promise<InferenceMarket>;
  return { ...f, factory, harness, tokenAddress, deploy };
}

describe("InferenceMarket deployment", () => {
  describe("constructor: token, admin and treasury", () => {
    it("rejects the zero token with MarketInvalidToken(0)", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy(SPEC, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "MarketInvalidToken")
        .withArgs(ethers.ZeroAddress);
    });

    it("rejects the zero treasury with MarketInvalidTreasury(0)", async () => {
      const { factory, deploy, admin } = await loadFixture(baseFixture);
      await expect(deploy(SPEC, undefined, admin.address, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "MarketInvalidTreasury")
        .withArgs(ethers.ZeroAddress);
    });

    it("rejects the zero admin with MarketInvalidAdmin(0): nobody could ever grant a role", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy(SPEC, undefined, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "MarketInvalidAdmin")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("constructor: time settings", () => {
    // The Epochs errors are declared in the library; both the harness and the market's ABI carry them.
    it("rejects an epoch shorter than an hour (EpochsLengthTooShort), accepts exactly an hour", async () => {
      const { factory, harness, deploy } = await loadFixture(baseFixture);
      await expect(deploy({ ...HOURLY, epochLength: 3_599n }))
        .to.be.revertedWithCustomError(factory, "EpochsLengthTooShort")
        .withArgs(3_599n, 3_600n);
      await expect(deploy({ ...HOURLY, epochLength: 3_599n }))
        .to.be.revertedWithCustomError(harness, "EpochsLengthTooShort")
        .withArgs(3_599n, 3_600n);
      const m = await deploy({ ...HOURLY, epochLength: 3_600n });
      expect((await m.settings()).epochLength).to.equal(3_600n);
    });

    it("rejects a window outside the epoch (EpochsWindowOutsideEpoch), accepts epochLength - 1", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy({ ...SPEC, windowOffset: 604_800n }))
        .to.be.revertedWithCustomError(factory, "EpochsWindowOutsideEpoch")
        .withArgs(604_800n, 604_800n);
      const m = await deploy({ ...SPEC, windowOffset: 604_799n });
      expect((await m.settings()).windowOffset).to.equal(604_799n);
    });

    it("rejects an SLA of 0 or of a whole epoch (EpochsSlaOutOfRange)", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy({ ...SPEC, sla: 0n }))
        .to.be.revertedWithCustomError(factory, "EpochsSlaOutOfRange")
        .withArgs(0n, 604_800n);
      await expect(deploy({ ...SPEC, sla: 604_800n, claimDelay: 604_800n }))
        .to.be.revertedWithCustomError(factory, "EpochsSlaOutOfRange")
        .withArgs(604_800n, 604_800n);
    });

    it("rejects a claim delay below the SLA (EpochsClaimDelayBelowSla), accepts claimDelay == sla", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy({ ...SPEC, claimDelay: 599n }))
        .to.be.revertedWithCustomError(factory, "EpochsClaimDelayBelowSla")
        .withArgs(599n, 600n);
      const m = await deploy({ ...SPEC, claimDelay: 600n });
      expect((await m.settings()).claimDelay).to.equal(600n);
    });

    it("rejects an activation delay of 0 or 9 (EpochsActivationDelayOutOfRange), accepts 8", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      for (const bad of [0n, 9n]) {
        await expect(deploy({ ...SPEC, activationDelay: bad }))
          .to.be.revertedWithCustomError(factory, "EpochsActivationDelayOutOfRange")
          .withArgs(bad, 8n);
      }
      const m = await deploy({ ...SPEC, activationDelay: 8n });
      expect((await m.settings()).activationDelay).to.equal(8n);
    });
  });

  describe("constructor: shares and eviction threshold", () => {
    it("rejects shares totalling 10000 bps or more (PayoutsSharesTooHigh), accepts 9999", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy({ ...SPEC, creatorBps: 5_000n, adminBps: 5_000n, platformBps: 0n }))
        .to.be.revertedWithCustomError(factory, "PayoutsSharesTooHigh")
        .withArgs(10_000n);
      await expect(deploy({ ...SPEC, creatorBps: 9_000n, adminBps: 1_000n, platformBps: 500n }))
        .to.be.revertedWithCustomError(factory, "PayoutsSharesTooHigh")
        .withArgs(10_500n);
      const m = await deploy({ ...SPEC, creatorBps: 3_333n, adminBps: 3_333n, platformBps: 3_333n });
      const s = await m.settings();
      expect([s.creatorBps, s.adminBps, s.platformBps]).to.deep.equal([3_333n, 3_333n, 3_333n]);
    });

    it("rejects an eviction threshold of 10001 bps (MarketEvictionThresholdTooHigh), accepts 10000 and 0", async () => {
      const { factory, deploy } = await loadFixture(baseFixture);
      await expect(deploy({ ...SPEC, evictionThresholdBps: 10_001n }))
        .to.be.revertedWithCustomError(factory, "MarketEvictionThresholdTooHigh")
        .withArgs(10_001n);
      await expect(deploy({ ...SPEC, evictionThresholdBps: 65_535n }))
        .to.be.revertedWithCustomError(factory, "MarketEvictionThresholdTooHigh")
        .withArgs(65_535n);
      for (const ok of [10_000n, 0n]) {
        const m = await deploy({ ...SPEC, evictionThresholdBps: ok });
        expect((await m.settings()).evictionThresholdBps).to.equal(ok);
      }
    });
  });

  describe("settings()", () => {
    it("returns exactly what was deployed (a non-default hourly deployment)", async () => {
      const { deploy } = await loadFixture(baseFixture);
      const m = await deploy(HOURLY);
      expect(settingsOf(await m.settings())).to.deep.equal(settingsOf(HOURLY));
    });

    it("drives the market's clock: epochs, windows and claims follow the deployed settings", async () => {
      const { deploy } = await loadFixture(baseFixture);
      const m = await deploy(HOURLY);
      expect(await m.epochAt(3_599n)).to.equal(0n);
      expect(await m.epochAt(3_600n * 5n)).to.equal(5n);
      expect([...(await m.epochTimes(5n))]).to.deep.equal([18_000n, 20_700n, 21_600n, 21_660n, 21_660n]);
    });
  });

  describe("defaultSettings()", () => {
    it("equals the spec values (604800, 431940, 600, 86400, 1, 500, 500, 500, 5000) and sdk DEFAULT_TIME", async () => {
      const { market } = await loadFixture(baseFixture);
      const d = await market.defaultSettings();
      expect(settingsOf(d)).to.deep.equal(settingsOf(SPEC));
      expect([d.epochLength, d.windowOffset, d.sla, d.claimDelay, d.activationDelay]).to.deep.equal([
        DEFAULT_TIME.epochLength,
        DEFAULT_TIME.windowOffset,
        DEFAULT_TIME.sla,
        DEFAULT_TIME.claimDelay,
        DEFAULT_TIME.activationDelay,
      ]);
    });

    it("is the same on a non-default deployment (it is not the deployed settings)", async () => {
      const { deploy } = await loadFixture(baseFixture);
      const m = await deploy(HOURLY);
      expect(settingsOf(await m.defaultSettings())).to.deep.equal(settingsOf(SPEC));
    });
  });

  describe("the Ignition deployment (deployFixture)", () => {
    it("uses the default settings", async () => {
      const { market } = await loadFixture(baseFixture);
      expect(settingsOf(await market.settings())).to.deep.equal(settingsOf(SPEC));
      expect(settingsOf(await market.settings())).to.deep.equal(settingsOf(await market.defaultSettings()));
    });

    it("sets token() and treasury()", async () => {
      const { market, tokenAddress, treasury } = await loadFixture(baseFixture);
      expect(await market.token()).to.equal(tokenAddress);
      expect(await market.treasury()).to.equal(treasury.address);
    });

    it("emitted TreasuryChanged(0, treasury) once, at deployment", async () => {
      const { market, treasury } = await loadFixture(baseFixture);
      const events = await market.queryFilter(market.filters.TreasuryChanged(), 0);
      expect(events.length).to.equal(1);
      expect(events[0].args.previousTreasury).to.equal(ethers.ZeroAddress);
      expect(events[0].args.newTreasury).to.equal(treasury.address);
      // In the market's creation transaction.
      const tx = await ethers.provider.getTransaction(events[0].transactionHash);
      expect(tx?.to).to.equal(null);
    });

    it("gives the admin DEFAULT_ADMIN_ROLE, and nobody else", async () => {
      const { market, admin, treasury, stranger, manager } = await loadFixture(baseFixture);
      const role = await market.DEFAULT_ADMIN_ROLE();
      expect(await market.hasRole(role, admin.address)).to.equal(true);
      for (const other of [treasury, stranger, manager])
        expect(await market.hasRole(role, other.address)).to.equal(false);
    });
  });

  describe("a direct deployment", () => {
    it("sets token, treasury, emits TreasuryChanged(0, treasury), and gives DEFAULT_ADMIN_ROLE to `admin`, not the deployer", async () => {
      const { deploy, tokenAddress, creator, challengeAdmin, stranger } = await loadFixture(baseFixture);
      // Deployed by `stranger`, administered by `creator`, treasury `challengeAdmin`.
      const m = await deploy(SPEC, tokenAddress, creator.address, challengeAdmin.address);
      await expect(m.deploymentTransaction())
        .to.emit(m, "TreasuryChanged")
        .withArgs(ethers.ZeroAddress, challengeAdmin.address);
      expect(await m.token()).to.equal(tokenAddress);
      expect(await m.treasury()).to.equal(challengeAdmin.address);
      const role = await m.DEFAULT_ADMIN_ROLE();
      expect(await m.hasRole(role, creator.address)).to.equal(true);
      expect(await m.hasRole(role, stranger.address)).to.equal(false);
      // No other role is granted at construction.
      for (const r of [await m.CHALLENGE_MANAGER_ROLE(), await m.KEEPER_ROLE(), await m.PAUSER_ROLE()]) {
        expect(await m.hasRole(r, creator.address)).to.equal(false);
        expect(await m.hasRole(r, stranger.address)).to.equal(false);
      }
      expect(await m.paused()).to.equal(false);
      expect(await m.challengeCount()).to.equal(0n);
      expect(await m.requestCount()).to.equal(0n);
    });
  });
});
