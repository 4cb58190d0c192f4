import { expect } from "chai";
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Network, makeError } from "ethers";
import { RevertError } from "../../sdk/errors";
import type { Sent } from "../../sdk/market";
import { act } from "../../daemons/common/act";
import { ConfigError, addressList, integer } from "../../daemons/common/config";
import { BoundedProvider, limiter } from "../../daemons/common/connect";
import { start } from "../../daemons/common/loop";
import { backoffMs, isTransient, withRetry } from "../../daemons/common/retry";
import { runDaemon } from "../../daemons/common/run";
import { onSignals } from "../../daemons/common/signals";
import { keeperConfig } from "../../daemons/keeper/config";
import { hostConfig } from "../../daemons/host/config";
import { FAST_RETRY, captureLog, deploymentFile, tempDir, writeJson } from "./helpers";

const KEY = `0x${"11".repeat(32)}`;
const MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const revert = (name: string) => new RevertError(`${name}()`, name, "0x12345678");
const econnrefused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" });

/** A promise with its resolver, to hold a pass in flight. */
function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("daemons/common", () => {
  describe("isTransient", () => {
    it("retries network and node failures", () => {
      expect(isTransient(econnrefused())).to.equal(true);
      expect(isTransient(makeError("bad gateway", "SERVER_ERROR"))).to.equal(true);
      expect(isTransient(makeError("timeout", "TIMEOUT", { operation: "x", reason: "timeout" }))).to.equal(true);
      expect(isTransient(makeError("net", "NETWORK_ERROR", { event: "x" }))).to.equal(true);
      expect(isTransient(new TypeError("fetch failed"))).to.equal(true);
      expect(
        isTransient(new Error("wrapped", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) })),
      ).to.equal(true);
    });

    it("does not retry reverts, aborts or programming errors", () => {
      expect(isTransient(revert("MarketAlreadyPromoted"))).to.equal(false);
      expect(isTransient({ code: "SERVER_ERROR", data: "0x08c379a0" })).to.equal(false);
      expect(isTransient(makeError("reverted", "CALL_EXCEPTION"))).to.equal(false);
      expect(isTransient(Object.assign(new Error("stop"), { name: "AbortError" }))).to.equal(false);
      expect(isTransient(new Error("bug"))).to.equal(false);
      expect(isTransient(makeError("poor", "INSUFFICIENT_FUNDS"))).to.equal(false);
    });
  });

  describe("withRetry", () => {
    it("waits base, 2·base, 4·base… up to the cap", () => {
      expect([1, 2, 3, 4, 5, 60].map((n) => backoffMs(n, 100, 1_000))).to.deep.equal([
        100, 200, 400, 800, 1_000, 1_000,
      ]);
    });

    it("retries transient failures with backoff and returns the result", async () => {
      let calls = 0;
      const waits: number[] = [];
      const result = await withRetry(
        async () => {
          if (++calls < 3) throw econnrefused();
          return "ok";
        },
        { retries: 5, baseMs: 1, maxMs: 10, onRetry: (_e, attempt, ms) => waits.push(attempt * 100 + ms) },
      );
      expect([result, calls, waits]).to.deep.equal(["ok", 3, [101, 202]]);
    });

    it("throws after the last retry, and at once on a revert", async () => {
      let calls = 0;
      await expect(withRetry(async () => (calls++, Promise.reject(econnrefused())), FAST_RETRY)).to.be.rejectedWith(
        "ECONNREFUSED",
      );
      expect(calls).to.equal(3);
      calls = 0;
      await expect(
        withRetry(async () => (calls++, Promise.reject(revert("MarketAlreadyAnswered"))), FAST_RETRY),
      ).to.be.rejectedWith("MarketAlreadyAnswered()");
      expect(calls).to.equal(1);
    });

    it("stops waiting as soon as the signal aborts", async () => {
      const controller = new AbortController();
      const started = Date.now();
      const run = withRetry(() => Promise.reject(econnrefused()), {
        retries: Infinity,
        baseMs: 60_000,
        maxMs: 60_000,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 10);
      await expect(run).to.be.rejected.and.eventually.have.property("name", "AbortError");
      expect(Date.now() - started).to.be.below(5_000);
    });
  });

  describe("start (the loop)", () => {
    it("stop() lets the pass in flight finish, and no pass starts after it", async () => {
      const { log } = captureLog();
      const hold = deferred();
      const events: string[] = [];
      const stop = start({
        tick: async () => {
          events.push("tick");
          await hold.promise;
          events.push("tick done");
        },
        pollMs: 10,
        log,
      });
      await new Promise((r) => setTimeout(r, 5));
      const stopped = stop().then(() => events.push("stopped"));
      await new Promise((r) => setTimeout(r, 20));
      expect(events).to.deep.equal(["tick"]);
      hold.resolve();
      await stopped;
      expect(events).to.deep.equal(["tick", "tick done", "stopped"]);
    });

    it("logs a failed pass and goes on after pollMs; a pass that asks for no wait is followed at once", async () => {
      const { log, of } = captureLog();
      const times: number[] = [];
      const done = deferred();
      const stop = start({
        tick: async () => {
          times.push(Date.now());
          if (times.length === 1) throw econnrefused();
          if (times.length === 3) done.resolve();
          return 0;
        },
        pollMs: 200,
        log,
      });
      await done.promise;
      await stop();
      expect(times.length).to.equal(3);
      expect(times[1] - times[0]).to.be.at.least(190);
      expect(times[2] - times[1]).to.be.below(150);
      expect(of("tick", "failed").map((l) => l.error)).to.deep.equal(["connect ECONNREFUSED 127.0.0.1:8545"]);
    });
  });

  describe("act", () => {
    const sent = { txHash: "0xabc", receipt: { blockNumber: 7, gasUsed: 21_000n } } as unknown as Sent;

    it("logs the hash of a sent transaction", async () => {
      const { log, lines } = captureLog();
      const result = await act(log, { action: "refund", requestId: 5n }, async () => sent, { retry: FAST_RETRY });
      expect(result.outcome).to.equal("sent");
      expect(lines[0]).to.include({
        action: "refund",
        status: "sent",
        requestId: "5",
        txHash: "0xabc",
        block: 7,
        gasUsed: "21000",
      });
    });

    it("counts a revert that says the work is done as done, and logs any other revert", async () => {
      const { log, lines } = captureLog();
      const done = ["MarketAlreadyAnswered"];
      expect(
        (
          await act(log, { action: "answer" }, () => Promise.reject(revert("MarketAlreadyAnswered")), {
            retry: FAST_RETRY,
            done,
          })
        ).outcome,
      ).to.equal("already");
      expect(
        (
          await act(log, { action: "answer" }, () => Promise.reject(revert("MarketNotHost")), {
            retry: FAST_RETRY,
            done,
          })
        ).outcome,
      ).to.equal("reverted");
      expect(
        (await act(log, { action: "answer" }, () => Promise.reject(new Error("odd")), { retry: FAST_RETRY, done }))
          .outcome,
      ).to.equal("failed");
      expect(lines.map((l) => [l.status, l.reason ?? l.error])).to.deep.equal([
        ["already", "MarketAlreadyAnswered()"],
        ["reverted", "MarketNotHost()"],
        ["failed", "odd"],
      ]);
    });

    it("reports a revert that says the daemon's copy of the chain is stale at info, for the caller to read again", async () => {
      const { log, lines } = captureLog();
      const result = await act(log, { action: "refund" }, () => Promise.reject(revert("MarketRequestKeyMismatch")), {
        retry: FAST_RETRY,
        done: ["MarketRequestRefunded"],
        stale: ["MarketRequestKeyMismatch"],
      });
      expect(result.outcome).to.equal("stale");
      expect(lines.map((l) => [l.status, l.level, l.reason])).to.deep.equal([
        ["stale", 30, "MarketRequestKeyMismatch()"],
      ]);
    });

    it("throws an RPC failure that outlasts its retries, to end the pass", async () => {
      const { log, of } = captureLog();
      await expect(
        act(log, { action: "promote" }, () => Promise.reject(econnrefused()), { retry: FAST_RETRY }),
      ).to.be.rejectedWith("ECONNREFUSED");
      expect(of("rpc", "retrying").length).to.equal(2);
    });
  });

  describe("runDaemon", () => {
    it("--once: one pass, a summary line at info, exit 0; a failed pass exits 1", async () => {
      const { log, of } = captureLog();
      let passes = 0;
      const spec = { log, once: true, pollMs: 10, init: async () => {}, summary: (n: number) => ({ passes: n }) };
      expect(await runDaemon({ ...spec, tick: async () => ++passes })).to.equal(0);
      expect(of("tick", "done").map((l) => [l.passes, l.level])).to.deep.equal([[1, 30]]);
      expect(await runDaemon({ ...spec, tick: () => Promise.reject(new Error("boom")) })).to.equal(1);
      expect(of("tick", "failed").map((l) => l.error)).to.deep.equal(["boom"]);
    });

    it("--once: exits with what exitCode makes of the pass's report", async () => {
      const { log } = captureLog();
      const spec = { log, once: true, pollMs: 10, init: async () => {}, summary: () => ({}) };
      expect(await runDaemon({ ...spec, tick: async () => 1, exitCode: (n: number) => n + 2 })).to.equal(3);
    });

    it("long-running: logs each pass at debug only, so that info stays quiet", async () => {
      const { log, of } = captureLog();
      const signals = new EventEmitter();
      const twoPasses = deferred();
      let passes = 0;
      const tick = async () => {
        if (++passes === 2) twoPasses.resolve();
        return passes;
      };
      const run = runDaemon({
        log,
        once: false,
        pollMs: 10,
        init: async () => {},
        tick,
        summary: (n: number) => ({ passes: n }),
        signals,
      });
      await twoPasses.promise;
      signals.emit("SIGTERM", "SIGTERM");
      expect(await run).to.equal(0);
      expect(
        of("tick", "done")
          .slice(0, 2)
          .map((l) => [l.passes, l.level]),
      ).to.deep.equal([
        [1, 20],
        [2, 20],
      ]);
    });

    it("a start-up check that fails for good exits 1 without a pass", async () => {
      const { log, of } = captureLog();
      let passes = 0;
      const init = () =>
        Promise.reject(new ConfigError("the RPC serves chain 1, but the deployment file is for chain 31337"));
      expect(
        await runDaemon({ log, once: false, pollMs: 10, init, tick: async () => ++passes, summary: () => ({}) }),
      ).to.equal(1);
      expect(passes).to.equal(0);
      expect(of("start", "failed").map((l) => l.error)).to.deep.equal([
        "the RPC serves chain 1, but the deployment file is for chain 31337",
      ]);
    });

    it("on SIGTERM finishes the pass in flight and returns 0", async () => {
      const { log, of } = captureLog();
      const inFlight = deferred();
      const release = deferred();
      let passes = 0;
      let finished = 0;
      const tick = async () => {
        passes++;
        inFlight.resolve();
        await release.promise;
        finished++;
      };
      // A stand-in for the process: a real SIGTERM would reach every handler of the test runner too.
      const signals = new EventEmitter();
      const run = runDaemon({ log, once: false, pollMs: 10, init: async () => {}, tick, summary: () => ({}), signals });
      await inFlight.promise;
      signals.emit("SIGTERM", "SIGTERM");
      setTimeout(release.resolve, 20);
      expect(await run).to.equal(0);
      expect([passes, finished]).to.deep.equal([1, 1]);
      expect(of("shutdown").map((l) => l.status)).to.deep.equal(["stopping", "stopped"]);
      expect(signals.listenerCount("SIGTERM")).to.equal(0);
    });
  });

  describe("onSignals", () => {
    it("stops on the first signal and exits 1 at once on a second", () => {
      const { log, of } = captureLog();
      const signals = new EventEmitter();
      const stops: string[] = [];
      const exits: number[] = [];
      const remove = onSignals(
        (signal) => stops.push(signal),
        log,
        signals,
        (code) => exits.push(code),
      );
      signals.emit("SIGINT", "SIGINT");
      expect([stops, exits]).to.deep.equal([["SIGINT"], []]);
      signals.emit("SIGTERM", "SIGTERM");
      expect([stops, exits]).to.deep.equal([["SIGINT"], [1]]);
      expect(of("shutdown").map((l) => [l.signal, l.status])).to.deep.equal([
        ["SIGINT", "stopping"],
        ["SIGTERM", "forced"],
      ]);
      remove();
      expect(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM")).to.equal(0);
    });
  });

  describe("limiter", () => {
    it("runs at most its limit at once, and the others in the order they came", async () => {
      const slot = limiter(2);
      let running = 0;
      let most = 0;
      const started: number[] = [];
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          slot(async () => {
            started.push(i);
            most = Math.max(most, ++running);
            await new Promise((r) => setTimeout(r, 5));
            running--;
          }),
        ),
      );
      expect([most, started]).to.deep.equal([2, [0, 1, 2, 3, 4, 5, 6, 7]]);
    });

    it("frees the place of a call that throws", async () => {
      const slot = limiter(1);
      await expect(slot(() => Promise.reject(new Error("boom")))).to.be.rejectedWith("boom");
      expect(await slot(async () => "next")).to.equal("next");
      expect(() => limiter(0)).to.throw(RangeError);
    });
  });

  describe("BoundedProvider (RPC_CONCURRENCY)", () => {
    it("never has more than its limit of requests in flight at the RPC, one JSON-RPC request per HTTP call", async () => {
      let inFlight = 0;
      let most = 0;
      const bodies: unknown[] = [];
      const server = createServer((req, res) => {
        most = Math.max(most, ++inFlight);
        let text = "";
        req.on("data", (c: Buffer) => (text += c.toString()));
        req.on("end", () => {
          const body = JSON.parse(text) as { id: number; params: string[] };
          bodies.push(body);
          setTimeout(() => {
            inFlight--;
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ jsonrpc: "2.0", id: body.id, result: body.params[0] }));
          }, 10);
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const provider = new BoundedProvider(url, Network.from(31337), 3);
      try {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => provider.send("eth_getBalance", [`0x${i.toString(16)}`, "latest"])),
        );
        expect(answers).to.deep.equal(Array.from({ length: 20 }, (_, i) => `0x${i.toString(16)}`));
        expect(most).to.equal(3);
        expect(bodies).to.have.length(20);
        expect(bodies.every((b) => !Array.isArray(b))).to.equal(true);
      } finally {
        provider.destroy();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe("config", () => {
    const deployment = () => deploymentFile(MARKET);

    it("keeper: flags over environment over defaults", () => {
      const dir = tempDir();
      const a = writeJson(dir, "a.json", {});
      const b = writeJson(dir, "b.json", {});
      const env = {
        KEEPER_KEY: KEY,
        DEPLOYMENT: deployment(),
        LEADERBOARD: `1=${a}, 2 = ${b}`,
        POLL_MS: "5000",
        RPC_URL: "http://node:8545",
      };
      const fromEnv = keeperConfig([], env);
      if (fromEnv === "help") throw new Error("help");
      expect([
        fromEnv.rpc,
        fromEnv.pollMs,
        fromEnv.leaderboards,
        fromEnv.once,
        fromEnv.logRange,
        fromEnv.lookbackBlocks,
        fromEnv.indexerUrl,
      ]).to.deep.equal([
        "http://node:8545",
        5_000,
        [
          { challengeId: 1n, source: a },
          { challengeId: 2n, source: b },
        ],
        false,
        2_000,
        10_000,
        undefined,
      ]);
      const indexed = keeperConfig([], { ...env, INDEXER_URL: "http://127.0.0.1:42069" });
      if (indexed === "help") throw new Error("help");
      expect(indexed.indexerUrl).to.equal("http://127.0.0.1:42069");
      expect(fromEnv.deployment.startBlock).to.equal(3);
      expect(fromEnv.key.address).to.equal("0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A");

      const flags = keeperConfig(
        [
          "--leaderboard",
          "1=https://x.org/1.json?week=2",
          "--leaderboard",
          `3=${a}`,
          "--poll-ms",
          "100",
          "--once",
          "--rpc",
          "https://rpc.example",
        ],
        env,
      );
      if (flags === "help") throw new Error("help");
      expect([flags.rpc, flags.pollMs, flags.leaderboards, flags.once]).to.deep.equal([
        "https://rpc.example",
        100,
        [
          { challengeId: 1n, source: "https://x.org/1.json?week=2" },
          { challengeId: 3n, source: a },
        ],
        true,
      ]);
      expect(keeperConfig(["-h"], {})).to.equal("help");
    });

    it("transactions: fee ceiling and tip in gwei, replacement, confirmations (0 on the local chain, else 2)", () => {
      const base = { KEEPER_KEY: KEY, DEPLOYMENT: deployment(), LEADERBOARD: "1=https://x.org/1.json" };
      const local = keeperConfig([], base);
      if (local === "help") throw new Error("help");
      expect(local.tx).to.deep.include({
        maxFee: 100_000_000_000n,
        priorityFee: undefined,
        replaceAfterBlocks: 3,
        confirmations: 0,
      });
      expect(local.txWaitMs).to.equal(120_000);
      const sepolia = deploymentFile(MARKET, { network: "sepolia", chainId: 11155111 });
      const real = keeperConfig(["--max-fee-gwei", "2.5", "--priority-fee-gwei", "0.001"], {
        ...base,
        DEPLOYMENT: sepolia,
        REPLACE_AFTER_BLOCKS: "5",
        TX_WAIT_MS: "30000",
      });
      if (real === "help") throw new Error("help");
      expect(real.tx).to.deep.include({
        maxFee: 2_500_000_000n,
        priorityFee: 1_000_000n,
        replaceAfterBlocks: 5,
        confirmations: 2,
      });
      expect(real.txWaitMs).to.equal(30_000);
      const cases: [string[], string][] = [
        [["--max-fee-gwei", "0"], '--max-fee-gwei must be a positive amount of gwei such as 1.5, got "0"'],
        [["--max-fee-gwei", "lots"], '--max-fee-gwei must be a positive amount of gwei such as 1.5, got "lots"'],
        [["--max-fee-gwei", "1", "--priority-fee-gwei", "2"], "--priority-fee-gwei must not be above --max-fee-gwei"],
        [["--replace-after-blocks", "0"], "--replace-after-blocks must be between 1 and 1000, got 0"],
        [["--confirmations=-1"], '--confirmations must be a whole number, got "-1"'],
        [["--tx-wait-ms", "10"], "--tx-wait-ms must be between 1000 and 3600000, got 10"],
      ];
      for (const [argv, message] of cases)
        expect(() => keeperConfig(argv, base), message).to.throw(ConfigError, message);
    });

    it("keeper: refuses bad settings with a message that names them", () => {
      const base = { KEEPER_KEY: KEY, DEPLOYMENT: deployment(), LEADERBOARD: "1=https://x.org/1.json" };
      const cases: [string[], Record<string, string>, string][] = [
        [["--bogus"], base, "Unknown option '--bogus'"],
        [[], { ...base, KEEPER_KEY: "" }, "KEEPER_KEY is not set"],
        [[], { ...base, KEEPER_KEY: "0x1234" }, "KEEPER_KEY must be 32 bytes of hex"],
        [[], { ...base, KEEPER_KEY: `0x${"00".repeat(32)}` }, "KEEPER_KEY is not a valid secp256k1 private key"],
        [["--poll-ms", "abc"], base, '--poll-ms must be a whole number, got "abc"'],
        [["--poll-ms", "5"], base, "--poll-ms must be between 10 and 86400000, got 5"],
        [["--rpc", "ftp://x"], base, '--rpc must be an http(s) URL, got "ftp://x"'],
        [[], { ...base, LEADERBOARD: "" }, "no leaderboard: give --leaderboard <id>=<file|url>"],
        [
          ["--leaderboard", "1=/nonexistent.json"],
          base,
          "leaderboard /nonexistent.json (challenge 1) is neither an https URL nor an existing file",
        ],
        [
          ["--leaderboard", "https://a/1?week=2"],
          base,
          'leaderboard "https://a/1?week=2" names no challenge: give it as <id>=<file|url>, e.g. 1=https://a/1?week=2',
        ],
        [[], { ...base, LEADERBOARD: "board.json" }, 'leaderboard "board.json" names no challenge'],
        [["--leaderboard", "http://a/1.json"], base, "leaderboard http://a/1.json: plain http:// is refused"],
        [
          ["--leaderboard", "0=https://a/1"],
          base,
          'leaderboard "0=https://a/1": the challenge id must be a positive whole number, got "0"',
        ],
        [[], { ...base, LEADERBOARD: "-1=https://a/1" }, 'the challenge id must be a positive whole number, got "-1"'],
        [
          [],
          { ...base, LEADERBOARD: "one=https://a/1" },
          'the challenge id must be a positive whole number, got "one"',
        ],
        [["--leaderboard", "2="], base, 'leaderboard "2=" gives no file or URL after "2="'],
        [
          ["--leaderboard", "1=https://a/1", "--leaderboard", "1=https://a/2"],
          base,
          "challenge 1 is given two leaderboards: https://a/1 and https://a/2",
        ],
        [
          [],
          { ...base, LEADERBOARD: "1=https://a/1,2=https://a/1" },
          "leaderboard https://a/1 is given for challenges 1 and 2: a document names one challenge",
        ],
        [
          ["--leaderboard", "1=http://a/1.json"],
          base,
          "leaderboard http://a/1.json (challenge 1): plain http:// is refused (anyone on the path could change the list): use https:// or a file",
        ],
        [
          ["--leaderboard", "1=file:///etc/board.json"],
          base,
          "leaderboard file:///etc/board.json (challenge 1): file: is not read: a leaderboard comes from a local file or an https:// URL",
        ],
        [[], { ...base, DEPLOYMENT: "/nonexistent/net.json" }, "no deployment file /nonexistent/net.json"],
        [["--log-level", "loud"], base, "--log-level must be one of"],
        [[], { ...base, ONCE: "yes" }, 'ONCE must be 0 or 1, got "yes"'],
        [["--indexer", "localhost:42069"], base, '--indexer must be an http(s) URL, got "localhost:42069"'],
        [["--rpc-concurrency", "0"], base, "--rpc-concurrency must be between 1 and 256, got 0"],
        [[], { ...base, RPC_CONCURRENCY: "many" }, '--rpc-concurrency must be a whole number, got "many"'],
      ];
      for (const [argv, env, message] of cases)
        expect(() => keeperConfig(argv, env), message).to.throw(ConfigError, message);
    });

    it("host: loads the model and checks the modelers, batch size and margin", () => {
      const env = { HOST_KEY: KEY, DEPLOYMENT: deployment() };
      const config = hostConfig(
        ["--model", "models/credit-score.ts", "--modelers", `1:${MARKET.toLowerCase()}`, "--batch-size", "4"],
        env,
      );
      if (config === "help") throw new Error("help");
      expect([config.modelers, config.batchSize, config.marginS, config.pollMs]).to.deep.equal([
        [{ challengeId: 1n, modeler: MARKET }],
        4,
        10,
        2_000,
      ]);
      expect(typeof config.model.predict).to.equal("function");

      const cases: [string[], Record<string, string>, string][] = [
        [[], env, "no model: give --model <path>"],
        [["--model", "models/none.ts"], env, "cannot load model"],
        [["--model", "models/credit-score.ts"], { ...env, HOST_KEY: "" }, "HOST_KEY is not set"],
        [["--model", "models/credit-score.ts", "--modelers", "1:0x12"], env, '--modelers: "0x12" is not an address'],
        [["--model", "models/credit-score.ts"], env, "no modelers to serve"],
        [
          ["--model", "models/credit-score.ts", "--batch-size", "51"],
          env,
          "--batch-size must be between 1 and 50, got 51",
        ],
        [["--model", "models/credit-score.ts", "--margin-s=-1"], env, '--margin-s must be a whole number, got "-1"'],
      ];
      for (const [argv, e, message] of cases) expect(() => hostConfig(argv, e), message).to.throw(ConfigError, message);
    });

    it("RPC_CONCURRENCY: 8 by default, the flag over the environment, for both daemons", () => {
      const keeperEnv = { KEEPER_KEY: KEY, DEPLOYMENT: deployment(), LEADERBOARD: "1=https://x.org/1.json" };
      const hostEnv = { HOST_KEY: KEY, DEPLOYMENT: deployment(), MODELERS: `1:${MARKET}` };
      const host = ["--model", "models/credit-score.ts"];
      const concurrency = (config: { rpcConcurrency: number } | "help") => {
        if (config === "help") throw new Error("help");
        return config.rpcConcurrency;
      };
      expect([
        concurrency(keeperConfig([], keeperEnv)),
        concurrency(keeperConfig([], { ...keeperEnv, RPC_CONCURRENCY: "2" })),
        concurrency(keeperConfig(["--rpc-concurrency", "16"], { ...keeperEnv, RPC_CONCURRENCY: "2" })),
        concurrency(hostConfig(host, hostEnv)),
        concurrency(hostConfig([...host, "--rpc-concurrency", "256"], hostEnv)),
      ]).to.deep.equal([8, 2, 16, 8, 256]);
      expect(() => hostConfig([...host, "--rpc-concurrency", "257"], hostEnv)).to.throw(
        ConfigError,
        "--rpc-concurrency must be between 1 and 256, got 257",
      );
    });

    it("parses whole numbers and address lists", () => {
      expect(integer(undefined, "--x", 7)).to.equal(7);
      expect(integer(" 12 ", "--x", 7)).to.equal(12);
      expect(addressList(undefined, "--m")).to.equal(undefined);
      expect(addressList(`${MARKET.toLowerCase()},`, "--m")).to.deep.equal([MARKET]);
      expect(() => addressList(" , ", "--m")).to.throw(ConfigError, "--m is empty");
    });
  });
});
