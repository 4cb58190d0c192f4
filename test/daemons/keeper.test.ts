import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import { activeFixture, requestOf, DATES, E1, FEE, TIME } from "../fixtures";
import { runDaemon } from "../../daemons/common/run";
import { keeperDaemon } from "../../daemons/keeper/daemon";
import { Keeper, waitMs, type KeeperOptions } from "../../daemons/keeper/keeper";
import { leaderboardHash, parseLeaderboard } from "../../daemons/keeper/leaderboard";
import { MAX_BYTES, readLeaderboard } from "../../daemons/keeper/source";
import { encodeText } from "../../sdk/text";
import { RequestStatus } from "../../sdk/market";
import { FAST_RETRY, captureLog, tempDir, writeJson } from "./helpers";
import { hasOpenssl, httpsServer, type TestHttps } from "./https";

const INPUT = encodeText("0x5a52E96BAcdaBb82fd05763E25335261B270Efcb");
const E2 = E1 + 1n;

/** activeFixture with a leaderboard file of twelve modelers, a repeat, an invalid address and a tie. */
async function keeperFixture() {
  const f = await loadFixture(activeFixture);
  const m = f.modelers.map((s) => s.address);
  const scores: [string, number][] = [
    [m[5], 0.99],
    [m[0], 0.95],
    [m[7], 0.9],
    [m[6], 0.9],
    [m[1], 0.85],
    [m[2], 0.8],
    [m[3], 0.75],
    [m[4], 0.7],
    [m[8], 0.65],
    [m[9], 0.6],
    [m[10], 0.55],
    [m[11], 0.5],
    [m[0], 0.1],
    ["0xdead", 1],
  ];
  const doc = { challengeId: "1", entries: scores.map(([modeler, score]) => ({ modeler, score })) };
  const dir = tempDir();
  const path = writeJson(dir, "challenge-1.json", doc);
  // The tie at 0.9 goes to the lower address.
  const [first, second] = BigInt(m[6]) < BigInt(m[7]) ? [m[6], m[7]] : [m[7], m[6]];
  const top10 = [m[5], m[0], first, second, m[1], m[2], m[3], m[4], m[8], m[9]];
  const marketAddress = await f.market.getAddress();
  const keeperWith = (options: Partial<KeeperOptions> = {}) => {
    const capture = captureLog("keeper");
    const keeper = new Keeper({
      signer: f.keeper,
      market: marketAddress,
      leaderboards: [{ challengeId: 1n, source: path }],
      log: capture.log,
      retry: FAST_RETRY,
      ...options,
    });
    return { keeper, ...capture };
  };
  return { ...f, doc, dir, path, top10, keeperWith };
}

/** keeperFixture with a second challenge, whose leaderboard file names three modelers, a repeat and a bad address. */
async function twoChallengesFixture() {
  const f = await loadFixture(keeperFixture);
  await f.market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "second");
  const m = f.modelers.map((s) => s.address);
  const doc = {
    challengeId: "2",
    entries: [
      { modeler: m[2], score: 3 },
      { modeler: m[3], score: 2 },
      { modeler: m[4], score: 1 },
      { modeler: m[2], score: 0.5 },
      { modeler: "0xdead", score: 9 },
    ],
  };
  const path = writeJson(f.dir, "challenge-2.json", doc);
  const good2 = {
    path,
    modelers: [m[2], m[3], m[4]],
    hash: leaderboardHash(parseLeaderboard(doc, path)),
    dropped: [
      [3, `repeats modeler ${m[2]}`],
      [4, "modeler 0xdead is not an address"],
    ],
  };
  return { ...f, good2 };
}

/** A well-formed leaderboard for challenge 2, as challenge 1's source might publish it. */
function foreignDoc(dir: string): string {
  return writeJson(dir, "foreign.json", {
    challengeId: "2",
    entries: [{ modeler: "0x00000000000000000000000000000000000000aa", score: 1 }],
  });
}

