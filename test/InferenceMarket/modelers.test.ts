import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { activeFixture, challengeFixture, requestOf, DATES, E1, FEE, Status } from "../fixtures";
import type { InferenceMarket, TestToken } from "../../typechain-types";

const E2 = E1 + 1n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

async function info(market: InferenceMarket, challengeId: bigint | number, modeler: string) {
  return [...(await market.modelerInfo(challengeId, modeler))];
}

async function request(market: InferenceMarket, user: Signer, at?: bigint) {
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  return requestOf(market, await market.connect(user).request(1, FEE, INPUT));
}

/** What a rejected call must leave untouched. */
async function snapshot(market: InferenceMarket, token: TestToken, modelers: string[], ids: bigint[] = []) {
  const infos = [];
  const points = [];
  for (const m of modelers) {
    for (const c of [1n, 2n]) infos.push(await info(market, c, m));
    for (const e of [E1, E2]) points.push(await market.pointsOf(1, m, e));
  }
  const states = [];
  for (const id of ids) states.push([...(await market.requestState(id))]);
  const figures = [];
  for (const e of [E1, E2]) figures.push([...(await market.epochFigures(1, e))]);
  const balances = await Promise.all([await market.getAddress(), ...modelers].map((a) => token.balanceOf(a)));
  return { infos, points, states, figures, balances };
}

/**
 * challengeFixture with list 1 = modelers[0..5] promoted on Monday 2026-11-23 23:59 and serving from Thursday
 * 2026-11-26; modelers[5] is listed but has not registered (opted in) yet.
 */
async function lateFixture() {
  const f = await loadFixture(challengeFixture);
  await time.increaseTo(DATES.e0Window);
  const listed = f.modelers.slice(0, 6);
  await f.market.connect(f.keeper).promote(
    1,
    listed.map((m) => m.address),
    ethers.id("leaderboard-e0"),
  );
  await time.increaseTo(DATES.e1Start);
  return { ...f, listed, late: f.modelers[5], lateHost: f.hosts[5] };
}

