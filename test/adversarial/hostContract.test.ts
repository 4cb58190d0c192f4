import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, E1, FEE } from "../fixtures";
import type { InferenceMarket, TestToken } from "../../typechain-types";
import { poolOf, INPUT, OUTPUT } from "./markets";

/*
 * A host that is a contract (a hosting service's or a multisig's): ForwardingHost forwards its operator's answers,
 * so the market sees the contract as the caller. It answers for the modeler that named it and for no other;
 * the points and the reward go to the modeler, never to the host contract or its operator.
 */

/** Modeler 0 named a ForwardingHost operated by hosts[0]. */
async function hostContractFixture() {
  const f = await loadFixture(activeFixture);
  const host = await ethers.deployContract("ForwardingHost", [await f.market.getAddress(), f.hosts[0].address]);
  const hostAddress = await host.getAddress();
  await f.market.connect(f.modelers[0]).setHost(1, hostAddress);
  return { ...f, host, hostAddress };
}

/**
 * The fixture with three fresh requests by users[0..2]. They are made in each test, not in the fixture: the
 * chain's clock moves on with the wall clock, and a slow (instrumented) run could outlast their 600 s SLA.
 */
async function withRequests() {
  const f = await loadFixture(hostContractFixture);
  const rs = [];
  for (let i = 0; i < 3; i++)
    rs.push(await requestOf(f.market, await f.market.connect(f.users[i]).request(1, FEE, INPUT)));
  return { ...f, rs };
}

/** What a refused answer must leave as it was. */
async function stateOf(market: InferenceMarket, token: TestToken, accounts: string[], ids: bigint[]) {
  return {
    balances: await Promise.all([await market.getAddress(), ...accounts].map((a) => token.balanceOf(a))),
    figures: [...(await market.epochFigures(1, E1))],
    requests: await Promise.all(ids.map(async (id) => [...(await market.requestState(id))])),
  };
}

describe("adversarial: a host that is a contract", () => {
  it("forwards an answer: the modeler that named it earns the point and settles the fee", async () => {
    const { market, host, modelers, hosts, rs } = await withRequests();
    const [r] = rs;
    const tx = await host.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT);
    await expect(tx).to.emit(market, "RequestAnswered").withArgs(r.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
    expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(1n);
    expect((await market.requestState(r.id)).answeredMask).to.equal(1n);
    expect((await market.epochFigures(1, E1)).settledFees).to.equal(FEE);
  });

  it("forwards a batch, and the reward is paid to the modeler, not to the host contract or its operator", async () => {
    const { market, token, host, hostAddress, modelers, hosts, stranger, rs } = await withRequests();
    const batch = rs.map((r) => ({ requestId: r.id, key: r.key, index: 0, output: OUTPUT }));
    const tx = await host.connect(hosts[0]).answerBatch(batch);
    for (const r of rs) {
      await expect(tx).to.emit(market, "RequestAnswered").withArgs(r.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
    }
    expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(3n);

    await time.increaseTo(DATES.e1ClaimsOpen);
    const pool = poolOf(3n * FEE);
    await expect(market.connect(stranger).claimRewards(1, modelers[0].address, [E1])).to.changeTokenBalances(
      token,
      [modelers[0], hostAddress, hosts[0], market],
      [pool, 0n, 0n, -pool],
    );
    expect(await token.balanceOf(hostAddress)).to.equal(0n);
  });

  it("cannot answer for a modeler that did not name it, alone or inside a batch", async () => {
    const { market, token, host, hostAddress, modelers, hosts, rs } = await withRequests();
    const ids = rs.map((r) => r.id);
    const before = await stateOf(market, token, [hostAddress], ids);
    const notHost = market.interface.encodeErrorResult("MarketNotHost", [modelers[1].address, hostAddress]);
    await expect(host.connect(hosts[0]).answer(rs[0].id, rs[0].key, 1, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketNotHost")
      .withArgs(modelers[1].address, hostAddress);
    // A batch of such entries only lands nothing and reverts with every reason.
    const foreign = [
      { requestId: rs[0].id, key: rs[0].key, index: 1, output: OUTPUT },
      { requestId: rs[1].id, key: rs[1].key, index: 1, output: OUTPUT },
    ];
    await expect(host.connect(hosts[0]).answerBatch(foreign))
      .to.be.revertedWithCustomError(market, "MarketBatchAnsweredNothing")
      .withArgs([notHost, notHost]);
    expect(await stateOf(market, token, [hostAddress], ids)).to.deep.equal(before);

    // Mixed with its own modeler's entries, the foreign entry is skipped and reported; the others land.
    const batch = [
      { requestId: rs[0].id, key: rs[0].key, index: 0, output: OUTPUT },
      { requestId: rs[1].id, key: rs[1].key, index: 1, output: OUTPUT },
      { requestId: rs[2].id, key: rs[2].key, index: 0, output: OUTPUT },
    ];
    const tx = await host.connect(hosts[0]).answerBatch(batch);
    await expect(tx).to.emit(market, "AnswerSkipped").withArgs(rs[1].id, 1n, notHost);
    await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[0].id, 1n, modelers[0].address, E1, FEE, OUTPUT);
    await expect(tx).to.emit(market, "RequestAnswered").withArgs(rs[2].id, 1n, modelers[0].address, E1, FEE, OUTPUT);
    expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(2n);
    expect(await market.pointsOf(1, modelers[1].address, E1)).to.equal(0n);
    expect((await market.requestState(rs[1].id)).answeredMask).to.equal(0n);
    const figures = await market.epochFigures(1, E1);
    expect([figures.answeredRequests, figures.settledFees]).to.deep.equal([2n, 2n * FEE]);
    expect(await token.balanceOf(hostAddress)).to.equal(0n);
  });

  it("answers only for its operator, and the operator cannot answer around it", async () => {
    const { market, token, host, hostAddress, modelers, hosts, stranger, rs } = await withRequests();
    const [r] = rs;
    const ids = rs.map((x) => x.id);
    const before = await stateOf(market, token, [hostAddress], ids);
    await expect(host.connect(stranger).answer(r.id, r.key, 0, OUTPUT))
      .to.be.revertedWithCustomError(host, "ForwardingHostNotOperator")
      .withArgs(stranger.address);
    await expect(host.connect(modelers[0]).answerBatch([{ requestId: r.id, key: r.key, index: 0, output: OUTPUT }]))
      .to.be.revertedWithCustomError(host, "ForwardingHostNotOperator")
      .withArgs(modelers[0].address);
    await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketNotHost")
      .withArgs(modelers[0].address, hosts[0].address);
    expect(await stateOf(market, token, [hostAddress], ids)).to.deep.equal(before);
  });

  it("stops answering the moment the modeler names another host", async () => {
    const { market, token, host, hostAddress, modelers, hosts, rs } = await withRequests();
    await market.connect(modelers[0]).setHost(1, hosts[10].address);
    const ids = rs.map((r) => r.id);
    const before = await stateOf(market, token, [hostAddress], ids);
    await expect(host.connect(hosts[0]).answer(rs[0].id, rs[0].key, 0, OUTPUT))
      .to.be.revertedWithCustomError(market, "MarketNotHost")
      .withArgs(modelers[0].address, hostAddress);
    expect(await stateOf(market, token, [hostAddress], ids)).to.deep.equal(before);
    await expect(market.connect(hosts[10]).answer(rs[0].id, rs[0].key, 0, OUTPUT))
      .to.emit(market, "RequestAnswered")
      .withArgs(rs[0].id, 1n, modelers[0].address, E1, FEE, OUTPUT);
  });
});
