import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, TransactionReceipt } from "ethers";
import { activeFixture, challengeFixture, inOneBlock, requestOf, DATES, E1, FEE, TIME, Status } from "../fixtures";
import type { RequestKey } from "../fixtures";
import type { IInferenceMarket } from "../../typechain-types/contracts/InferenceMarket";
import type { InferenceMarket, TestToken } from "../../typechain-types";

/*
 * answerBatch takes the entries that are valid when it is mined and skips the others, saying which and why:
 * AnswerSkipped(requestId, index, reason) per skipped entry, and a return value with, per entry, empty bytes if
 * it landed or the ABI-encoded custom error that `answer` would have reverted with. A batch that lands nothing
 * reverts MarketBatchAnsweredNothing(reasons); an empty one MarketEmptyBatch.
 */

const E2 = E1 + 1n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));
const out = (i: number) => ethers.hexlify(ethers.toUtf8Bytes(`score:${700 + i}`));
const GAS = { gasLimit: 2_000_000 };

type Req = Awaited<ReturnType<typeof requestOf>>;
type Entry = IInferenceMarket.AnswerStruct;
type Planned = { entry: Entry; reason: string };

function entry(r: Req, index: number, output = OUTPUT, key: RequestKey = r.key, requestId = r.id): Entry {
  return { requestId, key, index: BigInt(index), output };
}

/** The revert data `answer` would give: a custom error of the market, ABI-encoded. */
function reasonOf(market: InferenceMarket, name: string, args: unknown[]): string {
  return market.interface.encodeErrorResult(name, args);
}

/** The AnswerSkipped events of a receipt, in log order. */
function skippedIn(market: InferenceMarket, receipt: TransactionReceipt | ContractTransactionReceipt | null) {
  const skipped: [bigint, bigint, string][] = [];
  for (const log of receipt!.logs) {
    const parsed = market.interface.parseLog(log);
    if (parsed?.name === "AnswerSkipped") skipped.push([parsed.args.requestId, parsed.args.index, parsed.args.reason]);
  }
  return skipped;
}

/** How many RequestAnswered events a receipt holds. */
function answersIn(market: InferenceMarket, receipt: TransactionReceipt | ContractTransactionReceipt | null) {
  return receipt!.logs.filter((l) => market.interface.parseLog(l)?.name === "RequestAnswered").length;
}

/**
 * Everything a reverted batch must leave untouched: points, figures, requests, balances. A request's status is
 * left out because Open turns into Expired with the clock alone; its createdAt, deadline and answered mask stay.
 */
async function snapshot(market: InferenceMarket, token: TestToken, modelers: string[], ids: bigint[]) {
  const points = [];
  for (const m of modelers) for (const e of [E1, E2]) points.push(await market.pointsOf(1, m, e));
  const figures = await Promise.all([E1, E2].map(async (e) => [...(await market.epochFigures(1, e))]));
  const states = [];
  for (const id of ids) states.push([...(await market.requestState(id))].slice(1));
  const balance = await token.balanceOf(await market.getAddress());
  return { points, figures, states, balance, count: await market.requestCount() };
}

/** Three open requests by users[0..2] in E1; modelers[1] moved to hosts[0], which now hosts two modelers. */
async function batchFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.modelers[1]).setHost(1, f.hosts[0].address);
  const rs: Req[] = [];
  for (let i = 0; i < 3; i++)
    rs.push(await requestOf(f.market, await f.market.connect(f.users[i]).request(1, FEE, INPUT)));
  return { ...f, rs, addrs: f.listed.map((m) => m.address) };
}

