import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, FEE } from "../fixtures";
import { decodeText } from "../../sdk";
import { runTask } from "./run";

// Signer indexes of the fixtures: 13.. modelers, 25.. hosts.
const HOST = (i: number) => String(25 + i);

describe("tasks: host", () => {
  describe("answer", () => {
    it("answers at the position of the modeler the signer hosts, with the output as text", async () => {
      const { market, users, modelers } = await loadFixture(activeFixture);
      await market.connect(users[0]).request(1, FEE, "0x01");
      const { result, out } = await runTask("answer", {
        market: await market.getAddress(),
        from: HOST(3),
        request: "1",
        output: "712",
      });
      expect(result.index).to.equal(3);
      expect(out).to.match(/^request 1 answered at position 3 with "712" \(tx 0x[0-9a-f]{64}\)$/);
      const [event] = await market.queryFilter(market.filters.RequestAnswered(1));
      expect([event.args.modeler, decodeText(event.args.output)]).to.deep.equal([modelers[3].address, "712"]);
    });

    it("asks for --index when the signer hosts several modelers of the list", async () => {
      const { market, users, modelers, hosts } = await loadFixture(activeFixture);
      await market.connect(modelers[1]).setHost(1, hosts[0].address);
      await market.connect(users[0]).request(1, FEE, "0x01");
      await expect(
        runTask("answer", { market: await market.getAddress(), from: HOST(0), request: "1", output: "1" }),
      ).to.be.rejectedWith(`${hosts[0].address} hosts 2 modelers of list 1 (positions 0, 1): give --index`);
      await runTask("answer", {
        market: await market.getAddress(),
        from: HOST(0),
        request: "1",
        output: "1",
        index: "1",
      });
      expect((await market.requestState(1))[3]).to.equal(0b10n);
    });

    it("fails with MarketDeadlinePassed after the SLA, and records nothing", async () => {
      const { market, users } = await loadFixture(activeFixture);
      await time.setNextBlockTimestamp(DATES.e1Start + 1n);
      await market.connect(users[0]).request(1, FEE, "0x01");
      const [, createdAt, deadline] = await market.requestState(1);
      await time.increaseTo(deadline + 1n);
      await expect(
        runTask("answer", { market: await market.getAddress(), from: HOST(0), request: "1", output: "1" }),
      ).to.be.rejectedWith(
        /^MarketDeadlinePassed\(requestId=1, deadline=2026-11-26T00:10:01Z \(1795651801\), timestamp=2026-11-26T00:10:0\dZ/,
      );
      expect(await market.requestState(1)).to.deep.equal([3n, createdAt, deadline, 0n]);
    });
  });
});
