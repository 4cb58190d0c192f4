import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { challengeFixture, requestOf, DATES, E1, FEE } from "../fixtures";
import { utc } from "../../sdk/time";

/*
 * Disagreements between the contract and the reference model (test/model/reference.ts) found by fuzzing.
 * Each test states what the README's rules require; it fails until the contract follows them.
 */

const E2 = E1 + 1n;
const E3 = E1 + 2n;
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:640"));

/**
 * README, eviction: an evicted modeler "answers nothing until a promotion made after the eviction lists it
 * again; requests on that new list are open to it from the list's first second", and it "is judged only on
 * epochs that ended after its current opt-in began (its registration, or the first second of the list that
 * re-listed it)".
 *
 * List 1 = [M0, M5] serves from E1; M5 never registered. A request of E1 that only M0 answers lets anyone
 * evict M5 for E1 (Thu 2026-12-03 00:10). The keeper lists M5 again on Monday 2026-12-07 23:59 (list 2,
 * serving from E3 = Thu 2026-12-10), and M5 registers on Tuesday, as a newly listed modeler does.
 * A modeler that had registered before its eviction gets optedInAt = E3's start from that promotion; M5,
 * registering after it, gets its registration time instead, so it answers requests of the old list 1 in E2
 * and can be evicted again for E2, off the list the keeper just gave it.
 *
 * market.fuzz.test.ts found it with FUZZ_RUNS=2000 (seed 20261126, sequence 1886), shrunk to six actions:
 * the seeded request of E1 answered by modeler 0 only; eviction of the never-registered modeler 8 for E1 on
 * Thu 2026-12-03; a promotion listing it again on Mon 2026-12-07 23:59:00; its registration one second
 * later, after which modelerInfo shows the registration time where the model expects E3's start.
 */
async function relistedThenRegisteredFixture() {
  const f = await loadFixture(challengeFixture);
  const [m0, m5] = [f.modelers[0], f.modelers[5]];
  await time.setNextBlockTimestamp(DATES.e0Window);
  await f.market.connect(f.keeper).promote(1, [m0.address, m5.address], ethers.id("lb-e0"));
  await time.setNextBlockTimestamp(DATES.e1Start);
  const first = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, "0x"));
  await f.market.connect(f.hosts[0]).answer(first.id, first.key, 0, OUTPUT);
  await time.setNextBlockTimestamp(utc("2026-12-03T00:10:00Z"));
  await f.market.evict(1, E1, 1, 1);
  await time.setNextBlockTimestamp(DATES.e2Window);
  await f.market.connect(f.keeper).promote(1, [m0.address, m5.address], ethers.id("lb-e2"));
  await time.setNextBlockTimestamp(utc("2026-12-08T00:00:00Z"));
  await f.market.connect(m5).register(1, f.hosts[5].address);
  await time.setNextBlockTimestamp(utc("2026-12-08T00:01:00Z"));
  const old = await requestOf(f.market, await f.market.connect(f.users[1]).request(1, FEE, "0x"));
  return { ...f, m5, old, e3Start: DATES.e3Start };
}

describe("regressions found by the fuzzer", () => {
  describe("an evicted modeler re-listed before it registers", () => {
    it("opts in at the first second of its new list, as if it had registered before", async () => {
      const { market, hosts, m5, e3Start } = await loadFixture(relistedThenRegisteredFixture);
      const [host, optedInAt, evicted] = await market.modelerInfo(1, m5.address);
      expect(host).to.equal(hosts[5].address);
      expect(evicted).to.equal(false);
      expect(optedInAt).to.equal(e3Start);
    });

    it("answers nothing on the list it was evicted from before its new list serves", async () => {
      const { market, hosts, m5, old } = await loadFixture(relistedThenRegisteredFixture);
      expect(old.key.listId).to.equal(1n);
      await expect(market.connect(hosts[5]).answer(old.id, old.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerNotOptedIn")
        .withArgs(m5.address, old.createdAt, DATES.e3Start);
      expect(await market.pointsOf(1, m5.address, E2)).to.equal(0n);
    });

    it("is not judged again on the epoch before its new list serves", async () => {
      const { market, m5 } = await loadFixture(relistedThenRegisteredFixture);
      expect((await market.epochFigures(1, E2)).requests).to.equal(1n);
      await time.setNextBlockTimestamp(utc("2026-12-10T00:10:00Z"));
      await expect(market.evict(1, E2, 1, 1))
        .to.be.revertedWithCustomError(market, "MarketModelerOptedInLater")
        .withArgs(1n, m5.address, DATES.e3Start, DATES.e3Start);
      expect((await market.modelerInfo(1, m5.address)).evicted).to.equal(false);
      expect((await market.list(1, 2n))[0]).to.equal(E3);
    });
  });
});