/*
 * skipsFixture: one host, hosts[0], and every reason an entry of its batch can be skipped for.
 * List 1 = [M0, M1, M2, M3, M4, U, L] serves from E1; hosts[0] answers for M0 and M1 (moved to it), hosts[2]
 * for M2; U never registers; L registers with hosts[0] during E2. In E1 one request is answered by M0 alone, so
 * M1 (0 of 1 answered requests) is evicted when E1 is final, Thu 2026-12-03 00:10. Then in E2, from X = 01:00:
 *   X          refunded made (refunded at X + 601)
 *   X + 1000   late made, due X + 1600: the batch at X + 1601 is one second too late for it
 *   X + 1002   early made, before L opts in; due X + 1602, so a batch one second later still reaches it
 *   X + 1003   L registers with hosts[0]
 *   X + 1004   done made, answered for M0 at X + 1005
 *   X + 1006   open made
 */
const X = DATES.e2Start + 3_600n;
const AT = {
  refundedMade: X,
  refunded: X + 601n,
  lateMade: X + 1_000n,
  earlyMade: X + 1_002n,
  registration: X + 1_003n,
  doneMade: X + 1_004n,
  doneAnswered: X + 1_005n,
  openMade: X + 1_006n,
  batch: X + 1_601n,
};

async function skipsFixture() {
  const f = await loadFixture(challengeFixture);
  const [M0, M1, M2, M3, M4, U, L] = f.modelers;
  const host = f.hosts[0];
  const made = async (user: number, at: bigint) => {
    await time.setNextBlockTimestamp(at);
    return requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, INPUT));
  };
  await f.market.connect(M1).setHost(1, host.address);
  await time.increaseTo(DATES.e0Window);
  const list = [M0, M1, M2, M3, M4, U, L].map((m) => m.address);
  await f.market.connect(f.keeper).promote(1, list, ethers.id("seven"));

  const q = await made(4, DATES.e1Start + 3_600n);
  await f.market.connect(host).answer(q.id, q.key, 0, OUTPUT);
  await time.setNextBlockTimestamp(DATES.e2Start + TIME.sla);
  await expect(f.market.connect(f.stranger).evict(1, E1, 1, 1))
    .to.emit(f.market, "ModelerEvicted")
    .withArgs(1, M1.address, E1, 0, 1);

  const refunded = await made(0, AT.refundedMade);
  await time.setNextBlockTimestamp(AT.refunded);
  await f.market.connect(f.stranger).refund(refunded.id, refunded.key);
  const late = await made(1, AT.lateMade);
  const early = await made(2, AT.earlyMade);
  await time.setNextBlockTimestamp(AT.registration);
  await f.market.connect(L).register(1, host.address);
  const done = await made(3, AT.doneMade);
  await time.setNextBlockTimestamp(AT.doneAnswered);
  await f.market.connect(host).answer(done.id, done.key, 0, OUTPUT);
  const open = await made(0, AT.openMade);
  const ids = [q, refunded, late, early, done, open].map((r) => r.id);
  return { ...f, host, M0, M1, M2, U, L, q, refunded, late, early, done, open, ids, addrs: list };
}
type SkipsFixture = Awaited<ReturnType<typeof skipsFixture>>;

/**
 * A batch of hosts[0] at time `at` mixing three valid entries with one of each reason to skip, the last of
 * them a repeat of the first entry. `reason` is "0x" for an entry that lands.
 */
function mixedBatch(f: SkipsFixture, at: bigint): Planned[] {
  const { market, host, M0, M1, M2, U, L } = f;
  const unknownId = 7n;
  const first = entry(f.open, 0, out(0));
  return [
    { entry: first, reason: "0x" },
    {
      entry: entry(f.open, 0, out(1), f.open.key, unknownId),
      reason: reasonOf(market, "MarketUnknownRequest", [unknownId]),
    },
    { entry: entry(f.refunded, 0), reason: reasonOf(market, "MarketRequestRefunded", [f.refunded.id]) },
    {
      entry: entry(f.early, 0, OUTPUT, { ...f.early.key, fee: FEE - 1n }),
      reason: reasonOf(market, "MarketRequestKeyMismatch", [f.early.id]),
    },
    { entry: entry(f.late, 0), reason: reasonOf(market, "MarketDeadlinePassed", [f.late.id, f.late.deadline, at]) },
    { entry: entry(f.open, 7), reason: reasonOf(market, "MarketNotListed", [1, 1, 7]) },
    { entry: entry(f.done, 0), reason: reasonOf(market, "MarketAlreadyAnswered", [f.done.id, M0.address]) },
    { entry: entry(f.open, 2), reason: reasonOf(market, "MarketNotHost", [M2.address, host.address]) },
    { entry: entry(f.open, 5), reason: reasonOf(market, "MarketModelerNotRegistered", [1, U.address]) },
    { entry: entry(f.open, 1), reason: reasonOf(market, "MarketModelerEvicted", [1, M1.address]) },
    {
      entry: entry(f.early, 6),
      reason: reasonOf(market, "MarketModelerNotOptedIn", [L.address, f.early.createdAt, AT.registration]),
    },
    { entry: entry(f.early, 0, out(2)), reason: "0x" },
    { entry: first, reason: reasonOf(market, "MarketAlreadyAnswered", [f.open.id, M0.address]) },
    { entry: entry(f.open, 6, out(3)), reason: "0x" },
  ];
}

