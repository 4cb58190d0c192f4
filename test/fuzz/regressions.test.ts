import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, requestOf, DATES, E1, FEE } from "../fixtures";
import { utc } from "../../sdk/time";

/*
 * Disagreements between the contract and the reference model (test/model/reference.ts) found by fuzzing.
 * Each test states what the protocol's rules require; it fails until the contract follows them.
 */

const E2 = E1 + 1n;
const E3 = E1 + 2n;
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:640"));

/*
 * market.fuzz.test.ts found it with FUZZ_RUNS=2000 (seed 20261126, sequence 1886), shrunk to six actions:
 * the seeded request of E1 answered by modeler 0 only; eviction of the never-registered modeler 8 for E1 on
 * Thu 2026-12-03; a promotion listing it again on Mon 2026-12-07 23:59:00; its registration one second
 * later, after which modelerInfo showed the registration time where the model expected E3's start.
 *
 * The rules have since closed the door it came through: only a registered modeler is judged, so a listed
 * modeler that never opted in cannot be evicted (it "simply earns nothing"), and one that registers during an
 * epoch is not judged on it. The re-listing rule it broke still holds for a registered modeler: see below.
 *
 * List 1 = [M0, M5] serves from E1; M5 never registered. A request of E1 is answered by M0 only.
 */
async function neverRegisteredFixture() {
  const f = await loadFixture(challengeFixture);
  const [m0, m5] = [f.modelers[0], f.modelers[5]];
  await time.setNextBlockTimestamp(DATES.e0Window);
  await f.market.connect(f.keeper).promote(1, [m0.address, m5.address], ethers.id("lb-e0"));
  await time.setNextBlockTimestamp(DATES.e1Start);
  const first = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, "0x"));
  await f.market.connect(f.hosts[0]).answer(first.id, first.key, 0, OUTPUT);
  return { ...f, m5, first };
}

/*
 * List 1 = [M0, M4] serves from E1; M4 registered before it (challengeFixture). A request of E1 is answered by
 * M0 only, so anyone evicts M4 for E1 (Thu 2026-12-03 00:10). The keeper lists M4 again on Monday 2026-12-07
 * 23:59 (list 2, serving from E3 = Thu 2026-12-10). On Tuesday a request is made on the old list 1, which
 * still serves E2, and M0 answers it.
 */
async function relistedFixture() {
  const f = await loadFixture(challengeFixture);
  const [m0, m4] = [f.modelers[0], f.modelers[4]];
  await time.setNextBlockTimestamp(DATES.e0Window);
  await f.market.connect(f.keeper).promote(1, [m0.address, m4.address], ethers.id("lb-e0"));
  await time.setNextBlockTimestamp(DATES.e1Start);
  const first = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, "0x"));
  await f.market.connect(f.hosts[0]).answer(first.id, first.key, 0, OUTPUT);
  await time.setNextBlockTimestamp(utc("2026-12-03T00:10:00Z"));
  await f.market.evict(1, E1, 1, 1);
  await time.setNextBlockTimestamp(DATES.e2Window);
  await f.market.connect(f.keeper).promote(1, [m0.address, m4.address], ethers.id("lb-e2"));
  await time.setNextBlockTimestamp(utc("2026-12-08T00:01:00Z"));
  const old = await requestOf(f.market, await f.market.connect(f.users[1]).request(1, FEE, "0x"));
  await f.market.connect(f.hosts[0]).answer(old.id, old.key, 0, OUTPUT);
  return { ...f, m4, old };
}

