import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, requestOf, DATES, FEE } from "../fixtures";
import {
  AMOUNT_ARGS,
  Market,
  RevertError,
  decodeError,
  formatAmount,
  isCustomError,
  isoOf,
  toRevertError,
} from "../../sdk";
import { InferenceMarket__factory } from "../../typechain-types";

const TUSD = { symbol: "tUSD", decimals: 18 };

/** The error a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("sdk/errors", () => {
  describe("decodeError", () => {
    it("names a market error with its arguments and times in ISO UTC, from a sent transaction", async () => {
      const { market, users, hosts } = await loadFixture(activeFixture);
      await time.setNextBlockTimestamp(DATES.e1Start + 1n);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, "0x01"));
      await time.setNextBlockTimestamp(r.deadline + 1n);
      const err = await rejection(market.connect(hosts[0]).answer(r.id, r.key, 0, "0x02"));
      expect(decodeError(err)).to.equal(
        `MarketDeadlinePassed(requestId=1, deadline=${isoOf(r.deadline)} (${r.deadline}), ` +
          `timestamp=${isoOf(r.deadline + 1n)} (${r.deadline + 1n}))`,
      );
      expect(isoOf(r.deadline)).to.equal("2026-11-26T00:10:01Z");
    });

    it("names the role an account lacks", async () => {
      const { market, stranger } = await loadFixture(activeFixture);
      const err = await rejection(market.connect(stranger).promote.staticCall(1, [stranger.address], ethers.ZeroHash));
      expect(decodeError(err)).to.equal(
        `AccessControlUnauthorizedAccount(account=${stranger.address}, neededRole=KEEPER_ROLE)`,
      );
    });

    it("decodes the token's ERC-20 errors that bubble up through SafeERC20", async () => {
      const { market, stranger } = await loadFixture(activeFixture);
      const err = await rejection(market.connect(stranger).request.estimateGas(1, FEE, "0x01"));
      expect(decodeError(err)).to.equal(
        `ERC20InsufficientAllowance(spender=${await market.getAddress()}, allowance=0, needed=${FEE})`,
      );
    });

    it("decodes pausing errors", async () => {
      const { market, pauser, users } = await loadFixture(activeFixture);
      await market.connect(pauser).pause();
      expect(decodeError(await rejection(market.connect(users[0]).request.staticCall(1, FEE, "0x01")))).to.equal(
        "EnforcedPause()",
      );
      await market.connect(pauser).unpause();
      expect(decodeError(await rejection(market.connect(pauser).unpause.staticCall()))).to.equal("ExpectedPause()");
    });

    it("shows amounts in the token's units beside the base units when given the token", async () => {
      const { market, users } = await loadFixture(activeFixture);
      const err = await rejection(market.connect(users[0]).request.staticCall(1, FEE / 2n, "0x01"));
      expect(decodeError(err, { token: TUSD })).to.equal(
        `MarketFeeAboveMax(fee=1.0 tUSD (${FEE}), maxFee=0.5 tUSD (${FEE / 2n}))`,
      );
      expect(decodeError(err)).to.equal(`MarketFeeAboveMax(fee=${FEE}, maxFee=${FEE / 2n})`);
    });

    it("shows the token's own ERC-20 errors in its units", async () => {
      const { market, token, stranger, users } = await loadFixture(activeFixture);
      const allowance = await rejection(market.connect(stranger).request.estimateGas(1, FEE, "0x01"));
      expect(decodeError(allowance, { token: TUSD })).to.equal(
        `ERC20InsufficientAllowance(spender=${await market.getAddress()}, allowance=0.0 tUSD (0), needed=1.0 tUSD (${FEE}))`,
      );
      const balance = await rejection(token.connect(stranger).transfer.staticCall(users[0].address, 25n * 10n ** 16n));
      expect(decodeError(balance, { token: TUSD })).to.equal(
        `ERC20InsufficientBalance(sender=${stranger.address}, balance=0.0 tUSD (0), needed=0.25 tUSD (250000000000000000))`,
      );
    });

    it("decodes the SDK's RevertError again to show its amounts in the token's units", async () => {
      const { market, users } = await loadFixture(activeFixture);
      const err = toRevertError(await rejection(market.connect(users[0]).request.staticCall(1, 0, "0x01")));
      expect(err).to.be.instanceOf(RevertError);
      expect(decodeError(err)).to.equal(`MarketFeeAboveMax(fee=${FEE}, maxFee=0)`);
      expect(decodeError(err, { token: TUSD })).to.equal(
        `MarketFeeAboveMax(fee=1.0 tUSD (${FEE}), maxFee=0.0 tUSD (0))`,
      );
    });

    it("shows the amounts of a batch's skipped entries in the token's units", () => {
      const abi = InferenceMarket__factory.createInterface();
      const entry = abi.encodeErrorResult("MarketFeeNotReceived", [FEE, FEE - 1n]);
      const batch = abi.encodeErrorResult("MarketBatchAnsweredNothing", [[entry]]);
      expect(decodeError({ data: batch }, { token: { symbol: "USDC", decimals: 6 } })).to.equal(
        `MarketBatchAnsweredNothing(reasons=[MarketFeeNotReceived(expected=1000000000000.0 USDC (${FEE}), ` +
          `received=999999999999.999999 USDC (${FEE - 1n}))])`,
      );
    });

    it("falls back to the first line of an error without revert data", () => {
      expect(decodeError(new Error("connect ECONNREFUSED 127.0.0.1:8545\n    at stack"))).to.equal(
        "connect ECONNREFUSED 127.0.0.1:8545",
      );
      expect(decodeError({ data: "0xdeadbeef00" })).to.equal("reverted with unknown error data 0xdeadbeef00");
      expect(decodeError("plain")).to.equal("plain");
    });
  });

  describe("AMOUNT_ARGS", () => {
    it("lists the fee-token amounts among the arguments of every known error, found by their names", () => {
      expect(AMOUNT_ARGS).to.have.members([
        "MarketInvalidFee.fee",
        "MarketFeeAboveMax.fee",
        "MarketFeeAboveMax.maxFee",
        "MarketFeeNotReceived.expected",
        "MarketFeeNotReceived.received",
        "ERC20InsufficientBalance.balance",
        "ERC20InsufficientBalance.needed",
        "ERC20InsufficientAllowance.allowance",
        "ERC20InsufficientAllowance.needed",
      ]);
    });
  });

  describe("formatAmount", () => {
    it("writes base units in the token's decimals with its symbol", () => {
      expect(formatAmount(1_500_000n, { symbol: "USDC", decimals: 6 })).to.equal("1.5 USDC");
    });
  });

  describe("isCustomError", () => {
    it("matches the decoded error's name, on raw ethers errors and on the SDK's RevertError", async () => {
      const { market, users } = await loadFixture(activeFixture);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, "0x01"));
      const raw = await rejection(market.refund.staticCall(r.id, r.key));
      expect(isCustomError(raw, "MarketDeadlineNotPassed")).to.equal(true);
      expect(isCustomError(raw, "MarketDeadlinePassed")).to.equal(false);
      const wrapped = await rejection(Market.connect(await market.getAddress(), users[1]).refund(r.id, r.key));
      expect(wrapped).to.be.instanceOf(RevertError);
      expect(isCustomError(wrapped, "MarketDeadlineNotPassed")).to.equal(true);
      expect(isCustomError(new Error("no data"), "MarketDeadlineNotPassed")).to.equal(false);
    });
  });
});