describe("InferenceMarket modelers", () => {
  describe("register", () => {
    it("opts the caller in with its host at the block time: ModelerRegistered and modelerInfo", async () => {
      const { market, modelers, hosts } = await loadFixture(challengeFixture);
      expect(await info(market, 1, modelers[5].address)).to.deep.equal([ethers.ZeroAddress, 0n, false]);
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await expect(market.connect(modelers[5]).register(1, hosts[5].address))
        .to.emit(market, "ModelerRegistered")
        .withArgs(1n, modelers[5].address, hosts[5].address, t);
      expect(await info(market, 1, modelers[5].address)).to.deep.equal([hosts[5].address, t, false]);

      // a modeler may be its own host
      await time.setNextBlockTimestamp(t + 7n);
      await expect(market.connect(modelers[6]).register(1, modelers[6].address))
        .to.emit(market, "ModelerRegistered")
        .withArgs(1n, modelers[6].address, modelers[6].address, t + 7n);
      expect(await info(market, 1, modelers[6].address)).to.deep.equal([modelers[6].address, t + 7n, false]);
    });

    it("is per challenge: registering in one challenge leaves the other untouched", async () => {
      const { market, manager, creator, challengeAdmin, modelers, hosts } = await loadFixture(challengeFixture);
      await market.connect(manager).createChallenge(creator.address, challengeAdmin.address, FEE, "second");
      expect(await info(market, 2, modelers[0].address)).to.deep.equal([ethers.ZeroAddress, 0n, false]);
      await market.connect(modelers[0]).register(2, hosts[7].address);
      const t = BigInt(await time.latest());
      expect(await info(market, 2, modelers[0].address)).to.deep.equal([hosts[7].address, t, false]);
      expect((await market.modelerInfo(1, modelers[0].address)).host).to.equal(hosts[0].address);
    });

    it("reverts MarketChallengeNotFound for an unknown challenge", async () => {
      const { market, token, modelers, hosts } = await loadFixture(challengeFixture);
      const addrs = [modelers[0].address, modelers[5].address];
      const before = await snapshot(market, token, addrs);
      for (const id of [0n, 2n]) {
        await expect(market.connect(modelers[5]).register(id, hosts[5].address))
          .to.be.revertedWithCustomError(market, "MarketChallengeNotFound")
          .withArgs(id);
      }
      expect(await snapshot(market, token, addrs)).to.deep.equal(before);
      expect(await info(market, 2, modelers[5].address)).to.deep.equal([ethers.ZeroAddress, 0n, false]);
    });

    it("rejects a zero host with MarketInvalidHost", async () => {
      const { market, token, modelers } = await loadFixture(challengeFixture);
      const addrs = [modelers[5].address];
      const before = await snapshot(market, token, addrs);
      await expect(market.connect(modelers[5]).register(1, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(market, "MarketInvalidHost")
        .withArgs(ethers.ZeroAddress);
      expect(await snapshot(market, token, addrs)).to.deep.equal(before);
      expect(await info(market, 1, modelers[5].address)).to.deep.equal([ethers.ZeroAddress, 0n, false]);
    });

    it("rejects a second registration with MarketModelerAlreadyRegistered, keeping host and opt-in time", async () => {
      const { market, token, modelers, hosts } = await loadFixture(challengeFixture);
      const addrs = [modelers[0].address];
      const before = await snapshot(market, token, addrs);
      const [host, optedInAt] = await info(market, 1, modelers[0].address);
      expect(host).to.equal(hosts[0].address);
      expect(optedInAt).to.be.greaterThan(0n);
      for (const newHost of [hosts[0].address, hosts[9].address]) {
        await expect(market.connect(modelers[0]).register(1, newHost))
          .to.be.revertedWithCustomError(market, "MarketModelerAlreadyRegistered")
          .withArgs(1n, modelers[0].address);
      }
      expect(await snapshot(market, token, addrs)).to.deep.equal(before);
      expect(await info(market, 1, modelers[0].address)).to.deep.equal([hosts[0].address, optedInAt, false]);
    });
  });

  describe("setHost", () => {
    it("changes the host, emits HostChanged and keeps the opt-in time", async () => {
      const { market, modelers, hosts } = await loadFixture(challengeFixture);
      const [, optedInAt] = await info(market, 1, modelers[0].address);
      await expect(market.connect(modelers[0]).setHost(1, hosts[9].address))
        .to.emit(market, "HostChanged")
        .withArgs(1n, modelers[0].address, hosts[9].address);
      expect(await info(market, 1, modelers[0].address)).to.deep.equal([hosts[9].address, optedInAt, false]);
      // back to itself as host
      await expect(market.connect(modelers[0]).setHost(1, modelers[0].address))
        .to.emit(market, "HostChanged")
        .withArgs(1n, modelers[0].address, modelers[0].address);
      expect(await info(market, 1, modelers[0].address)).to.deep.equal([modelers[0].address, optedInAt, false]);
    });

    it("reverts MarketModelerNotRegistered for a modeler that has not opted in", async () => {
      const { market, token, manager, creator, challengeAdmin, modelers, hosts } = await loadFixture(challengeFixture);
      await market.connect(manager).createChallenge(creator.address, challengeAdmin.address, FEE, "second");
      const addrs = [modelers[0].address, modelers[5].address];
      const before = await snapshot(market, token, addrs);
      await expect(market.connect(modelers[5]).setHost(1, hosts[5].address))
        .to.be.revertedWithCustomError(market, "MarketModelerNotRegistered")
        .withArgs(1n, modelers[5].address);
      // registered in challenge 1 only
      await expect(market.connect(modelers[0]).setHost(2, hosts[0].address))
        .to.be.revertedWithCustomError(market, "MarketModelerNotRegistered")
        .withArgs(2n, modelers[0].address);
      expect(await snapshot(market, token, addrs)).to.deep.equal(before);
    });

    it("rejects a zero host with MarketInvalidHost", async () => {
      const { market, token, modelers, hosts } = await loadFixture(challengeFixture);
      const addrs = [modelers[0].address];
      const before = await snapshot(market, token, addrs);
      await expect(market.connect(modelers[0]).setHost(1, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(market, "MarketInvalidHost")
        .withArgs(ethers.ZeroAddress);
      expect(await snapshot(market, token, addrs)).to.deep.equal(before);
      expect((await market.modelerInfo(1, modelers[0].address)).host).to.equal(hosts[0].address);
    });

    it("after a change only the new host answers: the old one reverts MarketNotHost(modeler, oldHost)", async () => {
      const { market, token, modelers, hosts, users, listed } = await loadFixture(activeFixture);
      const r = await request(market, users[0], DATES.e1Start + 3_600n);
      await market.connect(modelers[0]).setHost(1, hosts[9].address);

      const addrs = listed.map((m) => m.address);
      const before = await snapshot(market, token, addrs, [r.id]);
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(modelers[0].address, hosts[0].address);
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
      expect(before.states[0][0]).to.equal(BigInt(Status.Open));

      await expect(market.connect(hosts[9]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, modelers[0].address, E1, FEE, OUTPUT);
      expect(await market.pointsOf(1, modelers[0].address, E1)).to.equal(1n);
      expect((await market.requestState(r.id))[0]).to.equal(BigInt(Status.Answered));
      // the modeler itself is not its host either
      await expect(market.connect(modelers[1]).answer(r.id, r.key, 1, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketNotHost")
        .withArgs(modelers[1].address, modelers[1].address);
    });

    it("rewards always go to the modeler, never to its host", async () => {
      const { market, token, modelers, hosts, users, stranger } = await loadFixture(activeFixture);
      await market.connect(modelers[1]).setHost(1, hosts[9].address);
      const r1 = await request(market, users[0], DATES.e1Start + 3_600n);
      const r2 = await request(market, users[1]);
      for (const r of [r1, r2]) {
        await market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT);
        await market.connect(hosts[9]).answer(r.id, r.key, 1, OUTPUT);
      }
      await time.increaseTo(DATES.e1ClaimsOpen);

      const pool = (await market.epochFigures(1, E1)).pool;
      const hostAddrs = [hosts[0].address, hosts[1].address, hosts[9].address];
      const hostsBefore = await Promise.all(hostAddrs.map((a) => token.balanceOf(a)));
      for (const [i, sender] of [
        [0, hosts[0]],
        [1, hosts[9]],
      ] as const) {
        const modeler = modelers[i].address;
        const reward = await market.claimableReward(1, modeler, E1);
        expect(reward).to.be.greaterThan(0n);
        expect(await market.pointsOf(1, modeler, E1)).to.equal(2n);
        const before = await token.balanceOf(modeler);
        // sent by the host: the modeler is paid all the same
        await expect(market.connect(sender).claimRewards(1, modeler, [E1]))
          .to.emit(market, "RewardsClaimed")
          .withArgs(1n, modeler, [E1], reward);
        expect(await token.balanceOf(modeler)).to.equal(before + reward);
      }
      expect(await Promise.all(hostAddrs.map((a) => token.balanceOf(a)))).to.deep.equal(hostsBefore);
      expect((await token.balanceOf(modelers[0].address)) + (await token.balanceOf(modelers[1].address))).to.equal(
        pool,
      );
      // a host cannot claim in its own name either
      await expect(market.connect(stranger).claimRewards(1, hosts[9].address, [E1]))
        .to.be.revertedWithCustomError(market, "MarketNothingToClaim")
        .withArgs(1n, hosts[9].address, E1);
    });
  });

  describe("opt-in time", () => {
    it("a request made before a listed modeler registers is not open to it: MarketModelerNotOptedIn", async () => {
      const { market, token, users, hosts, listed, late, lateHost } = await loadFixture(lateFixture);
      const t = DATES.e1Start + 3_600n;
      const r = await request(market, users[0], t);
      await time.setNextBlockTimestamp(t + 5n);
      await expect(market.connect(late).register(1, lateHost.address))
        .to.emit(market, "ModelerRegistered")
        .withArgs(1n, late.address, lateHost.address, t + 5n);
      expect(await info(market, 1, late.address)).to.deep.equal([lateHost.address, t + 5n, false]);
      // made one second after the registration (answered below)
      const r2 = await request(market, users[1], t + 6n);
      expect(r2.key.listId).to.equal(1n);

      const addrs = listed.map((m) => m.address);
      const before = await snapshot(market, token, addrs, [r.id]);
      await expect(market.connect(lateHost).answer(r.id, r.key, 5, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerNotOptedIn")
        .withArgs(late.address, t, t + 5n);
      expect(await snapshot(market, token, addrs, [r.id])).to.deep.equal(before);
      expect(before.states[0][0]).to.equal(BigInt(Status.Open));

      // the modelers that had opted in still answer it, inside the SLA
      await expect(market.connect(hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, listed[0].address, E1, FEE, OUTPUT);
      // and the late modeler still cannot, even once the request is settled
      await expect(market.connect(lateHost).answer(r.id, r.key, 5, OUTPUT))
        .to.be.revertedWithCustomError(market, "MarketModelerNotOptedIn")
        .withArgs(late.address, t, t + 5n);

      // a request made one second after the registration is open to it
      await expect(market.connect(lateHost).answer(r2.id, r2.key, 5, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r2.id, 1n, late.address, E1, FEE, OUTPUT);
      expect(await market.pointsOf(1, late.address, E1)).to.equal(1n);
    });

    it("a request made in the very second of the registration is open to the modeler", async () => {
      const { market, users, late, lateHost } = await loadFixture(lateFixture);
      const t = DATES.e1Start + 3_600n;
      // both transactions in one block, so they share its timestamp
      await network.provider.send("evm_setAutomine", [false]);
      let registerTx, requestTx;
      try {
        registerTx = await market.connect(late).register(1, lateHost.address, { gasLimit: 500_000 });
        requestTx = await market.connect(users[0]).request(1, FEE, INPUT, { gasLimit: 500_000 });
        await network.provider.send("evm_mine", [Number(t)]);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const [registerReceipt, requestReceipt] = [await registerTx.wait(), await requestTx.wait()];
      expect(registerReceipt!.status).to.equal(1);
      expect(requestReceipt!.blockNumber).to.equal(registerReceipt!.blockNumber);
      const r = await requestOf(market, requestTx);
      expect(r.createdAt).to.equal(t);
      expect(await info(market, 1, late.address)).to.deep.equal([lateHost.address, t, false]);

      await expect(market.connect(lateHost).answer(r.id, r.key, 5, OUTPUT))
        .to.emit(market, "RequestAnswered")
        .withArgs(r.id, 1n, late.address, E1, FEE, OUTPUT);
      expect(await market.pointsOf(1, late.address, E1)).to.equal(1n);
    });

    it("a listed modeler that never opts in earns nothing", async () => {
      const { market, token, users, hosts, listed, late, lateHost, stranger } = await loadFixture(lateFixture);
      const rs = [];
      rs.push(await request(market, users[0], DATES.e1Start + 3_600n));
      rs.push(await request(market, users[1]));
      for (const r of rs) for (let i = 0; i < 5; i++) await market.connect(hosts[i]).answer(r.id, r.key, i, OUTPUT);
      // nobody can answer for it: it has not registered, so it has no host
      for (const caller of [lateHost, late, stranger]) {
        await expect(market.connect(caller).answer(rs[0].id, rs[0].key, 5, OUTPUT))
          .to.be.revertedWithCustomError(market, "MarketModelerNotRegistered")
          .withArgs(1n, late.address);
      }
      await time.increaseTo(DATES.e1ClaimsOpen);

      expect(await market.pointsOf(1, late.address, E1)).to.equal(0n);
      expect(await market.claimableReward(1, late.address, E1)).to.equal(0n);
      expect((await market.epochFigures(1, E1)).points).to.equal(10n);
      const addrs = listed.map((m) => m.address);
      const before = await snapshot(
        market,
        token,
        addrs,
        rs.map((r) => r.id),
      );
      await expect(market.connect(stranger).claimRewards(1, late.address, [E1]))
        .to.be.revertedWithCustomError(market, "MarketNothingToClaim")
        .withArgs(1n, late.address, E1);
      expect(
        await snapshot(
          market,
          token,
          addrs,
          rs.map((r) => r.id),
        ),
      ).to.deep.equal(before);
      expect(await token.balanceOf(late.address)).to.equal(0n);

      // the five that answered share the whole pool
      const pool = (await market.epochFigures(1, E1)).pool;
      let paid = 0n;
      for (let i = 0; i < 5; i++) {
        const before = await token.balanceOf(listed[i].address);
        await market.connect(stranger).claimRewards(1, listed[i].address, [E1]);
        paid += (await token.balanceOf(listed[i].address)) - before;
      }
      expect(paid).to.equal(pool);
    });
  });
});