describe("regressions found by the fuzzer", () => {
  describe("a listed modeler that never registered", () => {
    it("cannot be evicted, although it answered none of the epoch's answered requests", async () => {
      const { market, m5 } = await loadFixture(neverRegisteredFixture);
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(1n);
      expect(await market.pointsOf(1, m5.address, E1)).to.equal(0n);
      await time.setNextBlockTimestamp(utc("2026-12-03T00:10:00Z"));
      await expect(market.evict(1, E1, 1, 1))
        .to.be.revertedWithCustomError(market, "MarketModelerNotRegistered")
        .withArgs(1n, m5.address);
      const [host, optedInAt, evicted] = await market.modelerInfo(1, m5.address);
      expect([host, optedInAt, evicted]).to.deep.equal([ethers.ZeroAddress, 0n, false]);
    });

    it("answers nothing: a host it never named is told that it is not registered", async () => {
      const { market, hosts, m5, first } = await loadFixture(neverRegisteredFixture);
      await expect(market.connect(hosts[5]).answer(first.id, first.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerNotRegistered")
        .withArgs(1n, m5.address);
    });

    it("registering during an epoch its list serves, earns from then on and is not judged on that epoch", async () => {
      const { market, users, hosts, m5 } = await loadFixture(neverRegisteredFixture);
      // Tuesday of E2, which list 1 still serves: a request, then M5 registers, then another request.
      await time.setNextBlockTimestamp(utc("2026-12-08T00:00:00Z"));
      const before = await requestOf(market, await market.connect(users[1]).request(1, FEE, "0x"));
      await market.connect(hosts[0]).answer(before.id, before.key, 0, OUTPUT);
      const registeredAt = utc("2026-12-08T00:00:02Z");
      await time.setNextBlockTimestamp(registeredAt);
      await market.connect(m5).register(1, hosts[5].address);
      expect((await market.modelerInfo(1, m5.address)).optedInAt).to.equal(registeredAt);
      await expect(market.connect(hosts[5]).answer(before.id, before.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerNotOptedIn")
        .withArgs(m5.address, before.createdAt, registeredAt);
      const after = await requestOf(market, await market.connect(users[2]).request(1, FEE, "0x"));
      await market.connect(hosts[5]).answer(after.id, after.key, 1, OUTPUT);
      expect(await market.pointsOf(1, m5.address, E2)).to.equal(1n);
      // E2 does not judge it: its opt-in began after E2's first second.
      await time.setNextBlockTimestamp(utc("2026-12-10T00:10:00Z"));
      await expect(market.evict(1, E2, 1, 1))
        .to.be.revertedWithCustomError(market, "MarketModelerOptedInLater")
        .withArgs(1n, m5.address, registeredAt, DATES.e2Start);
    });
  });

  describe("an evicted modeler re-listed by a later promotion", () => {
    it("opts in at the first second of its new list", async () => {
      const { market, hosts, m4 } = await loadFixture(relistedFixture);
      const [host, optedInAt, evicted] = await market.modelerInfo(1, m4.address);
      expect(host).to.equal(hosts[4].address);
      expect(evicted).to.equal(false);
      expect(optedInAt).to.equal(DATES.e3Start);
      expect((await market.list(1, 2n))[0]).to.equal(E3);
    });

    it("cannot register again to open the old list's requests to it", async () => {
      const { market, hosts, m4 } = await loadFixture(relistedFixture);
      await expect(market.connect(m4).register(1, hosts[4].address))
        .to.be.revertedWithCustomError(market, "MarketModelerAlreadyRegistered")
        .withArgs(1n, m4.address);
      expect((await market.modelerInfo(1, m4.address)).optedInAt).to.equal(DATES.e3Start);
    });

    it("answers nothing on the list it was evicted from before its new list serves", async () => {
      const { market, hosts, m4, old } = await loadFixture(relistedFixture);
      expect(old.key.listId).to.equal(1n);
      await expect(market.connect(hosts[4]).answer(old.id, old.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerNotOptedIn")
        .withArgs(m4.address, old.createdAt, DATES.e3Start);
      expect(await market.pointsOf(1, m4.address, E2)).to.equal(0n);
    });

    it("is not judged again on the epoch before its new list serves, though under the threshold", async () => {
      const { market, m4 } = await loadFixture(relistedFixture);
      // One answered request of E2, none of them by M4: the threshold alone would take it.
      expect((await market.epochFigures(1, E2)).answeredRequests).to.equal(1n);
      expect(await market.pointsOf(1, m4.address, E2)).to.equal(0n);
      await time.setNextBlockTimestamp(utc("2026-12-10T00:10:00Z"));
      await expect(market.evict(1, E2, 1, 1))
        .to.be.revertedWithCustomError(market, "MarketModelerOptedInLater")
        .withArgs(1n, m4.address, DATES.e3Start, DATES.e2Start);
      expect((await market.modelerInfo(1, m4.address)).evicted).to.equal(false);
    });
  });
});
