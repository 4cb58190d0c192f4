import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, challengeFixture, DATES, FEE, inOneBlock } from "../fixtures";
import { Market } from "../../sdk";
import { runTask } from "./run";
import { afterEachApprove, startTask } from "./live";

// Signer indexes of the fixtures: 7 stranger, 8.. users.
const USER = "8";
const STRANGER = "7";
const WALLET = "0x1111111111111111111111111111111111111111";
const MADE = DATES.e1Start + 1n;
const DUE = "2026-11-26T00:10:01Z";

/** The lines of a task's output, with runs of spaces (table padding) folded to one. */
const linesOf = (out: string) => out.split("\n").map((l) => l.replace(/ +/g, " ").trimEnd());

const header = (requester: string) =>
  new RegExp(
    `^request 1 on challenge 1 \\(list 1\\) by ${requester}: fee 1.0 tUSD, made 2026-11-26T00:00:01Z, ` +
      `answers due by ${DUE} \\(tx 0x[0-9a-f]{64}\\)$`,
  );
const WAITING = `waiting for answers from 5 modelers until ${DUE} (Ctrl-C stops waiting; the request stays)`;

/** `request` by USER on challenge 1 with input "x", polling every 10 ms, running in the background. */
async function requesting(market: { getAddress(): Promise<string> }, more: Record<string, unknown> = {}) {
  const address = await market.getAddress();
  return startTask("request", { market: address, from: USER, challenge: "1", input: "x", pollMs: 10, ...more });
}

/** Challenge 2, whose list serving from E2 holds one modeler that never registered; the chain at E2's start. */
async function unanswerableFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.manager).createChallenge(f.creator.address, f.creator.address, FEE, "nobody home");
  await time.increaseTo(DATES.e1Window);
  await f.market.connect(f.keeper).promote(2, [f.modelers[9].address], ethers.ZeroHash);
  await time.increaseTo(DATES.e2Start);
  return f;
}

