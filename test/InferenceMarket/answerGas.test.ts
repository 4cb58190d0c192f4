import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ANSWER_ENTRY_GAS, answerGasLimit } from "../../sdk/answer-gas";
import { activeFixture, requestOf, DATES, FEE } from "../fixtures";

/*
 * The host agent sends its answers with the gas limit of sdk/answer-gas.ts instead of an estimate. These cases
 * are the worst an entry can meet: the request's first answer (it settles the fee, the epoch's first settled fee
 * too) by a modeler answering for the first time in the epoch (its points move to their past-epoch slot).
 */

/** Output text of `bytes` non-zero bytes: the dearest calldata. */
const output = (bytes: number, i: number) => ethers.hexlify(ethers.toUtf8Bytes(`${i}`.padEnd(bytes, "9")));

/**
 * The list of five all hosted by hosts[0], each with points in E1; then, in E2, `requests` requests that none
 * of them answered yet.
 */
async function worstFixture(requests: number) {
  const f = await loadFixture(activeFixture);
  const host = f.hosts[0];
  for (const m of f.listed.slice(1)) await f.market.connect(m).setHost(1, host.address);
  const first = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, "0x01"));
  for (let i = 0; i < 5; i++) await f.market.connect(host).answer(first.id, first.key, i, "0x01");
  await time.increaseTo(DATES.e2Start);
  const made = [];
  for (let i = 0; i < requests; i++)
    made.push(await requestOf(f.market, await f.market.connect(f.users[i % 5]).request(1, FEE, "0x02")));
  return { ...f, host, made };
}

const fiveWorst = () => worstFixture(5);
const tenRequests = () => worstFixture(10);

describe("answerGasLimit (the host's gas limit without an estimate)", () => {
  for (const bytes of [9, 1_024, 16_384]) {
    it(`covers a batch of five worst-case entries with outputs of ${bytes} bytes`, async () => {
      const { market, host, made } = await loadFixture(fiveWorst);
      const entries = made.map((r, i) => ({ requestId: r.id, key: r.key, index: i, output: output(bytes, i) }));
      const data = market.interface.encodeFunctionData("answerBatch", [entries]);
      const gasLimit = answerGasLimit(entries.length, data);
      const receipt = await (await market.connect(host).answerBatch(entries, { gasLimit })).wait();
      expect(receipt!.status).to.equal(1);
      const answered = receipt!.logs.filter((l) => market.interface.parseLog(l)?.name === "RequestAnswered");
      expect(answered).to.have.length(5);
      expect(receipt!.gasUsed).to.be.at.most(gasLimit);
      if (bytes > 1_024) return;
      // Each entry's execution (the transaction's base, its calldata and the logged output left out) stays under
      // the per-entry bound. Past a few kilobytes the calldata floor of EIP-7623 is what the transaction pays.
      const calldata = 16n * BigInt(ethers.dataLength(data));
      const logged = 8n * BigInt(5 * bytes);
      expect((receipt!.gasUsed - 21_000n - calldata - logged) / 5n).to.be.below(ANSWER_ENTRY_GAS);
    });
  }

  it("covers a single worst-case answer()", async () => {
    const { market, host, made } = await loadFixture(fiveWorst);
    const r = made[0];
    const out = output(1_024, 0);
    const data = market.interface.encodeFunctionData("answer", [r.id, r.key, 0, out]);
    const gasLimit = answerGasLimit(1, data);
    const receipt = await (await market.connect(host).answer(r.id, r.key, 0, out, { gasLimit })).wait();
    expect(receipt!.status).to.equal(1);
    expect(receipt!.gasUsed).to.be.at.most(gasLimit);
    // The dearest entry of all (the epoch's first settled fee besides) is under the per-entry bound on its own.
    const execution = receipt!.gasUsed - 21_000n - 16n * BigInt(ethers.dataLength(data)) - 8n * 1_024n;
    expect(execution).to.be.below(ANSWER_ENTRY_GAS);
  });

  it("covers a full batch of fifty entries, and leaves it far inside a block", async () => {
    const { market, host, made } = await loadFixture(tenRequests);
    const entries = made.flatMap((r) =>
      [0, 1, 2, 3, 4].map((index) => ({ requestId: r.id, key: r.key, index, output: output(64, index) })),
    );
    const data = market.interface.encodeFunctionData("answerBatch", [entries]);
    const gasLimit = answerGasLimit(entries.length, data);
    const receipt = await (await market.connect(host).answerBatch(entries, { gasLimit })).wait();
    expect(receipt!.status).to.equal(1);
    expect(receipt!.gasUsed).to.be.at.most(gasLimit);
    const block = await ethers.provider.getBlock("latest");
    expect(gasLimit).to.be.below(block!.gasLimit / 5n);
  });
});
