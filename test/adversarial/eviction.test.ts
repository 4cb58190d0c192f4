import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { INPUT, OUTPUT } from "./markets";

/*
 * An eviction cannot be shed by the evicted modeler: not by registering late, not by changing its host. Only a
 * promotion made after the eviction lists it again. The case here is the one the eviction tests leave out: a
 * listed modeler that never opted in, evicted for the epoch it left unanswered, registering afterwards.
 */

const E2 = E1 + 1n;
const NEVER = 2n ** 40n - 1n; // optedInAt of an evicted modeler

/**
 * Modelers 0..4 registered, modeler 5 listed without registering (list 1, serving from E1). In E1 two requests
 * are answered by modelers 0..4; once E1 is final (Thursday 2026-12-03 00:10) modeler 5, with no point, is evicted.
 */
async function evictedUnregisteredFixture() {
  const f = await loadFixture(challengeFixture);
  const listed = f.modelers.slice(0, 6);
  await time.increaseTo(DATES.e0Window);
  await f.market.connect(f.keeper).promote(1, listed.map((m) => m.address), ethers.id("six"));
  await time.increaseTo(DATES.e1Start);
  for (let i = 0; i < 2; i++) {
    const r = await requestOf(f.market, await f.market.connect(f.users[i]).request(1, FEE, INPUT));
    for (let index = 0; index < 5; index++) await f.market.connect(f.hosts[index]).answer(r.id, r.key, index, OUTPUT);
  }
  await time.increaseTo(DATES.e2Start + TIME.sla);
  await expect(f.market.connect(f.stranger).evict(1, E1, 1, 5))
    .to.emit(f.market, "ModelerEvicted")
    .withArgs(1n, listed[5].address, E1, 0n, 2n);
  return { ...f, listed, late: listed[5] };
}

describe("adversarial: an eviction cannot be shed", () => {
  it("a listed modeler evicted before it ever registered stays evicted when it registers and changes host", async () => {
    const { market, late, hosts, users } = await loadFixture(evictedUnregisteredFixture);
    await expect(market.connect(late).register(1, hosts[5].address))
      .to.emit(market, "ModelerRegistered")
      .withArgs(1n, late.address, hosts[5].address, NEVER);
    expect([...(await market.modelerInfo(1, late.address))]).to.deep.equal([hosts[5].address, NEVER, true]);

    const r = await requestOf(market, await market.connect(users[2]).request(1, FEE, INPUT));
    await expect(market.connect(hosts[5]).answer(r.id, r.key, 5, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketModelerEvicted")
      .withArgs(1n, late.address);
    await market.connect(late).setHost(1, hosts[6].address);
    await expect(market.connect(hosts[6]).answer(r.id, r.key, 5, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketModelerEvicted")
      .withArgs(1n, late.address);
    expect((await market.requestState(r.id)).answeredMask).to.equal(0n);
    expect(await market.pointsOf(1, late.address, E2)).to.equal(0n);
  });

  it("a promotion made after the eviction lists it again, open to requests from the new list's first second", async () => {
    const { market, keeper, late, listed, hosts, users } = await loadFixture(evictedUnregisteredFixture);
    await market.connect(late).register(1, hosts[5].address);
    await time.increaseTo(DATES.e2Window);
    await market.connect(keeper).promote(1, listed.map((m) => m.address), ethers.id("six again"));
    expect([...(await market.modelerInfo(1, late.address))]).to.deep.equal([hosts[5].address, DATES.e3Start, false]);
    await time.setNextBlockTimestamp(DATES.e3Start);
    const r = await requestOf(market, await market.connect(users[2]).request(1, FEE, INPUT));
    await expect(market.connect(hosts[5]).answer(r.id, r.key, 5, OUTPUT))
      .to.emit(market, "RequestAnswered")
      .withArgs(r.id, 1n, late.address, E2 + 1n, FEE, OUTPUT);
  });
});
