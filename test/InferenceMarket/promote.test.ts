import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { activeFixture, challengeFixture, requestOf, E1, FEE, TIME } from "../fixtures";
import { utc } from "../../sdk/time";
import type { InferenceMarket, TestToken } from "../../typechain-types";

const E0 = E1 - 1n;
const E2 = E1 + 1n;
const E3 = E1 + 2n;
const E4 = E1 + 3n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));
const HASH = ethers.id("leaderboard");

/** The real calendar of these tests (see test/fixtures.ts). */
const AT = {
  e0BeforeWindow: utc("2026-11-23T23:58:59Z"), // Monday, one second before E0's window
  e0Window: utc("2026-11-23T23:59:00Z"), // Monday, E0's window opens
  e0Last: utc("2026-11-25T23:59:59Z"), // Wednesday, last second of E0
  e1Start: utc("2026-11-26T00:00:00Z"), // Thursday, E1 starts
  e1BeforeWindow: utc("2026-11-30T23:58:59Z"),
  e1Window: utc("2026-11-30T23:59:00Z"),
  e1Last: utc("2026-12-02T23:59:59Z"),
  e2Start: utc("2026-12-03T00:00:00Z"),
  e2Window: utc("2026-12-07T23:59:00Z"),
  e2Last: utc("2026-12-09T23:59:59Z"),
  e3Start: utc("2026-12-10T00:00:00Z"),
  e3Window: utc("2026-12-14T23:59:00Z"),
  e3Last: utc("2026-12-16T23:59:59Z"),
  e4Start: utc("2026-12-17T00:00:00Z"),
};

const addrs = (signers: { address: string }[]) => signers.map((s) => s.address);

async function promoteAt(market: InferenceMarket, keeper: Signer, t: bigint, id: bigint | number, modelers: string[]) {
  await time.setNextBlockTimestamp(t);
  return market.connect(keeper).promote(id, modelers, HASH);
}

async function requestAt(market: InferenceMarket, user: Signer, t: bigint, challengeId: bigint | number = 1) {
  await time.setNextBlockTimestamp(t);
  return requestOf(market, await market.connect(user).request(challengeId, FEE, INPUT));
}

/** The challenge and its lists as plain arrays, for before/after comparisons (`active` only while time stands). */
async function lists(market: InferenceMarket, challengeId: bigint | number = 1) {
  const c = [...(await market.challenge(challengeId))];
  const all = [];
  for (let id = 0n; id <= (c[3] as bigint) + 1n; id++) {
    const [activation, members] = await market.list(challengeId, id);
    all.push([activation, [...members]]);
  }
  return { c, all, active: await market.activeListId(challengeId) };
}

/** What a rejected request must leave untouched. */
async function requestSnapshot(market: InferenceMarket, token: TestToken, accounts: string[]) {
  const figures = [];
  for (const e of [E0, E1, E2, E3, E4]) figures.push([...(await market.epochFigures(1, e))]);
  const balances = await Promise.all([await market.getAddress(), ...accounts].map((a) => token.balanceOf(a)));
  return { figures, balances, count: await market.requestCount(), lists: await lists(market) };
}

/** activeFixture plus modelers[5] and modelers[6] registered, and list 2 = [m5, m6, m0] promoted in E1's window. */
async function twoListsFixture() {
  const f = await loadFixture(activeFixture);
  for (const i of [5, 6]) await f.market.connect(f.modelers[i]).register(1, f.hosts[i].address);
  const list2 = [f.modelers[5], f.modelers[6], f.modelers[0]];
  await promoteAt(f.market, f.keeper, AT.e1Window, 1, addrs(list2));
  return { ...f, list2 };
}

