import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, challengeFixture, DATES, FEE } from "../fixtures";
import { canAnswer, Market, RequestStatus, RevertError, type TimedAnswer } from "../../sdk";
import { afterEachApprove } from "../tasks/live";

async function sdkFixture() {
  const f = await loadFixture(activeFixture);
  const address = await f.market.getAddress();
  const as = (signer: Parameters<typeof Market.connect>[1]) => Market.connect(address, signer);
  return { ...f, address, as };
}

describe("sdk/market users", () => {
  describe("canAnswer", () => {
    const member = {
      index: 0,
      modeler: ethers.ZeroAddress,
      host: "0x" + "11".repeat(20),
      optedInAt: 100n,
      evicted: false,
    };

    it("takes a registered, unevicted member opted in by the request's time", () => {
      expect(canAnswer(member, 100n)).to.equal(true);
    });

    it("refuses a member with no host, an evicted one, and one opted in after the request", () => {
      expect(canAnswer({ ...member, host: ethers.ZeroAddress }, 100n)).to.equal(false);
      expect(canAnswer({ ...member, evicted: true }, 100n)).to.equal(false);
      expect(canAnswer(member, 99n)).to.equal(false);
    });
  });

  describe("readiness", () => {
    it("gives the fee, the serving list, who can answer, the pause and the requester's balance", async () => {
      const { as, users, listed, stranger } = await loadFixture(sdkFixture);
      const ready = await as(stranger).readiness(1, users[0].address);
      expect([ready.paused, ready.balance]).to.deep.equal([false, 1_000n * FEE]);
      expect(ready.challenge!.fee).to.equal(FEE);
      expect(ready.challenge!.list.listId).to.equal(1n);
      expect(ready.challenge!.servesFrom).to.equal(undefined);
      expect(ready.challenge!.answerable.map((m) => m.modeler)).to.deep.equal(listed.map((m) => m.address));
      expect((await as(stranger).readiness(1, stranger.address)).balance).to.equal(0n);
    });

    it("has no challenge for an unknown id, and shows the pause", async () => {
      const { as, users, market, pauser } = await loadFixture(sdkFixture);
      await market.connect(pauser).pause();
      const ready = await as(users[0]).readiness(7, users[0].address);
      expect(ready.challenge).to.equal(undefined);
      expect(ready.paused).to.equal(true);
      expect((await as(users[0]).readiness(0, users[0].address)).challenge).to.equal(undefined);
    });

    it("says when the first list serves while none serves yet", async () => {
      const f = await loadFixture(challengeFixture);
      const sdk = Market.connect(await f.market.getAddress(), f.users[0]);
      const none = await sdk.readiness(1, f.users[0].address);
      expect([none.challenge!.list.listId, none.challenge!.servesFrom]).to.deep.equal([0n, undefined]);
      await time.increaseTo(DATES.e0Window);
      await f.market.connect(f.keeper).promote(1, [f.modelers[0].address], ethers.ZeroHash);
      const pending = await sdk.readiness(1, f.users[0].address);
      expect(pending.challenge!.servesFrom).to.equal(DATES.e1Start);
      expect(pending.challenge!.answerable).to.deep.equal([]);
    });

    it("leaves out of `answerable` the members that cannot answer", async () => {
      const { as, users, market, manager, creator, keeper, modelers, hosts } = await loadFixture(sdkFixture);
      await market.connect(manager).createChallenge(creator.address, creator.address, FEE, "half");
      await market.connect(modelers[8]).register(2, hosts[8].address);
      await time.increaseTo(DATES.e1Window);
      await market.connect(keeper).promote(2, [modelers[9].address, modelers[8].address], ethers.ZeroHash);
      await time.increaseTo(DATES.e2Start);
      const ready = await as(users[0]).readiness(2, users[0].address);
      expect(ready.challenge!.answerable.map((m) => m.modeler)).to.deep.equal([modelers[8].address]);
    });
  });

  describe("request", () => {
    it("with exactApproval approves only the fee when the allowance is short, so none is left", async () => {
      const { as, token, address, stranger } = await loadFixture(sdkFixture);
      await token.mint(stranger.address, 10n * FEE);
      await as(stranger).request(1, "x", { maxFee: 3n * FEE, exactApproval: true });
      expect(await token.allowance(stranger.address, address)).to.equal(0n);
    });

    it("restores the allowance it had when the request fails after its approve, and throws the request's error", async () => {
      const { as, token, address, stranger, market, pauser } = await loadFixture(sdkFixture);
      await token.mint(stranger.address, 10n * FEE);
      await token.connect(stranger).approve(address, 1n);
      const err = await afterEachApprove(
        () => market.connect(pauser).pause(),
        () =>
          as(stranger)
            .request(1, "x", { maxFee: 3n * FEE })
            .catch((e: unknown) => e),
      );
      expect(err).to.be.instanceOf(RevertError);
      expect((err as RevertError).errorName).to.equal("EnforcedPause");
      expect(await token.allowance(stranger.address, address)).to.equal(1n);
      expect(await market.requestCount()).to.equal(0n);
    });
  });

  describe("waitForAnswers, as it goes", () => {
    it("tells each answer once, in order, with its time, and each poll that did not end the wait", async () => {
      const { as, users, hosts } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "x");
      const told: TimedAnswer[] = [];
      const polls: number[] = [];
      const waiting = as(users[0]).waitForAnswers(r, {
        pollMs: 10,
        onAnswer: (a) => told.push(a),
        onPoll: (_now, answered) => polls.push(answered),
      });
      while (polls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      for (let i = 0; i < 5; i++) {
        await time.setNextBlockTimestamp(r.createdAt + 1n + BigInt(i));
        await as(hosts[i]).answer(r.requestId, r.key, i, `${i}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      const result = await waiting;
      expect(told.map((a) => [a.text, a.answeredAt - r.createdAt])).to.deep.equal(
        [0, 1, 2, 3, 4].map((i) => [`${i}`, BigInt(i + 1)]),
      );
      expect(result.answers.map((a) => a.answeredAt)).to.deep.equal(told.map((a) => a.answeredAt));
      expect(polls[0]).to.equal(0);
      expect(polls.every((n, i) => i === 0 || n >= polls[i - 1])).to.equal(true);
    });

    it("ends at the next poll once its signal is aborted, with what came so far", async () => {
      const { as, users, hosts } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "x");
      await as(hosts[2]).answer(r.requestId, r.key, 2, "a");
      const stop = new AbortController();
      const waiting = as(users[0]).waitForAnswers(r, { pollMs: 10, signal: stop.signal });
      await new Promise((resolve) => setTimeout(resolve, 50));
      stop.abort();
      const result = await waiting;
      expect([result.status, result.expected, result.answers.map((a) => a.text)]).to.deep.equal([
        RequestStatus.Answered,
        5,
        ["a"],
      ]);
    });
  });

  describe("requestReport", () => {
    it("gives a request with its status, its expected answers and its answers with their times", async () => {
      const { as, users, hosts, stranger } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "x");
      await time.setNextBlockTimestamp(r.createdAt + 7n);
      await as(hosts[3]).answer(r.requestId, r.key, 3, "9");
      const report = await as(stranger).requestReport(r.requestId);
      expect([report.request, report.status, report.expected]).to.deep.equal([r, RequestStatus.Answered, 5]);
      expect(report.answers.map((a) => [a.text, a.answeredAt])).to.deep.equal([["9", r.createdAt + 7n]]);
    });

    it("finds a refunded request again from its event, and refuses an unknown one", async () => {
      const { as, users } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "x");
      await time.increaseTo(r.deadline + 1n);
      await as(users[0]).refund(r.requestId, r.key);
      const report = await as(users[0]).requestReport(r.requestId);
      expect([report.request, report.status, report.answers]).to.deep.equal([r, RequestStatus.Refunded, []]);
      await expect(as(users[0]).requestReport(2)).to.be.rejectedWith("request 2 does not exist");
    });
  });
});
