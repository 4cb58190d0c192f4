import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

const BPS = 10_000n;
const DEFAULT_SHARES = { creatorBps: 500n, adminBps: 500n, platformBps: 500n };
type Shares = typeof DEFAULT_SHARES;

/** Awkward amounts: nothing, one unit, below the first share unit, 18-decimals plus dust, the uint96 and uint128 tops. */
const AMOUNTS = [0n, 1n, 3n, 19n, 10n ** 18n + 7n, 2n ** 96n - 1n, 2n ** 128n - 1n];

async function harnessFixture() {
  const harness = await ethers.deployContract("EpochsHarness");
  return { harness };
}

describe("Payouts (library)", () => {
  describe("split(shares, amount)", () => {
    it("with the default 500/500/500 bps: four parts sum to the amount, shares are floors, the pool takes the rest", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const results = await Promise.all(AMOUNTS.map((a) => harness.split(DEFAULT_SHARES, a)));
      AMOUNTS.forEach((amount, i) => {
        const [pool, creator, admin, platform] = results[i];
        expect(pool + creator + admin + platform, `sum for ${amount}`).to.equal(amount);
        expect(creator, `creator of ${amount}`).to.equal((amount * 500n) / BPS);
        expect(admin, `admin of ${amount}`).to.equal((amount * 500n) / BPS);
        expect(platform, `platform of ${amount}`).to.equal((amount * 500n) / BPS);
        expect(pool, `pool of ${amount}`).to.equal(amount - 3n * ((amount * 500n) / BPS));
        // The pool is never short of its 85%.
        expect(pool * BPS).to.be.greaterThanOrEqual(amount * 8_500n);
      });
    });

    it("19 units: creator 0, admin 0, platform 0, pool 19; 1 and 3 units all to the pool; 0 splits to zeros", async () => {
      const { harness } = await loadFixture(harnessFixture);
      expect([...(await harness.split(DEFAULT_SHARES, 19n))]).to.deep.equal([19n, 0n, 0n, 0n]);
      expect([...(await harness.split(DEFAULT_SHARES, 3n))]).to.deep.equal([3n, 0n, 0n, 0n]);
      expect([...(await harness.split(DEFAULT_SHARES, 1n))]).to.deep.equal([1n, 0n, 0n, 0n]);
      expect([...(await harness.split(DEFAULT_SHARES, 0n))]).to.deep.equal([0n, 0n, 0n, 0n]);
      // 20 units is the first amount with a one-unit share each.
      expect([...(await harness.split(DEFAULT_SHARES, 20n))]).to.deep.equal([17n, 1n, 1n, 1n]);
    });

    it("10^18 + 7: 5e16 to each share and 85e16 + 7 to the pool", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const [pool, creator, admin, platform] = await harness.split(DEFAULT_SHARES, 10n ** 18n + 7n);
      expect(creator).to.equal(5n * 10n ** 16n);
      expect(admin).to.equal(5n * 10n ** 16n);
      expect(platform).to.equal(5n * 10n ** 16n);
      expect(pool).to.equal(85n * 10n ** 16n + 7n);
    });

    it("uses each party's own bps (uneven shares 123/456/789, 0/0/9999, 3333/3333/3333)", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const shareSets: Shares[] = [
        { creatorBps: 123n, adminBps: 456n, platformBps: 789n },
        { creatorBps: 0n, adminBps: 0n, platformBps: 9_999n },
        { creatorBps: 3_333n, adminBps: 3_333n, platformBps: 3_333n },
      ];
      for (const s of shareSets) {
        const results = await Promise.all(AMOUNTS.map((a) => harness.split(s, a)));
        AMOUNTS.forEach((amount, i) => {
          const [pool, creator, admin, platform] = results[i];
          expect(creator).to.equal((amount * s.creatorBps) / BPS);
          expect(admin).to.equal((amount * s.adminBps) / BPS);
          expect(platform).to.equal((amount * s.platformBps) / BPS);
          expect(pool + creator + admin + platform).to.equal(amount);
        });
      }
      // A readable example: 10^6 units under 123/456/789 bps.
      expect([...(await harness.split(shareSets[0], 1_000_000n))]).to.deep.equal([863_200n, 12_300n, 45_600n, 78_900n]);
    });
  });

  describe("validateShares(shares)", () => {
    it("rejects totals >= 10000 with PayoutsSharesTooHigh(total)", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const bad: [Shares, bigint][] = [
        [{ creatorBps: 10_000n, adminBps: 0n, platformBps: 0n }, 10_000n],
        [{ creatorBps: 0n, adminBps: 0n, platformBps: 10_000n }, 10_000n],
        [{ creatorBps: 3_334n, adminBps: 3_333n, platformBps: 3_333n }, 10_000n],
        [{ creatorBps: 5_000n, adminBps: 5_000n, platformBps: 5_000n }, 15_000n],
        [{ creatorBps: 65_535n, adminBps: 65_535n, platformBps: 65_535n }, 196_605n],
      ];
      for (const [s, total] of bad) {
        await expect(harness.validateShares(s))
          .to.be.revertedWithCustomError(harness, "PayoutsSharesTooHigh")
          .withArgs(total);
      }
    });

    it("accepts a total of 9999, zero shares and the defaults", async () => {
      const { harness } = await loadFixture(harnessFixture);
      await expect(harness.validateShares({ creatorBps: 3_333n, adminBps: 3_333n, platformBps: 3_333n })).to.not.be
        .reverted;
      await expect(harness.validateShares({ creatorBps: 9_999n, adminBps: 0n, platformBps: 0n })).to.not.be.reverted;
      await expect(harness.validateShares({ creatorBps: 0n, adminBps: 0n, platformBps: 0n })).to.not.be.reverted;
      await expect(harness.validateShares(DEFAULT_SHARES)).to.not.be.reverted;
    });
  });

  describe("reward(pool, points, totalPoints)", () => {
    /** Each case lists every modeler's points in one epoch; their sum is the epoch's total. */
    const CASES: { pool: bigint; points: bigint[] }[] = [
      { pool: 1n, points: [1n, 1n, 1n] },
      { pool: 1n, points: [2n, 5n, 1n] },
      { pool: 7n, points: [3n, 1n, 2n] },
      { pool: 7n, points: [1n, 1n, 1n] },
      { pool: 10n ** 18n + 7n, points: [5n, 3n, 11n] },
      { pool: 10n ** 18n + 7n, points: [1n, 1n, 1n] },
      { pool: 85n * 10n ** 16n + 7n, points: [7n, 2n, 9n, 1n] },
      { pool: 2n ** 128n - 1n, points: [3n, 10n, 999n] },
      { pool: 100n, points: [1n, 2n] },
      { pool: 0n, points: [4n, 1n, 2n] },
      { pool: 115n, points: [7n, 3n, 1n] },
      { pool: 9n, points: [1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 2n] },
    ];

    for (const { pool, points } of CASES) {
      it(`pool ${pool} over points [${points.join(", ")}]: each reward is its floored share, the dust is below the number of modelers`, async () => {
        const { harness } = await loadFixture(harnessFixture);
        const total = points.reduce((a, b) => a + b, 0n);
        const rewards = await Promise.all(points.map((p) => harness.reward(pool, p, total)));
        rewards.forEach((reward, i) => {
          expect(reward, `modeler ${i}`).to.equal((pool * points[i]) / total);
          // The floor: at most the exact share, and less than one unit below it.
          expect(reward * total).to.be.at.most(pool * points[i]);
          expect((reward + 1n) * total).to.be.greaterThan(pool * points[i]);
        });
        const dust = pool - rewards.reduce((a, b) => a + b, 0n);
        expect(dust).to.be.at.least(0n);
        expect(dust).to.be.lessThan(BigInt(points.length));
      });
    }

    it("worked examples: the dust is what the floors leave of the pool", async () => {
      const { harness } = await loadFixture(harnessFixture);
      // Pool 7 over 1, 1, 1: 2 to each of the three, dust 1.
      expect(await harness.reward(7n, 1n, 3n)).to.equal(2n);
      // Pool 115 over 7, 3, 1 (of 11): 805/11, 345/11 and 115/11 floor to 73, 31 and 10, dust 1.
      expect(await harness.reward(115n, 7n, 11n)).to.equal(73n);
      expect(await harness.reward(115n, 3n, 11n)).to.equal(31n);
      expect(await harness.reward(115n, 1n, 11n)).to.equal(10n);
      // Pool 9 over nine modelers of 1 point and one of 2 (of 11): 0 to each of the nine and 1, dust 8, the
      // largest dust of a full list is still fewer units than its ten modelers.
      expect(await harness.reward(9n, 1n, 11n)).to.equal(0n);
      expect(await harness.reward(9n, 2n, 11n)).to.equal(1n);
    });

    it("a single modeler with every point takes the whole pool; zero points take nothing", async () => {
      const { harness } = await loadFixture(harnessFixture);
      expect(await harness.reward(10n ** 18n + 7n, 13n, 13n)).to.equal(10n ** 18n + 7n);
      expect(await harness.reward(7n, 1n, 1n)).to.equal(7n);
      expect(await harness.reward(7n, 0n, 5n)).to.equal(0n);
    });

    it("cannot overflow at the bounds: a pool below 2^128 times points below 2^40", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const pool = 2n ** 128n - 1n;
      const most = 2n ** 40n - 1n;
      expect(await harness.reward(pool, most, most)).to.equal(pool);
      expect(await harness.reward(pool, most - 1n, most)).to.equal((pool * (most - 1n)) / most);
      expect(await harness.reward(pool, 1n, most)).to.equal(pool / most);
    });
  });
});