/** A market of its own whose lists serve two epochs after their promotion (activationDelay 2). */
async function delayTwoFixture() {
  // starts from a known early date (Friday 2026-11-20) whatever ran before
  await loadFixture(challengeFixture);
  const signers = await ethers.getSigners();
  const [admin, treasury, manager, keeper, , creator, challengeAdmin] = signers;
  const users = signers.slice(8, 13);
  const modelers = signers.slice(13, 25);
  const hosts = signers.slice(25, 37);
  const token = await ethers.deployContract("TestToken");
  const settings = {
    epochLength: TIME.epochLength,
    windowOffset: TIME.windowOffset,
    sla: TIME.sla,
    claimDelay: TIME.claimDelay,
    activationDelay: 2,
    creatorBps: 500,
    adminBps: 500,
    platformBps: 500,
    evictionThresholdBps: 5_000,
  };
  const market = (await ethers.deployContract("InferenceMarket", [
    await token.getAddress(),
    admin.address,
    treasury.address,
    settings,
  ])) as unknown as InferenceMarket;
  await market.connect(admin).grantRole(await market.CHALLENGE_MANAGER_ROLE(), manager.address);
  await market.connect(admin).grantRole(await market.KEEPER_ROLE(), keeper.address);
  for (const user of users) {
    await token.mint(user.address, 1_000n * FEE);
    await token.connect(user).approve(await market.getAddress(), ethers.MaxUint256);
  }
  await market.connect(manager).createChallenge(creator.address, challengeAdmin.address, FEE, "delay two");
  for (let i = 0; i < 8; i++) await market.connect(modelers[i]).register(1, hosts[i].address);
  return { market, token: token as unknown as TestToken, keeper, users, modelers, hosts };
}

