import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";

/*
 * Who an epoch judges: a modeler of the list that served it, registered, not evicted, and opted in from the
 * epoch's first second (its current opt-in, a registration or a re-listing after an eviction, at or before the
 * epoch's start). A modeler that registers during an epoch is not judged on it (MarketModelerOptedInLater carries
 * the opt-in and the epoch's start) and is judged from the next one on. A listed modeler that never registers
 * earns nothing, cannot answer and cannot be evicted (MarketModelerNotRegistered).
 * List 1 = modelers[0..5] serves from E1 = Thu 2026-11-26; modelers[0..4] registered before it with hosts[0..4];
 * modelers[5] (L) has not registered. Eviction for epoch e opens at its end + SLA.
 */

const E2 = E1 + 1n;
const E3 = E1 + 2n;
const E4_START = DATES.e3Start + TIME.epochLength;
const FINAL = { e1: DATES.e2Start + TIME.sla, e2: DATES.e3Start + TIME.sla, e3: E4_START + TIME.sla };
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

type F = Awaited<ReturnType<typeof lateListFixture>>;

/** List 1 = modelers[0..5] promoted on Mon 2026-11-23 23:59; the clock is left in that window, before E1. */
async function lateListFixture() {
  const f = await loadFixture(challengeFixture);
  const listed = f.modelers.slice(0, 6);
  await time.increaseTo(DATES.e0Window);
  await f.market.connect(f.keeper).promote(
    1,
    listed.map((m) => m.address),
    ethers.id("six"),
  );
  return { ...f, listed, L: listed[5], lHost: f.hosts[5] };
}

/** A request by users[user] answered for modelers[0] through hosts[0], at `at` when given. */
async function answeredRequest(f: F, user: number, at?: bigint) {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  const r = await requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, INPUT));
  await f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT);
  return r;
}

/** L registers at `at` exactly. */
async function registerAt(f: F, at: bigint) {
  await time.setNextBlockTimestamp(at);
  await expect(f.market.connect(f.L).register(1, f.lHost.address))
    .to.emit(f.market, "ModelerRegistered")
    .withArgs(1, f.L.address, f.lHost.address, at);
}

/** What a refused eviction must leave as it was. */
async function snapshot(f: F) {
  const infos = await Promise.all(f.listed.map(async (m) => [...(await f.market.modelerInfo(1, m.address))]));
  const figures = await Promise.all([E1, E2].map(async (e) => [...(await f.market.epochFigures(1, e))]));
  return { infos, figures };
}

/** L registered at E1's first second, Thu 2026-11-26 00:00:00; two E1 requests answered by modelers[0] only. */
async function onTimeFixture() {
  const f = await loadFixture(lateListFixture);
  await registerAt(f, DATES.e1Start);
  const rs = [await answeredRequest(f, 0), await answeredRequest(f, 1)];
  return { ...f, rs };
}

/** As onTimeFixture, but L registered one second later, Thu 2026-11-26 00:00:01. */
async function oneSecondLateFixture() {
  const f = await loadFixture(lateListFixture);
  await registerAt(f, DATES.e1Start + 1n);
  const rs = [await answeredRequest(f, 0), await answeredRequest(f, 1)];
  return { ...f, rs };
}

/** L never registers; two E1 requests answered by modelers[0..4]; the clock at E1's final time. */
async function unregisteredFixture() {
  const f = await loadFixture(lateListFixture);
  await time.increaseTo(DATES.e1Start);
  const rs = [];
  for (let u = 0; u < 2; u++) {
    const r = await requestOf(f.market, await f.market.connect(f.users[u]).request(1, FEE, INPUT));
    for (let i = 0; i < 5; i++) await f.market.connect(f.hosts[i]).answer(r.id, r.key, i, OUTPUT);
    rs.push(r);
  }
  await time.increaseTo(FINAL.e1);
  return { ...f, rs };
}

