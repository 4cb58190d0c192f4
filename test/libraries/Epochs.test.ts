import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { EpochsHarness } from "../../typechain-types";
import {
  DEFAULT_TIME,
  WEEK,
  DAY,
  type TimeConfig,
  epochOf,
  startOf,
  endOf,
  windowStart,
  inWindow,
  activationEpoch,
  deadline,
  finalAt,
  claimsOpenAt,
  utc,
} from "../../sdk/time";

/** Hour-long epochs, window at 45 min, 60 s SLA and claim delay, lists serving two epochs after promotion. */
const HOURLY: TimeConfig = {
  epochLength: 3_600n,
  windowOffset: 2_700n,
  sla: 60n,
  claimDelay: 60n,
  activationDelay: 2n,
};
/** An odd-length epoch whose window is only its last second, SLA just below the epoch, maximal activation delay. */
const ODD: TimeConfig = {
  epochLength: 90_061n,
  windowOffset: 90_060n,
  sla: 90_060n,
  claimDelay: 200_000n,
  activationDelay: 8n,
};
/** The shortest epoch allowed, the window covering the whole epoch, minimal SLA and claim delay. */
const TIGHT: TimeConfig = { epochLength: 3_600n, windowOffset: 0n, sla: 1n, claimDelay: 1n, activationDelay: 1n };

const CONFIGS: [string, TimeConfig][] = [
  ["DEFAULT_TIME", DEFAULT_TIME],
  ["hour-long epochs (window 45 min, sla 60, claimDelay 60, activationDelay 2)", HOURLY],
  ["odd 90061 s epochs (window = last second, sla 90060, activationDelay 8)", ODD],
  ["tightest coherent config (3600 s, window 0, sla 1, claimDelay 1)", TIGHT],
];

const T_1970 = 0n;
const T_2100 = utc("2100-01-01T00:00:00Z");

/** Deterministic 64-bit xorshift generator (fixed seed), so every run checks the same timestamps. */
function* pseudoRandomTimestamps(seed: bigint, count: number, lo: bigint, hi: bigint): Generator<bigint> {
  const MASK = (1n << 64n) - 1n;
  let x = seed & MASK;
  for (let i = 0; i < count; i++) {
    x ^= (x << 13n) & MASK;
    x ^= x >> 7n;
    x ^= (x << 17n) & MASK;
    yield lo + (x % (hi - lo + 1n));
  }
}

/** Every boundary of the epochs around December 2026 under config `c`. */
function boundaries(c: TimeConfig): bigint[] {
  const centre = epochOf(c, utc("2026-12-01T00:00:00Z"));
  const out: bigint[] = [];
  for (let e = centre - 3n; e <= centre + 3n; e++) {
    const start = startOf(c, e);
    const ws = windowStart(c, e);
    out.push(start, start - 1n, start + 1n, ws, ws - 1n, ws + 1n, endOf(c, e) - 1n);
  }
  return out;
}

/** The timestamps checked for a config: 320 pseudo-random ones over 1970..2100, the boundaries, and the extremes. */
function timestampsFor(c: TimeConfig, seed: bigint): bigint[] {
  const set = new Set<bigint>([T_1970, 1n, c.epochLength - 1n, c.epochLength, T_2100, ...boundaries(c)]);
  for (const t of pseudoRandomTimestamps(seed, 320, T_1970, T_2100)) set.add(t);
  return [...set].filter((t) => t >= 0n);
}

/** The TS helpers' view of `t`, in the harness's field order. */
function tsTimes(c: TimeConfig, t: bigint) {
  const epoch = epochOf(c, t);
  return {
    epoch,
    start: startOf(c, epoch),
    windowStart: windowStart(c, epoch),
    inWindow: inWindow(c, t),
    activationEpoch: activationEpoch(c, epoch),
    deadline: deadline(c, t),
    finalAt: finalAt(c, epoch),
    claimsOpenAt: claimsOpenAt(c, epoch),
  };
}

async function solTimes(h: EpochsHarness, c: TimeConfig, t: bigint) {
  const r = await h.times(c, t);
  return {
    epoch: r.epoch,
    start: r.start,
    windowStart: r.windowStart,
    inWindow: r.inWindow,
    activationEpoch: r.activationEpoch,
    deadline: r.deadline,
    finalAt: r.finalAt,
    claimsOpenAt: r.claimsOpenAt,
  };
}

