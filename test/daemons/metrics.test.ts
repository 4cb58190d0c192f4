import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { createServer as createTcpServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { JsonRpcProvider, Network, Wallet, formatEther, parseEther } from "ethers";
import { activeFixture, requestOf, DATES, FEE, TIME } from "../fixtures";
import { COMMON_FLAGS, ConfigError, commonConfig, parseFlags, type Env } from "../../daemons/common/config";
import { Health } from "../../daemons/common/health";
import { Metrics, meteredLogger, type DaemonName } from "../../daemons/common/metrics";
import { serveMetrics, type MetricsServer } from "../../daemons/common/serve";
import { HostAgent } from "../../daemons/host/agent";
import type { Model } from "../../daemons/host/model";
import { Keeper } from "../../daemons/keeper/keeper";
import { encodeText } from "../../sdk/text";
import { FAST_RETRY, deploymentFile, tempDir, writeJson, type LogLine } from "./helpers";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text format, failing on any line that is neither a comment nor a sample of a family
 * declared by a TYPE line; returns the samples.
 */
function parseExposition(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"], line).to.include(meta[3]);
        types.set(meta[2], meta[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const [, name, labelText, valueText] = m;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    expect(types.has(family), `no TYPE for ${name}`).to.equal(true);
    const labels: Record<string, string> = {};
    const rest = (labelText ?? "").replace(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g,
      (_, k: string, v: string) => {
        labels[k] = v;
        return "";
      },
    );
    expect(rest, `bad labels: ${line}`).to.equal("");
    // Prometheus reads values as Go's ParseFloat does: NaN in any letter case (prom-client writes "Nan").
    const nan = /^nan$/i.test(valueText);
    const value = nan ? NaN : Number(valueText.replace(/Inf$/, "Infinity"));
    if (!nan && Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; 0 for a counter never increased. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `${name} ${JSON.stringify(labels)}`).to.be.at.most(1);
  return found[0]?.value ?? 0;
}

async function scrape(metrics: Metrics): Promise<Sample[]> {
  return parseExposition(await metrics.registry.metrics());
}

/** A daemon's metrics and a logger whose lines are counted into them, and kept. */
function metered(daemon: DaemonName, health?: Health) {
  const metrics = new Metrics(daemon, health);
  const lines: LogLine[] = [];
  const log = meteredLogger(daemon, "debug", metrics, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { metrics, log, lines };
}

/** A model that answers every input with "ok", and moves the chain past the deadline on the input "late". */
function echo(lateDeadline: () => bigint | undefined): Model {
  let moved = false;
  return {
    preprocess: async (input) => {
      const deadline = lateDeadline();
      if (input === "late" && deadline !== undefined && !moved) {
        moved = true;
        await time.increaseTo(deadline + 1n);
      }
      return input;
    },
    predict: () => "ok",
    postprocess: (p) => String(p),
  };
}

const K = "inference_market_";

describe("daemons/common/metrics", () => {
  describe("the host agent's counters", () => {
    it("count the answers, batches and delays the chain shows, and the answers given up late", async () => {
      const f = await loadFixture(activeFixture);
      const { market, listed, hosts, modelers, users } = f;
      await market.connect(modelers[1]).setHost(1, hosts[0].address);
      let late: bigint | undefined;
      const { metrics, log } = metered("host");
      const agent = new HostAgent({
        signer: hosts[0],
        market: await market.getAddress(),
        model: echo(() => late),
        log,
        retry: FAST_RETRY,
        modelers: listed.slice(0, 2).map((m) => ({ challengeId: 1n, modeler: m.address })),
        batchSize: 4,
      });
      const ask = async (user: number, input = "x") =>
        requestOf(market, await market.connect(users[user]).request(1, FEE, encodeText(input)));
      const asked = [await ask(0), await ask(1), await ask(2)];
      // Modeler 1's answer to this one is made outside the agent, before its first pass: the pre-flight leaves
      // it out, and the agent's second batch holds three answers.
      const single = await ask(3);
      const outside = await (await market.connect(hosts[0]).answer(single.id, single.key, 1, "0x01")).wait();
      asked.push(single);
      await agent.tick();
      await agent.tick();
      const lateOne = await ask(4, "late");
      late = lateOne.deadline;
      await agent.tick();

      const events = (await market.queryFilter(market.filters.RequestAnswered())).filter(
        (e) => e.transactionHash !== outside!.hash,
      );
      const perTx = new Map<string, number>();
      for (const e of events) perTx.set(e.transactionHash, (perTx.get(e.transactionHash) ?? 0) + 1);
      const createdAt = new Map(asked.map((r) => [r.id, r.createdAt]));
      let delays = 0;
      for (const e of events) delays += (await e.getBlock()).timestamp - Number(createdAt.get(e.args.requestId)!);

      const samples = await scrape(metrics);
      expect(events.length).to.equal(7);
      expect(valueOf(samples, `${K}answers_sent_total`, { daemon: "host" })).to.equal(events.length);
      expect(valueOf(samples, `${K}actions_total`, { action: "answer", status: "sent" })).to.equal(events.length);
      expect(valueOf(samples, `${K}answer_batches_total`)).to.equal([...perTx.values()].filter((n) => n > 1).length);
      expect(valueOf(samples, `${K}answer_batches_total`)).to.equal(2);
      expect(valueOf(samples, `${K}answer_delay_seconds_count`)).to.equal(events.length);
      expect(valueOf(samples, `${K}answer_delay_seconds_sum`)).to.equal(delays);
      expect(valueOf(samples, `${K}answer_delay_seconds_bucket`, { le: "+Inf" })).to.equal(events.length);
      // The late request's two entries: given up, and never answered on chain.
      expect((await market.queryFilter(market.filters.RequestAnswered(lateOne.id))).length).to.equal(0);
      expect(valueOf(samples, `${K}answers_late_total`)).to.equal(2);
      expect(valueOf(samples, `${K}transactions_replaced_total`)).to.equal(0);
      expect(valueOf(samples, `${K}reorgs_total`)).to.equal(0);
      expect(valueOf(samples, "process_cpu_seconds_total")).to.be.greaterThan(0);
      expect(samples.some((s) => s.name.startsWith(`${K}promotions`))).to.equal(false);
    });

    it("count each RPC error retried, by kind", async () => {
      const net = Network.from(31337);
      const down = new JsonRpcProvider("http://127.0.0.1:9", net, { staticNetwork: net });
      const { metrics, log } = metered("host");
      const agent = new HostAgent({
        signer: Wallet.createRandom(down),
        market: ethers.ZeroAddress,
        model: echo(() => undefined),
        log,
        retry: FAST_RETRY,
        modelers: [{ challengeId: 1n, modeler: Wallet.createRandom().address }],
      });
      await expect(agent.tick()).to.be.rejectedWith("ECONNREFUSED");
      expect(valueOf(await scrape(metrics), `${K}rpc_errors_total`, { kind: "ECONNREFUSED" })).to.equal(
        FAST_RETRY.retries,
      );
      down.destroy();
    });
  });

  describe("the keeper's counters", () => {
    it("count promotions, evictions, finalizations and refunds as the chain's events do", async () => {
      const f = await loadFixture(activeFixture);
      const { market, listed, hosts, users } = f;
      const input = encodeText("x");
      // E1: hosts 0 and 1 answer two requests, host 2 one, hosts 3 and 4 none; a third request is never answered.
      const rs = [];
      for (const user of users.slice(0, 2))
        rs.push(await requestOf(market, await market.connect(user).request(1, FEE, input)));
      for (const r of rs) for (const m of [0, 1]) await market.connect(hosts[m]).answer(r.id, r.key, m, "0x01");
      await market.connect(hosts[2]).answer(rs[0].id, rs[0].key, 2, "0x01");
      await market.connect(users[2]).request(1, FEE, input);
      const entries = listed.map((m, i) => ({ modeler: m.address, score: 1 - i / 10 }));
      const source = writeJson(tempDir(), "challenge-1.json", { challengeId: "1", entries });

      const { metrics, log } = metered("keeper");
      const keeper = new Keeper({
        signer: f.keeper,
        market: await market.getAddress(),
        leaderboards: [{ challengeId: 1n, source }],
        log,
        retry: FAST_RETRY,
      });
      const fromBlock = (await ethers.provider.getBlockNumber()) + 1;
      await time.increaseTo(DATES.e1Window);
      await keeper.tick();
      await time.increaseTo(DATES.e2Start + TIME.sla);
      await keeper.tick();
      await keeper.tick();

      const count = async (filter: Parameters<typeof market.queryFilter>[0]) =>
        (await market.queryFilter(filter, fromBlock)).length;
      const samples = await scrape(metrics);
      const expected = {
        promotions_total: await count(market.filters.ListPromoted()),
        evictions_total: await count(market.filters.ModelerEvicted()),
        finalizations_total: await count(market.filters.EpochFinalized()),
        refunds_total: await count(market.filters.RequestRefunded()),
      };
      expect(expected).to.deep.equal({
        promotions_total: 1,
        evictions_total: 2,
        finalizations_total: 1,
        refunds_total: 1,
      });
      for (const [metric, n] of Object.entries(expected))
        expect(valueOf(samples, `${K}${metric}`, { daemon: "keeper" }), metric).to.equal(n);
      expect(valueOf(samples, `${K}actions_total`, { action: "evict", status: "sent" })).to.equal(2);
      expect(samples.some((s) => s.name.startsWith(`${K}answers`))).to.equal(false);
    });

    it("count the lines at info whatever the log level: a quiet log does not stop the counters", async () => {
      const metrics = new Metrics("keeper");
      const out: string[] = [];
      const log = meteredLogger("keeper", "warn", metrics, { write: (l: string) => void out.push(l) });
      log.info({ action: "refund", status: "sent", requestId: 1n }, "refund: sent");
      log.debug({ action: "tick", status: "done" }, "pass done");
      log.warn({ action: "rpc", status: "retrying", kind: "TIMEOUT" }, "RPC error");
      expect(out.map((l) => JSON.parse(l).action)).to.deep.equal(["rpc"]);
      const samples = await scrape(metrics);
      expect(valueOf(samples, `${K}refunds_total`)).to.equal(1);
      expect(valueOf(samples, `${K}actions_total`, { action: "tick", status: "done" })).to.equal(0);
      expect(valueOf(samples, `${K}rpc_errors_total`, { kind: "TIMEOUT" })).to.equal(1);
    });
  });

  describe("/healthz and /metrics", () => {
    const servers: MetricsServer[] = [];
    const closers: (() => void)[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
      closers.splice(0).forEach((close) => close());
    });
    const serve = async (health: Health, daemon: DaemonName = "keeper") => {
      const metrics = new Metrics(daemon, health);
      const server = await serveMetrics(metrics, health, { port: 0, host: "127.0.0.1" });
      servers.push(server);
      const get = async (path: string) => {
        const res = await fetch(`${server.url}${path}`);
        return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
      };
      return { metrics, get };
    };
    const floor = parseEther("0.01");
    const net = Network.from(31337);

    it("/healthz is 200 ok while the RPC answers and the signer is funded; /metrics shows the chain's figures", async () => {
      const { keeper } = await loadFixture(activeFixture);
      const { get } = await serve(
        new Health({ provider: ethers.provider, address: keeper.address, minBalance: floor }),
      );
      expect(await get("/healthz")).to.deep.include({ status: 200, body: "ok\n" });

      const res = await get("/metrics");
      expect([res.status, res.type]).to.deep.equal([200, "text/plain; version=0.0.4; charset=utf-8"]);
      const samples = parseExposition(res.body);
      const head = (await ethers.provider.getBlock("latest"))!;
      const balance = await ethers.provider.getBalance(keeper.address);
      expect(valueOf(samples, `${K}healthy`, { daemon: "keeper" })).to.equal(1);
      expect(valueOf(samples, `${K}signer_balance_eth`)).to.equal(Number(formatEther(balance)));
      expect(valueOf(samples, `${K}pending_transactions`)).to.equal(0);
      expect(valueOf(samples, `${K}head_lag_seconds`)).to.be.closeTo(Date.now() / 1000 - head.timestamp, 5);
      expect(valueOf(samples, "nodejs_heap_size_used_bytes")).to.be.greaterThan(0);
      expect((await get("/nothing")).status).to.equal(404);
    });

    it("/healthz is 503 when the signer holds less than the floor", async () => {
      const { keeper } = await loadFixture(activeFixture);
      await network.provider.send("hardhat_setBalance", [keeper.address, "0x0"]);
      const { get } = await serve(
        new Health({ provider: ethers.provider, address: keeper.address, minBalance: floor }),
      );
      expect(await get("/healthz")).to.deep.include({
        status: 503,
        body: `the signer ${keeper.address} holds 0.0 ETH, below the floor of 0.01 ETH\n`,
      });
      expect(valueOf(parseExposition((await get("/metrics")).body), `${K}healthy`)).to.equal(0);
    });

    it("/healthz is 503 when the RPC is down, and /metrics still answers, without the chain's figures", async () => {
      const down = new JsonRpcProvider("http://127.0.0.1:9", net, { staticNetwork: net });
      closers.push(() => down.destroy());
      const address = Wallet.createRandom().address;
      const { get } = await serve(new Health({ provider: down, address, minBalance: floor }));
      const res = await get("/healthz");
      expect(res.status).to.equal(503);
      expect(res.body).to.match(/^the RPC does not answer: .*ECONNREFUSED.*\n$/);
      const samples = parseExposition((await get("/metrics")).body);
      expect(valueOf(samples, `${K}healthy`)).to.equal(0);
      for (const gauge of ["head_lag_seconds", "signer_balance_eth", "pending_transactions"])
        expect(valueOf(samples, `${K}${gauge}`), gauge).to.be.NaN;
    });

    it("/healthz is 503 when the RPC does not answer within the timeout", async () => {
      const silent: Server = createTcpServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const hung = new JsonRpcProvider(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, net, {
        staticNetwork: net,
      });
      closers.push(() => {
        hung.destroy();
        silent.close();
      });
      const health = new Health({
        provider: hung,
        address: Wallet.createRandom().address,
        minBalance: 0n,
        timeoutMs: 100,
      });
      const { get } = await serve(health);
      expect(await get("/healthz")).to.deep.include({
        status: 503,
        body: "the RPC does not answer: the RPC gave no answer within 100 ms\n",
      });
    });
  });

  describe("config", () => {
    const deployment = deploymentFile("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const config = (argv: string[], env: Env) =>
      commonConfig(parseFlags(argv, COMMON_FLAGS), { DEPLOYMENT: deployment, ...env }, 1_000).metrics;

    it("METRICS_PORT (--metrics-port) starts the server, on 127.0.0.1 with a 0.01 ETH floor unless told", () => {
      expect(config([], {})).to.equal(undefined);
      expect(config([], { METRICS_PORT: "9464" })).to.deep.equal({
        port: 9464,
        host: "127.0.0.1",
        minBalance: parseEther("0.01"),
      });
      expect(
        config(["--metrics-port", "9100", "--min-balance-eth", "0.5"], {
          METRICS_PORT: "9464",
          METRICS_HOST: "0.0.0.0",
        }),
      ).to.deep.equal({ port: 9100, host: "0.0.0.0", minBalance: parseEther("0.5") });
      expect(() => config([], { METRICS_PORT: "0" })).to.throw(
        ConfigError,
        "--metrics-port must be between 1 and 65535",
      );
      expect(() => config([], { METRICS_PORT: "9464", MIN_BALANCE_ETH: "-1" })).to.throw(
        ConfigError,
        '--min-balance-eth must be an amount of ETH such as 0.05, got "-1"',
      );
    });
  });
});
