import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { INPUT, OUTPUT } from "./markets";

/*
 * An eviction cannot be shed by the evicted modeler: not by registering again, not by changing its host. Only a
 * promotion made after the eviction lists it again. And a listed modeler cannot dodge the judgement by staying
 * unregistered: unregistered it earns nothing and cannot be evicted, and once it registers it is judged on every
 * epoch it is opted in for from the first second, from the first whole epoch after its registration on.
 */

const E2 = E1 + 1n;
const E3 = E1 + 2n;
const NEVER = 2n ** 40n - 1n; // optedInAt of an evicted modeler
const E4_START = DATES.e3Start + TIME.epochLength;

type F = Awaited<ReturnType<typeof challengeFixture>>;

/** List 1 = modelers 0..5, serving from E1; in E1 two requests are answered by modelers 0..4. */
async function promoteSixAndServeE1(f: F) {
  const listed = f.modelers.slice(0, 6);
  await time.increaseTo(DATES.e0Window);
  await f.market.connect(f.keeper).promote(
    1,
    listed.map((m) => m.address),
    ethers.id("six"),
  );
  await time.increaseTo(DATES.e1Start);
  for (let i = 0; i < 2; i++) {
    const r = await requestOf(f.market, await f.market.connect(f.users[i]).request(1, FEE, INPUT));
    for (let index = 0; index < 5; index++) await f.market.connect(f.hosts[index]).answer(r.id, r.key, index, OUTPUT);
  }
  return listed;
}

/** Modeler 5 registered before E1, listed, silent in E1 and evicted once E1 is final (Thu 2026-12-03 00:10). */
async function evictedFixture() {
  const f = await loadFixture(challengeFixture);
  await f.market.connect(f.modelers[5]).register(1, f.hosts[5].address);
  const listed = await promoteSixAndServeE1(f);
  await time.setNextBlockTimestamp(DATES.e2Start + TIME.sla);
  await expect(f.market.connect(f.stranger).evict(1, E1, 1, 5))
    .to.emit(f.market, "ModelerEvicted")
    .withArgs(1n, listed[5].address, E1, 0n, 2n);
  return { ...f, listed, idle: listed[5] };
}

/** Modeler 5 listed without registering; E1 is final (Thu 2026-12-03 00:10). */
async function unregisteredFixture() {
  const f = await loadFixture(challengeFixture);
  const listed = await promoteSixAndServeE1(f);
  await time.increaseTo(DATES.e2Start + TIME.sla);
  return { ...f, listed, late: listed[5] };
}

describe("adversarial: an eviction cannot be shed", () => {
  it("an evicted modeler stays evicted when it registers again or changes host", async () => {
    const { market, idle, hosts, users, stranger } = await loadFixture(evictedFixture);
    await expect(market.connect(idle).register(1, hosts[6].address))
      .to.be.revertedWithCustomError(market, "MarketModelerAlreadyRegistered")
      .withArgs(1n, idle.address);
    expect([...(await market.modelerInfo(1, idle.address))]).to.deep.equal([hosts[5].address, NEVER, true]);

    const r = await requestOf(market, await market.connect(users[2]).request(1, FEE, INPUT));
    await expect(market.connect(hosts[5]).answer(r.id, r.key, 5, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketModelerEvicted")
      .withArgs(1n, idle.address);
    await market.connect(idle).setHost(1, hosts[6].address);
    expect([...(await market.modelerInfo(1, idle.address))]).to.deep.equal([hosts[6].address, NEVER, true]);
    await expect(market.connect(hosts[6]).answer(r.id, r.key, 5, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketModelerEvicted")
      .withArgs(1n, idle.address);
    await expect(market.connect(stranger).evict(1, E1, 1, 5))
      .to.be.revertedWithCustomError(market, "MarketModelerEvicted")
      .withArgs(1n, idle.address);
    expect((await market.requestState(r.id)).answeredMask).to.equal(0n);
    expect(await market.pointsOf(1, idle.address, E2)).to.equal(0n);
  });

  it("a promotion made after the eviction lists it again, open to requests from the new list's first second", async () => {
    const { market, keeper, idle, listed, hosts, users } = await loadFixture(evictedFixture);
    await time.increaseTo(DATES.e2Window);
    await market.connect(keeper).promote(
      1,
      listed.map((m) => m.address),
      ethers.id("six again"),
    );
    expect([...(await market.modelerInfo(1, idle.address))]).to.deep.equal([hosts[5].address, DATES.e3Start, false]);
    await time.setNextBlockTimestamp(DATES.e3Start);
    const r = await requestOf(market, await market.connect(users[2]).request(1, FEE, INPUT));
    expect(r.key.listId).to.equal(2n);
    await expect(market.connect(hosts[5]).answer(r.id, r.key, 5, OUTPUT))
      .to.emit(market, "RequestAnswered")
      .withArgs(r.id, 1n, idle.address, E3, FEE, OUTPUT);
  });

  it("a listed modeler cannot be evicted before it registers, and registering late shields only the epochs it joined late", async () => {
    const { market, late, hosts, users, stranger } = await loadFixture(unregisteredFixture);
    await expect(market.connect(stranger).evict(1, E1, 1, 5))
      .to.be.revertedWithCustomError(market, "MarketModelerNotRegistered")
      .withArgs(1n, late.address);

    // It registers one hour into E2: neither E1 nor E2 judges it.
    const registeredAt = DATES.e2Start + 3_600n;
    await time.setNextBlockTimestamp(registeredAt);
    await market.connect(late).register(1, hosts[5].address);
    await expect(market.connect(stranger).evict(1, E1, 1, 5))
      .to.be.revertedWithCustomError(market, "MarketModelerOptedInLater")
      .withArgs(1n, late.address, registeredAt, DATES.e1Start);
    const e2 = await requestOf(market, await market.connect(users[2]).request(1, FEE, INPUT));
    await market.connect(hosts[0]).answer(e2.id, e2.key, 0, OUTPUT);
    await time.setNextBlockTimestamp(DATES.e3Start + TIME.sla);
    await expect(market.connect(stranger).evict(1, E2, 1, 5))
      .to.be.revertedWithCustomError(market, "MarketModelerOptedInLater")
      .withArgs(1n, late.address, registeredAt, DATES.e2Start);

    // E3 is its first whole epoch: silent in it, it is evicted.
    const e3 = await requestOf(market, await market.connect(users[3]).request(1, FEE, INPUT));
    await market.connect(hosts[0]).answer(e3.id, e3.key, 0, OUTPUT);
    await time.setNextBlockTimestamp(E4_START + TIME.sla);
    await expect(market.connect(stranger).evict(1, E3, 1, 5))
      .to.emit(market, "ModelerEvicted")
      .withArgs(1n, late.address, E3, 0n, 1n);
    expect((await market.modelerInfo(1, late.address)).evicted).to.equal(true);
  });
});