describe("InferenceMarket.answerBatch", () => {
  describe("answerBatch: a batch of valid entries", () => {
    it("applies every answer of a batch sent by one host for two modelers, and skips none", async () => {
      const { market, token, hosts, modelers, rs } = await loadFixture(batchFixture);
      expect((await market.modelerInfo(1, modelers[1].address)).host).to.equal(hosts[0].address);
      const batch = [
        { requestId: rs[0].id, key: rs[0].key, index: 0n, output: out(0) },
        { requestId: rs[0].id, key: rs[0].key, index: 1n, output: out(1) },
        { requestId: rs[1].id, key: rs[1].key, index: 0n, output: out(2) },
        { requestId: rs[2].id, key: rs[2].key, index: 1n, output: out(3) },
      ];
      expect(await market.connect(hosts[0]).answerBatch.staticCall(batch)).to.deep.equal(["0x", "0x", "0x", "0x"]);
      const tx = await market.connect(hosts[0]).answerBatch(batch);
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[0].id, 1n, modelers[0].address, E1, FEE, out(0));
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[0].id, 1n, modelers[1].address, E1, 0n, out(1));
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[1].id, 1n, modelers[0].address, E1, FEE, out(2));
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[2].id, 1n, modelers[1].address, E1, FEE, out(3));
      await expect(tx).to.not.emit(market, "AnswerSkipped");
      await expect(tx).to.changeTokenBalances(token, [market, hosts[0]], [0n, 0n]);
      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(2n);
      expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(2n);
      const fig = await market.epochFigures(1, E1);
      expect(fig.points).to.equal(4n);
      expect(fig.settledFees).to.equal(3n * FEE);
      expect(fig.answeredRequests).to.equal(3n);
      expect((await market.requestState(rs[0].id)).answeredMask).to.equal(0b11n);
      expect((await market.requestState(rs[1].id)).answeredMask).to.equal(0b01n);
      expect((await market.requestState(rs[2].id)).answeredMask).to.equal(0b10n);
      // The former host of modelers[1] can no longer answer for it.
      await expect(market.connect(hosts[1]).answer(rs[1].id, rs[1].key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(modelers[1].address, hosts[1].address);
    });
  });

  describe("answerBatch: invalid entries are skipped with their reason, valid ones land", () => {
    it("one entry of each skip reason: AnswerSkipped carries the exact encoded error, in order", async () => {
      const f = await loadFixture(skipsFixture);
      const { market, host } = f;
      expect(await market.requestCount()).to.equal(6n);
      const planned = mixedBatch(f, AT.batch);
      await time.setNextBlockTimestamp(AT.batch);
      const tx = await market.connect(host).answerBatch(planned.map((p) => p.entry));
      for (const { entry: e, reason } of planned.filter((p) => p.reason !== "0x")) {
        await expect(tx).to.emit(market, "AnswerSkipped").withArgs(e.requestId, e.index, reason);
      }
      const receipt = await tx.wait();
      const expected = planned
        .filter((p) => p.reason !== "0x")
        .map((p) => [p.entry.requestId, p.entry.index, p.reason]);
      expect(skippedIn(market, receipt)).to.deep.equal(expected);
      expect(expected.length).to.equal(11);
      expect(answersIn(market, receipt)).to.equal(3);
    });

    it("the valid entries land with their RequestAnswered events, points and settled fees; the skipped change nothing", async () => {
      const f = await loadFixture(skipsFixture);
      const { market, token, host, M0, M1, M2, U, L } = f;
      const before = await market.epochFigures(1, E2);
      expect([before.answeredRequests, before.settledFees, before.points]).to.deep.equal([1n, FEE, 1n]);
      const doneState = [...(await market.requestState(f.done.id))];
      await time.setNextBlockTimestamp(AT.batch);
      const tx = await market.connect(host).answerBatch(mixedBatch(f, AT.batch).map((p) => p.entry));
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(f.open.id, 1, M0.address, E2, FEE, out(0));
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(f.early.id, 1, M0.address, E2, FEE, out(2));
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(f.open.id, 1, L.address, E2, 0, out(3));
      await expect(tx).to.changeTokenBalances(token, [market, host], [0n, 0n]);

      // M0: done before the batch, then open and early; L: open. Nobody else earned anything.
      expect(await market.pointsOf(1, M0.address, E2)).to.equal(3n);
      expect(await market.pointsOf(1, L.address, E2)).to.equal(1n);
      for (const m of [M1, M2, U]) expect(await market.pointsOf(1, m.address, E2)).to.equal(0n);
      const after = await market.epochFigures(1, E2);
      expect([after.answeredRequests, after.settledFees, after.points]).to.deep.equal([3n, 3n * FEE, 4n]);
      expect([...(await market.requestState(f.open.id))]).to.deep.equal([
        BigInt(Status.Answered),
        AT.openMade,
        AT.openMade + TIME.sla,
        (1n << 0n) | (1n << 6n),
      ]);
      expect((await market.requestState(f.early.id)).answeredMask).to.equal(1n);
      expect((await market.requestState(f.refunded.id)).status).to.equal(BigInt(Status.Refunded));
      // The late request stays unanswered and refundable; the answered one keeps its single answer.
      expect([...(await market.requestState(f.late.id))]).to.deep.equal([
        BigInt(Status.Expired),
        AT.lateMade,
        AT.lateMade + TIME.sla,
        0n,
      ]);
      expect([...(await market.requestState(f.done.id))]).to.deep.equal(doneState);
      await expect(market.connect(f.stranger).refund(f.late.id, f.late.key))
        .to.emit(market, "RequestRefunded")
        .withArgs(f.late.id, 1, f.users[1].address, FEE);
    });

    it("returns empty bytes for each entry that landed and the encoded error for each skipped one", async () => {
      const f = await loadFixture(skipsFixture);
      const { market, host } = f;
      // A call sees the latest block's time: mine one at the batch's second.
      await time.increaseTo(AT.batch);
      const planned = mixedBatch(f, AT.batch);
      const before = await snapshot(market, f.token, f.addrs, f.ids);
      const reasons = await market.connect(host).answerBatch.staticCall(planned.map((p) => p.entry));
      expect(reasons).to.deep.equal(planned.map((p) => p.reason));
      expect(await snapshot(market, f.token, f.addrs, f.ids)).to.deep.equal(before);
      // Mined one second later, the batch reports what the call said, the late entry's time aside.
      await time.setNextBlockTimestamp(AT.batch + 1n);
      const tx = await market.connect(host).answerBatch(planned.map((p) => p.entry));
      const mined = mixedBatch(f, AT.batch + 1n).filter((p) => p.reason !== "0x");
      expect(skippedIn(market, await tx.wait())).to.deep.equal(
        mined.map((p) => [p.entry.requestId, p.entry.index, p.reason]),
      );
    });

    it("each skip reason is exactly the error `answer` reverts with for the same entry", async () => {
      const f = await loadFixture(skipsFixture);
      const { market, host } = f;
      await time.increaseTo(AT.batch);
      const planned = mixedBatch(f, AT.batch).filter((p) => p.reason !== "0x");
      // The duplicate is skipped only because the first copy landed earlier in the batch: answer that first.
      const [duplicate] = planned.splice(planned.length - 1, 1);
      for (const { entry: e, reason } of planned) {
        let data: string | undefined;
        try {
          await market.connect(host).answer.staticCall(e.requestId, e.key, e.index, e.output);
        } catch (error) {
          data = (error as { data?: string }).data;
        }
        expect(data, `entry ${e.requestId}/${e.index}`).to.equal(reason);
      }
      const e = duplicate.entry;
      await market.connect(host).answer(e.requestId, e.key, e.index, e.output);
      await expect(market.connect(host).answer(e.requestId, e.key, e.index, e.output))
        .to.be.revertedWithCustomError(market, "MarketAlreadyAnswered")
        .withArgs(f.open.id, f.M0.address);
      expect(market.interface.encodeErrorResult("MarketAlreadyAnswered", [f.open.id, f.M0.address])).to.equal(
        duplicate.reason,
      );
    });
  });

  describe("answerBatch: the SLA of each entry (600 s)", () => {
    /** Two open requests of E1: r1 made at t, r2 at t + 1. */
    async function twoRequestsFixture() {
      const f = await loadFixture(activeFixture);
      const t = DATES.e1Start + 7_200n;
      await time.setNextBlockTimestamp(t);
      const r1 = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, INPUT));
      await time.setNextBlockTimestamp(t + 1n);
      const r2 = await requestOf(f.market, await f.market.connect(f.users[1]).request(1, FEE, INPUT));
      return { ...f, t, r1, r2 };
    }

    it("an entry lands at createdAt + 600", async () => {
      const { market, hosts, modelers, r1, r2, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 600n);
      const tx = await market.connect(hosts[0]).answerBatch([entry(r1, 0), entry(r2, 0)]);
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(r1.id, 1, modelers[0].address, E1, FEE, OUTPUT);
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(r2.id, 1, modelers[0].address, E1, FEE, OUTPUT);
      await expect(tx).to.not.emit(market, "AnswerSkipped");
    });

    it("an entry is skipped at createdAt + 601 (MarketDeadlinePassed) while one made a second later lands", async () => {
      const { market, token, hosts, modelers, stranger, users, r1, r2, t } = await loadFixture(twoRequestsFixture);
      await time.setNextBlockTimestamp(t + 601n);
      const tx = await market.connect(hosts[0]).answerBatch([entry(r1, 0), entry(r2, 0)]);
      const reason = reasonOf(market, "MarketDeadlinePassed", [r1.id, t + 600n, t + 601n]);
      await expect(tx).to.emit(market, "AnswerSkipped").withArgs(r1.id, 0, reason);
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(r2.id, 1, modelers[0].address, E1, FEE, OUTPUT);
      expect(skippedIn(market, await tx.wait())).to.deep.equal([[r1.id, 0n, reason]]);
      const fig = await market.epochFigures(1, E1);
      expect([fig.answeredRequests, fig.settledFees, fig.points]).to.deep.equal([1n, FEE, 1n]);
      // r1 was never answered in time: it is refundable and never counted as answered.
      await expect(market.connect(stranger).refund(r1.id, r1.key)).to.changeTokenBalance(token, users[0], FEE);
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(1n);
    });

    it("every entry past its deadline: MarketBatchAnsweredNothing", async () => {
      const { market, token, hosts, listed, r1, r2, t } = await loadFixture(twoRequestsFixture);
      const addrs = listed.map((m) => m.address);
      const before = await snapshot(market, token, addrs, [r1.id, r2.id]);
      await time.setNextBlockTimestamp(t + 602n);
      await expect(market.connect(hosts[0]).answerBatch([entry(r1, 0), entry(r2, 0)]))
        .to.be.revertedWithCustomError(market, "MarketBatchAnsweredNothing")
        .withArgs([
          reasonOf(market, "MarketDeadlinePassed", [r1.id, t + 600n, t + 602n]),
          reasonOf(market, "MarketDeadlinePassed", [r2.id, t + 601n, t + 602n]),
        ]);
      expect(await snapshot(market, token, addrs, [r1.id, r2.id])).to.deep.equal(before);
    });
  });

  describe("answerBatch: an entry repeated within the batch", () => {
    it("the second copy is skipped with MarketAlreadyAnswered: one point, one settled fee", async () => {
      const { market, hosts, modelers, rs } = await loadFixture(batchFixture);
      const first = entry(rs[0], 0, out(0));
      const other = entry(rs[1], 1, out(1));
      const tx = await market.connect(hosts[0]).answerBatch([first, other, first, { ...first, output: out(2) }]);
      const reason = reasonOf(market, "MarketAlreadyAnswered", [rs[0].id, modelers[0].address]);
      expect(skippedIn(market, await tx.wait())).to.deep.equal([
        [rs[0].id, 0n, reason],
        [rs[0].id, 0n, reason],
      ]);
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[0].id, 1, modelers[0].address, E1, FEE, out(0));
      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(1n);
      const fig = await market.epochFigures(1, E1);
      expect([fig.answeredRequests, fig.settledFees, fig.points]).to.deep.equal([2n, 2n * FEE, 2n]);
      expect((await market.requestState(rs[0].id)).answeredMask).to.equal(1n);
    });
  });

  describe("answerBatch: a batch that lands nothing reverts", () => {
    it("every entry invalid: MarketBatchAnsweredNothing with every reason in order, and nothing changes", async () => {
      const f = await loadFixture(skipsFixture);
      const { market, host } = f;
      const invalid = mixedBatch(f, AT.batch).filter((p) => p.reason !== "0x");
      // Without the entries that land, the repeat of the first entry is no longer a repeat: leave it out.
      invalid.pop();
      const before = await snapshot(market, f.token, f.addrs, f.ids);
      await time.setNextBlockTimestamp(AT.batch);
      await expect(market.connect(host).answerBatch(invalid.map((p) => p.entry)))
        .to.be.revertedWithCustomError(market, "MarketBatchAnsweredNothing")
        .withArgs(invalid.map((p) => p.reason));
      expect(await snapshot(market, f.token, f.addrs, f.ids)).to.deep.equal(before);
    });

    it("a single invalid entry: MarketBatchAnsweredNothing, and its staticCall says so before sending", async () => {
      const { market, token, hosts, modelers, rs, addrs } = await loadFixture(batchFixture);
      const ids = rs.map((r) => r.id);
      const before = await snapshot(market, token, addrs, ids);
      const reason = reasonOf(market, "MarketNotHost", [modelers[2].address, hosts[0].address]);
      const batch = [entry(rs[0], 2)];
      await expect(market.connect(hosts[0]).answerBatch.staticCall(batch))
        .to.be.revertedWithCustomError(market, "MarketBatchAnsweredNothing")
        .withArgs([reason]);
      await expect(market.connect(hosts[0]).answerBatch(batch))
        .to.be.revertedWithCustomError(market, "MarketBatchAnsweredNothing")
        .withArgs([reason]);
      expect(await snapshot(market, token, addrs, ids)).to.deep.equal(before);
    });

    it("an empty batch: MarketEmptyBatch", async () => {
      const { market, token, hosts, rs, addrs } = await loadFixture(batchFixture);
      const ids = rs.map((r) => r.id);
      const before = await snapshot(market, token, addrs, ids);
      await expect(market.connect(hosts[0]).answerBatch([])).to.be.revertedWithCustomError(market, "MarketEmptyBatch");
      expect(await snapshot(market, token, addrs, ids)).to.deep.equal(before);
    });
  });

  describe("answerBatch: a change that lands first in the same block voids only its own entries", () => {
    it("setHost front-run: the competitor leaves the busy host; its entry is skipped with MarketNotHost, the rest land", async () => {
      const f = await loadFixture(activeFixture);
      const { market, hosts, modelers, users } = f;
      const [busyHost, ownHost] = [hosts[0], hosts[2]];
      const competitor = modelers[2];
      // The competitor names the busy host, which takes it on.
      await market.connect(competitor).setHost(1, busyHost.address);
      const r1 = await requestOf(market, await market.connect(users[0]).request(1, FEE, INPUT));
      const r2 = await requestOf(market, await market.connect(users[1]).request(1, FEE, INPUT));
      const batch = [entry(r1, 0, out(0)), entry(r1, 2, out(1)), entry(r2, 0, out(2))];
      expect(await market.connect(busyHost).answerBatch.staticCall(batch)).to.deep.equal(["0x", "0x", "0x"]);

      // Before the batch is mined, the competitor moves its host away, in the same block and ahead of it.
      const [moved, answered] = await inOneBlock([
        () => market.connect(competitor).setHost(1, ownHost.address, GAS),
        () => market.connect(busyHost).answerBatch(batch, GAS),
      ]);
      expect([moved.status, answered.status]).to.deep.equal([1, 1]);
      expect(answered.blockNumber).to.equal(moved.blockNumber);
      expect(moved.index).to.be.lessThan(answered.index);
      const reason = reasonOf(market, "MarketNotHost", [competitor.address, busyHost.address]);
      expect(skippedIn(market, answered)).to.deep.equal([[r1.id, 2n, reason]]);
      expect(answersIn(market, answered)).to.equal(2);
      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(2n);
      expect(await market.pointsOf(1, competitor.address, E1)).to.equal(0n);
      expect((await market.epochFigures(1, E1)).settledFees).to.equal(2n * FEE);
      // The competitor's own host answers it in time.
      await expect(market.connect(ownHost).answer(r1.id, r1.key, 2, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r1.id, 1, competitor.address, E1, 0, OUTPUT);
    });

    it("eviction front-run: the evicted modeler's entries are skipped with MarketModelerEvicted, the rest land", async () => {
      const f = await loadFixture(activeFixture);
      const { market, hosts, modelers, users, stranger } = f;
      const host = hosts[0];
      await market.connect(modelers[1]).setHost(1, host.address);
      // E1: one request answered by modelers[0] only, so modelers[1] is evictable once E1 is final.
      await time.setNextBlockTimestamp(DATES.e1Start + 3_600n);
      const q = await requestOf(market, await market.connect(users[0]).request(1, FEE, INPUT));
      await market.connect(host).answer(q.id, q.key, 0, OUTPUT);
      // E2, before E1 is final: a request the host means to answer for both of its modelers.
      await time.setNextBlockTimestamp(DATES.e2Start + 60n);
      const r = await requestOf(market, await market.connect(users[1]).request(1, FEE, INPUT));
      const batch = [entry(r, 1, out(1)), entry(r, 0, out(0))];
      expect(await market.connect(host).answerBatch.staticCall(batch)).to.deep.equal(["0x", "0x"]);

      const finalAt = DATES.e2Start + TIME.sla;
      const [evicted, answered] = await inOneBlock(
        [() => market.connect(stranger).evict(1, E1, 1, 1, GAS), () => market.connect(host).answerBatch(batch, GAS)],
        finalAt,
      );
      expect([evicted.status, answered.status]).to.deep.equal([1, 1]);
      expect(evicted.index).to.be.lessThan(answered.index);
      const reason = reasonOf(market, "MarketModelerEvicted", [1, modelers[1].address]);
      expect(skippedIn(market, answered)).to.deep.equal([[r.id, 1n, reason]]);
      expect(answersIn(market, answered)).to.equal(1);
      expect(await market.pointsOf(1, modelers[0].address, E2)).to.equal(1n);
      expect(await market.pointsOf(1, modelers[1].address, E2)).to.equal(0n);
      expect((await market.requestState(r.id)).answeredMask).to.equal(1n);
    });
  });
});
