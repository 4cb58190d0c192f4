import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, E1, FEE, TIME } from "../fixtures";
import { leaderboardHash, parseLeaderboard } from "../../daemons/keeper/leaderboard";
import { runTask } from "./run";

// Signer index of the keeper in the fixtures.
const KEEPER = "3";

describe("tasks: keeper", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "leaderboard-"))));
  after(() => rmSync(dir, { recursive: true }));

  function boardFile(doc: unknown): string {
    const path = join(dir, `board-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  }

  describe("promote", () => {
    it("promotes the leaderboard's top modelers, best first, with the leaderboard's hash", async () => {
      const { market, modelers } = await loadFixture(activeFixture);
      const doc = {
        challengeId: "1",
        entries: [
          { modeler: modelers[6].address, score: 0.7 },
          { modeler: modelers[7].address, score: 0.9 },
          { modeler: "nobody", score: 1 },
        ],
      };
      await time.increaseTo(DATES.e1Window);
      const { result, out } = await runTask("promote", {
        market: await market.getAddress(),
        from: KEEPER,
        leaderboard: boardFile(doc),
      });
      expect(result.listId).to.equal(2n);
      expect(await market.list(1, 2)).to.deep.equal([E1 + 1n, [modelers[7].address, modelers[6].address]]);
      const [event] = await market.queryFilter(market.filters.ListPromoted(1, 2));
      expect(event.args.leaderboardHash).to.equal(leaderboardHash(parseLeaderboard(doc, "test")));
      const lines = out.split("\n");
      expect(lines[0]).to.match(
        /^challenge 1: list 2 promoted, serving from epoch 2970 \(2026-12-03T00:00:00Z\) \(tx 0x[0-9a-f]{64}\)$/,
      );
      expect(lines.slice(1)).to.deep.equal([
        `  0  ${modelers[7].address}`,
        `  1  ${modelers[6].address}`,
        `leaderboard hash ${event.args.leaderboardHash}`,
      ]);
    });

    it("fails with MarketOutsideWindow before Monday 23:59, promoting nothing", async () => {
      const { market, modelers } = await loadFixture(activeFixture);
      const file = boardFile({ challengeId: 1, entries: [{ modeler: modelers[6].address, score: 1 }] });
      // The task checks the call against the latest block: one second before the window.
      await time.increaseTo(DATES.e1Window - 1n);
      await expect(
        runTask("promote", { market: await market.getAddress(), from: KEEPER, leaderboard: file }),
      ).to.be.rejectedWith(
        `MarketOutsideWindow(timestamp=2026-11-30T23:58:59Z (${DATES.e1Window - 1n}), windowStart=2026-11-30T23:59:00Z (${DATES.e1Window}), windowEnd=2026-12-03T00:00:00Z (${DATES.e2Start}))`,
      );
      expect((await market.challenge(1)).listCount).to.equal(1n);
    });

    it("refuses a --challenge that is not the leaderboard's", async () => {
      const { market, modelers } = await loadFixture(activeFixture);
      const file = boardFile({ challengeId: 1, entries: [{ modeler: modelers[6].address, score: 1 }] });
      await expect(
        runTask("promote", { market: await market.getAddress(), from: KEEPER, leaderboard: file, challenge: "2" }),
      ).to.be.rejectedWith("--challenge 2 but the leaderboard is for challenge 1");
    });
  });

  describe("evict", () => {
    it("evicts every modeler of the previous epoch under the threshold", async () => {
      const { market, users, hosts, modelers } = await loadFixture(activeFixture);
      const key = { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE };
      await market.connect(users[0]).request(1, FEE, "0x01");
      for (const i of [0, 1, 2]) await market.connect(hosts[i]).answer(1, key, i, "0x02");
      await time.increaseTo(DATES.e2Start + TIME.sla);
      const { result } = await runTask("evict", { market: await market.getAddress(), challenge: "1" });
      expect(result.epoch).to.equal(E1);
      expect(result.evicted.map((e: { index: number }) => e.index)).to.deep.equal([3, 4]);
      expect((await market.modelerInfo(1, modelers[3].address)).evicted).to.equal(true);
      expect((await market.modelerInfo(1, modelers[2].address)).evicted).to.equal(false);
      expect((await runTask("evict", { market: await market.getAddress(), challenge: "1" })).out).to.equal(
        `challenge 1, epoch ${E1}: nobody to evict`,
      );
    });

    it("fails with MarketModelerMetThreshold for a modeler that answered enough", async () => {
      const { market, users, hosts, modelers } = await loadFixture(activeFixture);
      const key = { requester: users[0].address, challengeId: 1, listId: 1, fee: FEE };
      await market.connect(users[0]).request(1, FEE, "0x01");
      await market.connect(hosts[0]).answer(1, key, 0, "0x02");
      await time.increaseTo(DATES.e2Start + TIME.sla);
      await expect(
        runTask("evict", { market: await market.getAddress(), challenge: "1", epoch: `${E1}`, index: "0" }),
      ).to.be.rejectedWith(
        `MarketModelerMetThreshold(challengeId=1, modeler=${modelers[0].address}, points=1, answeredRequests=1)`,
      );
    });
  });
});