async function harnessFixture() {
  const harness = await ethers.deployContract("EpochsHarness");
  return { harness };
}

const dayOf = (t: bigint) => new Date(Number(t) * 1000).getUTCDay(); // 0 Sunday .. 4 Thursday

describe("Epochs (library) against sdk/time.ts", () => {
  describe("times(config, t) agrees with the TypeScript helpers", () => {
    CONFIGS.forEach(([name, c], i) => {
      it(`agrees on every field for >= 300 timestamps under ${name}`, async () => {
        const { harness } = await loadFixture(harnessFixture);
        await harness.validate(c); // the config is coherent, so the comparison is meaningful
        const stamps = timestampsFor(c, 0x9e3779b97f4a7c15n + BigInt(i));
        expect(stamps.length).to.be.greaterThanOrEqual(300);
        const onChain = await Promise.all(stamps.map((t) => solTimes(harness, c, t)));
        stamps.forEach((t, k) => {
          expect(onChain[k], `t = ${t}`).to.deep.equal(tsTimes(c, t));
        });
        // The sample really crosses windows and epochs: both window states occur (with the window at offset 0
        // every second is in it), and the timestamps span many epochs.
        const states = new Set(onChain.map((x) => x.inWindow));
        expect(states.size).to.equal(c.windowOffset === 0n ? 1 : 2);
        expect(new Set(onChain.map((x) => x.epoch)).size).to.be.greaterThan(250);
      });
    });

    it("places the boundaries of the epochs around 2026-12 exactly, under every config", async () => {
      const { harness } = await loadFixture(harnessFixture);
      for (const [, c] of CONFIGS) {
        const centre = epochOf(c, utc("2026-12-01T00:00:00Z"));
        for (let e = centre - 3n; e <= centre + 3n; e++) {
          const start = e * c.epochLength;
          const ws = start + c.windowOffset;
          const last = start + c.epochLength - 1n;
          const [atStart, beforeStart, atWindow, beforeWindow, atLast] = await Promise.all(
            [start, start - 1n, ws, ws - 1n, last].map((t) => harness.times(c, t)),
          );
          expect(atStart.epoch).to.equal(e);
          expect(atStart.start).to.equal(start);
          expect(beforeStart.epoch).to.equal(e - 1n);
          expect(atWindow.epoch).to.equal(e);
          expect(atWindow.inWindow).to.equal(true);
          expect(atWindow.windowStart).to.equal(ws);
          // With the window at offset 0, the second before it is the previous epoch's last (in its window).
          expect(beforeWindow.inWindow).to.equal(c.windowOffset === 0n);
          expect(atLast.epoch).to.equal(e);
          expect(atLast.inWindow).to.equal(true);
          expect(atLast.finalAt).to.equal(last + 1n + c.sla);
          expect(atLast.claimsOpenAt).to.equal(last + 1n + c.claimDelay);
          expect(atLast.activationEpoch).to.equal(e + c.activationDelay);
        }
      }
    });
  });

  describe("real dates under DEFAULT_TIME", () => {
    it("Thursday 2026-12-03T00:00:00Z starts an epoch; Wednesday 2026-12-02T23:59:59Z is the last second before", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const thu = utc("2026-12-03T00:00:00Z");
      const wed = utc("2026-12-02T23:59:59Z");
      expect(dayOf(thu)).to.equal(4);
      expect(dayOf(wed)).to.equal(3);
      const [a, b] = await Promise.all([harness.times(DEFAULT_TIME, thu), harness.times(DEFAULT_TIME, wed)]);
      expect(a.start).to.equal(thu);
      expect(a.epoch).to.equal(thu / WEEK);
      expect(b.epoch).to.equal(a.epoch - 1n);
      expect(b.start + WEEK - 1n).to.equal(wed);
      expect(b.start).to.equal(utc("2026-11-26T00:00:00Z"));
      expect(epochOf(DEFAULT_TIME, thu)).to.equal(a.epoch);
      expect(epochOf(DEFAULT_TIME, wed)).to.equal(b.epoch);
    });

    it("Monday 2026-11-30T23:59:00Z opens that epoch's window and 23:58:59 is outside it", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const mon = utc("2026-11-30T23:59:00Z");
      expect(dayOf(mon)).to.equal(1);
      const [at, before, wedLast] = await Promise.all([
        harness.times(DEFAULT_TIME, mon),
        harness.times(DEFAULT_TIME, mon - 1n),
        harness.times(DEFAULT_TIME, utc("2026-12-02T23:59:59Z")),
      ]);
      expect(at.windowStart).to.equal(mon);
      expect(at.inWindow).to.equal(true);
      expect(before.inWindow).to.equal(false);
      expect(before.epoch).to.equal(at.epoch);
      expect(before.windowStart).to.equal(mon);
      expect(wedLast.inWindow).to.equal(true);
      expect(wedLast.windowStart).to.equal(mon);
      expect(inWindow(DEFAULT_TIME, mon)).to.equal(true);
      expect(inWindow(DEFAULT_TIME, mon - 1n)).to.equal(false);
    });

    it("claims of the epoch of 2026-11-26 open 2026-12-04T00:00:00Z; its figures are final 2026-12-03T00:10:00Z", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const [first, last] = await Promise.all([
        harness.times(DEFAULT_TIME, utc("2026-11-26T00:00:00Z")),
        harness.times(DEFAULT_TIME, utc("2026-12-02T23:59:59Z")),
      ]);
      expect(first.claimsOpenAt).to.equal(utc("2026-12-04T00:00:00Z"));
      expect(last.claimsOpenAt).to.equal(utc("2026-12-04T00:00:00Z"));
      expect(first.finalAt).to.equal(utc("2026-12-03T00:10:00Z"));
      // A list promoted in that epoch serves from Thursday 2026-12-03.
      expect(first.activationEpoch * WEEK).to.equal(utc("2026-12-03T00:00:00Z"));
      expect(first.deadline).to.equal(utc("2026-11-26T00:10:00Z"));
      expect(claimsOpenAt(DEFAULT_TIME, first.epoch)).to.equal(utc("2026-12-04T00:00:00Z"));
    });

    it("1970-01-01 (t = 0, a Thursday) is the start of epoch 0", async () => {
      const { harness } = await loadFixture(harnessFixture);
      expect(dayOf(0n)).to.equal(4);
      const t = await harness.times(DEFAULT_TIME, 0n);
      expect(t.epoch).to.equal(0n);
      expect(t.start).to.equal(0n);
      expect(t.inWindow).to.equal(false);
      expect(t.windowStart).to.equal(utc("1970-01-05T23:59:00Z"));
      expect(t.claimsOpenAt).to.equal(utc("1970-01-09T00:00:00Z"));
      expect((await harness.times(DEFAULT_TIME, WEEK - 1n)).epoch).to.equal(0n);
      expect((await harness.times(DEFAULT_TIME, WEEK)).epoch).to.equal(1n);
    });
  });

  describe("defaults()", () => {
    it("equals DEFAULT_TIME (the spec: a week, Monday 23:59, 600 s, a day, 1 epoch)", async () => {
      const { harness } = await loadFixture(harnessFixture);
      const d = await harness.defaults();
      expect(d.epochLength).to.equal(DEFAULT_TIME.epochLength);
      expect(d.windowOffset).to.equal(DEFAULT_TIME.windowOffset);
      expect(d.sla).to.equal(DEFAULT_TIME.sla);
      expect(d.claimDelay).to.equal(DEFAULT_TIME.claimDelay);
      expect(d.activationDelay).to.equal(DEFAULT_TIME.activationDelay);
      // And DEFAULT_TIME is the spec itself.
      expect([d.epochLength, d.windowOffset, d.sla, d.claimDelay, d.activationDelay]).to.deep.equal([
        604_800n,
        4n * DAY + 23n * 3_600n + 59n * 60n,
        600n,
        86_400n,
        1n,
      ]);
      const { epochLength, windowOffset, sla, claimDelay, activationDelay } = d;
      await expect(harness.validate({ epochLength, windowOffset, sla, claimDelay, activationDelay })).to.not.be
        .reverted;
    });
  });

  describe("validate(config)", () => {
    const withDefault = (patch: Partial<TimeConfig>): TimeConfig => ({ ...DEFAULT_TIME, ...patch });
    const withHourly = (patch: Partial<TimeConfig>): TimeConfig => ({ ...HOURLY, ...patch });

    it("EpochsLengthTooShort: rejects 3599 s and 0 s, accepts 3600 s", async () => {
      const { harness } = await loadFixture(harnessFixture);
      await expect(harness.validate(withHourly({ epochLength: 3_599n })))
        .to.be.revertedWithCustomError(harness, "EpochsLengthTooShort")
        .withArgs(3_599n, 3_600n);
      await expect(harness.validate(withHourly({ epochLength: 0n })))
        .to.be.revertedWithCustomError(harness, "EpochsLengthTooShort")
        .withArgs(0n, 3_600n);
      await expect(harness.validate(withHourly({ epochLength: 3_600n }))).to.not.be.reverted;
    });

    it("EpochsWindowOutsideEpoch: rejects windowOffset == epochLength (and above), accepts epochLength - 1", async () => {
      const { harness } = await loadFixture(harnessFixture);
      await expect(harness.validate(withDefault({ windowOffset: WEEK })))
        .to.be.revertedWithCustomError(harness, "EpochsWindowOutsideEpoch")
        .withArgs(WEEK, WEEK);
      await expect(harness.validate(withDefault({ windowOffset: WEEK + 1n })))
        .to.be.revertedWithCustomError(harness, "EpochsWindowOutsideEpoch")
        .withArgs(WEEK + 1n, WEEK);
      await expect(harness.validate(withHourly({ windowOffset: 3_600n })))
        .to.be.revertedWithCustomError(harness, "EpochsWindowOutsideEpoch")
        .withArgs(3_600n, 3_600n);
      await expect(harness.validate(withDefault({ windowOffset: WEEK - 1n }))).to.not.be.reverted;
      await expect(harness.validate(withDefault({ windowOffset: 0n }))).to.not.be.reverted;
    });

    it("EpochsSlaOutOfRange: rejects 0 and sla == epochLength, accepts 1 and epochLength - 1", async () => {
      const { harness } = await loadFixture(harnessFixture);
      await expect(harness.validate(withDefault({ sla: 0n })))
        .to.be.revertedWithCustomError(harness, "EpochsSlaOutOfRange")
        .withArgs(0n, WEEK);
      await expect(harness.validate(withDefault({ sla: WEEK, claimDelay: WEEK })))
        .to.be.revertedWithCustomError(harness, "EpochsSlaOutOfRange")
        .withArgs(WEEK, WEEK);
      await expect(harness.validate(withDefault({ sla: 1n }))).to.not.be.reverted;
      await expect(harness.validate(withDefault({ sla: WEEK - 1n, claimDelay: WEEK - 1n }))).to.not.be.reverted;
    });

    it("EpochsClaimDelayBelowSla: rejects claimDelay = sla - 1, accepts claimDelay == sla", async () => {
      const { harness } = await loadFixture(harnessFixture);
      await expect(harness.validate(withDefault({ claimDelay: 599n })))
        .to.be.revertedWithCustomError(harness, "EpochsClaimDelayBelowSla")
        .withArgs(599n, 600n);
      await expect(harness.validate(withHourly({ claimDelay: 59n })))
        .to.be.revertedWithCustomError(harness, "EpochsClaimDelayBelowSla")
        .withArgs(59n, 60n);
      await expect(harness.validate(withDefault({ claimDelay: 600n }))).to.not.be.reverted;
      await expect(harness.validate(withHourly({ claimDelay: 60n }))).to.not.be.reverted;
    });

    it("EpochsActivationDelayOutOfRange: rejects 0 and 9, accepts 1 and 8", async () => {
      const { harness } = await loadFixture(harnessFixture);
      for (const bad of [0n, 9n, 255n]) {
        await expect(harness.validate(withDefault({ activationDelay: bad })))
          .to.be.revertedWithCustomError(harness, "EpochsActivationDelayOutOfRange")
          .withArgs(bad, 8n);
      }
      for (const good of [1n, 8n]) {
        await expect(harness.validate(withDefault({ activationDelay: good }))).to.not.be.reverted;
      }
    });

    it("accepts every config compared above", async () => {
      const { harness } = await loadFixture(harnessFixture);
      for (const [, c] of CONFIGS) await expect(harness.validate(c)).to.not.be.reverted;
    });
  });
});
