import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, FEE } from "../fixtures";
import { encodeText } from "../../sdk";
import { runTask } from "./run";
import { startTask } from "./live";

const WALLET = "0x1111111111111111111111111111111111111111";
const MADE = DATES.e1Start + 1n;
const OUTPUTS = ["700", "error: invalid-input: not a wallet address", "720"];

/** Request 1 by users[0] at MADE; positions 0, 1 and 2 answered 1, 2 and 4 s later (1 with an error answer). */
async function answeredFixture() {
  const f = await loadFixture(activeFixture);
  await time.setNextBlockTimestamp(MADE);
  await f.market.connect(f.users[0]).request(1, FEE, encodeText(WALLET));
  const key = { requester: f.users[0].address, challengeId: 1, listId: 1, fee: FEE };
  for (const [i, delay] of [1n, 2n, 4n].entries()) {
    await time.setNextBlockTimestamp(MADE + delay);
    await f.market.connect(f.hosts[i]).answer(1, key, i, encodeText(OUTPUTS[i]));
  }
  return { ...f, key, address: await f.market.getAddress() };
}

/** Request 1 by users[0] at MADE, not answered. */
async function openFixture() {
  const f = await loadFixture(activeFixture);
  await time.setNextBlockTimestamp(MADE);
  await f.market.connect(f.users[0]).request(1, FEE, encodeText("x"));
  const key = { requester: f.users[0].address, challengeId: 1, listId: 1, fee: FEE };
  return { ...f, key, address: await f.market.getAddress() };
}

const linesOf = (out: string) => out.split("\n").map((l) => l.replace(/ +/g, " ").trimEnd());
const headerOf = (requester: string) =>
  new RegExp(
    `^request 1 on challenge 1 \\(list 1\\) by ${requester}: fee 1.0 tUSD, made 2026-11-26T00:00:01Z, ` +
      `answers due by 2026-11-26T00:10:01Z \\(tx 0x[0-9a-f]{64}\\)$`,
  );

describe("tasks: answers", () => {
  it("shows a past request with its answers, their delays and their combination, error answers apart", async () => {
    const { address, users, listed } = await loadFixture(answeredFixture);
    await time.increaseTo(MADE + 5n);
    const { out } = await runTask("answers", { market: address, request: "1" });
    const lines = linesOf(out);
    expect(lines[0]).to.match(headerOf(users[0].address));
    expect(lines.slice(1)).to.deep.equal([
      `input: ${WALLET}`,
      "status: answered, 9m55s left for more answers",
      "answers (3 of 5 expected):",
      " modeler after output",
      ` ${listed[0].address} 1 s 700`,
      ` ${listed[2].address} 4 s 720`,
      "error answers (1), left out of the result:",
      " modeler after output",
      ` ${listed[1].address} 2 s ${OUTPUTS[1]}`,
      "majority: 700",
    ]);
  });

  it("combines with --combine and gives the same as JSON", async () => {
    const { address, listed, users } = await loadFixture(answeredFixture);
    await time.increaseTo(MADE + 601n);
    const { out } = await runTask("answers", { market: address, request: "1", combine: "median", json: true });
    const data = JSON.parse(out);
    expect(data.request).to.deep.include({ requestId: "1", input: WALLET, createdAt: MADE.toString() });
    expect(data.request.key.requester).to.equal(users[0].address);
    expect([data.status, data.expected, data.combine, data.result]).to.deep.equal(["answered", 5, "median", "710"]);
    expect(data.answers).to.deep.equal([
      { modeler: listed[0].address, delay: 1, output: "700" },
      { modeler: listed[2].address, delay: 4, output: "720" },
    ]);
    expect(data.errorAnswers).to.deep.equal([{ modeler: listed[1].address, delay: 2, output: OUTPUTS[1] }]);
  });

  it("shows an open request with its time left, and an expired one with the refund command", async () => {
    const { address } = await loadFixture(openFixture);
    const show = async () => linesOf((await runTask("answers", { market: address, request: "1" })).out).slice(2);
    expect(await show()).to.deep.equal(["status: open, 10m00s left", "no answers (5 expected)"]);
    await time.increaseTo(MADE + 601n);
    expect(await show()).to.deep.equal([
      `status: expired: nobody answered by the deadline; get the fee back with npx hardhat --network hardhat refund --request 1 --market ${address}`,
      "no answers (5 expected)",
    ]);
  });

  it("shows a refunded request, found again from its event", async () => {
    const { address, market, key, users } = await loadFixture(openFixture);
    await time.increaseTo(MADE + 601n);
    await market.refund(1, key);
    const { out, result } = await runTask("answers", { market: address, request: "1" });
    expect(linesOf(out)[0]).to.match(headerOf(users[0].address));
    expect(linesOf(out).slice(2)).to.deep.equal([
      `status: refunded: nobody answered by the deadline, and the fee went back to ${users[0].address}`,
      "no answers (5 expected)",
    ]);
    expect(result.status).to.equal("refunded");
  });

  it("with --wait follows the request until every expected modeler answered", async () => {
    const { address, market, key, hosts, listed, users } = await loadFixture(openFixture);
    const task = startTask("answers", { market: address, request: "1", wait: true, pollMs: 10 });
    await task.until(/^waiting for answers/);
    expect(task.printed[0]).to.match(headerOf(users[0].address));
    expect(task.printed.slice(1)).to.deep.equal([
      "input: x",
      "waiting for answers from 5 modelers until 2026-11-26T00:10:01Z (Ctrl-C stops waiting; the request stays)",
    ]);
    for (let i = 0; i < 5; i++) {
      await time.setNextBlockTimestamp(MADE + 2n + BigInt(i));
      await market.connect(hosts[i]).answer(1, key, i, encodeText(`${600 + i}`));
    }
    const { out } = await task.done;
    const lines = linesOf(out).slice(3);
    expect(lines.slice(0, 6)).to.deep.equal([
      ...listed.map((m, i) => `answer from ${m.address} after ${2 + i} s: ${600 + i}`),
      "status: answered, 9m54s left for more answers",
    ]);
    expect(lines.slice(-1)).to.deep.equal(["majority: 600"]);
  });

  it("with --wait does not wait for a request past its deadline", async () => {
    const { address } = await loadFixture(answeredFixture);
    await time.increaseTo(MADE + 601n);
    const { out } = await runTask("answers", { market: address, request: "1", wait: true, pollMs: 10 });
    expect(linesOf(out)[2]).to.equal("status: answered");
  });

  it("with --wait stops on Ctrl-C and says how to wait again", async () => {
    const { address } = await loadFixture(openFixture);
    const exitCode = process.exitCode;
    try {
      const task = startTask("answers", { market: address, request: "1", wait: true, pollMs: 10 });
      await task.until(/^waiting for answers/);
      task.interrupt();
      const { out } = await task.done;
      expect(out.split("\n").slice(3, 5)).to.deep.equal([
        "stopped waiting; request 1 stays open until 2026-11-26T00:10:01Z",
        `  to wait again: npx hardhat --network hardhat answers --request 1 --wait --market ${address}`,
      ]);
      expect(process.exitCode).to.equal(130);
    } finally {
      process.exitCode = exitCode;
    }
  });

  it("refuses a request that does not exist", async () => {
    const { address } = await loadFixture(openFixture);
    await expect(runTask("answers", { market: address, request: "9" })).to.be.rejectedWith("request 9 does not exist");
  });
});