describe("daemons/keeper", () => {
  describe("promotion", () => {
    it("does nothing before the window, reads no leaderboard, and wakes at the window's first second", async () => {
      const { market, path, keeperWith } = await loadFixture(keeperFixture);
      let loads = 0;
      const { keeper } = keeperWith({ load: (s) => (loads++, readLeaderboard(s)) });
      await time.increaseTo(DATES.e1Window - 1n);
      const report = await keeper.tick();
      expect(report.promoted).to.deep.equal([]);
      expect(report.epoch).to.equal(E1);
      expect(report.nextAt).to.equal(DATES.e1Window);
      expect(waitMs(report)).to.equal(1_000);
      expect(loads).to.equal(0);
      expect((await market.challenge(1)).listCount).to.equal(1n);
      expect(path).to.be.a("string");
    });

    it("promotes the top ten once in the window, with the hash of the canonical leaderboard", async () => {
      const { market, doc, top10, keeperWith } = await loadFixture(keeperFixture);
      const { keeper, of } = keeperWith();
      await time.increaseTo(DATES.e1Window);
      const report = await keeper.tick();
      expect(report.promoted).to.deep.equal([1n]);
      // Next comes the end of E1 plus the SLA, when eviction for E1 opens.
      expect(report.nextAt).to.equal(DATES.e2Start + TIME.sla);

      const [activation, modelers] = await market.list(1, 2);
      expect(activation).to.equal(E2);
      expect(modelers).to.deep.equal(top10);
      const events = await market.queryFilter(market.filters.ListPromoted(1, undefined, E1));
      expect(events.length).to.equal(1);
      expect(events[0].args.leaderboardHash).to.equal(leaderboardHash(parseLeaderboard(doc, "doc")));

      const [sent] = of("promote", "sent");
      expect(sent).to.include({
        challengeId: "1",
        epoch: E1.toString(),
        txHash: events[0].transactionHash,
        leaderboardHash: events[0].args.leaderboardHash,
      });
      expect(sent.modelers).to.deep.equal(top10);
      expect(of("leaderboard", "dropped").map((l) => [l.index, l.reason])).to.deep.equal([
        [12, `repeats modeler ${top10[1]}`],
        [13, "modeler 0xdead is not an address"],
      ]);

      const again = await keeper.tick();
      expect(again.promoted).to.deep.equal([]);
      expect((await market.challenge(1)).listCount).to.equal(2n);
      expect((await market.queryFilter(market.filters.ListPromoted(1))).length).to.equal(2);
    });

    it("a restarted keeper reads the chain, finds the epoch promoted and sends nothing", async () => {
      const { market, keeperWith } = await loadFixture(keeperFixture);
      await time.increaseTo(DATES.e1Window);
      await keeperWith().keeper.tick();
      const blockBefore = await ethers.provider.getBlockNumber();

      const restarted = keeperWith();
      const report = await restarted.keeper.tick();
      expect(report.promoted).to.deep.equal([]);
      expect(restarted.of("promote", "already").map((l) => l.listId)).to.deep.equal(["2"]);
      expect(await ethers.provider.getBlockNumber()).to.equal(blockBefore);
      expect((await market.challenge(1)).listCount).to.equal(2n);
    });

    it("two keepers racing promote once: the other reads MarketAlreadyPromoted and counts it done", async () => {
      const { market, admin, stranger, keeperWith } = await loadFixture(keeperFixture);
      await market.connect(admin).grantRole(await market.KEEPER_ROLE(), stranger.address);
      await time.increaseTo(DATES.e1Window);
      const a = keeperWith();
      const b = keeperWith({ signer: stranger });
      const [ra, rb] = await Promise.all([a.keeper.tick(), b.keeper.tick()]);
      expect([...ra.promoted, ...rb.promoted]).to.deep.equal([1n]);
      expect((await market.queryFilter(market.filters.ListPromoted(1, undefined, E1))).length).to.equal(1);
      const outcomes = [...a.of("promote"), ...b.of("promote")].map((l) => l.status).sort();
      expect(outcomes).to.deep.equal(["already", "sent"]);
      const [already] = [...a.of("promote", "already"), ...b.of("promote", "already")];
      // Both usually read the chain before either sends, and the loser's staticCall or send reverts with the
      // custom error; had the loser read after the winner's transaction, the chain would have told it the list.
      if (already.reason === undefined) expect(already.listId).to.equal("2");
      else expect(already.reason).to.equal(`MarketAlreadyPromoted(challengeId=1, epoch=${E1})`);
    });

    it("retries a leaderboard it cannot read on the next pass", async () => {
      const { market, path, doc, keeperWith } = await loadFixture(keeperFixture);
      rmSync(path);
      const { keeper, of } = keeperWith();
      await time.increaseTo(DATES.e1Window);
      expect((await keeper.tick()).promoted).to.deep.equal([]);
      const [failed] = of("promote", "failed");
      expect(failed.error).to.match(/ENOENT/);
      expect((await market.challenge(1)).listCount).to.equal(1n);

      writeJson(path.replace(/[^/]+$/, ""), "challenge-1.json", doc);
      expect((await keeper.tick()).promoted).to.deep.equal([1n]);
    });

    it("promotes nothing from a leaderboard without a valid entry", async () => {
      const { market, dir, keeperWith } = await loadFixture(keeperFixture);
      const empty = writeJson(dir, "empty.json", { challengeId: "1", entries: [{ modeler: "0x12", score: 1 }] });
      const { keeper, of } = keeperWith({ leaderboards: [{ challengeId: 1n, source: empty }] });
      await time.increaseTo(DATES.e1Window);
      expect((await keeper.tick()).promoted).to.deep.equal([]);
      expect(of("promote", "skipped")[0].reason).to.equal("no valid entry");
      expect((await market.challenge(1)).listCount).to.equal(1n);
    });

    it("promotes the other challenges in the same pass when one source fails, and nothing from the failed one", async () => {
      const { market, dir, good2, keeperWith } = await loadFixture(twoChallengesFixture);
      const cases: [string, string, string][] = [
        [
          "a document naming another challenge",
          foreignDoc(dir),
          "names challenge 2, but this source is bound to challenge 1",
        ],
        ["bad JSON", writeJson(dir, "bad.json", "{oops"), "not JSON"],
        ["a directory", dir, "not a regular file"],
        ["a missing file", `${dir}/missing.json`, "ENOENT"],
      ];
      for (const [what, source, error] of cases) {
        await loadFixture(twoChallengesFixture);
        const { keeper, of, lines } = keeperWith({
          leaderboards: [
            { challengeId: 1n, source },
            { challengeId: 2n, source: good2.path },
          ],
        });
        await time.increaseTo(DATES.e1Window);
        expect((await keeper.tick()).promoted, what).to.deep.equal([2n]);
        const failed = lines.filter((l) => l.level >= 40 && l.challengeId === "1");
        expect(
          failed.map((l) => [l.action, l.status, l.challengeId, l.source, l.level]),
          what,
        ).to.deep.equal([["promote", "failed", "1", source, 50]]);
        expect(String(failed[0].error), what).to.include(error);
        expect((await market.challenge(1)).listCount, what).to.equal(1n);
        const [promoted] = await market.queryFilter(market.filters.ListPromoted(2));
        expect([promoted.args.modelers, promoted.args.leaderboardHash], what).to.deep.equal([
          good2.modelers,
          good2.hash,
        ]);
        expect(of("promote", "sent").map((l) => l.challengeId)).to.deep.equal(["2"]);
        // Challenge 2's board promotes from its valid entries, and each dropped one is logged.
        expect(of("leaderboard", "dropped").map((l) => [l.challengeId, l.index, l.reason])).to.deep.equal(
          good2.dropped.map((d) => ["2", ...d]),
        );
      }
    });

    it("refuses a document naming another challenge, which used to promote it onto that challenge", async () => {
      const { market, dir, good2, keeperWith } = await loadFixture(twoChallengesFixture);
      // Challenge 1's source publishes a list for challenge 2 and comes first: it must not take challenge 2's place.
      const foreign = foreignDoc(dir);
      const { keeper, of } = keeperWith({
        leaderboards: [
          { challengeId: 1n, source: foreign },
          { challengeId: 2n, source: good2.path },
        ],
      });
      await time.increaseTo(DATES.e1Window);
      expect((await keeper.tick()).promoted).to.deep.equal([2n]);
      expect(of("promote", "failed").map((l) => [l.challengeId, l.source, l.error])).to.deep.equal([
        ["1", foreign, `leaderboard ${foreign}: names challenge 2, but this source is bound to challenge 1`],
      ]);
      expect(of("leaderboard", "dropped").filter((l) => l.source === foreign)).to.deep.equal([]);
      expect((await market.list(2, 1))[1]).to.deep.equal(good2.modelers);
      expect((await market.challenge(1)).listCount).to.equal(1n);
      // The next pass of the window reads it again, and refuses it again.
      expect((await keeper.tick()).promoted).to.deep.equal([]);
      expect(of("promote", "failed")).to.have.length(2);
      expect((await market.queryFilter(market.filters.ListPromoted(2))).length).to.equal(1);
    });

    it("logs a source bound to a challenge the market does not have, and the pass goes on", async () => {
      const { market, dir, path, keeperWith } = await loadFixture(keeperFixture);
      const ninth = writeJson(dir, "challenge-9.json", {
        challengeId: "9",
        entries: [{ modeler: "0x00000000000000000000000000000000000000aa", score: 1 }],
      });
      const { keeper, of } = keeperWith({
        leaderboards: [
          { challengeId: 9n, source: ninth },
          { challengeId: 1n, source: path },
        ],
      });
      await time.increaseTo(DATES.e1Window);
      expect((await keeper.tick()).promoted).to.deep.equal([1n]);
      expect(of("promote", "failed").map((l) => [l.challengeId, l.source, l.error])).to.deep.equal([
        ["9", ninth, "challenge 9 does not exist (the market has 1)"],
      ]);
      expect((await market.challenge(1)).listCount).to.equal(2n);
    });

    describe("hostile URLs", () => {
      const HUGE = 64 * 1024 * 1024;
      let https: TestHttps;
      before(async function () {
        if (!hasOpenssl()) this.skip();
        https = await httpsServer((req, res) => {
          if (req.url === "/moved") return void res.writeHead(301, { location: "https://evil.example/2.json" }).end();
          if (req.url === "/slow") return void res.write("{");
          if (req.url === "/empty") {
            return void res.end(JSON.stringify({ challengeId: "1", entries: [{ modeler: "0x12", score: 1 }] }));
          }
          // 64 MiB of spaces after a leaderboard's first bytes, as fast as the keeper takes them.
          const chunk = Buffer.alloc(64 * 1024, " ");
          let written = 0;
          const pump = () => {
            while (written < HUGE && !res.destroyed) {
              written += chunk.length;
              if (!res.write(chunk)) return void res.once("drain", pump);
            }
            res.end();
          };
          res.write('{"challengeId":"1","entries":[');
          pump();
        });
      });
      after(() => https?.close());

      it("each gets one error line and promotes nothing, while the other challenge's promotion happens", async () => {
        const cases: [string, string][] = [
          ["/huge", `is larger than the limit of ${MAX_BYTES} bytes`],
          ["/moved", "HTTP 301 redirects to https://evil.example/2.json: redirects are not followed"],
          ["/slow", "no complete answer within 300 ms"],
        ];
        for (const [path, error] of cases) {
          const { market, good2, keeperWith } = await loadFixture(twoChallengesFixture);
          const source = `${https.base}${path}`;
          const { keeper, lines } = keeperWith({
            leaderboards: [
              { challengeId: 1n, source },
              { challengeId: 2n, source: good2.path },
            ],
            load: (s) => readLeaderboard(s, { fetch: https.fetch, timeoutMs: path === "/slow" ? 300 : undefined }),
          });
          await time.increaseTo(DATES.e1Window);
          expect((await keeper.tick()).promoted, path).to.deep.equal([2n]);
          const failed = lines.filter((l) => l.level >= 40 && l.challengeId === "1");
          expect(
            failed.map((l) => [l.action, l.status, l.challengeId, l.source]),
            path,
          ).to.deep.equal([["promote", "failed", "1", source]]);
          expect(String(failed[0].error), path).to.include(`leaderboard ${source}: `).and.include(error);
          expect((await market.challenge(1)).listCount, path).to.equal(1n);
          expect((await market.challenge(2)).listCount, path).to.equal(1n);
        }
      });

      it("one with no valid entry logs each dropped entry and one warning, and promotes nothing", async () => {
        const { market, good2, keeperWith } = await loadFixture(twoChallengesFixture);
        const source = `${https.base}/empty`;
        const { keeper, lines } = keeperWith({
          leaderboards: [
            { challengeId: 1n, source },
            { challengeId: 2n, source: good2.path },
          ],
          load: (s) => readLeaderboard(s, { fetch: https.fetch }),
        });
        await time.increaseTo(DATES.e1Window);
        expect((await keeper.tick()).promoted).to.deep.equal([2n]);
        expect(
          lines
            .filter((l) => l.level >= 40 && l.challengeId === "1")
            .map((l) => [l.action, l.status, l.challengeId, l.reason]),
        ).to.deep.equal([
          ["leaderboard", "dropped", "1", "modeler 0x12 is not an address"],
          ["promote", "skipped", "1", "no valid entry"],
        ]);
        expect((await market.challenge(1)).listCount).to.equal(1n);
      });
    });
  });

  describe("start-up checks", () => {
    /** The fixture's leaderboard, and one of each kind the keeper cannot use. */
    async function sourcesFixture() {
      const f = await loadFixture(keeperFixture);
      const missing = `${f.dir}/missing.json`;
      const notJson = writeJson(f.dir, "not-json.json", "{oops");
      const empty = writeJson(f.dir, "empty.json", { challengeId: "1", entries: [{ modeler: "0x12", score: 1 }] });
      const unknown = writeJson(f.dir, "unknown.json", {
        challengeId: "9",
        entries: [{ modeler: f.top10[0], score: 1 }],
      });
      const foreign = foreignDoc(f.dir);
      return { ...f, missing, notJson, empty, unknown, foreign };
    }

    /** Resolves once `ready()` is true, looking every 10 ms. */
    async function until(ready: () => boolean) {
      while (!ready()) await new Promise((r) => setTimeout(r, 10));
    }

    it("reads every leaderboard at start, outside the window, and logs each it cannot use as an error", async () => {
      const { path, missing, notJson, empty, unknown, foreign, keeperWith } = await loadFixture(sourcesFixture);
      // Each source is checked on its own: several bound to challenge 1 keep the test to the fixture's market.
      const bound = [path, missing, notJson, empty, unknown, foreign].map((source) => ({
        challengeId: source === unknown ? 9n : 1n,
        source,
      }));
      const { keeper, of } = keeperWith({ leaderboards: bound });
      await time.increaseTo(DATES.e1Start + 1n);
      expect(await keeper.checkLeaderboards()).to.deep.equal([missing, notJson, empty, unknown, foreign]);
      const failed = of("leaderboard", "failed");
      expect(failed.map((l) => [l.source, l.challengeId, l.level])).to.deep.equal([
        [missing, "1", 50],
        [notJson, "1", 50],
        [empty, "1", 50],
        [unknown, "9", 50],
        [foreign, "1", 50],
      ]);
      expect(String(failed[0].error)).to.match(/ENOENT/);
      expect(String(failed[1].error)).to.include(`leaderboard ${notJson}: not JSON`);
      expect(failed.slice(2).map((l) => l.error)).to.deep.equal([
        "no valid entry",
        "challenge 9 does not exist (the market has 1)",
        `leaderboard ${foreign}: names challenge 2, but this source is bound to challenge 1`,
      ]);
      expect(of("leaderboard", "ready").map((l) => [l.source, l.challengeId, l.ranked, l.dropped])).to.deep.equal([
        [path, "1", 12, 2],
      ]);
      expect(of("leaderboard", "dropped").map((l) => [l.source, l.index])).to.deep.equal([
        [path, 12],
        [path, 13],
        [empty, 0],
      ]);
    });

    it("--once: does the pass, then exits 1 when a leaderboard cannot be used, 0 when all can", async () => {
      const { path, notJson, keeperWith } = await loadFixture(sourcesFixture);
      const daemon = (sources: string[]) => {
        const { keeper, log, of, lines } = keeperWith({
          leaderboards: sources.map((source) => ({ challengeId: 1n, source })),
        });
        const spec = keeperDaemon(keeper, { log, once: true, pollMs: 10, checkDeployment: async () => {} });
        return { spec, of, lines };
      };
      const bad = daemon([path, notJson]);
      expect(await runDaemon(bad.spec)).to.equal(1);
      const order = bad.lines.map((l) => `${l.action}/${l.status}`);
      expect(order.indexOf("leaderboard/failed")).to.be.below(order.indexOf("start/ready"));
      expect(bad.of("tick", "done").length).to.equal(1);

      const good = daemon([path]);
      expect(await runDaemon(good.spec)).to.equal(0);
      expect(good.of("leaderboard", "failed")).to.deep.equal([]);
    });

    it("long-running: warns at start and keeps running; a key without KEEPER_ROLE is warned about too", async () => {
      const { stranger, missing, keeperWith } = await loadFixture(sourcesFixture);
      const { keeper, log, of } = keeperWith({
        signer: stranger,
        leaderboards: [{ challengeId: 1n, source: missing }],
      });
      const signals = new EventEmitter();
      const spec = keeperDaemon(keeper, { log, once: false, pollMs: 50, checkDeployment: async () => {}, signals });
      const run = runDaemon(spec);
      await until(() => of("tick", "done").length >= 2);
      signals.emit("SIGTERM", "SIGTERM");
      expect(await run).to.equal(0);
      expect(of("leaderboard", "failed").map((l) => l.source)).to.deep.equal([missing]);
      expect(of("start", "warning").map((l) => [l.keeper, l.msg])).to.deep.equal([
        [stranger.address, "this key lacks KEEPER_ROLE: promotions will be rejected"],
      ]);
    });
  });

  describe("eviction and finalization", () => {
    /** Two requests in E1: hosts 0 and 1 answer both, host 2 one, hosts 3 and 4 none. */
    async function servedFixture() {
      const f = await loadFixture(keeperFixture);
      const rs = [];
      for (const user of f.users.slice(0, 2))
        rs.push(await requestOf(f.market, await f.market.connect(user).request(1, FEE, INPUT)));
      for (const r of rs) {
        await f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, "0x01");
        await f.market.connect(f.hosts[1]).answer(r.id, r.key, 1, "0x01");
      }
      await f.market.connect(f.hosts[2]).answer(rs[0].id, rs[0].key, 2, "0x01");
      return f;
    }

    it("evicts, once the epoch is final, the modelers that answered fewer than half of its requests, then finalizes it", async () => {
      const { market, listed, keeperWith } = await loadFixture(servedFixture);
      const { keeper, of } = keeperWith({ leaderboards: [] });
      await time.increaseTo(DATES.e2Start + TIME.sla - 1n);
      const early = await keeper.tick();
      expect([early.evicted, early.finalized]).to.deep.equal([[], []]);

      await time.increaseTo(DATES.e2Start + TIME.sla);
      const report = await keeper.tick();
      expect(report.finalized).to.deep.equal([1n]);
      expect(report.evicted).to.deep.equal([
        { challengeId: 1n, epoch: E1, modeler: listed[3].address },
        { challengeId: 1n, epoch: E1, modeler: listed[4].address },
      ]);
      const evicted = await Promise.all(listed.map(async (m) => (await market.modelerInfo(1, m.address)).evicted));
      expect(evicted).to.deep.equal([false, false, false, true, true]);
      const events = await market.queryFilter(market.filters.ModelerEvicted(1));
      expect(events.map((e) => [e.args.modeler, e.args.epoch, e.args.points, e.args.answeredRequests])).to.deep.equal([
        [listed[3].address, E1, 0n, 2n],
        [listed[4].address, E1, 0n, 2n],
      ]);
      expect(
        of("evict", "sent").map((l) => [l.index, l.points, l.answeredRequests, l.threshold, l.txHash]),
      ).to.deep.equal([
        [3, "0", "2", "1", events[0].transactionHash],
        [4, "0", "2", "1", events[1].transactionHash],
      ]);

      // Points of the modelers 2, 2 and 1 answers: 5 in all.
      const finalized = await market.queryFilter(market.filters.EpochFinalized(1, E1));
      expect(finalized.map((e) => [e.args.listId, e.args.points])).to.deep.equal([[1n, 5n]]);
      expect(of("finalize", "sent").map((l) => [l.challengeId, l.epoch, l.txHash])).to.deep.equal([
        ["1", E1.toString(), finalized[0].transactionHash],
      ]);
      expect((await market.epochFigures(1, E1)).finalized).to.equal(true);

      const again = await keeper.tick();
      expect([again.evicted, again.finalized]).to.deep.equal([[], []]);
      const restarted = await keeperWith({ leaderboards: [] }).keeper.tick();
      expect([restarted.evicted, restarted.finalized]).to.deep.equal([[], []]);
      expect((await market.queryFilter(market.filters.ModelerEvicted(1))).length).to.equal(2);
      expect((await market.queryFilter(market.filters.EpochFinalized(1))).length).to.equal(1);
    });

    it("evicts nobody for requests nobody answered, and sends no eviction that would revert", async () => {
      const {
        market,
        users,
        hosts,
        modelers,
        keeper: keeperSigner,
        listed,
        keeperWith,
      } = await loadFixture(keeperFixture);
      // E1: 3 genuine requests answered by the five listed modelers, 30 that no model accepts, left unanswered.
      for (let i = 0; i < 3; i++) {
        const r = await requestOf(market, await market.connect(users[i]).request(1, FEE, INPUT));
        for (let m = 0; m < 5; m++) await market.connect(hosts[m]).answer(r.id, r.key, m, "0x01");
      }
      for (let i = 0; i < 30; i++) await market.connect(users[3]).request(1, FEE, encodeText("not a wallet"));
      // Modeler 5 is promoted for E2 and registers one second into it: E2 does not judge it.
      await time.increaseTo(DATES.e1Window);
      await market
        .connect(keeperSigner)
        .promote(1, [...listed.map((m) => m.address), modelers[5].address], ethers.id("e1"));
      await time.setNextBlockTimestamp(DATES.e2Start + 1n);
      await market.connect(modelers[5]).register(1, hosts[5].address);
      const r = await requestOf(market, await market.connect(users[0]).request(1, FEE, INPUT));
      for (let m = 0; m < 5; m++) await market.connect(hosts[m]).answer(r.id, r.key, m, "0x01");

      const { keeper, of } = keeperWith({ leaderboards: [] });
      await time.increaseTo(DATES.e2Start + TIME.sla);
      const e1 = await keeper.tick();
      expect(e1.evicted).to.deep.equal([]);
      expect(e1.finalized).to.deep.equal([1n]);
      expect((await market.epochFigures(1, E1)).answeredRequests).to.equal(3n);
      await time.increaseTo(DATES.e3Start + TIME.sla);
      const e2 = await keeper.tick();
      expect(e2.evicted).to.deep.equal([]);
      expect((await market.modelerInfo(1, modelers[5].address)).evicted).to.equal(false);
      expect(of("evict")).to.deep.equal([]);
      expect((await market.queryFilter(market.filters.ModelerEvicted(1))).length).to.equal(0);
    });

    it("evicts nobody and finalizes nothing for an epoch without requests", async () => {
      const { market, keeperWith } = await loadFixture(keeperFixture);
      await time.increaseTo(DATES.e2Start + TIME.sla);
      const report = await keeperWith({ leaderboards: [] }).keeper.tick();
      expect([report.evicted, report.finalized]).to.deep.equal([[], []]);
      expect((await market.queryFilter(market.filters.ModelerEvicted(1))).length).to.equal(0);
      expect((await market.epochFigures(1, E1)).finalized).to.equal(false);
    });
  });

  describe("refunds", () => {
    /** Request 1 by users[0] left unanswered, request 2 by users[1] answered, both at E1 start + 100 s. */
    async function refundFixture() {
      const f = await loadFixture(keeperFixture);
      const before = await f.token.balanceOf(f.users[0].address);
      await time.setNextBlockTimestamp(DATES.e1Start + 100n);
      const open = await requestOf(f.market, await f.market.connect(f.users[0]).request(1, FEE, INPUT));
      const answered = await requestOf(f.market, await f.market.connect(f.users[1]).request(1, FEE, INPUT));
      await f.market.connect(f.hosts[0]).answer(answered.id, answered.key, 0, "0x01");
      return { ...f, before, open, answered };
    }

    it("refunds an expired unanswered request to its requester once its deadline has passed", async () => {
      const {
        market,
        token,
        users,
        keeper: keeperSigner,
        before,
        open,
        answered,
        keeperWith,
      } = await loadFixture(refundFixture);
      const { keeper, of } = keeperWith({ leaderboards: [] });
      const first = await keeper.tick();
      expect(first.refunded).to.deep.equal([]);
      expect(first.nextAt).to.equal(open.deadline + 1n);

      await time.increaseTo(open.deadline);
      expect((await keeper.tick()).refunded).to.deep.equal([]);
      expect(await token.balanceOf(users[0].address)).to.equal(before - FEE);

      await time.increaseTo(open.deadline + 1n);
      const keeperTokens = await token.balanceOf(keeperSigner.address);
      expect((await keeper.tick()).refunded).to.deep.equal([open.id]);
      expect(await token.balanceOf(users[0].address)).to.equal(before);
      expect(await token.balanceOf(keeperSigner.address)).to.equal(keeperTokens);
      expect((await market.requestState(open.id)).status).to.equal(BigInt(RequestStatus.Refunded));
      expect((await market.requestState(answered.id)).status).to.equal(BigInt(RequestStatus.Answered));
      const [sent] = of("refund", "sent");
      expect(sent).to.include({
        requestId: open.id.toString(),
        challengeId: "1",
        requester: users[0].address,
        fee: FEE.toString(),
      });
      expect(sent.txHash).to.equal(
        (await market.queryFilter(market.filters.RequestRefunded(open.id)))[0].transactionHash,
      );

      expect((await keeper.tick()).refunded).to.deep.equal([]);
      expect((await keeperWith({ leaderboards: [] }).keeper.tick()).refunded).to.deep.equal([]);
      expect((await market.queryFilter(market.filters.RequestRefunded())).length).to.equal(1);
    });

    it("a restarted keeper sweeps only its look-back range", async () => {
      const { open, keeperWith } = await loadFixture(refundFixture);
      await time.increaseTo(open.deadline + 1n);
      await mine(5);
      expect((await keeperWith({ leaderboards: [], lookbackBlocks: 3 }).keeper.tick()).refunded).to.deep.equal([]);
      expect((await keeperWith({ leaderboards: [], lookbackBlocks: 10 }).keeper.tick()).refunded).to.deep.equal([
        open.id,
      ]);
    });

    it("sends at most maxRefunds per pass", async () => {
      const { market, users, keeperWith } = await loadFixture(keeperFixture);
      const ids = [];
      for (const user of users.slice(0, 3))
        ids.push((await requestOf(market, await market.connect(user).request(1, FEE, INPUT))).id);
      await time.increase(TIME.sla + 1n);
      const { keeper } = keeperWith({ leaderboards: [], maxRefunds: 2 });
      expect((await keeper.tick()).refunded).to.deep.equal(ids.slice(0, 2));
      expect((await keeper.tick()).refunded).to.deep.equal(ids.slice(2));
    });
  });

  describe("RPC outage", () => {
    it("retries with backoff, then fails the pass with the network error", async () => {
      const network = Network.from(31337);
      const down = new JsonRpcProvider("http://127.0.0.1:9", network, { staticNetwork: network });
      const { log, of } = captureLog("keeper");
      const keeper = new Keeper({
        signer: Wallet.createRandom(down),
        market: ethers.ZeroAddress,
        leaderboards: [],
        log,
        retry: FAST_RETRY,
      });
      await expect(keeper.tick()).to.be.rejected.and.eventually.have.property("code", "ECONNREFUSED");
      expect(of("rpc", "retrying").map((l) => [l.what, l.attempt, l.delayMs])).to.deep.equal([
        ["settings", 1, 1],
        ["settings", 2, 2],
      ]);
      down.destroy();
    });
  });
});