describe("tasks: user", () => {
  describe("request", () => {
    it("prints the id, deadline and tx at once, each answer as it lands, then the answers and their majority", async () => {
      const { market, hosts, users, listed } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await time.setNextBlockTimestamp(MADE);
      const task = await requesting(market, { input: WALLET });
      await task.until(/^waiting for answers/);
      expect(task.printed).to.have.length(2);
      expect(task.printed[0]).to.match(header(users[0].address));
      expect(task.printed[1]).to.equal(WAITING);
      const r = await Market.connect(address, hosts[0]).findRequest(1);
      const scores = ["700", "650", "720", "650", "600"];
      await time.setNextBlockTimestamp(MADE + 3n);
      await Market.connect(address, hosts[0]).answer(1, r.key, 0, scores[0]);
      await task.until(/^answer from/);
      expect(task.printed[2]).to.equal(`answer from ${listed[0].address} after 3 s: 700`);
      for (let i = 1; i < 5; i++) {
        await time.setNextBlockTimestamp(MADE + 3n + BigInt(i));
        await Market.connect(address, hosts[i]).answer(1, r.key, i, scores[i]);
      }
      const { result, out } = await task.done;
      expect(linesOf(out).slice(3)).to.deep.equal([
        ...[1, 2, 3, 4].map((i) => `answer from ${listed[i].address} after ${3 + i} s: ${scores[i]}`),
        "answers (5 of 5 expected):",
        " modeler after output",
        ...scores.map((s, i) => ` ${listed[i].address} ${3 + i} s ${s}`),
        "majority: 650",
      ]);
      expect(result.result).to.equal("650");
      expect(result.request.key.requester).to.equal(users[0].address);
      expect(result.answers[0]).to.deep.equal({ modeler: listed[0].address, delay: 3, output: "700" });
    });

    it("marks error answers as they land, lists them apart and leaves them out of the result", async () => {
      const { market, hosts, listed } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await time.setNextBlockTimestamp(MADE);
      const task = await requesting(market, { input: "not a wallet", combine: "first" });
      await task.until(/^waiting for answers/);
      const r = await Market.connect(address, hosts[0]).findRequest(1);
      const outputs = [
        "error: invalid-input: not a wallet address",
        "error: invalid-input: not a wallet address",
        "640",
        "error: timeout: no result within 60 s",
        "660",
      ];
      for (let i = 0; i < 5; i++) {
        await time.setNextBlockTimestamp(MADE + 1n + BigInt(i));
        await Market.connect(address, hosts[i]).answer(1, r.key, i, outputs[i]);
      }
      const { result, out } = await task.done;
      const error = " (error answer, left out of the result)";
      expect(linesOf(out).slice(2)).to.deep.equal([
        ...outputs.map(
          (o, i) => `answer from ${listed[i].address} after ${1 + i} s: ${o}${o.startsWith("error") ? error : ""}`,
        ),
        "answers (5 of 5 expected):",
        " modeler after output",
        ` ${listed[2].address} 3 s 640`,
        ` ${listed[4].address} 5 s 660`,
        "error answers (3), left out of the result:",
        " modeler after output",
        ...[0, 1, 3].map((i) => ` ${listed[i].address} ${1 + i} s ${outputs[i]}`),
        "first: 640",
      ]);
      expect(result.result).to.equal("640");
      expect(result.answers.map((a: { output: string }) => a.output)).to.deep.equal(["640", "660"]);
      expect(result.errorAnswers).to.have.length(3);
    });

    it("shows the time left each 10 s of chain time while it waits", async () => {
      const { market, hosts, listed } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await time.setNextBlockTimestamp(MADE);
      const task = await requesting(market);
      await task.until(/^waiting for answers/);
      await time.increaseTo(MADE + 25n);
      await task.until(/left/);
      const r = await Market.connect(address, hosts[0]).findRequest(1);
      await time.setNextBlockTimestamp(MADE + 31n);
      await Market.connect(address, hosts[0]).answer(1, r.key, 0, "1");
      await task.until(/1 of 5 answered/);
      await time.increaseTo(MADE + 33n);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(task.printed.slice(2)).to.deep.equal([
        "  9m35s left, 0 of 5 answered",
        `answer from ${listed[0].address} after 31 s: 1`,
        "  9m29s left, 1 of 5 answered",
      ]);
      await time.increaseTo(r.deadline + 1n);
      expect(linesOf((await task.done).out)[5]).to.equal("answers (1 of 5 expected):");
    });

    it("on Ctrl-C stops waiting, says how to wait again and how to refund, and exits with 130", async () => {
      const { market, users } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      const listeners = process.listenerCount("SIGINT");
      const exitCode = process.exitCode;
      try {
        await time.setNextBlockTimestamp(MADE);
        const task = await requesting(market);
        await task.until(/^waiting for answers/);
        expect(process.listenerCount("SIGINT")).to.equal(listeners + 1);
        task.interrupt();
        const { result, out } = await task.done;
        expect(out.split("\n").slice(2)).to.deep.equal([
          `stopped waiting; request 1 stays open until ${DUE}`,
          `  to wait again: npx hardhat --network hardhat answers --request 1 --wait --market ${address}`,
          `  to get the fee back if nobody answered by then: npx hardhat --network hardhat refund --request 1 --market ${address}`,
        ]);
        expect(result.interrupted).to.equal(true);
        expect(result.commands.resume).to.equal(
          `npx hardhat --network hardhat answers --request 1 --wait --market ${address}`,
        );
        expect(result.request.key.requester).to.equal(users[0].address);
        expect(process.exitCode).to.equal(130);
        expect(process.listenerCount("SIGINT")).to.equal(listeners);
        expect((await market.requestState(1))[0]).to.equal(1n);
      } finally {
        process.exitCode = exitCode;
      }
    });

    it("refunds the fee when nobody answers by the deadline", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      const task = await requesting(market, { combine: "median" });
      await task.until(/^waiting for answers/);
      const [, , deadline] = await market.requestState(1);
      await time.increaseTo(deadline + 1n);
      const { result, out } = await task.done;
      expect(out.split("\n").slice(2)).to.have.length(1);
      expect(out.split("\n")[2]).to.match(/^no answer by the deadline: refunded 1.0 tUSD \(tx 0x[0-9a-f]{64}\)$/);
      expect(result.refund.amount).to.equal(FEE);
      expect(result.result).to.equal(undefined);
      expect(await token.balanceOf(users[0].address)).to.equal(1_000n * FEE);
    });

    it("says so when someone else refunded the request first", async () => {
      const { market, stranger, users } = await loadFixture(activeFixture);
      const task = await requesting(market);
      await task.until(/^waiting for answers/);
      const [, , deadline] = await market.requestState(1);
      const key = { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE };
      // The deadline passes and the refund lands in the same block: the task never sees the request expired.
      await inOneBlock([() => market.connect(stranger).refund(1, key, { gasLimit: 200_000 })], deadline + 1n);
      const { result, out } = await task.done;
      expect(out.split("\n").slice(2)).to.deep.equal([
        `no answer by the deadline: the fee was refunded to ${users[0].address} already`,
      ]);
      expect(result.refund).to.equal(undefined);
    });

    it("with --json prints only the final JSON, error answers apart", async () => {
      const { market, hosts, listed } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await time.setNextBlockTimestamp(MADE);
      const task = await requesting(market, { wait: "first:2", json: true });
      while ((await market.requestCount()) === 0n) await new Promise((resolve) => setTimeout(resolve, 5));
      const r = await Market.connect(address, hosts[0]).findRequest(1);
      await time.setNextBlockTimestamp(MADE + 2n);
      await Market.connect(address, hosts[0]).answer(1, r.key, 0, "error: model-failed: boom");
      await time.setNextBlockTimestamp(MADE + 4n);
      await Market.connect(address, hosts[1]).answer(1, r.key, 1, "700");
      const data = JSON.parse((await task.done).out);
      expect(data.request.requestId).to.equal("1");
      expect(data.answers).to.deep.equal([{ modeler: listed[1].address, delay: 4, output: "700" }]);
      expect(data.errorAnswers).to.deep.equal([
        { modeler: listed[0].address, delay: 2, output: "error: model-failed: boom" },
      ]);
      expect([data.expected, data.combine, data.result]).to.deep.equal([5, "majority", "700"]);
    });

    it("with --wait none prints the request as JSON and returns at once", async () => {
      const { market } = await loadFixture(activeFixture);
      const { out } = await runTask("request", {
        market: await market.getAddress(),
        from: USER,
        challenge: "1",
        input: "x",
        wait: "none",
        json: true,
      });
      const data = JSON.parse(out);
      expect(data.request.requestId).to.equal("1");
      expect(data.request.key.fee).to.equal(FEE.toString());
      expect((await market.requestState(1))[0]).to.equal(1n);
    });

    it("refuses an unknown --wait", async () => {
      const { market } = await loadFixture(activeFixture);
      await expect(
        runTask("request", { market: await market.getAddress(), challenge: "1", input: "x", wait: "soon" }),
      ).to.be.rejectedWith('--wait must be all, deadline, first:<k> or none, got "soon"');
      expect(await market.requestCount()).to.equal(0n);
    });
  });

  describe("request: checks before paying", () => {
    /** Runs `request` as `from` and expects it refused with `message`, no transaction sent and no request made. */
    async function refused(market: { getAddress(): Promise<string> }, from: string, args: object, message: string) {
      const signer = (await ethers.getSigners())[Number(from)];
      const nonce = await ethers.provider.getTransactionCount(signer.address);
      const address = await market.getAddress();
      await expect(
        runTask("request", { market: address, from, challenge: "1", input: "x", wait: "none", ...args }),
      ).to.be.rejectedWith(message);
      expect(await ethers.provider.getTransactionCount(signer.address)).to.equal(nonce);
      expect(await Market.connect(address, signer).contract.requestCount()).to.equal(0n);
    }

    it("refuses when no modeler of the active list opted in; --force pays and waits for the refund", async () => {
      const { market, users } = await loadFixture(unanswerableFixture);
      await refused(
        market,
        USER,
        { challenge: "2" },
        "no modeler of challenge 2's list 1 can answer (registered with a host, opted in, not evicted): " +
          "the fee would only come back by refund after the deadline; --force pays anyway",
      );
      const task = await requesting(market, { challenge: "2", force: true });
      await task.until(/^no modeler can answer it/);
      const [, , deadline] = await market.requestState(1);
      expect(task.printed[1]).to.equal(
        "no modeler can answer it: waiting for the deadline 2026-12-03T00:10:01Z to refund (Ctrl-C stops waiting)",
      );
      await time.increaseTo(deadline + 1n);
      const { result } = await task.done;
      expect(result.request.key.requester).to.equal(users[0].address);
      expect(result.refund.amount).to.equal(FEE);
    });

    it("refuses on a balance below the fee without sending any transaction, naming the faucet", async () => {
      const { market, stranger } = await loadFixture(activeFixture);
      await refused(
        market,
        STRANGER,
        {},
        `${stranger.address} holds 0.0 tUSD, less than the fee of 1.0 tUSD; ` +
          `get test tokens with npx hardhat --network hardhat faucet --to ${stranger.address}`,
      );
    });

    it("refuses a fee above --max-fee, in token units", async () => {
      const { market } = await loadFixture(activeFixture);
      await refused(market, USER, { maxFee: "0.5" }, "the fee of challenge 1 is 1.0 tUSD, above --max-fee 0.5 tUSD");
    });

    it("refuses while the market is paused", async () => {
      const { market, pauser } = await loadFixture(activeFixture);
      await market.connect(pauser).pause();
      await refused(market, USER, {}, "the market is paused: it takes no requests until a pauser unpauses it");
    });

    it("refuses a challenge that does not exist", async () => {
      const { market } = await loadFixture(activeFixture);
      await refused(market, USER, { challenge: "9" }, "challenge 9 does not exist");
    });

    it("refuses a challenge that takes no requests yet, saying when its first list serves", async () => {
      const { market, keeper, modelers } = await loadFixture(challengeFixture);
      await refused(
        market,
        USER,
        {},
        "challenge 1 takes no requests yet: the keeper has not promoted a list of modelers for it",
      );
      await time.increaseTo(DATES.e0Window);
      await market.connect(keeper).promote(1, [modelers[0].address], ethers.ZeroHash);
      await refused(
        market,
        USER,
        {},
        "challenge 1 takes no requests yet: its first list of modelers serves from 2026-11-26T00:00:00Z",
      );
    });

    it("approves exactly the fee when the allowance is short, so none is left", async () => {
      const { market, token, stranger } = await loadFixture(activeFixture);
      await token.mint(stranger.address, 10n * FEE);
      const nonce = await ethers.provider.getTransactionCount(stranger.address);
      const address = await market.getAddress();
      await runTask("request", {
        market: address,
        from: STRANGER,
        challenge: "1",
        input: "x",
        maxFee: "3",
        wait: "none",
      });
      expect(await ethers.provider.getTransactionCount(stranger.address)).to.equal(nonce + 2);
      expect(await token.allowance(stranger.address, address)).to.equal(0n);
      expect(await token.balanceOf(stranger.address)).to.equal(9n * FEE);
    });

    it("restores the allowance it had when the request fails after its approve", async () => {
      const { market, token, stranger, pauser } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await token.mint(stranger.address, 10n * FEE);
      await token.connect(stranger).approve(address, FEE / 4n);
      await afterEachApprove(
        () => market.connect(pauser).pause(),
        async () =>
          await expect(
            runTask("request", { market: address, from: STRANGER, challenge: "1", input: "x", wait: "none" }),
          ).to.be.rejectedWith("EnforcedPause()"),
      );
      expect(await token.allowance(stranger.address, address)).to.equal(FEE / 4n);
      expect(await token.balanceOf(stranger.address)).to.equal(10n * FEE);
      expect(await market.requestCount()).to.equal(0n);
    });
  });

  describe("refund", () => {
    it("returns an expired request's fee to its requester, whoever sends it", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      await market.connect(users[2]).request(1, FEE, "0x01");
      const [, , deadline] = await market.requestState(1);
      await time.increaseTo(deadline + 1n);
      const { out } = await runTask("refund", { market: await market.getAddress(), from: STRANGER, request: "1" });
      expect(out).to.match(new RegExp(`^request 1: refunded 1.0 tUSD to ${users[2].address} \\(tx 0x[0-9a-f]{64}\\)$`));
      expect(await token.balanceOf(users[2].address)).to.equal(1_000n * FEE);
    });

    it("fails with MarketDeadlineNotPassed inside the SLA, and keeps the fee escrowed", async () => {
      const { market, token } = await loadFixture(activeFixture);
      await time.setNextBlockTimestamp(MADE);
      await runTask("request", {
        market: await market.getAddress(),
        from: USER,
        challenge: "1",
        input: "x",
        wait: "none",
      });
      await expect(runTask("refund", { market: await market.getAddress(), request: "1" })).to.be.rejectedWith(
        /^MarketDeadlineNotPassed\(requestId=1, deadline=2026-11-26T00:10:01Z \(1795651801\), timestamp=2026-11-26T00:00:01Z \(1795651201\)\)$/,
      );
      expect(await token.balanceOf(await market.getAddress())).to.equal(FEE);
    });
  });
});
