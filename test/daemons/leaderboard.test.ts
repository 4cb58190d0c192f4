import { expect } from "chai";
import { existsSync, truncateSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
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
import { MAX_BYTES, readLeaderboard, sourceProblem } from "../../daemons/keeper/source";
import { tempDir, writeJson } from "./helpers";
import { hasOpenssl, httpsServer, type TestHttps } from "./https";

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
    /** The body of /huge: 64 MiB, in 64 KiB chunks written as fast as the client takes them. */
    const HUGE = 64 * 1024 * 1024;
    const CHUNK = Buffer.alloc(64 * 1024, " ");
    let https: TestHttps;
    let requests: string[];
    /** Bytes of /huge handed to the socket by the time the client hung up. */
    let hugeWritten: Promise<number>;
    let hugeServed = (_n: number) => {};

    function serveHuge(res: ServerResponse, declared: boolean) {
      let written = 0;
      hugeWritten = new Promise((resolve) => (hugeServed = resolve));
      res.on("close", () => hugeServed(written));
      res.setHeader("content-type", "application/json");
      if (declared) res.setHeader("content-length", HUGE);
      const pump = () => {
        while (written < HUGE && !res.destroyed) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.write('{"challengeId":"1","entries":[');
      pump();
    }

    before(async function () {
      if (!hasOpenssl()) this.skip();
      https = await httpsServer((req, res) => {
        requests.push(req.url ?? "");
        if (req.url === "/1.json") {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ challengeId: "1", entries: [{ modeler: a(9), score: 1 }] }));
        } else if (req.url === "/bad.json") {
          res.end("{oops");
        } else if (req.url === "/moved") {
          res.writeHead(302, { location: "http://evil.example/1.json" }).end();
        } else if (req.url === "/slow") {
          // Headers and a first byte at once, then nothing: only a timeout over the whole body ends it.
          res.write("{");
        } else if (req.url === "/huge") {
          serveHuge(res, false);
        } else if (req.url === "/huge-declared") {
          serveHuge(res, true);
        } else {
          res.statusCode = 404;
          res.end("no");
        }
      });
    });
    beforeEach(() => (requests = []));
    after(() => https?.close());

    const read = (path: string, timeoutMs?: number) =>
      readLeaderboard(`${https.base}${path}`, { fetch: https.fetch, timeoutMs });

    it("reads a file", async () => {
      const path = writeJson(tempDir(), "lb.json", { challengeId: "2", entries: [{ modeler: a(4), score: 3 }] });
      const board = await readLeaderboard(path);
      expect(board.challengeId).to.equal(2n);
      expect(board.ranking).to.deep.equal([{ modeler: a(4), score: 3 }]);
    });

    it("reads an https URL", async () => {
      const board = await read("/1.json");
      expect(board.ranking).to.deep.equal([{ modeler: a(9), score: 1 }]);
    });

    it("reports an HTTP error, a missing file and a bad document", async () => {
      await expect(read("/2.json")).to.be.rejectedWith(LeaderboardError, `leaderboard ${https.base}/2.json: HTTP 404`);
      await expect(readLeaderboard("/nonexistent/lb.json")).to.be.rejectedWith("ENOENT");
      const bad = writeJson(tempDir(), "bad.json", "[1, 2]");
      await expect(readLeaderboard(bad)).to.be.rejectedWith(LeaderboardError, "expected an object");
      await expect(read("/bad.json")).to.be.rejectedWith(
        LeaderboardError,
        `leaderboard ${https.base}/bad.json: not JSON`,
      );
    });

    it("refuses plain http and other schemes before any request", async () => {
      let fetched = 0;
      const counting: typeof fetch = (input, init) => (fetched++, https.fetch(input, init));
      await expect(readLeaderboard("http://127.0.0.1:9/1.json", { fetch: counting })).to.be.rejectedWith(
        LeaderboardError,
        "leaderboard http://127.0.0.1:9/1.json: plain http:// is refused",
      );
      await expect(readLeaderboard("ftp://x.org/1.json", { fetch: counting })).to.be.rejectedWith(
        LeaderboardError,
        "ftp: is not read: a leaderboard comes from a local file or an https:// URL",
      );
      expect(fetched).to.equal(0);
      expect(sourceProblem("https://x.org/1.json")).to.equal(undefined);
      expect(sourceProblem("boards/1.json")).to.equal(undefined);
      expect(sourceProblem("HTTP://x.org/1.json")).to.match(/^plain http:\/\/ is refused/);
      expect(sourceProblem("https:x.org")).to.equal("is not a valid https:// URL");
    });

    it("does not follow a redirect, and names its status and Location", async () => {
      await expect(read("/moved")).to.be.rejectedWith(
        LeaderboardError,
        `leaderboard ${https.base}/moved: HTTP 302 redirects to http://evil.example/1.json: redirects are not followed`,
      );
      expect(requests).to.deep.equal(["/moved"]);
    });

    it("gives up on a body that does not end within the timeout", async () => {
      const started = Date.now();
      await expect(read("/slow", 300)).to.be.rejectedWith(
        LeaderboardError,
        `leaderboard ${https.base}/slow: no complete answer within 300 ms`,
      );
      expect(Date.now() - started).to.be.below(3_000);
    });

    /** Resolves `work` while sampling the process's RSS; gives its largest growth over the RSS at rest. */
    async function rssGrowth(work: () => Promise<unknown>): Promise<number> {
      const idle = process.memoryUsage.rss();
      let peak = idle;
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
      try {
        await work();
      } finally {
        clearInterval(sample);
      }
      return Math.max(peak, process.memoryUsage.rss()) - idle;
    }

    it("hangs up on a 64 MiB body once it passes 4 MiB, holding little memory", async () => {
      let error: unknown;
      const growth = await rssGrowth(() => read("/huge").catch((err: unknown) => (error = err)));
      expect(error).to.be.instanceOf(LeaderboardError);
      expect((error as Error).message).to.match(
        new RegExp(
          `^leaderboard ${https.base}/huge: the body \\(\\d+ bytes so far\\) is larger than the limit of ${MAX_BYTES} bytes$`,
        ),
      );
      // What the server could hand over before the hang-up: the cap plus what the socket buffers hold.
      const written = await hugeWritten;
      expect(written, `${written} bytes written`).to.be.below(16 * 1024 * 1024);
      expect(growth, `RSS grew by ${growth} bytes`).to.be.below(100 * 1024 * 1024);
    });

    it("refuses a declared content-length past 4 MiB before reading the body", async () => {
      await expect(read("/huge-declared")).to.be.rejectedWith(
        LeaderboardError,
        `leaderboard ${https.base}/huge-declared: the body (content-length ${HUGE}) is larger than the limit of ${MAX_BYTES} bytes`,
      );
      expect(await hugeWritten).to.be.below(16 * 1024 * 1024);
    });

    it("refuses, from its size alone, a file past 4 MiB, and anything that is not a regular file", async () => {
      const dir = tempDir();
      const big = join(dir, "big.json");
      writeFileSync(big, "");
      truncateSync(big, MAX_BYTES + 1);
      await expect(readLeaderboard(big)).to.be.rejectedWith(
        LeaderboardError,
        `leaderboard ${big}: the file (${MAX_BYTES + 1} bytes) is larger than the limit of ${MAX_BYTES} bytes`,
      );
      await expect(readLeaderboard(dir)).to.be.rejectedWith(LeaderboardError, `leaderboard ${dir}: not a regular file`);
      if (existsSync("/dev/zero"))
        await expect(readLeaderboard("/dev/zero")).to.be.rejectedWith(LeaderboardError, "not a regular file");
    });
  });
});
