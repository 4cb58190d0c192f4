import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { toBeHex } from "ethers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { HostAgent } from "../../daemons/host/agent";
import { Keeper } from "../../daemons/keeper/keeper";
import * as creditScore from "../../models/credit-score";
import { Market, RequestStatus, decodeText, encodeText, parseErrorOutput } from "../../sdk";
import { FAST_RETRY, captureLog } from "./helpers";

/*
 * The attacks on honest modelers of PROTOCOL "Eviction", played with the real host agents and keeper: each of
 * the five listed modelers has its own host running the credit-score model, and the keeper settles each epoch.
 */
const GENUINE = 10;
const GARBAGE = 100;
const REJECTED = "not a wallet";
const E2 = E1 + 1n;

async function attackFixture() {
  const f = await loadFixture(activeFixture);
  const address = await f.market.getAddress();
  const wallets = Array.from({ length: GENUINE }, (_, i) => ethers.getAddress(toBeHex(0xabc000 + i, 20)));
  for (const [i, w] of wallets.entries())
    await network.provider.send("hardhat_setBalance", [w, toBeHex(BigInt(i + 1) * 10n ** 18n)]);
  const agents = f.listed.map(
    (modeler, i) =>
      new HostAgent({
        signer: f.hosts[i],
        market: address,
        model: creditScore,
        log: captureLog("host").log,
        retry: FAST_RETRY,
        modelers: [{ challengeId: 1n, modeler: modeler.address }],
      }),
  );
  const keeperLog = captureLog("keeper");
  const keeperDaemon = new Keeper({
    signer: f.keeper,
    market: address,
    leaderboards: [],
    log: keeperLog.log,
    retry: FAST_RETRY,
  });
  const sdk = Market.connect(address, f.stranger);

  /** Every host agent runs one pass. */
  const hostsRun = async () => {
    for (const agent of agents) await agent.tick();
  };
  /** `inputs` requested by the users in turn, the hosts running after every ten. */
  const requestAll = async (inputs: string[]) => {
    const made = [];
    for (const [i, input] of inputs.entries()) {
      const user = f.users[i % f.users.length];
      made.push({
        input,
        ...(await requestOf(f.market, await f.market.connect(user).request(1, FEE, encodeText(input)))),
      });
      if (i % 10 === 9) await hostsRun();
    }
    await hostsRun();
    return made;
  };
  /** Ten genuine requests among a hundred the model rejects. */
  const mixed = () =>
    Array.from({ length: GENUINE + GARBAGE }, (_, i) => (i % 11 === 5 ? wallets[(i - 5) / 11] : REJECTED));
  return { ...f, address, agents, keeperDaemon, keeperLog, sdk, hostsRun, requestAll, mixed };
}

/** Each request's answers as [modeler, output text]. */
async function answersOf(sdk: Market, requestId: bigint) {
  return (await sdk.answersOf(requestId, 0)).map((a) => [a.modeler, decodeText(a.output)] as const);
}

describe("daemons: attacks on honest modelers", function () {
  // Hundreds of requests through five real agents: a slow machine needs more than the suite's two minutes.
  this.timeout(600_000);
  it("a week of requests that no model accepts is answered with error outputs and evicts nobody", async () => {
    const { market, listed, keeperDaemon, keeperLog, sdk, requestAll, mixed } = await loadFixture(attackFixture);
    const made = await requestAll(mixed());
    expect(made.filter((r) => r.input === REJECTED)).to.have.length(GARBAGE);

    for (const r of made) {
      const answers = await answersOf(sdk, r.id);
      expect(
        answers.map(([m]) => m),
        `request ${r.id}`,
      ).to.have.members(listed.map((m) => m.address));
      for (const [, output] of answers) {
        if (r.input === REJECTED) expect(parseErrorOutput(output)?.code, output).to.equal("invalid-input");
        else expect(Number(output), output).to.be.within(300, 850);
      }
      expect((await sdk.requestState(r.id)).status).to.equal(RequestStatus.Answered);
    }

    await time.increaseTo(DATES.e2Start + TIME.sla);
    const report = await keeperDaemon.tick();
    expect(report.evicted).to.deep.equal([]);
    expect(report.refunded).to.deep.equal([]);
    expect(report.finalized).to.deep.equal([1n]);
    expect(keeperLog.of("evict")).to.deep.equal([]);
    const figures = await market.epochFigures(1, E1);
    expect([figures.answeredRequests, figures.points, figures.settledFees]).to.deep.equal([110n, 550n, 110n * FEE]);
    for (const m of listed) expect((await market.modelerInfo(1, m.address)).evicted).to.equal(false);
    expect(await market.queryFilter(market.filters.ModelerEvicted())).to.deep.equal([]);
  });

  it("a listed attacker answering its own garbage leaves every honest modeler above the threshold", async () => {
    const { market, listed, modelers, hosts, users, keeper, keeperDaemon, sdk, agents, requestAll, mixed } =
      await loadFixture(attackFixture);
    // The attacker is promoted in E1's window and registered before E2, so E2 judges it as it judges the others.
    const attacker = modelers[5];
    await time.increaseTo(DATES.e1Window);
    await market.connect(keeper).promote(
      1,
      [...listed, attacker].map((m) => m.address),
      ethers.id("e1"),
    );
    await market.connect(attacker).register(1, hosts[5].address);
    await time.increaseTo(DATES.e2Start);

    // The attacker floods E2 with garbage and answers each request at once from its own host.
    for (let i = 0; i < GARBAGE; i++) {
      const r = await requestOf(market, await market.connect(users[4]).request(1, FEE, encodeText(REJECTED)));
      await market.connect(hosts[5]).answer(r.id, r.key, 5, encodeText("850"));
      if (i % 10 === 9) for (const agent of agents) await agent.tick();
    }
    await requestAll(mixed().filter((input) => input !== REJECTED));

    await time.increaseTo(DATES.e3Start + TIME.sla);
    const report = await keeperDaemon.tick();
    const judgements = await sdk.judgements(1, E2);
    expect(judgements.map((j) => [j.modeler, j.points, j.answeredRequests, j.judged, j.below])).to.deep.equal([
      ...listed.map((m) => [m.address, BigInt(GARBAGE + GENUINE), BigInt(GARBAGE + GENUINE), true, false]),
      [attacker.address, BigInt(GARBAGE), BigInt(GARBAGE + GENUINE), true, false],
    ]);
    expect(report.evicted).to.deep.equal([]);
    for (const m of [...listed, attacker]) expect((await market.modelerInfo(1, m.address)).evicted).to.equal(false);
    // The attacker paid every fee of its garbage; the honest modelers earn their share of it.
    const honest = await sdk.claimable(1, listed[0].address, [E2]);
    const theirs = await sdk.claimable(1, attacker.address, [E2]);
    expect(honest[0].amount > theirs[0].amount).to.equal(true);
  });
});