describe("InferenceMarket evict: who an epoch judges", () => {
  describe("evict: a modeler registered at the epoch's first second is judged on it", () => {
    it("idle through E1, it is evicted: ModelerEvicted(0, 2)", async () => {
      const f = await loadFixture(onTimeFixture);
      expect((await f.market.modelerInfo(1, f.L.address)).optedInAt).to.equal(DATES.e1Start);
      await time.setNextBlockTimestamp(FINAL.e1);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 5))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.L.address, E1, 0, 2);
      expect((await f.market.modelerInfo(1, f.L.address)).evicted).to.equal(true);
    });

    it("answering both requests, it meets the threshold: MarketModelerMetThreshold(2, 2)", async () => {
      const f = await loadFixture(onTimeFixture);
      for (const r of f.rs) await f.market.connect(f.lHost).answer(r.id, r.key, 5, OUTPUT);
      await time.setNextBlockTimestamp(FINAL.e1);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 5))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.L.address, 2, 2);
    });
  });

  describe("evict: a modeler registered after the epoch's first second is judged from the next epoch", () => {
    it("registered at 00:00:01, E1 does not judge it: MarketModelerOptedInLater(optedInAt, E1's start)", async () => {
      const f = await loadFixture(oneSecondLateFixture);
      await time.setNextBlockTimestamp(FINAL.e1);
      const before = await snapshot(f);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 5))
        .to.be.revertedWithCustomError(f.market, "MarketModelerOptedInLater")
        .withArgs(1, f.L.address, DATES.e1Start + 1n, DATES.e1Start);
      expect(await snapshot(f)).to.deep.equal(before);
      // It serves all the same: a request made after its registration is open to it.
      const r = await answeredRequest(f, 2);
      await expect(f.market.connect(f.lHost).answer(r.id, r.key, 5, OUTPUT)).to.emit(f.market, "RequestAnswered");
    });

    it("idle through E2, its first whole epoch, it is evicted for E2: ModelerEvicted(0, 1)", async () => {
      const f = await loadFixture(oneSecondLateFixture);
      await answeredRequest(f, 2, DATES.e2Start + 3_600n);
      await time.setNextBlockTimestamp(FINAL.e2);
      await expect(f.market.connect(f.stranger).evict(1, E2, 1, 5))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.L.address, E2, 0, 1);
      expect((await f.market.modelerInfo(1, f.L.address)).evicted).to.equal(true);
    });
  });

  describe("evict: a listed modeler that has not registered", () => {
    it("nobody can answer for it: answer reverts MarketModelerNotRegistered, whoever calls", async () => {
      const f = await loadFixture(lateListFixture);
      await time.increaseTo(DATES.e1Start);
      const r = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, INPUT));
      for (const caller of [f.lHost, f.L, f.stranger, f.hosts[0]]) {
        await expect(f.market.connect(caller).answer(r.id, r.key, 5, OUTPUT))
          .to.be.revertedWithCustomError(f.market, "MarketModelerNotRegistered")
          .withArgs(1, f.L.address);
      }
      expect((await f.market.requestState(r.id)).answeredMask).to.equal(0n);
      expect(await f.market.pointsOf(1, f.L.address, E1)).to.equal(0n);
    });

    it("it cannot be evicted though it answered none of the epoch's answered requests: MarketModelerNotRegistered", async () => {
      const f = await loadFixture(unregisteredFixture);
      expect((await f.market.epochFigures(1, E1)).answeredRequests).to.equal(2n);
      expect(await f.market.pointsOf(1, f.L.address, E1)).to.equal(0n);
      const before = await snapshot(f);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 5))
        .to.be.revertedWithCustomError(f.market, "MarketModelerNotRegistered")
        .withArgs(1, f.L.address);
      expect(await snapshot(f)).to.deep.equal(before);
      expect([...(await f.market.modelerInfo(1, f.L.address))]).to.deep.equal([ethers.ZeroAddress, 0n, false]);
    });
  });

  describe("evict: a modeler re-listed after an eviction is judged on its new list's activation epoch", () => {
    /**
     * onTimeFixture, then L evicted for E1 and listed again on Mon 2026-12-07 23:59 in list 2 = [L, modelers[0]],
     * serving from E3 (Thu 2026-12-10), whose first second becomes L's opt-in.
     */
    async function relistedFixture() {
      const f = await loadFixture(onTimeFixture);
      await time.setNextBlockTimestamp(FINAL.e1);
      await f.market.connect(f.stranger).evict(1, E1, 1, 5);
      await time.setNextBlockTimestamp(DATES.e2Window);
      await f.market.connect(f.keeper).promote(
        1,
        [f.L, f.modelers[0]].map((m) => m.address),
        ethers.id("relisted"),
      );
      return f;
    }

    it("idle through E3, it is evicted for E3 on list 2; E2, spent evicted, does not judge it", async () => {
      const f = await loadFixture(relistedFixture);
      expect((await f.market.modelerInfo(1, f.L.address)).optedInAt).to.equal(DATES.e3Start);
      // E2 was served by list 1, where L is at index 5; its opt-in starts only with E3.
      await time.setNextBlockTimestamp(FINAL.e2);
      await expect(f.market.connect(f.stranger).evict(1, E2, 1, 5))
        .to.be.revertedWithCustomError(f.market, "MarketModelerOptedInLater")
        .withArgs(1, f.L.address, DATES.e3Start, DATES.e2Start);
      // modelers[0] is at index 1 of list 2.
      await time.setNextBlockTimestamp(DATES.e3Start + 3_600n);
      const r = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, INPUT));
      expect(r.key.listId).to.equal(2n);
      await f.market.connect(f.hosts[0]).answer(r.id, r.key, 1, OUTPUT);
      await time.setNextBlockTimestamp(FINAL.e3);
      await expect(f.market.connect(f.stranger).evict(1, E3, 2, 0))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.L.address, E3, 0, 1);
    });

    it("answering on list 2 from its first second, it meets E3's threshold", async () => {
      const f = await loadFixture(relistedFixture);
      await time.setNextBlockTimestamp(DATES.e3Start);
      const r = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, INPUT));
      await f.market.connect(f.lHost).answer(r.id, r.key, 0, OUTPUT);
      await time.setNextBlockTimestamp(FINAL.e3);
      await expect(f.market.connect(f.stranger).evict(1, E3, 2, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.L.address, 1, 1);
    });
  });
});
