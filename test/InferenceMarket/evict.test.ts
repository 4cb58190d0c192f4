import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, reset, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE } from "../fixtures";
import { utc } from "../../sdk/time";

/*
 * Eviction on the real calendar. E1 = Thu 2026-11-26 .. Wed 2026-12-02.
 * Eviction for E1 opens when its figures are final, E1's end + SLA = Thu 2026-12-03 00:10:00 UTC, and closes
 * at the end of E2, Thu 2026-12-10 00:00:00 (exclusive).
 * List 1 = modelers[0..4]: A (index 0), B (1), C (2), D (3), E (4); hosts[i] answers for modelers[i].
 */

const E2 = E1 + 1n;
const E3 = E1 + 2n;
const EVICTION = {
  e1Opens: utc("2026-12-03T00:10:00Z"),
  e1Closes: utc("2026-12-10T00:00:00Z"),
  e2Opens: utc("2026-12-10T00:10:00Z"),
};
const NEVER = 2n ** 40n - 1n; // optedInAt of an evicted modeler, as the view reports it
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

type F = Awaited<ReturnType<typeof activeFixture>>;
type Req = Awaited<ReturnType<typeof requestOf>>;

async function makeRequest(f: F, user = 0): Promise<Req> {
  return requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, INPUT));
}

/** Answers `req` as the modeler at `index` of the request's list, through `host`. */
function answerAs(f: F, host: number, req: Req, index: number) {
  return f.market.connect(f.hosts[host]).answer(req.id, req.key, index, OUTPUT);
}

/**
 * E1 with 10 requests, all answered (D and E answer each one), so 10 answered requests: A answers 5 (exactly
 * half), B 4, C 0, D and E all 10. modelers[5] registers with
 * hosts[5] but is on no list.
 */
async function evictFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.modelers[5]).register(1, f.hosts[5].address);
  const reqs: Req[] = [];
  for (let i = 0; i < 10; i++) reqs.push(await makeRequest(f, i % 5));
  for (const r of reqs.slice(0, 5)) await answerAs(f, 0, r, 0);
  for (const r of reqs.slice(0, 4)) await answerAs(f, 1, r, 1);
  for (const index of [3, 4]) {
    await f.market
      .connect(f.hosts[index])
      .answerBatch(reqs.map((r) => ({ requestId: r.id, key: r.key, index, output: OUTPUT })));
  }
  const [A, B, C, D, E] = f.listed;
  return { ...f, reqs, A, B, C, D, E, unlisted: f.modelers[5] };
}

/** evictFixture plus list 2 = [B, A, D, E] promoted on Monday 2026-11-30 23:59 (E1's window), serving from E2. */
async function pendingListFixture() {
  const f = await loadFixture(evictFixture);
  await time.setNextBlockTimestamp(DATES.e1Window);
  await f.market.connect(f.keeper).promote(
    1,
    [f.B, f.A, f.D, f.E].map((m) => m.address),
    ethers.id("lb-e1"),
  );
  return f;
}

/** The active list of activeFixture, and no request at all in E1. */
async function quietFixture() {
  return loadFixture(activeFixture);
}

/** Everything a rejected eviction must leave untouched. */
async function snapshot(f: F) {
  const addresses = [...f.modelers.slice(0, 6)].map((m) => m.address);
  const infos = await Promise.all(addresses.map(async (a) => [...(await f.market.modelerInfo(1, a))]));
  const points = await Promise.all(addresses.map((a) => f.market.pointsOf(1, a, E1)));
  const figures = await Promise.all([E1, E2].map(async (e) => [...(await f.market.epochFigures(1, e))]));
  const balances = await Promise.all(
    [await f.market.getAddress(), f.stranger.address].map((a) => f.token.balanceOf(a)),
  );
  const challenge = [...(await f.market.challenge(1))];
  return { infos, points, figures, balances, challenge };
}

