import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { keccak256, toUtf8Bytes } from "ethers";
import {
  LeaderboardError,
  belowCut,
  canonicalJson,
  leaderboardHash,
  parseLeaderboard,
  parseLeaderboardText,
  topModelers,
} from "../../daemons/keeper/leaderboard";
import { readLeaderboard } from "../../daemons/keeper/source";
import { tempDir, writeJson } from "./helpers";

const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
// A mixed-case address with a valid checksum, and the same address in lower case.
const CHECKSUMMED = "0x5a52E96BAcdaBb82fd05763E25335261B270Efcb";
const LOWER = CHECKSUMMED.toLowerCase();

describe("leaderboard", () => {
  describe("parseLeaderboard", () => {
    it("ranks by score, best first", () => {
      const board = parseLeaderboard(
        {
          challengeId: "7",
          entries: [
            { modeler: a(1), score: 0.5 },
            { modeler: a(2), score: 0.93 },
            { modeler: a(3), score: 0.7 },
          ],
        },
        "test",
      );
      expect(board.challengeId).to.equal(7n);
      expect(board.ranking).to.deep.equal([
        { modeler: a(2), score: 0.93 },
        { modeler: a(3), score: 0.7 },
        { modeler: a(1), score: 0.5 },
      ]);
      expect(board.dropped).to.deep.equal([]);
    });

    it("breaks ties by the lower address, whatever the order and letter case given", () => {
      const entries = [
        { modeler: LOWER, score: 0.8 },
        { modeler: a(0xff), score: 0.8 },
        { modeler: a(0x10), score: 0.8 },
      ];
      const forward = parseLeaderboard({ challengeId: "1", entries }, "test");
      const backward = parseLeaderboard({ challengeId: "1", entries: [...entries].reverse() }, "test");
      expect(forward.ranking.map((e) => e.modeler)).to.deep.equal([a(0x10), a(0xff), CHECKSUMMED]);
      expect(backward.ranking).to.deep.equal(forward.ranking);
    });

    it("keeps the best entry of a repeated modeler, in any letter case, and reports the others", () => {
      const board = parseLeaderboard(
        {
          challengeId: "1",
          entries: [
            { modeler: LOWER, score: 0.4 },
            { modeler: a(1), score: 0.5 },
            { modeler: CHECKSUMMED, score: 0.9 },
          ],
        },
        "test",
      );
      expect(board.ranking).to.deep.equal([
        { modeler: CHECKSUMMED, score: 0.9 },
        { modeler: a(1), score: 0.5 },
      ]);
      expect(board.dropped).to.deep.equal([{ index: 0, reason: `repeats modeler ${CHECKSUMMED}` }]);
    });

    it("drops invalid addresses and scores, and reports each by position", () => {
      const badChecksum = CHECKSUMMED.replace("E96", "e96");
      const board = parseLeaderboard(
        {
          challengeId: 3,
          entries: [
            { modeler: "0x1234", score: 1 },
            { modeler: a(0), score: 1 },
            { modeler: badChecksum, score: 1 },
            { modeler: a(5), score: "0.9" },
            { modeler: a(6) },
            null,
            { modeler: 42, score: 1 },
            { modeler: a(7), score: -0 },
          ],
        },
        "test",
      );
      expect(board.challengeId).to.equal(3n);
      expect(board.ranking).to.deep.equal([{ modeler: a(7), score: 0 }]);
      expect(board.dropped).to.deep.equal([
        { index: 0, reason: "modeler 0x1234 is not an address" },
        { index: 1, reason: "modeler is the zero address" },
        { index: 2, reason: `modeler ${badChecksum} is not an address` },
        { index: 3, reason: 'score "0.9" is not a finite number' },
        { index: 4, reason: "score undefined is not a finite number" },
        { index: 5, reason: "not an object" },
        { index: 6, reason: "modeler is not a string" },
      ]);
    });

    it("refuses a document that is not a leaderboard", () => {
      const cases: [unknown, string][] = [
        [[], "expected an object { challengeId, entries }"],
        [null, "expected an object { challengeId, entries }"],
        [{ entries: [] }, "challengeId must be a positive whole number, got undefined"],
        [{ challengeId: "0", entries: [] }, 'challengeId must be a positive whole number, got "0"'],
        [{ challengeId: "01", entries: [] }, 'challengeId must be a positive whole number, got "01"'],
        [{ challengeId: 1.5, entries: [] }, "challengeId must be a positive whole number, got 1.5"],
        [{ challengeId: "1", entries: {} }, "entries must be an array"],
      ];
      for (const [doc, message] of cases) {
        expect(() => parseLeaderboard(doc, "lb.json")).to.throw(LeaderboardError, `leaderboard lb.json: ${message}`);
      }
      expect(() => parseLeaderboardText("{oops", "lb.json")).to.throw(
        LeaderboardError,
        "leaderboard lb.json: not JSON",
      );
    });
  });

  describe("topModelers", () => {
    it("takes the ten best of twelve", () => {
      const entries = Array.from({ length: 12 }, (_, i) => ({ modeler: a(i + 1), score: i / 10 }));
      const board = parseLeaderboard({ challengeId: "1", entries }, "test");
      expect(topModelers(board)).to.deep.equal([12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map(a));
      expect(topModelers(parseLeaderboard({ challengeId: "1", entries: entries.slice(0, 2) }, "test"))).to.deep.equal([
        a(2),
        a(1),
      ]);
    });
  });

  describe("belowCut", () => {
    it("gives the valid entries past the ten best, with their ranks; none for a short leaderboard", () => {
      const entries = Array.from({ length: 12 }, (_, i) => ({ modeler: a(i + 1), score: i / 10 }));
      const board = parseLeaderboard({ challengeId: "1", entries }, "test");
      expect(belowCut(board)).to.deep.equal([
        { rank: 11, modeler: a(2), score: 0.1 },
        { rank: 12, modeler: a(1), score: 0 },
      ]);
      expect(belowCut(parseLeaderboard({ challengeId: "1", entries: entries.slice(0, 10) }, "test"))).to.deep.equal([]);
    });
  });

  describe("canonicalJson and leaderboardHash", () => {
    it("write the ranking compactly in a fixed key order, and hash its UTF-8 bytes", () => {
      const board = parseLeaderboard(
        {
          entries: [
            { score: 0.5, modeler: LOWER, note: "ignored" },
            { modeler: a(1), score: 0.93 },
          ],
          challengeId: 12,
        },
        "test",
      );
      const expected = `{"challengeId":"12","entries":[{"modeler":"${a(1)}","score":0.93},{"modeler":"${CHECKSUMMED}","score":0.5}]}`;
      expect(canonicalJson(board)).to.equal(expected);
      expect(leaderboardHash(board)).to.equal(keccak256(toUtf8Bytes(expected)));
    });

    it("give the same hash for any order, spacing and letter case of the same leaderboard", () => {
      const one = parseLeaderboardText(
        `{"challengeId":"1","entries":[{"modeler":"${LOWER}","score":1},{"modeler":"${a(2)}","score":2}]}`,
        "x",
      );
      const two = parseLeaderboardText(
        `{ "entries": [ { "modeler": "${a(2)}", "score": 2.0 }, { "modeler": "${CHECKSUMMED}", "score": 1 } ], "challengeId": 1 }`,
        "y",
      );
      expect(leaderboardHash(one)).to.equal(leaderboardHash(two));
    });
  });

  describe("readLeaderboard", () => {
    let server: Server;
    let base: string;
    before(async () => {
      server = createServer((req, res) => {
        if (req.url === "/1.json") {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ challengeId: "1", entries: [{ modeler: a(9), score: 1 }] }));
        } else {
          res.statusCode = 404;
          res.end("no");
        }
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("reads a file", async () => {
      const path = writeJson(tempDir(), "lb.json", { challengeId: "2", entries: [{ modeler: a(4), score: 3 }] });
      const board = await readLeaderboard(path);
      expect(board.challengeId).to.equal(2n);
      expect(board.ranking).to.deep.equal([{ modeler: a(4), score: 3 }]);
    });

    it("reads an http URL", async () => {
      const board = await readLeaderboard(`${base}/1.json`);
      expect(board.ranking).to.deep.equal([{ modeler: a(9), score: 1 }]);
    });

    it("reports an HTTP error, a missing file and a bad document", async () => {
      await expect(readLeaderboard(`${base}/2.json`)).to.be.rejectedWith(
        LeaderboardError,
        `leaderboard ${base}/2.json: HTTP 404`,
      );
      await expect(readLeaderboard("/nonexistent/lb.json")).to.be.rejectedWith("ENOENT");
      const bad = writeJson(tempDir(), "bad.json", "[1, 2]");
      await expect(readLeaderboard(bad)).to.be.rejectedWith(LeaderboardError, "expected an object");
    });
  });
});