describe("InferenceMarket.promote", () => {
  describe("promotion window", () => {
    it("opens on Monday 2026-11-23 at 23:59:00, not a second earlier", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const listed = addrs(modelers.slice(0, 5));
      const before = await lists(market);
      await expect(promoteAt(market, keeper, AT.e0BeforeWindow, 1, listed))
        .to.be.revertedWithCustomError(market, "MarketOutsideWindow")
        .withArgs(AT.e0BeforeWindow, AT.e0Window, AT.e1Start);
      expect(await lists(market)).to.deep.equal(before);
      expect(before.c[3]).to.equal(0n);

      await expect(promoteAt(market, keeper, AT.e0Window, 1, listed))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 1n, E0, E1, HASH, listed);
      expect((await market.challenge(1)).listCount).to.equal(1n);
    });

    it("rejects promotions earlier in the week (Friday 2026-11-20, Monday 12:00)", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const before = await lists(market);
      for (const t of [utc("2026-11-20T12:00:00Z"), utc("2026-11-23T12:00:00Z")]) {
        await expect(promoteAt(market, keeper, t, 1, [modelers[0].address]))
          .to.be.revertedWithCustomError(market, "MarketOutsideWindow")
          .withArgs(t, AT.e0Window, AT.e1Start);
      }
      expect(await lists(market)).to.deep.equal(before);
    });

    it("stays open until Wednesday 2026-11-25 23:59:59 and is closed from Thursday 2026-11-26 00:00:00", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const listed = addrs(modelers.slice(0, 3));
      await expect(promoteAt(market, keeper, AT.e0Last, 1, listed))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 1n, E0, E1, HASH, listed);

      // Thursday 00:00:00 belongs to E1, whose window opens on Monday 2026-11-30 23:59:00
      const { c, all } = await lists(market);
      await expect(promoteAt(market, keeper, AT.e1Start, 1, listed))
        .to.be.revertedWithCustomError(market, "MarketOutsideWindow")
        .withArgs(AT.e1Start, AT.e1Window, AT.e2Start);
      await expect(promoteAt(market, keeper, AT.e1BeforeWindow, 1, listed))
        .to.be.revertedWithCustomError(market, "MarketOutsideWindow")
        .withArgs(AT.e1BeforeWindow, AT.e1Window, AT.e2Start);
      const after = await lists(market);
      expect([after.c, after.all]).to.deep.equal([c, all]);
      expect(after.active).to.equal(1n);
    });

    it("a challenge never promoted is also refused on Thursday 2026-11-26 00:00:00", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const before = await lists(market);
      await expect(promoteAt(market, keeper, AT.e1Start, 1, [modelers[0].address]))
        .to.be.revertedWithCustomError(market, "MarketOutsideWindow")
        .withArgs(AT.e1Start, AT.e1Window, AT.e2Start);
      expect(await lists(market)).to.deep.equal(before);
    });
  });

  describe("once per challenge per epoch", () => {
    it("a second promotion in the same window reverts MarketAlreadyPromoted(challengeId, epoch)", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      await promoteAt(market, keeper, AT.e0Window, 1, addrs(modelers.slice(0, 5)));
      const before = await lists(market);
      for (const t of [AT.e0Window + 1n, AT.e0Last]) {
        await expect(promoteAt(market, keeper, t, 1, addrs(modelers.slice(5, 8))))
          .to.be.revertedWithCustomError(market, "MarketAlreadyPromoted")
          .withArgs(1n, E0);
      }
      expect(await lists(market)).to.deep.equal(before);
      expect(before.c[3]).to.equal(1n);
      expect(before.all[2]).to.deep.equal([0n, []]);
    });

    it("the next epoch's window accepts a new list (list 2), once", async () => {
      const { market, keeper, modelers, creator, challengeAdmin } = await loadFixture(activeFixture);
      const list2 = addrs(modelers.slice(3, 8));
      await expect(promoteAt(market, keeper, AT.e1Window, 1, list2))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 2n, E1, E2, HASH, list2);
      expect([...(await market.challenge(1))]).to.deep.equal([creator.address, challengeAdmin.address, FEE, 2n, E2]);
      const [activation, members] = await market.list(1, 2);
      expect([activation, [...members]]).to.deep.equal([E2, list2]);

      const before = await lists(market);
      await expect(promoteAt(market, keeper, AT.e1Last, 1, list2))
        .to.be.revertedWithCustomError(market, "MarketAlreadyPromoted")
        .withArgs(1n, E1);
      expect(await lists(market)).to.deep.equal(before);
    });

    it("another challenge is promoted in the same epoch independently", async () => {
      const { market, manager, keeper, creator, challengeAdmin, modelers } = await loadFixture(challengeFixture);
      await market.connect(manager).createChallenge(creator.address, challengeAdmin.address, 2n * FEE, "second");
      const list1 = addrs(modelers.slice(0, 5));
      const other = addrs([modelers[7], modelers[0]]);
      await promoteAt(market, keeper, AT.e0Window, 1, list1);
      await expect(promoteAt(market, keeper, AT.e0Window + 1n, 2, other))
        .to.emit(market, "ListPromoted")
        .withArgs(2n, 1n, E0, E1, HASH, other);
      const [a1, m1] = await market.list(1, 1);
      const [a2, m2] = await market.list(2, 1);
      expect([a1, [...m1]]).to.deep.equal([E1, list1]);
      expect([a2, [...m2]]).to.deep.equal([E1, other]);
      expect((await market.challenge(1)).listCount).to.equal(1n);
      expect((await market.challenge(2)).listCount).to.equal(1n);

      await expect(promoteAt(market, keeper, AT.e0Window + 2n, 2, other))
        .to.be.revertedWithCustomError(market, "MarketAlreadyPromoted")
        .withArgs(2n, E0);
    });
  });

  describe("list size and entries", () => {
    it("rejects 0 and 11 modelers with MarketInvalidListSize", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const before = await lists(market);
      let t = AT.e0Window;
      for (const size of [0, 11]) {
        await expect(promoteAt(market, keeper, t++, 1, addrs(modelers.slice(0, size))))
          .to.be.revertedWithCustomError(market, "MarketInvalidListSize")
          .withArgs(size);
      }
      expect(await lists(market)).to.deep.equal(before);
      expect(before.c[3]).to.equal(0n);
    });

    it("accepts a single modeler", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const one = [modelers[4].address];
      await expect(promoteAt(market, keeper, AT.e0Window, 1, one))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 1n, E0, E1, HASH, one);
      const [activation, members] = await market.list(1, 1);
      expect([activation, [...members]]).to.deep.equal([E1, one]);
    });

    it("accepts ten modelers, registered or not, in the given order", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const ten = addrs(modelers.slice(0, 10)).reverse();
      await expect(promoteAt(market, keeper, AT.e0Window, 1, ten))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 1n, E0, E1, HASH, ten);
      const [activation, members] = await market.list(1, 1);
      expect([activation, [...members]]).to.deep.equal([E1, ten]);
    });

    it("rejects a zero address with MarketInvalidListEntry(index, 0)", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const before = await lists(market);
      let t = AT.e0Window;
      for (const index of [0, 3, 9]) {
        const entries = addrs(modelers.slice(0, 10));
        entries[index] = ethers.ZeroAddress;
        await expect(promoteAt(market, keeper, t++, 1, entries))
          .to.be.revertedWithCustomError(market, "MarketInvalidListEntry")
          .withArgs(index, ethers.ZeroAddress);
      }
      expect(await lists(market)).to.deep.equal(before);
    });

    it("rejects a repeated modeler with MarketInvalidListEntry(index of the repeat, modeler)", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const [a, b, c, d] = addrs(modelers.slice(0, 4));
      const before = await lists(market);
      let t = AT.e0Window;
      for (const [entries, index, who] of [
        [[a, b, a], 2, a],
        [[a, b, c, d, b], 4, b],
        [[d, d], 1, d],
        [[...addrs(modelers.slice(0, 9)), a], 9, a],
      ] as [string[], number, string][]) {
        await expect(promoteAt(market, keeper, t++, 1, entries))
          .to.be.revertedWithCustomError(market, "MarketInvalidListEntry")
          .withArgs(index, who);
      }
      expect(await lists(market)).to.deep.equal(before);
      // the rejected attempts did not use up the epoch's promotion
      await promoteAt(market, keeper, t, 1, [a, b, c, d]);
      expect((await market.challenge(1)).listCount).to.equal(1n);
    });
  });

  describe("unknown challenge and access", () => {
    it("reverts MarketChallengeNotFound for a challenge never created", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      const before = await lists(market);
      let t = AT.e0Window;
      for (const id of [0n, 2n]) {
        await expect(promoteAt(market, keeper, t++, id, [modelers[0].address]))
          .to.be.revertedWithCustomError(market, "MarketChallengeNotFound")
          .withArgs(id);
      }
      expect(await lists(market)).to.deep.equal(before);
    });

    it("requires KEEPER_ROLE and an unpaused market", async () => {
      const { market, keeper, pauser, admin, manager, stranger, modelers } = await loadFixture(challengeFixture);
      const role = await market.KEEPER_ROLE();
      const before = await lists(market);
      let t = AT.e0Window;
      for (const caller of [stranger, admin, manager]) {
        await expect(promoteAt(market, caller, t++, 1, [modelers[0].address]))
          .to.be.revertedWithCustomError(market, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
      await market.connect(pauser).pause();
      await expect(promoteAt(market, keeper, t + 5n, 1, [modelers[0].address])).to.be.revertedWithCustomError(
        market,
        "EnforcedPause",
      );
      expect(await lists(market)).to.deep.equal(before);
    });
  });

  describe("ListPromoted and list()", () => {
    it("emits (challengeId, listId, epoch, activationEpoch, leaderboardHash, modelers) and stores the list in order", async () => {
      const { market, keeper, modelers, creator, challengeAdmin } = await loadFixture(challengeFixture);
      const ranked = addrs([modelers[3], modelers[0], modelers[4], modelers[1]]);
      const hash = ethers.keccak256(ethers.toUtf8Bytes("modeler,score\n..."));
      await time.increaseTo(AT.e0Window + 3_600n);
      expect(await market.connect(keeper).promote.staticCall(1, ranked, hash)).to.equal(1n);
      await expect(market.connect(keeper).promote(1, ranked, hash))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 1n, E0, E1, hash, ranked);
      const [activation, members] = await market.list(1, 1);
      expect(activation).to.equal(E1);
      expect([...members]).to.deep.equal(ranked);
      expect([...(await market.challenge(1))]).to.deep.equal([creator.address, challengeAdmin.address, FEE, 1n, E1]);
      // lists never promoted read as empty
      for (const id of [0n, 2n]) {
        const [a, m] = await market.list(1, id);
        expect([a, [...m]]).to.deep.equal([0n, []]);
      }
    });
  });

  describe("activation", () => {
    it("a list promoted on Monday of E0 serves from Thursday 2026-11-26 00:00:00, not at Wednesday 23:59:59", async () => {
      const { market, token, keeper, users, modelers } = await loadFixture(challengeFixture);
      await promoteAt(market, keeper, AT.e0Window, 1, addrs(modelers.slice(0, 5)));
      expect(await market.activeListId(1)).to.equal(0n);

      const accounts = [users[0].address];
      const before = await requestSnapshot(market, token, accounts);
      await time.setNextBlockTimestamp(AT.e0Last);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "MarketNoActiveList")
        .withArgs(1n, E0);
      expect(await requestSnapshot(market, token, accounts)).to.deep.equal(before);
      expect(before.count).to.equal(0n);
      expect(before.lists.active).to.equal(0n);

      const r = await requestAt(market, users[0], AT.e1Start);
      expect(r.key.listId).to.equal(1n);
      expect(r.createdAt).to.equal(AT.e1Start);
      expect(await market.activeListId(1)).to.equal(1n);
      expect(await token.balanceOf(users[0].address)).to.equal(before.balances[1] - FEE);
      // The request is recorded on list 1 in E1; unanswered, it is not an answered request.
      const figures = await market.epochFigures(1, E1);
      expect([figures.listId, figures.answeredRequests]).to.deep.equal([1n, 0n]);
    });

    it("list 2, promoted in E1's window, serves from Thursday 2026-12-03 00:00:00; list 1 until Wednesday 23:59:59", async () => {
      const { market, token, users, hosts, modelers, list2 } = await loadFixture(twoListsFixture);
      expect(await market.activeListId(1)).to.equal(1n);

      const r1 = await requestAt(market, users[0], AT.e1Last);
      expect(r1.key.listId).to.equal(1n);
      expect(await market.activeListId(1)).to.equal(1n);
      const r2 = await requestAt(market, users[1], AT.e2Start);
      expect(r2.key.listId).to.equal(2n);
      expect(await market.activeListId(1)).to.equal(2n);

      // list-2-only modeler modelers[5]: its host has no seat on list 1
      const watched = addrs([...modelers.slice(0, 7)]);
      const before = await requestSnapshot(market, token, watched);
      const states = async () => [...(await market.requestState(r1.id))];
      const stateBefore = await states();
      await expect(market.connect(hosts[5]).answer(r1.id, r1.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(modelers[0].address, hosts[5].address);
      await expect(market.connect(hosts[5]).answer(r1.id, r1.key, 5, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotListed")
        .withArgs(1n, 1n, 5n);
      await expect(market.connect(hosts[5]).answer(r1.id, { ...r1.key, listId: 2n }, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketRequestKeyMismatch")
        .withArgs(r1.id);
      // list-1-only modeler modelers[1]: index 1 of list 2 is modelers[6]
      await expect(market.connect(hosts[1]).answer(r2.id, r2.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(list2[1].address, hosts[1].address);
      await expect(market.connect(hosts[4]).answer(r2.id, r2.key, 3, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotListed")
        .withArgs(1n, 2n, 3n);
      expect(await requestSnapshot(market, token, watched)).to.deep.equal(before);
      expect(await states()).to.deep.equal(stateBefore);

      // the list-1 request is answered by a list-1 modeler, the list-2 request by a list-2 modeler
      await expect(market.connect(hosts[1]).answer(r1.id, r1.key, 1, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r1.id, 1n, modelers[1].address, E1, FEE, OUTPUT);
      await expect(market.connect(hosts[5]).answer(r2.id, r2.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r2.id, 1n, modelers[5].address, E2, FEE, OUTPUT);
      // modelers[0] sits on both lists, at index 0 of list 1 and index 2 of list 2
      await expect(market.connect(hosts[0]).answer(r2.id, r2.key, 2, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r2.id, 1n, modelers[0].address, E2, 0n, OUTPUT);
      expect(await market.pointsOf(1, modelers[5].address, E2)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(1n);
    });

    it("a list-1 request made at Wednesday 23:59:59 stays answerable by list-1 modelers for 600 s", async () => {
      const { market, users, hosts, modelers } = await loadFixture(twoListsFixture);
      const r1 = await requestAt(market, users[0], AT.e1Last);
      expect(r1.key.listId).to.equal(1n);
      expect(r1.deadline).to.equal(AT.e1Last + 600n);

      await time.setNextBlockTimestamp(AT.e1Last + 599n);
      await expect(market.connect(hosts[3]).answer(r1.id, r1.key, 3, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r1.id, 1n, modelers[3].address, E1, FEE, OUTPUT);
      expect(await market.activeListId(1)).to.equal(2n);
      await time.setNextBlockTimestamp(AT.e1Last + 600n);
      await expect(market.connect(hosts[4]).answer(r1.id, r1.key, 4, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r1.id, 1n, modelers[4].address, E1, 0n, OUTPUT);
      await time.setNextBlockTimestamp(AT.e1Last + 601n);
      await expect(market.connect(hosts[2]).answer(r1.id, r1.key, 2, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketDeadlinePassed")
        .withArgs(r1.id, AT.e1Last + 600n, AT.e1Last + 601n);
      expect(await market.pointsOf(1, modelers[3].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[4].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[2].address, E1)).to.equal(0n);
      expect((await market.epochFigures(1, E1)).points).to.equal(2n);
    });

    it("with activationDelay 2, a list promoted in E serves from E+2 and the previous list keeps serving in E+1", async () => {
      const { market, token, keeper, users, modelers, hosts } = await loadFixture(delayTwoFixture);
      expect((await market.settings()).activationDelay).to.equal(2n);
      const list1 = addrs(modelers.slice(0, 2));
      const list2 = addrs(modelers.slice(2, 4));
      const list3 = addrs(modelers.slice(4, 6));
      const list4 = addrs(modelers.slice(6, 7));

      await expect(promoteAt(market, keeper, AT.e0Window, 1, list1))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 1n, E0, E2, HASH, list1);
      expect((await market.challenge(1)).latestActivationEpoch).to.equal(E2);

      // E1: nothing serves yet, before and after list 2 is promoted
      const accounts = [users[0].address];
      const before = await requestSnapshot(market, token, accounts);
      await time.setNextBlockTimestamp(AT.e1Start);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "MarketNoActiveList")
        .withArgs(1n, E1);
      expect(await requestSnapshot(market, token, accounts)).to.deep.equal(before);

      await expect(promoteAt(market, keeper, AT.e1Window, 1, list2))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 2n, E1, E3, HASH, list2);
      expect(await market.activeListId(1)).to.equal(0n);
      await time.setNextBlockTimestamp(AT.e1Last);
      await expect(market.connect(users[0]).request(1, FEE, INPUT))
        .to.be.revertedWithCustomError(market, "MarketNoActiveList")
        .withArgs(1n, E1);
      expect(await market.requestCount()).to.equal(0n);

      // E2: list 1 serves while list 2 is pending
      const a = await requestAt(market, users[0], AT.e2Start);
      expect(a.key.listId).to.equal(1n);
      await expect(promoteAt(market, keeper, AT.e2Window, 1, list3))
        .to.emit(market, "ListPromoted")
        .withArgs(1n, 3n, E2, E4, HASH, list3);
      // two lists pending: the walk goes back from list 3 past list 2 to list 1
      const b = await requestAt(market, users[1], AT.e2Last);
      expect(b.key.listId).to.equal(1n);
      expect(await market.activeListId(1)).to.equal(1n);

      // E3: list 2 serves while list 3 is pending
      const c = await requestAt(market, users[2], AT.e3Start);
      expect(c.key.listId).to.equal(2n);
      // b still belongs to list 1: its modelers answer it inside the SLA, list 2's cannot
      await expect(market.connect(hosts[2]).answer(b.id, b.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(modelers[0].address, hosts[2].address);
      await expect(market.connect(hosts[0]).answer(b.id, b.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(b.id, 1n, modelers[0].address, E2, FEE, OUTPUT);
      await promoteAt(market, keeper, AT.e3Window, 1, list4);
      const d = await requestAt(market, users[3], AT.e3Last);
      expect(d.key.listId).to.equal(2n);

      // E4: list 3
      const e = await requestAt(market, users[4], AT.e4Start);
      expect(e.key.listId).to.equal(3n);
      await expect(market.connect(hosts[2]).answer(d.id, d.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(d.id, 1n, modelers[2].address, E3, FEE, OUTPUT);
      await expect(market.connect(hosts[4]).answer(e.id, e.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(e.id, 1n, modelers[4].address, E4, FEE, OUTPUT);
      expect(await market.activeListId(1)).to.equal(3n);
      const [activation3] = await market.list(1, 3);
      const [activation4] = await market.list(1, 4);
      expect([activation3, activation4]).to.deep.equal([E4, E4 + 1n]);
    });
  });
});
