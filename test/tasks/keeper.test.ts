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
        "1 dropped (not ranked):",
        "  entry  reason",
        "  2      modeler nobody is not an address",
      ]);
    });

    it("lists every dropped entry with its reason and the entries below the Top-10 cut, in text and JSON", async () => {
      const { market, modelers } = await loadFixture(activeFixture);
      const m = modelers.map((s) => s.address);
      // Twelve modelers scored 0.12 down to 0.01, then a repeat and an entry without a score.
      const entries = [
        ...m.map((modeler, i) => ({ modeler, score: (12 - i) / 100 })),
        { modeler: m[0], score: 0.001 },
        { modeler: m[1] },
      ];
      const file = boardFile({ challengeId: "1", entries });
      const dropped = [
        { index: 12, reason: `repeats modeler ${m[0]}` },
        { index: 13, reason: "score undefined is not a finite number" },
      ];
      const belowCut = [
        { rank: 11, modeler: m[10], score: 0.02 },
        { rank: 12, modeler: m[11], score: 0.01 },
      ];
      await time.increaseTo(DATES.e1Window);
      const { result, out } = await runTask("promote", {
        market: await market.getAddress(),
        from: KEEPER,
        leaderboard: file,
        json: true,
      });
      expect(result.modelers).to.deep.equal(m.slice(0, 10));
      const printed = JSON.parse(out);
      expect([printed.dropped, printed.belowCut]).to.deep.equal([dropped, belowCut]);
      expect([result.dropped, result.belowCut]).to.deep.equal([dropped, belowCut]);

      await time.increaseTo(DATES.e2Window);
      const text = await runTask("promote", { market: await market.getAddress(), from: KEEPER, leaderboard: file });
      expect(text.out.split("\n").slice(12)).to.deep.equal([
        "2 dropped (not ranked):",
        "  entry  reason",
        `  12     repeats modeler ${m[0]}`,
        "  13     score undefined is not a finite number",
        "2 ranked below the Top-10 cut (not promoted):",
        "  rank  modeler                                     score",
        `  11    ${m[10]}  0.02`,
        `  12    ${m[11]}  0.01`,
      ]);
    });

    it("refuses a leaderboard without a valid entry, saying why each entry was dropped", async () => {
      const { market } = await loadFixture(activeFixture);
      const file = boardFile({ challengeId: 1, entries: [{ modeler: "0x12", score: 1 }, "x"] });
      await expect(
        runTask("promote", { market: await market.getAddress(), from: KEEPER, leaderboard: file }),
      ).to.be.rejectedWith(
        `leaderboard ${file} has no valid entry (entry 0: modeler 0x12 is not an address; entry 1: not an object)`,
      );
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
