import { expect } from "chai";
import hre from "hardhat";
import { takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { runScenario, type DemoResult } from "../scripts/demo/scenario";
import { OFFLINE, SLOW } from "../scripts/demo/cast";
import { REJECTED } from "../scripts/demo/plan";
import { parseErrorOutput } from "../sdk/text";

const TOKEN = 10n ** 18n;

describe("scripts/demo", () => {
  let result: DemoResult;
  const row = (name: string) => result.audit.modelers.find((m) => m.name === name)!;

  // One run of the two weeks serves every assertion; the network is put back as it was afterwards.
  before(async function () {
    // About 30 s on an idle machine; much more when other test runs share it.
    this.timeout(600_000);
    const snapshot = await takeSnapshot();
    try {
      result = await runScenario(hre);
    } finally {
      await snapshot.restore();
    }
  });

  it("passes every check of its audit", () => {
    expect(result.audit.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).to.deep.equal([]);
    expect(result.audit.checks).to.have.length(14);
  });

  it("plays the planned week: 272 requests from 6 users, 30 of them rejected inputs, 12 in the outage and refunded", () => {
    expect(result.audit.requests).to.equal(272);
    expect(result.ledger.requests.filter((q) => q.input === REJECTED.input)).to.have.length(30);
    expect(result.audit.users.map((u) => u.requests)).to.deep.equal([32, 54, 50, 43, 45, 48]);
    expect(result.audit.refunds).to.deep.equal({ count: 12, amount: 12n * TOKEN, byKeeper: 12 });
  });

  it("lists ten modelers each week, swapping the offline one for the eleventh", () => {
    expect(result.ledger.promotions.map((p) => p.listId)).to.deep.equal([1n, 2n]);
    expect(row(OFFLINE).lists).to.deep.equal([1n]);
    expect(row("kestrel").lists).to.deep.equal([2n]);
    expect(row("lumen").lists).to.deep.equal([]);
  });

  it("evicts only the offline modeler, which earned nothing", () => {
    expect(result.ledger.evictions.map((e) => [e.modeler, e.epoch, e.points, e.answeredRequests])).to.deep.equal([
      [row(OFFLINE).address, result.calendar.e1, 0n, 260n],
    ]);
    expect(row(OFFLINE)).to.include({ answered: 0, pointsOnChain: 0n, paid: 0n, evicted: true });
  });

  it("answers the slow modeler's requests in time: 182 results, 28 refused inputs, and 50 timeouts where its model could not finish", () => {
    expect(row(SLOW)).to.include({
      answered: 260,
      results: 182,
      invalidInput: 28,
      timeouts: 50,
      failed: 0,
      missed: 0,
      pointsOnChain: 260n,
      evicted: false,
    });
    expect(row(SLOW).paid).to.equal(row("aurora").paid);
    const slow = result.ledger.answers.filter((a) => a.modeler === row(SLOW).address);
    for (const a of slow.filter((x) => parseErrorOutput(x.output)?.code === "timeout")) {
      expect(a.output).to.match(/^error: timeout: the model gave no result within \d+ s$/);
      const q = result.ledger.requests.find((x) => x.requestId === a.requestId)!;
      expect(a.at <= q.createdAt + result.time.sla).to.equal(true);
    }
    expect(result.missed).to.deep.equal([]);
    expect(result.ledger.skipped).to.deep.equal([]);
  });

  it("answers every rejected input with error outputs from every honest host, settles its fee and evicts no one for it", () => {
    const rejected = new Set(result.ledger.requests.filter((q) => q.input === REJECTED.input).map((q) => q.requestId));
    const answers = result.ledger.answers.filter((a) => rejected.has(a.requestId));
    const honest = result.audit.modelers.filter((m) => m.kind === "credit-score");
    expect(honest).to.have.length(8);
    for (const m of honest) {
      const mine = answers.filter((a) => a.modeler === m.address);
      expect(mine.map((a) => a.output)).to.deep.equal(
        Array(30).fill(`error: invalid-input: input is not a wallet address: "${REJECTED.input}"`),
      );
    }
    const slowCodes = answers
      .filter((a) => a.modeler === row(SLOW).address)
      .map((a) => parseErrorOutput(a.output)?.code);
    expect([
      slowCodes.filter((c) => c === "invalid-input").length,
      slowCodes.filter((c) => c === "timeout").length,
    ]).to.deep.equal([28, 2]);
    expect(result.ledger.refunds.filter((x) => rejected.has(x.requestId))).to.deep.equal([]);
    expect(
      answers
        .filter((a) => a.settledFee > 0n)
        .map((a) => a.requestId)
        .sort(),
    ).to.deep.equal([...rejected].sort());
    expect(result.audit.checks.find((c) => c.name === "a burst of rejected inputs evicts no one")?.ok).to.equal(true);
  });

  it("shares the pool by points with floored rewards and gives the dust to the platform", () => {
    // 260 answered requests (the 30 rejected inputs included), each answered by the nine hosts online.
    expect(result.audit.settled).to.equal(260n * TOKEN);
    expect(result.audit.pool).to.equal(22_100n * 10n ** 16n);
    expect(result.audit.totalPoints).to.equal(2_340n);
    expect(result.audit.dust).to.equal(5n);
    expect(row("aurora").paid).to.equal(24_555555555555555555n);
    expect(result.audit.fees.map((f) => [f.kind, f.paid])).to.deep.equal([
      ["creator", 1_300n * 10n ** 16n],
      ["admin", 1_300n * 10n ** 16n],
      ["platform", 1_300n * 10n ** 16n + 5n],
    ]);
    expect(result.finalizedBy).to.equal("the keeper");
  });

  it("counts the answers given after Wednesday midnight to requests of the epoch in that epoch", () => {
    const late = result.ledger.answers.filter((a) => a.at >= result.calendar.e2Start);
    // The last burst's seven requests, each answered by the nine hosts online (the slow one in time too).
    expect(late.length).to.equal(63);
    expect(late.every((a) => a.epoch === result.calendar.e1)).to.equal(true);
  });

  it("leaves the market empty once everything is claimed and refunded", () => {
    expect(result.marketBalance).to.equal(0n);
    expect(result.audit.money).to.include({ paidIn: 272n * TOKEN, escrow: 0n, unclaimed: 0n, owed: 0n });
  });
});
