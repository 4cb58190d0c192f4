import { expect } from "chai";
import { Node } from "../e2e/harness";
import { mineIntervalMs } from "../../tasks/node";

/** Waits `ms` of wall time. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("tasks: node", () => {
  describe("mineIntervalMs", () => {
    it("is 1000 by default (empty counts as unset), a whole number otherwise", () => {
      expect(mineIntervalMs({})).to.equal(1000);
      expect(mineIntervalMs({ MINE_INTERVAL_MS: "" })).to.equal(1000);
      expect(mineIntervalMs({ MINE_INTERVAL_MS: "0" })).to.equal(0);
      expect(mineIntervalMs({ MINE_INTERVAL_MS: "250" })).to.equal(250);
      expect(() => mineIntervalMs({ MINE_INTERVAL_MS: "1s" })).to.throw(/whole number of milliseconds, got "1s"/);
    });
  });

  // A real `hardhat node` process, as a newcomer starts it: its clock must move with no transaction sent.
  describe("hardhat node", function () {
    this.timeout(120_000);

    it("mines a block every second on its own, so chain time moves", async () => {
      const node = await Node.start();
      try {
        const [block, stamp] = [await node.provider.getBlockNumber(), await node.latestTimestamp()];
        await pause(3_500);
        expect(await node.provider.getBlockNumber()).to.be.at.least(block + 2);
        expect(await node.latestTimestamp()).to.be.at.least(stamp + 2n);
      } finally {
        await node.stop();
      }
    });

    it("mines only on transactions with MINE_INTERVAL_MS=0", async () => {
      const node = await Node.start(90_000, { MINE_INTERVAL_MS: "0" });
      try {
        const block = await node.provider.getBlockNumber();
        await pause(2_500);
        expect(await node.provider.getBlockNumber()).to.equal(block);
      } finally {
        await node.stop();
      }
    });
  });
});
