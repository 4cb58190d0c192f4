import { expect } from "chai";
import { ethers } from "hardhat";
import { reset, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { utc } from "../../sdk/time";

/*
 * Several modelers over several epochs, with every token tracked by an independent model.
 *
 * Calendar: E1 = Thu 2026-11-26 .. Wed 2026-12-02 (list 1), E2 = Thu 2026-12-03 .. Wed 2026-12-09 and
 * E3 = Thu 2026-12-10 .. Wed 2026-12-16 (list 2, promoted on Mon 2026-11-30 23:59 in E1's window).
 * List 1 = [M0, M1, M2, M3, M4]; list 2 = [M5, M0, M3, M1, M6] (M2 and M4 dropped, M5 and M6 new).
 * M3 is slow (some answers after the 600 s SLA are refused), M4 never answers, M6 registers late in E2.
 * Users u0..u3 make requests; some are never answered and refunded; the challenge admin changes the fee
 * from 1 FEE to an odd amount in E2.
 *
 * The model below is plain bigint arithmetic over what the test did: per epoch the settled fees (fee of each
 * request with at least one answer in time), the points of each modeler, the three 5% shares (floor) and the
 * pool (the rest). A reward is the modeler's share of the pool floored, floor(pool * points / totalPoints),
 * whoever claims first; the dust the floors leave, pool - sum of the rewards, goes to the platform's share.
 * An epoch's totals are stored once (EpochFinalized): by an explicit finalize, or by its first reward claim or
 * platform fee claim; the model records which action did it and the test checks the event came exactly then.
 */

const E2 = E1 + 1n;
const E3 = E1 + 2n;
const EPOCHS = [E1, E2, E3];
const BPS = 10_000n;
const SHARE_BPS = 500n;
const Kind = { Creator: 0, Admin: 1, Platform: 2 } as const;
const KINDS = [Kind.Creator, Kind.Admin, Kind.Platform];
const FEE2 = 1_234_567_891_234_567_891n; // the fee from Fri 2026-12-04 12:00: odd, so every split rounds
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:640"));
const at = (iso: string) => utc(iso);

interface ModelRequest {
  id: bigint;
  fee: bigint;
  epoch: bigint;
  requester: string;
  answeredBy: Set<string>;
  refunded: boolean;
}

interface ModelEpoch {
  requests: bigint;
  /** Requests with at least one answer in time: the eviction base. */
  answered: bigint;
  listId: bigint;
  settled: bigint;
  points: Map<string, bigint>;
  totalPoints: bigint;
  rewardsPaid: bigint;
  rewardClaimed: Set<string>;
  feesClaimed: Set<number>;
  finalized: boolean;
}

/** The money of the scenario, computed from the actions alone. */
class Model {
  fee = FEE;
  readonly requests = new Map<bigint, ModelRequest>();
  readonly epochs = new Map<bigint, ModelEpoch>();
  paidIn = 0n;
  refunds = 0n;
  rewardsOut = 0n;
  feesOut = 0n;

  epoch(e: bigint): ModelEpoch {
    let m = this.epochs.get(e);
    if (!m) {
      m = {
        requests: 0n,
        answered: 0n,
        listId: 0n,
        settled: 0n,
        points: new Map(),
        totalPoints: 0n,
        rewardsPaid: 0n,
        rewardClaimed: new Set(),
        feesClaimed: new Set(),
        finalized: false,
      };
      this.epochs.set(e, m);
    }
    return m;
  }

  made(id: bigint, requester: string, createdAt: bigint, listId: bigint) {
    const epoch = createdAt / TIME.epochLength;
    this.requests.set(id, { id, fee: this.fee, epoch, requester, answeredBy: new Set(), refunded: false });
    this.epoch(epoch).requests += 1n;
    this.epoch(epoch).listId = listId;
    this.paidIn += this.fee;
  }

  /** Records an answer in time; returns the fee it settles (the first answer's) or 0. */
  answered(id: bigint, modeler: string): bigint {
    const r = this.requests.get(id)!;
    const e = this.epoch(r.epoch);
    const settles = r.answeredBy.size === 0 ? r.fee : 0n;
    e.settled += settles;
    if (r.answeredBy.size === 0) e.answered += 1n;
    r.answeredBy.add(modeler);
    e.points.set(modeler, (e.points.get(modeler) ?? 0n) + 1n);
    e.totalPoints += 1n;
    return settles;
  }

  refunded(id: bigint) {
    const r = this.requests.get(id)!;
    r.refunded = true;
    this.refunds += r.fee;
  }

  points(e: bigint, modeler: string) {
    return this.epoch(e).points.get(modeler) ?? 0n;
  }

  share(e: bigint) {
    return (this.epoch(e).settled * SHARE_BPS) / BPS;
  }

  pool(e: bigint) {
    return this.epoch(e).settled - 3n * this.share(e);
  }

  /** The floored share of the pool `points` earn in `e`. */
  floor(e: bigint, points: bigint) {
    const total = this.epoch(e).totalPoints;
    return total === 0n ? 0n : (this.pool(e) * points) / total;
  }

  /** What `modeler`'s claim for `e` pays (0 once claimed or without points). */
  reward(e: bigint, modeler: string) {
    const p = this.points(e, modeler);
    if (p === 0n || this.epoch(e).rewardClaimed.has(modeler)) return 0n;
    return this.floor(e, p);
  }

  /** The pool units the floored rewards of every modeler with points leave. */
  dust(e: bigint) {
    let rewards = 0n;
    for (const p of this.epoch(e).points.values()) rewards += this.floor(e, p);
    return this.pool(e) - rewards;
  }

  /** A fee share of `e` for `kind`: the platform's takes the dust. */
  feeShare(e: bigint, kind: number) {
    return kind === Kind.Platform ? this.share(e) + this.dust(e) : this.share(e);
  }

  /** Marks `e` finalized; true if this action is the one that finalizes it. */
  finalize(e: bigint) {
    const m = this.epoch(e);
    const first = !m.finalized;
    m.finalized = true;
    return first;
  }

  claimReward(e: bigint, modeler: string) {
    const amount = this.reward(e, modeler);
    const m = this.epoch(e);
    m.rewardsPaid += amount;
    m.rewardClaimed.add(modeler);
    this.rewardsOut += amount;
    return amount;
  }

  claimFee(e: bigint, kind: number) {
    const amount = this.feeShare(e, kind);
    this.epoch(e).feesClaimed.add(kind);
    this.feesOut += amount;
    return amount;
  }

  escrowed() {
    let sum = 0n;
    for (const r of this.requests.values()) if (r.answeredBy.size === 0 && !r.refunded) sum += r.fee;
    return sum;
  }

  /** The rewards not yet claimed: the pools less the rewards paid and less the dust, which is the platform's. */
  unclaimedPools() {
    let sum = 0n;
    for (const [e, m] of this.epochs) {
      for (const [modeler, p] of m.points) if (!m.rewardClaimed.has(modeler)) sum += this.floor(e, p);
    }
    return sum;
  }

  /** The fee shares not yet claimed, the platform's with the dust. */
  unclaimedShares() {
    let sum = 0n;
    for (const [e, m] of this.epochs) for (const k of KINDS) if (!m.feesClaimed.has(k)) sum += this.feeShare(e, k);
    return sum;
  }

  /** The market's balance: escrowed fees + unclaimed pools + unclaimed fee shares (with the dust). */
  balance() {
    return this.escrowed() + this.unclaimedPools() + this.unclaimedShares();
  }
}

describe("InferenceMarket scenario: five modelers, four users, three epochs, two lists, a fee change", function () {
  let f: Awaited<ReturnType<typeof activeFixture>>;
  let M: HardhatEthersSigner[]; // M0..M6 = modelers[0..6]
  let U: HardhatEthersSigner[]; // u0..u3
  let marketAddress: string;
  const model = new Model();
  const lists = new Map<bigint, string[]>();
  const hostOf = new Map<string, HardhatEthersSigner>();
  const reqs: Record<string, Awaited<ReturnType<typeof requestOf>>> = {};
  const startBalances = new Map<string, bigint>();
  const received = new Map<string, bigint>(); // what each payee got from claims, measured on the token

  async function balanceOf(a: { address: string } | string) {
    return f.token.balanceOf(typeof a === "string" ? a : a.address);
  }

  /** `user` requests at exactly `t`, paying the model's current fee. */
  async function request(name: string, user: HardhatEthersSigner, t: bigint) {
    const before = await balanceOf(user);
    await time.setNextBlockTimestamp(t);
    const r = await requestOf(f.market, await f.market.connect(user).request(1, model.fee, INPUT));
    expect(r.createdAt).to.equal(t);
    expect(r.key.fee).to.equal(model.fee);
    expect(before - (await balanceOf(user))).to.equal(model.fee);
    model.made(r.id, user.address, t, BigInt(r.key.listId));
    reqs[name] = r;
    return r;
  }

  function indexIn(name: string, modeler: HardhatEthersSigner) {
    const index = lists.get(BigInt(reqs[name].key.listId))!.indexOf(modeler.address);
    expect(index, "modeler on the request's list").to.be.greaterThanOrEqual(0);
    return index;
  }

  /** `modeler`'s host answers request `name` at exactly `t`, in time. */
  async function answer(name: string, modeler: HardhatEthersSigner, t: bigint) {
    const r = reqs[name];
    const index = indexIn(name, modeler);
    const epoch = model.requests.get(r.id)!.epoch;
    await time.setNextBlockTimestamp(t);
    const tx = f.market.connect(hostOf.get(modeler.address)!).answer(r.id, r.key, index, OUTPUT);
    const settles = model.answered(r.id, modeler.address);
    await expect(tx).to.emit(f.market, "RequestAnswered").withArgs(r.id, 1, modeler.address, epoch, settles, OUTPUT);
  }

  /** `modeler`'s host answers request `name` at `t`, after the SLA: refused, nothing counted. */
  async function late(name: string, modeler: HardhatEthersSigner, t: bigint) {
    const r = reqs[name];
    expect(t).to.be.greaterThan(r.deadline);
    const mask = (await f.market.requestState(r.id)).answeredMask;
    await time.setNextBlockTimestamp(t);
    await expect(f.market.connect(hostOf.get(modeler.address)!).answer(r.id, r.key, indexIn(name, modeler), OUTPUT))
      .to.be.revertedWithCustomError(f.market, "MarketDeadlinePassed")
      .withArgs(r.id, r.deadline, t);
    expect((await f.market.requestState(r.id)).answeredMask).to.equal(mask);
  }

  async function refund(name: string, sender: HardhatEthersSigner, t: bigint) {
    const r = reqs[name];
    const fee = model.requests.get(r.id)!.fee;
    const requester = U.find((u) => u.address === r.key.requester)!;
    await time.setNextBlockTimestamp(t);
    const tx = f.market.connect(sender).refund(r.id, r.key);
    await expect(tx).to.emit(f.market, "RequestRefunded").withArgs(r.id, 1, requester.address, fee);
    await expect(tx).to.changeTokenBalances(
      f.token,
      sender === requester ? [requester, f.market] : [requester, sender, f.market],
      sender === requester ? [fee, -fee] : [fee, 0n, -fee],
    );
    model.refunded(r.id);
  }

  /** The EpochFinalized events of `tx`, as [challengeId, epoch, listId, points, rewardDust]. */
  async function finalizedBy(tx: Promise<ContractTransactionResponse>) {
    const receipt = await (await tx).wait();
    return receipt!.logs
      .map((l) => f.market.interface.parseLog(l))
      .filter((e) => e?.name === "EpochFinalized")
      .map((e) => [...e!.args]);
  }

  /** The EpochFinalized event the model expects for `e`. */
  function finalizedEvent(e: bigint) {
    const m = model.epoch(e);
    return [1n, e, m.listId, m.totalPoints, model.dust(e)];
  }

  /** Claims `modeler`'s rewards for `epochs` (sent by `sender`) and checks the payout against the model. */
  async function claimRewards(modeler: HardhatEthersSigner, epochs: bigint[], sender: HardhatEthersSigner) {
    const expected = epochs.map((e) => model.reward(e, modeler.address));
    for (const [i, e] of epochs.entries()) {
      expect(await f.market.claimableReward(1, modeler.address, e)).to.equal(expected[i]);
    }
    const sum = expected.reduce((a, b) => a + b, 0n);
    const before = await balanceOf(modeler);
    const tx = f.market.connect(sender).claimRewards(1, modeler.address, epochs);
    // The claim finalizes each epoch nobody finalized yet, and only those.
    const finalizing = epochs.filter((e) => !model.epoch(e).finalized).map(finalizedEvent);
    await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1, modeler.address, epochs, sum);
    for (const e of epochs) {
      model.finalize(e);
      model.claimReward(e, modeler.address);
    }
    expect(await finalizedBy(tx)).to.deep.equal(finalizing);
    const got = (await balanceOf(modeler)) - before;
    expect(got).to.equal(sum);
    received.set(modeler.address, (received.get(modeler.address) ?? 0n) + got);
    for (const e of epochs) expect(await f.market.claimableReward(1, modeler.address, e)).to.equal(0);
  }

  async function claimFees(kind: number, epochs: bigint[], sender: HardhatEthersSigner) {
    const recipient = [f.creator, f.challengeAdmin, f.treasury][kind];
    const expected = epochs.map((e) => model.feeShare(e, kind));
    const before = await balanceOf(recipient);
    const tx = f.market.connect(sender).claimFees(1, kind, epochs);
    // Only the platform's claim needs the totals (its share takes the dust): it finalizes, the others never do.
    const finalizing =
      kind === Kind.Platform ? epochs.filter((e) => !model.epoch(e).finalized).map(finalizedEvent) : [];
    for (const [i, e] of epochs.entries()) {
      await expect(tx).to.emit(f.market, "FeesClaimed").withArgs(1, recipient.address, e, kind, expected[i]);
      if (kind === Kind.Platform) model.finalize(e);
      model.claimFee(e, kind);
    }
    expect(await finalizedBy(tx)).to.deep.equal(finalizing);
    const got = (await balanceOf(recipient)) - before;
    expect(got).to.equal(expected.reduce((a, b) => a + b, 0n));
    received.set(recipient.address, (received.get(recipient.address) ?? 0n) + got);
    for (const e of epochs) expect(await f.market.claimableFees(1, kind, e)).to.equal(0);
  }

  /** The market's balance and figures against the model. */
  async function checkpoint(label: string) {
    expect(await balanceOf(marketAddress), `${label}: market balance`).to.equal(model.balance());
    for (const e of EPOCHS) {
      const m = model.epoch(e);
      const figures = await f.market.epochFigures(1, e);
      expect(figures.answeredRequests, `${label}: answered requests of ${e}`).to.equal(m.answered);
      expect(figures.settledFees, `${label}: settled fees of ${e}`).to.equal(m.settled);
      expect(figures.points, `${label}: points of ${e}`).to.equal(m.totalPoints);
      expect(figures.pool, `${label}: pool of ${e}`).to.equal(model.pool(e));
      expect(figures.rewardDust, `${label}: dust of ${e}`).to.equal(model.dust(e));
      expect(figures.platformShare, `${label}: platform share of ${e}`).to.equal(model.feeShare(e, Kind.Platform));
      expect(figures.listId, `${label}: list of ${e}`).to.equal(m.listId);
      expect(figures.finalized, `${label}: ${e} finalized`).to.equal(m.finalized);
      for (const modeler of M) {
        expect(await f.market.pointsOf(1, modeler.address, e), `${label}: points of a modeler in ${e}`).to.equal(
          model.points(e, modeler.address),
        );
        expect(await f.market.claimableReward(1, modeler.address, e)).to.equal(model.reward(e, modeler.address));
      }
      for (const k of KINDS) {
        expect(await f.market.claimableFees(1, k, e)).to.equal(m.feesClaimed.has(k) ? 0n : model.feeShare(e, k));
      }
    }
  }

  before(async function () {
    await reset();
    f = await activeFixture(); // list 1 = modelers[0..4], now Thu 2026-11-26 00:00:00
    M = f.modelers.slice(0, 7);
    U = f.users.slice(0, 4);
    marketAddress = await f.market.getAddress();
    lists.set(
      1n,
      M.slice(0, 5).map((m) => m.address),
    );
    for (let i = 0; i < 7; i++) hostOf.set(M[i].address, f.hosts[i]);
    for (const a of [...U, ...M, f.creator, f.challengeAdmin, f.treasury, f.stranger]) {
      startBalances.set(a.address, await balanceOf(a));
    }
    expect(await balanceOf(marketAddress)).to.equal(0);
  });

  after(async function () {
    await reset();
  });

  it("E1 (list 1): five modelers, the slow one refused after 600 s, M4 silent, an unanswered request refunded", async function () {
    const [M0, M1, M2, M3, M4] = M;
    const [u0, u1, u2, u3] = U;
    expect(await f.market.activeListId(1)).to.equal(1);

    const t1 = at("2026-11-26T01:00:00Z");
    await request("r1", u0, t1);
    await answer("r1", M0, t1 + 10n);
    await answer("r1", M1, t1 + 20n);
    await answer("r1", M2, t1 + 30n);
    await late("r1", M3, t1 + 601n);

    const t2 = at("2026-11-26T02:00:00Z");
    await request("r2", u1, t2);
    await answer("r2", M0, t2 + 5n);
    await answer("r2", M3, t2 + 600n); // the slow one, on the last second
    await late("r2", M1, t2 + 601n);

    const t3 = at("2026-11-26T03:00:00Z");
    await request("r3", u2, t3);
    await refund("r3", f.stranger, t3 + 601n);

    const t4 = at("2026-11-27T09:00:00Z");
    await request("r4", u3, t4);
    await answer("r4", M2, t4 + 50n);
    await late("r4", M3, t4 + 700n);

    const t5 = at("2026-11-28T12:00:00Z");
    await request("r5", u0, t5);
    await answer("r5", M0, t5 + 1n);
    await answer("r5", M1, t5 + 2n);
    await answer("r5", M2, t5 + 3n);
    await answer("r5", M3, t5 + 599n);

    // Monday 2026-11-30 23:59:00: list 2 promoted, serving from E2; M5 opts in on Tuesday.
    const list2 = [M[5], M0, M3, M1, M[6]].map((m) => m.address);
    await time.setNextBlockTimestamp(DATES.e1Window);
    await expect(f.market.connect(f.keeper).promote(1, list2, ethers.id("leaderboard-e1")))
      .to.emit(f.market, "ListPromoted")
      .withArgs(1, 2, E1, E2, ethers.id("leaderboard-e1"), list2);
    lists.set(2n, list2);
    await time.setNextBlockTimestamp(at("2026-12-01T10:00:00Z"));
    await f.market.connect(M[5]).register(1, f.hosts[5].address);

    // Made in E1's last minutes, answered after the epoch rolled: still E1's.
    const t6 = at("2026-12-02T23:55:00Z");
    await request("r6", u1, t6);
    expect(reqs.r6.key.listId).to.equal(1);
    await answer("r6", M1, at("2026-12-03T00:04:00Z"));
    await answer("r6", M0, t6 + 600n);
    await late("r6", M3, t6 + 601n);

    expect(model.points(E1, M4.address)).to.equal(0);
    expect(model.epoch(E1).requests).to.equal(6n);
    expect(model.epoch(E1).answered).to.equal(5n); // r3, refunded, never counts
  });

  it("checkpoint after E1: balance = escrow + unclaimed pools + unclaimed shares, figures match", async function () {
    await time.increaseTo(at("2026-12-03T00:10:00Z")); // E1 final
    const e1 = model.epoch(E1);
    expect(e1.settled).to.equal(5n * FEE); // r1, r2, r4, r5, r6
    expect(e1.totalPoints).to.equal(12n); // M0 4, M1 3, M2 3, M3 2, M4 0
    // Pool 5 FEE - 3 * 0.25 FEE = 4.25 FEE: 17/12, 12.75/12 (twice) and 8.5/12 FEE floor to ...666, 1.0625 FEE
    // and ...333, one unit short of the pool.
    expect(model.floor(E1, 4n)).to.equal(1_416_666_666_666_666_666n);
    expect(model.floor(E1, 2n)).to.equal(708_333_333_333_333_333n);
    expect(model.dust(E1)).to.equal(1n);
    expect(model.escrowed()).to.equal(0n);
    await checkpoint("after E1");
  });

  it("E2 (list 2): E1 claims partly paid, fee changed by the admin, a late registration, a request left expired", async function () {
    const [M0, M1, , M3, , M5, M6] = M;
    const [u0, u1, u2, u3] = U;
    expect(await f.market.activeListId(1)).to.equal(2);

    const t7 = at("2026-12-03T01:00:00Z");
    await request("r7", u2, t7);
    expect(reqs.r7.key.listId).to.equal(2);
    await answer("r7", M5, t7 + 10n);
    await answer("r7", M0, t7 + 20n);
    await answer("r7", M1, t7 + 30n);
    await late("r7", M3, t7 + 650n);

    // Friday 2026-12-04 00:00: E1's claims open; M0 (sent by a stranger) and the creator claim.
    await time.setNextBlockTimestamp(DATES.e1ClaimsOpen);
    await claimRewards(M0, [E1], f.stranger);
    await claimFees(Kind.Creator, [E1], f.creator);
    await checkpoint("E1 partly claimed");

    await time.setNextBlockTimestamp(at("2026-12-04T12:00:00Z"));
    await expect(f.market.connect(f.challengeAdmin).setFee(1, FEE2))
      .to.emit(f.market, "ChallengeFeeChanged")
      .withArgs(1, FEE, FEE2);
    model.fee = FEE2;

    const t8 = at("2026-12-05T08:00:00Z");
    await request("r8", u3, t8);
    await answer("r8", M0, t8 + 30n);
    await answer("r8", M3, t8 + 590n);

    const t9 = at("2026-12-05T09:00:00Z");
    await request("r9", u0, t9); // nobody answers; refunded only at the very end

    // M6 is on list 2 but opts in only on Sunday 10:00: a request made before is not open to it.
    const t10 = at("2026-12-06T09:59:00Z");
    await request("r10", u1, t10);
    await time.setNextBlockTimestamp(at("2026-12-06T10:00:00Z"));
    await f.market.connect(M6).register(1, f.hosts[6].address);
    await time.setNextBlockTimestamp(at("2026-12-06T10:00:10Z"));
    await expect(f.market.connect(f.hosts[6]).answer(reqs.r10.id, reqs.r10.key, indexIn("r10", M6), OUTPUT))
      .to.be.revertedWithCustomError(f.market, "MarketModelerNotOptedIn")
      .withArgs(M6.address, t10, at("2026-12-06T10:00:00Z"));
    await answer("r10", M5, at("2026-12-06T10:00:20Z"));
    await answer("r10", M1, at("2026-12-06T10:00:30Z"));

    const t11 = at("2026-12-06T12:00:00Z");
    await request("r11", u3, t11);
    await answer("r11", M6, t11 + 1n);
    await answer("r11", M5, t11 + 2n);
    await answer("r11", M0, t11 + 3n);
    await answer("r11", M1, t11 + 4n);
    await answer("r11", M3, t11 + 600n);

    const t12 = at("2026-12-08T15:00:00Z");
    await request("r12", u2, t12);
    await answer("r12", M1, t12 + 60n);
    await late("r12", M3, t12 + 601n);
  });

  it("checkpoint after E2, finalized by the keeper at its final time: the expired request r9 is still escrowed", async function () {
    const e2FinalAt = at("2026-12-10T00:10:00Z");
    await time.increaseTo(e2FinalAt - 1n);
    const e2 = model.epoch(E2);
    expect(e2.settled).to.equal(FEE + 4n * FEE2); // r7 at the old fee, r8, r10, r11, r12 at the new one
    expect(e2.requests).to.equal(6n);
    expect(e2.answered).to.equal(5n); // r9, left expired, does not count
    expect(e2.totalPoints).to.equal(13n); // M0 3, M1 4, M3 2, M5 3, M6 1
    // Pool 5_047_530_830_197_530_830 over 3, 4, 2, 3, 1 of 13 floors to rewards 4 units short of it.
    expect(model.dust(E2)).to.equal(4n);
    expect(model.escrowed()).to.equal(FEE2);
    expect((await f.market.requestState(reqs.r9.id)).status).to.equal(3); // Expired
    await checkpoint("after E2, before its finalization");
    await time.setNextBlockTimestamp(e2FinalAt);
    const tx = f.market.connect(f.keeper).finalize(1, E2);
    await expect(tx)
      .to.emit(f.market, "EpochFinalized")
      .withArgs(...finalizedEvent(E2));
    expect(model.finalize(E2)).to.equal(true);
    await checkpoint("after E2's finalization");
  });

  it("E3 (list 2 still): answers, a refund, a slow answer refused; E2's claims open on Fri 2026-12-11", async function () {
    const [M0, M1, , M3, , M5] = M;
    const [u0, u1, , u3] = U;
    expect(await f.market.activeListId(1)).to.equal(2);

    const t13 = at("2026-12-10T02:00:00Z");
    await request("r13", u0, t13);
    await answer("r13", M0, t13 + 10n);
    await answer("r13", M5, t13 + 20n);

    const t14 = at("2026-12-10T03:00:00Z");
    await request("r14", u3, t14);
    await refund("r14", u3, t14 + 3_600n);

    // Friday 2026-12-11 00:00: E2's claims open. M1 claims E1 and E2 at once; the admin likewise.
    await time.setNextBlockTimestamp(at("2026-12-11T00:00:00Z"));
    await claimRewards(M1, [E1, E2], M1);
    await claimFees(Kind.Admin, [E1, E2], f.stranger);
    await checkpoint("E1 and E2 partly claimed");

    const t15 = at("2026-12-11T14:00:00Z");
    await request("r15", u1, t15);
    await answer("r15", M1, t15 + 100n);
    await late("r15", M3, t15 + 601n);
  });

  it("checkpoint after E3", async function () {
    await time.increaseTo(at("2026-12-17T00:10:00Z")); // E3 final
    const e3 = model.epoch(E3);
    expect(e3.settled).to.equal(2n * FEE2);
    expect(e3.requests).to.equal(3n);
    expect(e3.answered).to.equal(2n); // r14 refunded
    // Pool 2_098_765_415_098_765_415 in thirds (M0, M5, M1): 2 units of dust.
    expect(model.dust(E3)).to.equal(2n);
    await checkpoint("after E3");
  });

  it("after E3's claims open, every reward and fee share is paid to the unit, the last refund too", async function () {
    const [M0, M1, M2, M3, M4, M5, M6] = M;
    await time.increaseTo(at("2026-12-18T00:00:00Z")); // E3's claims open

    // M4 never answered: nothing to claim in any epoch.
    for (const e of EPOCHS) {
      await expect(f.market.connect(M4).claimRewards(1, M4.address, [e]))
        .to.be.revertedWithCustomError(f.market, "MarketNothingToClaim")
        .withArgs(1, M4.address, e);
    }
    await claimRewards(M3, [E1, E2], f.stranger);
    await checkpoint("M3 claimed");
    await claimRewards(M6, [E2], M6);
    // Nobody finalized E3 yet: the platform's claim does, before any modeler's.
    expect(model.epoch(E3).finalized).to.equal(false);
    await claimFees(Kind.Platform, [E1, E2, E3], f.stranger);
    await checkpoint("platform claimed");
    await claimRewards(M0, [E2, E3], M0);
    await claimRewards(M2, [E1], f.stranger);
    await claimRewards(M5, [E2, E3], f.stranger);
    await claimRewards(M1, [E3], M1);
    await claimFees(Kind.Creator, [E2, E3], f.creator);
    await claimFees(Kind.Admin, [E3], f.challengeAdmin);
    await checkpoint("every claim made");
    expect(await balanceOf(marketAddress)).to.equal(model.escrowed());
    expect(model.escrowed()).to.equal(FEE2);
    await refund("r9", f.stranger, at("2026-12-18T00:30:00Z"));

    // Every pool was paid out exactly, the rewards and the platform's dust; nothing is left to claim.
    for (const e of EPOCHS) {
      const m = model.epoch(e);
      expect(m.rewardsPaid + model.dust(e), `pool of ${e}`).to.equal(model.pool(e));
      expect(m.rewardClaimed.size).to.equal(m.points.size);
      expect(m.finalized).to.equal(true);
      for (const modeler of M) expect(await f.market.claimableReward(1, modeler.address, e)).to.equal(0);
      for (const k of KINDS) expect(await f.market.claimableFees(1, k, e)).to.equal(0);
    }
  });

  it("at the end the market holds 0 and users paid in exactly what was paid out", async function () {
    await checkpoint("end");
    expect(await balanceOf(marketAddress)).to.equal(0);
    expect(model.balance()).to.equal(0);

    // Paid in: the fees of all 15 requests. Paid out: modelers + creator + admin + treasury + refunds.
    expect(model.requests.size).to.equal(15);
    const fees = [...model.requests.values()].reduce((a, r) => a + r.fee, 0n);
    expect(model.paidIn).to.equal(fees);
    let usersIn = 0n;
    for (const u of U) usersIn += startBalances.get(u.address)! - (await balanceOf(u));
    expect(usersIn).to.equal(model.paidIn - model.refunds);
    expect(model.refunds).to.equal(FEE + FEE2 + FEE2); // r3, r9, r14

    let payeesGot = 0n;
    for (const a of [...M, f.creator, f.challengeAdmin, f.treasury]) {
      const gained = (await balanceOf(a)) - startBalances.get(a.address)!;
      expect(gained, "every gain came from a checked claim").to.equal(received.get(a.address) ?? 0n);
      payeesGot += gained;
    }
    expect(await balanceOf(f.stranger)).to.equal(startBalances.get(f.stranger.address));
    expect(payeesGot).to.equal(model.rewardsOut + model.feesOut);
    expect(model.paidIn).to.equal(payeesGot + model.refunds);
    expect(model.rewardsOut + model.feesOut).to.equal(EPOCHS.reduce((a, e) => a + model.epoch(e).settled, 0n));

    // Who earned what: M4 nothing; M2 only from list 1 (E1); M6 only after opting in (E2's r11).
    expect(received.get(M[4].address) ?? 0n).to.equal(0);
    expect(model.points(E2, M[6].address)).to.equal(1n);
    expect(model.points(E2, M[2].address) + model.points(E3, M[2].address)).to.equal(0n);
    // Each fee recipient got floor(settled * 5%) per epoch, and the treasury the dust too: 1 + 4 + 2 units.
    const sharesSum = EPOCHS.reduce((a, e) => a + (model.epoch(e).settled * SHARE_BPS) / BPS, 0n);
    for (const r of [f.creator, f.challengeAdmin]) expect(received.get(r.address)).to.equal(sharesSum);
    expect(received.get(f.treasury.address)).to.equal(sharesSum + 7n);
  });
});
