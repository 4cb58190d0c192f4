import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, FEE } from "../fixtures";
import { Market, RequestStatus, RevertError, combine, decodeText, encodeText } from "../../sdk";

async function sdkFixture() {
  const f = await loadFixture(activeFixture);
  const address = await f.market.getAddress();
  const as = (signer: Parameters<typeof Market.connect>[1]) => Market.connect(address, signer);
  return { ...f, as };
}

const WALLET = "0x1111111111111111111111111111111111111111";

describe("sdk/market requests", () => {
  describe("request", () => {
    it("escrows the fee and returns the id, the key, the times and the text input of the RequestMade event", async () => {
      const { as, users, market, token } = await loadFixture(sdkFixture);
      const before = await token.balanceOf(users[0].address);
      const r = await as(users[0]).request(1, WALLET);
      const block = await ethers.provider.getBlock(r.blockNumber);
      expect(r.requestId).to.equal(1n);
      expect(r.key).to.deep.equal({ requester: users[0].address, challengeId: 1n, listId: 1n, fee: FEE });
      expect(r.createdAt).to.equal(BigInt(block!.timestamp));
      expect(r.deadline).to.equal(r.createdAt + 600n);
      expect(decodeText(r.input)).to.equal(WALLET);
      expect(r.txHash).to.equal(block!.transactions[0]);
      expect(await token.balanceOf(users[0].address)).to.equal(before - FEE);
      expect(await token.balanceOf(await market.getAddress())).to.equal(FEE);
    });

    it("approves maxFee first when the allowance is short", async () => {
      const { as, token, market, stranger } = await loadFixture(sdkFixture);
      await token.mint(stranger.address, 10n * FEE);
      const r = await as(stranger).request(1, "x", { maxFee: 3n * FEE });
      expect(r.key.fee).to.equal(FEE);
      expect(await token.allowance(stranger.address, await market.getAddress())).to.equal(2n * FEE);
      expect(await token.balanceOf(stranger.address)).to.equal(9n * FEE);
    });

    it("does not approve when the allowance covers the fee, nor when the fee is above maxFee", async () => {
      const { as, token, market, stranger } = await loadFixture(sdkFixture);
      await token.mint(stranger.address, 10n * FEE);
      await token.connect(stranger).approve(await market.getAddress(), FEE);
      const nonce = await ethers.provider.getTransactionCount(stranger.address);
      await as(stranger).request(1, "x", { maxFee: 5n * FEE });
      expect(await ethers.provider.getTransactionCount(stranger.address)).to.equal(nonce + 1);
      expect(await token.allowance(stranger.address, await market.getAddress())).to.equal(0n);
      await expect(as(stranger).request(1, "x", { maxFee: FEE / 2n })).to.be.rejectedWith(
        RevertError,
        "MarketFeeAboveMax",
      );
      expect(await ethers.provider.getTransactionCount(stranger.address)).to.equal(nonce + 1);
      expect(await token.allowance(stranger.address, await market.getAddress())).to.equal(0n);
    });

    it("signs an EIP-2612 permit instead of approving when asked", async () => {
      const { as, token, market, stranger } = await loadFixture(sdkFixture);
      await token.mint(stranger.address, 10n * FEE);
      const r = await as(stranger).request(1, "x", { maxFee: 2n * FEE, permit: true });
      expect(r.requestId).to.equal(1n);
      expect(await token.nonces(stranger.address)).to.equal(1n);
      expect(await token.allowance(stranger.address, await market.getAddress())).to.equal(FEE);
      expect((await ethers.provider.getBlock(r.blockNumber))!.transactions).to.have.length(1);
    });

    it("throws the decoded error before sending when the fee is above maxFee", async () => {
      const { as, users, token } = await loadFixture(sdkFixture);
      const nonce = await ethers.provider.getTransactionCount(users[0].address);
      const err = await as(users[0])
        .request(1, "x", { maxFee: FEE - 1n })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(RevertError);
      expect((err as RevertError).message).to.equal(`MarketFeeAboveMax(fee=${FEE}, maxFee=${FEE - 1n})`);
      expect(await ethers.provider.getTransactionCount(users[0].address)).to.equal(nonce);
      expect(await token.balanceOf(users[0].address)).to.equal(1_000n * FEE);
    });
  });

  describe("waitForAnswers", () => {
    it("returns once every opted-in listed modeler answered, with the answers in order", async () => {
      const { as, users, hosts } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, WALLET);
      const scores = ["700", "650", "650", "720", "10"];
      for (const i of [3, 0, 1, 2, 4]) await as(hosts[i]).answer(r.requestId, r.key, i, scores[i]);
      const result = await as(users[0]).waitForAnswers(r, { pollMs: 10 });
      expect(result.expected).to.equal(5);
      expect(result.status).to.equal(RequestStatus.Answered);
      expect(result.answers.map((a) => a.text)).to.deep.equal(["720", "700", "650", "650", "10"]);
      expect(result.answers.map((a) => a.settledFee)).to.deep.equal([FEE, 0n, 0n, 0n, 0n]);
      expect(result.answers[0].output).to.equal(encodeText("720"));
      expect(
        combine(
          "majority",
          result.answers.map((a) => a.text),
        ),
      ).to.equal("650");
      expect(
        combine(
          "median",
          result.answers.map((a) => a.text),
        ),
      ).to.equal("650");
    });

    it("counts only modelers opted in when the request was made, and returns at the deadline", async () => {
      const { as, users, hosts, market, keeper, modelers } = await loadFixture(sdkFixture);
      // A second list with an unregistered sixth modeler serves from E2.
      await time.increaseTo(DATES.e1Window);
      await market.connect(keeper).promote(1, [modelers[0].address, modelers[5].address], ethers.ZeroHash);
      await time.increaseTo(DATES.e2Start);
      const r = await as(users[0]).request(1, WALLET);
      await as(hosts[0]).answer(r.requestId, r.key, 0, "1");
      const waiting = as(users[0]).waitForAnswers(r, { pollMs: 10 });
      await time.increaseTo(r.deadline + 1n);
      const result = await waiting;
      expect(result.expected).to.equal(1);
      expect(result.answers.map((a) => a.text)).to.deep.equal(["1"]);
    });

    it("with { first: k } returns after k answers", async () => {
      const { as, users, hosts } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, WALLET);
      await as(hosts[2]).answer(r.requestId, r.key, 2, "a");
      await as(hosts[4]).answer(r.requestId, r.key, 4, "b");
      const result = await as(users[0]).waitForAnswers(r, { mode: { first: 2 }, pollMs: 10 });
      expect(result.answers.map((a) => a.text)).to.deep.equal(["a", "b"]);
      expect(result.status).to.equal(RequestStatus.Answered);
    });

    it('with "deadline" waits for the deadline even when everyone answered', async () => {
      const { as, users, hosts } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, WALLET);
      for (let i = 0; i < 5; i++) await as(hosts[i]).answer(r.requestId, r.key, i, `${i}`);
      let settled = false;
      const waiting = as(users[0])
        .waitForAnswers(r, { mode: "deadline", pollMs: 10 })
        .then((res) => ((settled = true), res));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled).to.equal(false);
      await time.increaseTo(r.deadline + 1n);
      expect((await waiting).answers).to.have.length(5);
    });

    it("waits for the deadline when no modeler of the list had opted in", async () => {
      const { as, users, market, manager, creator, keeper, modelers } = await loadFixture(sdkFixture);
      await market.connect(manager).createChallenge(creator.address, creator.address, FEE, "empty");
      await time.increaseTo(DATES.e1Window);
      await market.connect(keeper).promote(2, [modelers[9].address], ethers.ZeroHash);
      await time.increaseTo(DATES.e2Start);
      const r = await as(users[0]).request(2, WALLET);
      let settled = false;
      const waiting = as(users[0])
        .waitForAnswers(r, { pollMs: 10 })
        .then((res) => ((settled = true), res));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled).to.equal(false);
      await time.increaseTo(r.deadline + 1n);
      expect(await waiting).to.deep.equal({ status: RequestStatus.Expired, answers: [], expected: 0 });
    });

    it("returns no answers and status Expired when nobody answered in time", async () => {
      const { as, users } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, WALLET);
      await time.increaseTo(r.deadline + 1n);
      const result = await as(users[0]).waitForAnswers(r, { pollMs: 10 });
      expect(result).to.deep.equal({ status: RequestStatus.Expired, answers: [], expected: 5 });
    });
  });

  describe("refund", () => {
    it("returns the whole fee to the requester, whoever sends it", async () => {
      const { as, users, stranger, token, market } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, WALLET);
      await time.increaseTo(r.deadline + 1n);
      const sent = await as(stranger).refund(r.requestId, r.key);
      expect(sent.receipt.status).to.equal(1);
      expect(await token.balanceOf(users[0].address)).to.equal(1_000n * FEE);
      expect(await token.balanceOf(await market.getAddress())).to.equal(0n);
      expect((await market.requestState(r.requestId))[0]).to.equal(BigInt(RequestStatus.Refunded));
    });

    it("throws MarketRequestAnswered for an answered request and changes nothing", async () => {
      const { as, users, hosts, token, market } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, WALLET);
      await as(hosts[0]).answer(r.requestId, r.key, 0, "1");
      await time.increaseTo(r.deadline + 1n);
      await expect(as(users[0]).refund(r.requestId, r.key)).to.be.rejectedWith(
        RevertError,
        "MarketRequestAnswered(requestId=1)",
      );
      expect(await token.balanceOf(await market.getAddress())).to.equal(FEE);
    });
  });

  describe("requestState and findRequest", () => {
    it("give the answered positions and find a request's event from its id", async () => {
      const { as, users, hosts, stranger } = await loadFixture(sdkFixture);
      await as(users[0]).request(1, "first");
      const r = await as(users[1]).request(1, WALLET);
      await as(hosts[4]).answer(r.requestId, r.key, 4, "1");
      await as(hosts[1]).answer(r.requestId, r.key, 1, "1");
      const market = as(stranger);
      expect(await market.requestState(r.requestId)).to.deep.equal({
        status: RequestStatus.Answered,
        createdAt: r.createdAt,
        deadline: r.deadline,
        answered: [1, 4],
      });
      expect(await market.findRequest(r.requestId)).to.deep.equal(r);
      await expect(market.findRequest(3)).to.be.rejectedWith("request 3 does not exist");
    });

    it("refuse a refunded request", async () => {
      const { as, users } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "x");
      await time.increaseTo(r.deadline + 1n);
      await as(users[0]).refund(r.requestId, r.key);
      await expect(as(users[0]).findRequest(r.requestId)).to.be.rejectedWith("request 1 was refunded");
    });
  });

  describe("answerBatch", () => {
    it("answers several requests in one transaction", async () => {
      const { as, users, hosts, market } = await loadFixture(sdkFixture);
      const a = await as(users[0]).request(1, "a");
      const b = await as(users[1]).request(1, "b");
      const sent = await as(hosts[1]).answerBatch([
        { requestId: a.requestId, key: a.key, index: 1, output: "x" },
        { requestId: b.requestId, key: b.key, index: 1, output: new Uint8Array([0xff]) },
      ]);
      expect(sent.receipt.logs).to.have.length(2);
      expect(sent.skipped).to.deep.equal([]);
      expect((await market.requestState(a.requestId))[3]).to.equal(2n);
      expect((await as(users[1]).answersOf(b.requestId, b.blockNumber)).map((x) => x.text)).to.deep.equal(["0xff"]);
    });

    it("reports the entries the contract skipped, with their decoded errors", async () => {
      const { as, users, hosts, modelers } = await loadFixture(sdkFixture);
      const a = await as(users[0]).request(1, "a");
      const b = await as(users[1]).request(1, "b");
      await as(hosts[1]).answer(a.requestId, a.key, 1, "x");
      const sent = await as(hosts[1]).answerBatch([
        { requestId: a.requestId, key: a.key, index: 1, output: "again" },
        { requestId: b.requestId, key: b.key, index: 1, output: "y" },
        { requestId: b.requestId, key: b.key, index: 2, output: "not mine" },
      ]);
      expect(sent.skipped.map((s) => [s.requestId, s.index, s.error.errorName, s.error.message])).to.deep.equal([
        [
          a.requestId,
          1,
          "MarketAlreadyAnswered",
          `MarketAlreadyAnswered(requestId=${a.requestId}, modeler=${modelers[1].address})`,
        ],
        [b.requestId, 2, "MarketNotHost", `MarketNotHost(modeler=${modelers[2].address}, caller=${hosts[1].address})`],
      ]);
      expect((await as(users[1]).answersOf(b.requestId, b.blockNumber)).map((x) => x.text)).to.deep.equal(["y"]);
    });

    it("throws MarketBatchAnsweredNothing with every entry's error, and sends nothing, when no entry is valid", async () => {
      const { as, users, hosts, modelers } = await loadFixture(sdkFixture);
      const a = await as(users[0]).request(1, "a");
      const before = await ethers.provider.getTransactionCount(hosts[1].address);
      await expect(
        as(hosts[1]).answerBatch([
          { requestId: a.requestId, key: a.key, index: 2, output: "x" },
          { requestId: 99n, key: a.key, index: 1, output: "x" },
        ]),
      ).to.be.rejectedWith(
        RevertError,
        `MarketBatchAnsweredNothing(reasons=[MarketNotHost(modeler=${modelers[2].address}, caller=${hosts[1].address}), MarketUnknownRequest(requestId=99)])`,
      );
      expect(await ethers.provider.getTransactionCount(hosts[1].address)).to.equal(before);
    });
  });
});
