import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, FEE } from "../fixtures";
import { encodeText, Market, type MadeRequest } from "../../sdk";
import { runTask } from "./run";

// Signer indexes of the fixtures: 7 stranger, 8.. users.
const USER = "8";
const STRANGER = "7";
const WALLET = "0x1111111111111111111111111111111111111111";

/** The request the running task made, once it exists. */
async function madeRequest(market: Market): Promise<MadeRequest> {
  while ((await market.contract.requestCount()) === 0n) await new Promise((resolve) => setTimeout(resolve, 10));
  return market.findRequest(1);
}

describe("tasks: user", () => {
  describe("request", () => {
    it("pays, waits for every listed modeler's answer and prints the answers and their majority", async () => {
      const { market, hosts, users, listed } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await time.setNextBlockTimestamp(DATES.e1Start + 1n);
      const running = runTask("request", { market: address, from: USER, challenge: "1", input: WALLET, pollMs: 10 });
      const r = await madeRequest(Market.connect(address, hosts[0]));
      expect(r.input).to.equal(encodeText(WALLET));
      const scores = ["700", "650", "720", "650", "600"];
      for (let i = 0; i < 5; i++) await Market.connect(address, hosts[i]).answer(1, r.key, i, scores[i]);
      const { result, out } = await running;
      const lines = out.split("\n");
      expect(lines[0]).to.match(
        /^request 1 on challenge 1 \(list 1\): fee 1.0 tUSD, made 2026-11-26T00:00:01Z, answers due by 2026-11-26T00:10:01Z/,
      );
      expect(lines.slice(1)).to.deep.equal([
        "answers (5 of 5 expected):",
        ...scores.map((s, i) => `  ${listed[i].address}  ${s}`),
        "majority: 650",
      ]);
      expect(result.result).to.equal("650");
      expect(result.request.key.requester).to.equal(users[0].address);
    });

    it("prints error answers apart and leaves them out of the result", async () => {
      const { market, hosts, listed } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      await time.setNextBlockTimestamp(DATES.e1Start + 1n);
      const running = runTask("request", {
        market: address,
        from: USER,
        challenge: "1",
        input: "not a wallet",
        pollMs: 10,
        combine: "first",
      });
      const r = await madeRequest(Market.connect(address, hosts[0]));
      const outputs = [
        "error: invalid-input: not a wallet address",
        "error: invalid-input: not a wallet address",
        "640",
        "error: timeout: no result within 60 s",
        "660",
      ];
      for (let i = 0; i < 5; i++) await Market.connect(address, hosts[i]).answer(1, r.key, i, outputs[i]);
      const { result, out } = await running;
      expect(out.split("\n").slice(1)).to.deep.equal([
        "answers (5 of 5 expected):",
        `  ${listed[2].address}  640`,
        `  ${listed[4].address}  660`,
        "error answers (3), left out of the result:",
        ...[0, 1, 3].map((i) => `  ${listed[i].address}  ${outputs[i]}`),
        "first: 640",
      ]);
      expect(result.result).to.equal("640");
      expect(result.answers.map((a: { output: string }) => a.output)).to.deep.equal(["640", "660"]);
      expect(result.errorAnswers).to.have.length(3);
    });

    it("refunds the fee when nobody answers by the deadline", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      const address = await market.getAddress();
      const running = runTask("request", {
        market: address,
        from: USER,
        challenge: "1",
        input: "x",
        pollMs: 10,
        combine: "median",
      });
      const r = await madeRequest(Market.connect(address, users[1]));
      await time.increaseTo(r.deadline + 1n);
      const { result, out } = await running;
      expect(out.split("\n")[1]).to.match(/^no answer by the deadline: refunded 1.0 tUSD \(tx 0x[0-9a-f]{64}\)$/);
      expect(result.refund.amount).to.equal(FEE);
      expect(result.result).to.equal(undefined);
      expect(await token.balanceOf(users[0].address)).to.equal(1_000n * FEE);
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

    it("fails with MarketFeeAboveMax when the fee is above --max-fee, and takes nothing", async () => {
      const { market, token, users } = await loadFixture(activeFixture);
      await expect(
        runTask("request", {
          market: await market.getAddress(),
          from: USER,
          challenge: "1",
          input: "x",
          maxFee: "0.5",
        }),
      ).to.be.rejectedWith(`MarketFeeAboveMax(fee=${FEE}, maxFee=${FEE / 2n})`);
      expect(await token.balanceOf(users[0].address)).to.equal(1_000n * FEE);
    });

    it("refuses an unknown --wait", async () => {
      const { market } = await loadFixture(activeFixture);
      await expect(
        runTask("request", { market: await market.getAddress(), challenge: "1", input: "x", wait: "soon" }),
      ).to.be.rejectedWith('--wait must be all, deadline, first:<k> or none, got "soon"');
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
      await time.setNextBlockTimestamp(DATES.e1Start + 1n);
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
