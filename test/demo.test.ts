import { expect } from "chai";
import hre from "hardhat";
import { takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { runScenario, type DemoResult } from "../scripts/demo/scenario";
import { OFFLINE, SLOW } from "../scripts/demo/cast";

const TOKEN = 10n ** 18n;

describe("scripts/demo", () => {
  let result: DemoResult;
  const row = (name: string) => result.audit.modelers.find((m) => m.name === name)!;

  // One run of the two weeks serves every assertion; the network is put back as it was afterwards.
  before(async () => {
    const snapshot = await takeSnapshot();
    try {
      result = await runScenario(hre);
    } finally {
      await snapshot.restore();
    }
  });

  it("passes every check of its audit", () => {
    expect(result.audit.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).to.deep.equal([]);
    expect(result.audit.checks).to.have.length(13);
  });

  it("plays the planned week: 242 requests from 6 users, 12 of them in the outage and refunded", () => {
    expect(result.audit.requests).to.equal(242);
    expect(result.audit.users.map((u) => u.requests)).to.deep.equal([28, 53, 45, 35, 37, 44]);
    expect(result.audit.refunds).to.deep.equal({ count: 12, amount: 12n * TOKEN, byKeeper: 12 });
  });

  it("lists ten modelers each week, swapping the offline one for the eleventh", () => {
    expect(result.ledger.promotions.map((p) => p.listId)).to.deep.equal([1n, 2n]);
    expect(row(OFFLINE).lists).to.deep.equal([1n]);
    expect(row("kestrel").lists).to.deep.equal([2n]);
    expect(row("lumen").lists).to.deep.equal([]);
  });

  it("evicts only the offline modeler, which earned nothing", () => {
    expect(result.ledger.evictions.map((e) => [e.modeler, e.epoch, e.points, e.requests])).to.deep.equal([
      [row(OFFLINE).address, result.calendar.e1, 0n, 242n],
    ]);
    expect(row(OFFLINE)).to.include({ answered: 0, pointsOnChain: 0n, paid: 0n, evicted: true });
  });

  it("refuses 41 late answers of the slow modeler and pays it for the 189 in time", () => {
    expect(row(SLOW)).to.include({ answered: 189, lateRefused: 41, pointsOnChain: 189n, paid: 18_210694923607688516n, evicted: false });
    expect(result.lateRefused.every((x) => x.error.startsWith("MarketDeadlinePassed("))).to.equal(true);
  });

  it("shares the pool by points with floored rewards and gives the dust to the platform", () => {
    expect(result.audit.settled).to.equal(230n * TOKEN);
    expect(result.audit.pool).to.equal(19_550n * 10n ** 16n);
    expect(result.audit.totalPoints).to.equal(2_029n);
    expect(result.audit.dust).to.equal(4n);
    expect(row("aurora").paid).to.equal(22_161163134549038935n);
    expect(result.audit.fees.map((f) => [f.kind, f.paid])).to.deep.equal([
      ["creator", 1_150n * 10n ** 16n],
      ["admin", 1_150n * 10n ** 16n],
      ["platform", 1_150n * 10n ** 16n + 4n],
    ]);
    expect(result.finalizedBy).to.equal("the keeper");
  });

  it("counts the answers given after Wednesday midnight to requests of the epoch in that epoch", () => {
    const late = result.ledger.answers.filter((a) => a.at >= result.calendar.e2Start);
    expect(late.length).to.equal(62);
    expect(late.every((a) => a.epoch === result.calendar.e1)).to.equal(true);
  });

  it("leaves the market empty once everything is claimed and refunded", () => {
    expect(result.marketBalance).to.equal(0n);
    expect(result.audit.money).to.include({ paidIn: 242n * TOKEN, escrow: 0n, unclaimed: 0n, owed: 0n });
  });
});