describe("InferenceMarket evict", function () {
  before(async function () {
    await reset();
  });
  after(async function () {
    await reset();
  });

  describe("evict: when eviction is open", function () {
    it("opens at E1's end + 600 s: reverts at Thu 2026-12-03 00:09:59, succeeds at 00:10:00", async function () {
      const f = await loadFixture(evictFixture);
      const times = await f.market.epochTimes(E1);
      expect(times.finalAt).to.equal(EVICTION.e1Opens);
      const before = await snapshot(f);
      await time.setNextBlockTimestamp(EVICTION.e1Opens - 1n);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.be.revertedWithCustomError(f.market, "MarketEvictionClosed")
        .withArgs(E1, EVICTION.e1Opens, EVICTION.e1Closes, EVICTION.e1Opens - 1n);
      expect(await snapshot(f)).to.deep.equal(before);

      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.B.address, E1, 4, 10);
      expect((await f.market.modelerInfo(1, f.B.address)).evicted).to.equal(true);
    });

    it("is still open at the last second of E2, Wed 2026-12-09 23:59:59", async function () {
      const f = await loadFixture(evictFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Closes - 1n);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 2))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.C.address, E1, 0, 10);
      expect((await f.market.modelerInfo(1, f.C.address)).evicted).to.equal(true);
    });

    it("is closed from the end of E2, Thu 2026-12-10 00:00:00", async function () {
      const f = await loadFixture(evictFixture);
      const before = await snapshot(f);
      await time.setNextBlockTimestamp(EVICTION.e1Closes);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 2))
        .to.be.revertedWithCustomError(f.market, "MarketEvictionClosed")
        .withArgs(E1, EVICTION.e1Opens, EVICTION.e1Closes, EVICTION.e1Closes);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("is closed for the epoch in progress (E1 during E1)", async function () {
      const f = await loadFixture(evictFixture);
      const before = await snapshot(f);
      await time.setNextBlockTimestamp(DATES.e1Last);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 2))
        .to.be.revertedWithCustomError(f.market, "MarketEvictionClosed")
        .withArgs(E1, EVICTION.e1Opens, EVICTION.e1Closes, DATES.e1Last);
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });

  describe("evict: the threshold (fewer than half of the epoch's answered requests)", function () {
    it("answering exactly half (5 of 10) is not evictable: MarketModelerMetThreshold", async function () {
      const f = await loadFixture(evictFixture);
      await time.increaseTo(EVICTION.e1Opens);
      expect(await f.market.pointsOf(1, f.A.address, E1)).to.equal(5);
      expect((await f.market.epochFigures(1, E1)).answeredRequests).to.equal(10);
      const before = await snapshot(f);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.A.address, 5, 10);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 3))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.D.address, 10, 10);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("4 of 10 and 0 of 10 are evictable: ModelerEvicted with points and answered requests, modelerInfo.evicted", async function () {
      const f = await loadFixture(evictFixture);
      await time.increaseTo(EVICTION.e1Opens);
      const hostsBefore = await Promise.all(
        [f.B, f.C].map(async (m) => (await f.market.modelerInfo(1, m.address)).host),
      );
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.B.address, E1, 4, 10);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 2))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.C.address, E1, 0, 10);
      for (const [i, m] of [f.B, f.C].entries()) {
        const info = await f.market.modelerInfo(1, m.address);
        expect(info.evicted).to.equal(true);
        expect(info.optedInAt).to.equal(NEVER);
        expect(info.host).to.equal(hostsBefore[i]);
      }
      for (const m of [f.A, f.D, f.E]) expect((await f.market.modelerInfo(1, m.address)).evicted).to.equal(false);
      // Points already earned are untouched.
      expect(await f.market.pointsOf(1, f.B.address, E1)).to.equal(4);
    });

    it("with 0 requests in the epoch nobody is evictable (MarketModelerMetThreshold with 0, 0)", async function () {
      const f = await loadFixture(quietFixture);
      await time.increaseTo(EVICTION.e1Opens);
      expect((await f.market.epochFigures(1, E1)).answeredRequests).to.equal(0);
      const before = await snapshot(f);
      for (const [i, m] of f.listed.entries()) {
        await expect(f.market.connect(f.stranger).evict(1, E1, 1, i))
          .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
          .withArgs(1, m.address, 0, 0);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });

  describe("evict: which modeler and which list", function () {
    it("registered but unlisted modelers are not addressable: an index beyond the list reverts MarketNotListed", async function () {
      const f = await loadFixture(evictFixture);
      await time.increaseTo(EVICTION.e1Opens);
      expect((await f.market.modelerInfo(1, f.unlisted.address)).host).to.equal(f.hosts[5].address);
      const before = await snapshot(f);
      for (const index of [5n, 9n, 10n, 2n ** 255n]) {
        await expect(f.market.connect(f.stranger).evict(1, E1, 1, index))
          .to.be.revertedWithCustomError(f.market, "MarketNotListed")
          .withArgs(1, 1, index);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("evicting twice reverts MarketModelerEvicted", async function () {
      const f = await loadFixture(evictFixture);
      await time.increaseTo(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1);
      const before = await snapshot(f);
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerEvicted")
        .withArgs(1, f.B.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("a list that did not serve the epoch reverts MarketListNotActiveInEpoch: 0, a list not yet active, a list never promoted", async function () {
      const f = await loadFixture(pendingListFixture);
      await time.increaseTo(EVICTION.e1Opens);
      const before = await snapshot(f);
      // List 2 was promoted in E1 but serves from E2; list 3 does not exist.
      for (const listId of [0n, 2n, 3n]) {
        await expect(f.market.connect(f.stranger).evict(1, E1, listId, 0))
          .to.be.revertedWithCustomError(f.market, "MarketListNotActiveInEpoch")
          .withArgs(1, listId, E1);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("a list replaced before the epoch reverts MarketListNotActiveInEpoch (list 1 for E2, served by list 2)", async function () {
      const f = await loadFixture(pendingListFixture);
      await time.increaseTo(EVICTION.e2Opens);
      const before = await snapshot(f);
      await expect(f.market.connect(f.stranger).evict(1, E2, 1, 2))
        .to.be.revertedWithCustomError(f.market, "MarketListNotActiveInEpoch")
        .withArgs(1, 1, E2);
      expect(await snapshot(f)).to.deep.equal(before);
      // List 2 served E2, in which nobody made a request: its modelers met the threshold of 0.
      await expect(f.market.connect(f.stranger).evict(1, E2, 2, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerMetThreshold")
        .withArgs(1, f.B.address, 0, 0);
    });

    it("an unknown challenge reverts MarketChallengeNotFound", async function () {
      const f = await loadFixture(evictFixture);
      await time.increaseTo(EVICTION.e1Opens);
      const before = await snapshot(f);
      for (const id of [0n, 2n]) {
        await expect(f.market.connect(f.stranger).evict(id, E1, 1, 1))
          .to.be.revertedWithCustomError(f.market, "MarketChallengeNotFound")
          .withArgs(id);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("anyone may evict: a stranger's eviction moves no token", async function () {
      const f = await loadFixture(evictFixture);
      await time.increaseTo(EVICTION.e1Opens);
      const tx = f.market.connect(f.stranger).evict(1, E1, 1, 2);
      await expect(tx).to.emit(f.market, "ModelerEvicted").withArgs(1, f.C.address, E1, 0, 10);
      await expect(tx).to.changeTokenBalances(f.token, [f.market, f.stranger, f.C], [0n, 0n, 0n]);
    });
  });

  describe("evict: an evicted modeler answers nothing until promoted again", function () {
    it("its host cannot answer new requests on the active list (MarketModelerEvicted); others still can", async function () {
      const f = await loadFixture(evictFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1);
      const r = await makeRequest(f);
      expect(r.key.listId).to.equal(1);
      const state = [...(await f.market.requestState(r.id))];
      const points = await f.market.pointsOf(1, f.B.address, E2);
      await expect(answerAs(f, 1, r, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerEvicted")
        .withArgs(1, f.B.address);
      expect([...(await f.market.requestState(r.id))]).to.deep.equal(state);
      expect(await f.market.pointsOf(1, f.B.address, E2)).to.equal(points);
      // Still refused later in the epoch, with no promotion.
      await time.increaseTo(utc("2026-12-07T12:00:00Z"));
      const later = await makeRequest(f, 1);
      await expect(answerAs(f, 1, later, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerEvicted")
        .withArgs(1, f.B.address);
      await expect(answerAs(f, 0, later, 0)).to.emit(f.market, "RequestAnswered");
    });

    it("a later promotion lists it again: requests on the new list (from its Thursday) are answerable, old-list ones are not", async function () {
      const f = await loadFixture(evictFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1);
      // Promotion in E2's window, Mon 2026-12-07 23:59:00: list 2 = [B, A, D], serving from E3 (2026-12-10).
      await time.setNextBlockTimestamp(DATES.e2Window);
      await f.market.connect(f.keeper).promote(
        1,
        [f.B, f.A, f.D].map((m) => m.address),
        ethers.id("lb-e2"),
      );
      const info = await f.market.modelerInfo(1, f.B.address);
      expect(info.evicted).to.equal(false);
      expect(info.optedInAt).to.equal(DATES.e3Start);

      // Requests of E2 are on list 1: B may not answer them, made before or after the promotion.
      await time.setNextBlockTimestamp(DATES.e3Start - 1n); // Wed 2026-12-09 23:59:59
      const lastOfE2 = await makeRequest(f, 2);
      expect(lastOfE2.key.listId).to.equal(1);
      // New list from Thursday 2026-12-10 00:00:00.
      await time.setNextBlockTimestamp(DATES.e3Start);
      const firstOfE3 = await makeRequest(f, 3);
      expect(firstOfE3.key.listId).to.equal(2);

      await expect(answerAs(f, 1, lastOfE2, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerNotOptedIn")
        .withArgs(f.B.address, DATES.e3Start - 1n, DATES.e3Start);
      // B is at index 0 of list 2.
      await expect(answerAs(f, 1, firstOfE3, 0))
        .to.emit(f.market, "RequestAnswered")
        .withArgs(firstOfE3.id, 1, f.B.address, E3, FEE, OUTPUT);
      expect(await f.market.pointsOf(1, f.B.address, E3)).to.equal(1);
    });

    it("requests on the old list made before the re-promotion stay refused while still open", async function () {
      const f = await loadFixture(evictFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1);
      await time.setNextBlockTimestamp(DATES.e2Window - 300n); // Mon 2026-12-07 23:54:00, list 1
      const r = await makeRequest(f);
      await time.setNextBlockTimestamp(DATES.e2Window);
      await f.market.connect(f.keeper).promote(
        1,
        [f.B, f.A].map((m) => m.address),
        ethers.id("lb-e2"),
      );
      // Still inside its SLA, but the request is on list 1 and made before the new list's start.
      await expect(answerAs(f, 1, r, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerNotOptedIn")
        .withArgs(f.B.address, DATES.e2Window - 300n, DATES.e3Start);
      expect((await f.market.requestState(r.id)).answeredMask).to.equal(0);
    });

    it("listed in a list promoted BEFORE the eviction (pending), it stays evicted on that list", async function () {
      const f = await loadFixture(pendingListFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1); // B, on list 1 for E1
      expect(await f.market.activeListId(1)).to.equal(2);
      const r = await makeRequest(f);
      expect(r.key.listId).to.equal(2);
      expect((await f.market.modelerInfo(1, f.B.address)).evicted).to.equal(true);
      // B is at index 0 of list 2.
      await expect(answerAs(f, 1, r, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerEvicted")
        .withArgs(1, f.B.address);
      await expect(answerAs(f, 0, r, 1)).to.emit(f.market, "RequestAnswered");
      // Still evicted in E3 on list 2 (no promotion since the eviction).
      await time.increaseTo(DATES.e3Start + 60n);
      const r3 = await makeRequest(f, 1);
      expect(r3.key.listId).to.equal(2);
      await expect(answerAs(f, 1, r3, 0))
        .to.be.revertedWithCustomError(f.market, "MarketModelerEvicted")
        .withArgs(1, f.B.address);
    });

    it("keeps the rewards it earned before the eviction", async function () {
      const f = await loadFixture(evictFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1);
      // E1: 10 requests of FEE all answered (D and E answered all): pool = 85% of 10 FEE;
      // points A 5, B 4, C 0, D 10, E 10 = 29.
      const pool = (10n * FEE * 8_500n) / 10_000n;
      const amount = (pool * 4n) / 29n;
      expect(await f.market.pointsOf(1, f.B.address, E1)).to.equal(4n);
      expect(await f.market.claimableReward(1, f.B.address, E1)).to.equal(amount);
      await time.setNextBlockTimestamp(DATES.e1ClaimsOpen);
      const tx = f.market.connect(f.stranger).claimRewards(1, f.B.address, [E1]);
      await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, f.B.address, [E1], amount);
      await expect(tx).to.changeTokenBalances(f.token, [f.B, f.hosts[1], f.market], [amount, 0n, -amount]);
    });
  });

  describe("evict: a re-listing starts the modeler afresh", function () {
    const E2_WINDOW = DATES.e2Window; // Mon 2026-12-07 23:59:00, list 2 serves from Thu 2026-12-10 (E3)

    /** B evicted for E1 at its opening, then listed again by the keeper on Monday of E2. */
    async function relistedFixture() {
      const f = await loadFixture(evictFixture);
      await time.setNextBlockTimestamp(EVICTION.e1Opens);
      await f.market.connect(f.stranger).evict(1, E1, 1, 1);
      await time.setNextBlockTimestamp(E2_WINDOW);
      await f.market.connect(f.keeper).promote(
        1,
        [f.A, f.B, f.D].map((m) => m.address),
        ethers.id("lb-e2"),
      );
      return f;
    }

    it("the same stale epoch cannot evict it again: MarketModelerOptedInLater, nothing changed", async function () {
      const f = await loadFixture(relistedFixture);
      const info = await f.market.modelerInfo(1, f.B.address);
      expect(info.evicted).to.equal(false);
      expect(info.optedInAt).to.equal(DATES.e3Start);
      const before = await snapshot(f);
      // The error carries the judged epoch's first second: E1 starts on Thu 2026-11-26.
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerOptedInLater")
        .withArgs(1, f.B.address, DATES.e3Start, DATES.e1Start);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("the epoch it spent evicted cannot evict it either (its opt-in starts at that epoch's end, after its first second)", async function () {
      const f = await loadFixture(relistedFixture);
      // E2 has requests that B, evicted, could not answer; A answers them.
      await time.setNextBlockTimestamp(E2_WINDOW + 60n);
      const r = await makeRequest(f);
      await answerAs(f, 0, r, 0);
      await time.setNextBlockTimestamp(EVICTION.e2Opens);
      await expect(f.market.connect(f.stranger).evict(1, E2, 1, 1))
        .to.be.revertedWithCustomError(f.market, "MarketModelerOptedInLater")
        .withArgs(1, f.B.address, DATES.e3Start, DATES.e2Start);
      // C, never re-listed and silent in E2, is still evictable for E2.
      await expect(f.market.connect(f.stranger).evict(1, E2, 1, 2))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1, f.C.address, E2, 0, 1);
      // B serves on its new list from E3.
      const onNewList = await makeRequest(f);
      expect(onNewList.key.listId).to.equal(2n);
      await expect(answerAs(f, 1, onNewList, 1)).to.emit(f.market, "RequestAnswered");
    });
  });
});
