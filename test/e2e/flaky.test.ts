/*
 * The keeper and the host agent as processes behind a flaky RPC, on two independent nodes (`hardhat node` and
 * anvil): a fault-injecting proxy (proxy.ts) on loopback between them and the node drops requests, delays them,
 * answers 429 and 5xx, and loses replies, at a few percent each, from one seeded random source. The users'
 * requests go to the node directly. 500 requests from 5 users, in bursts: a first burst that nobody serves
 * expires, and the keeper refunds it while the host answers the four bursts that follow. Every request open to
 * the host is answered in time, every other one refunded, no modeler answers one twice, and no transaction of
 * the daemons reverts.
 */
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { NonceManager, Wallet, parseUnits, type HDNodeWallet } from "ethers";
import {
  Market,
  decodeText,
  encodeText,
  epochOf,
  startOf,
  windowStart,
  type Deployment,
  type TimeConfig,
} from "../../sdk";
import { InferenceMarket__factory, TestToken__factory } from "../../typechain-types";
import { Chain, DEPLOYER, FEE, HOST, KEEPER, NODE_KINDS } from "./anvil";
import { account, daemon, liveChildren, stopAll, type DeploySpot, type LogLine, type Node, type Proc } from "./harness";
import { FaultyRpc, type Faults } from "./proxy";

/** Challenge 1's list, both served by HOST. */
const MODELERS = [account(3), account(4)];
/** Challenge 2's only modeler names a host that never runs: its requests expire, and the keeper refunds them. */
const LONE = account(10);
const NOBODY = account(11);
const USERS = [6, 7, 8, 9, 12].map(account);

/** Each burst's challenge and requests per user: 50 to challenge 2, then 3 × 150 to challenge 1, 500 in all. */
const BURSTS = [
  { challengeId: 2n, perUser: 10 },
  { challengeId: 1n, perUser: 30 },
  { challengeId: 1n, perUser: 30 },
  { challengeId: 1n, perUser: 30 },
];
/** The host reads inputs of 64 bytes at most; longer ones get an error answer without the model. */
const MAX_INPUT_BYTES = 64;
const LONG_INPUT = `0x${"ab".repeat(40)}`;
const NOT_A_WALLET = "not a wallet";
const RPC_CONCURRENCY = 8;

const FAULTS: Faults = { drop: 0.02, tooMany: 0.02, serverError: 0.02, lostReply: 0.02, delay: 0.03, delayMs: 300 };
const SEED = 20261126;

for (const kind of NODE_KINDS) {
  describe(`e2e: the keeper and the host agent through a flaky RPC on ${kind}, 500 requests from 5 users`, function () {
    let chain: Chain;
    let node: Node;
    let spot: DeploySpot;
    let deployment: Deployment;
    let market: Market;
    let time: TimeConfig;
    let proxy: FaultyRpc;
    let keeper: Proc;
    let host: Proc;
    const timings: string[] = [];
    const signers = new Map<string, NonceManager>();
    const signer = (w: HDNodeWallet) => {
      if (!signers.has(w.address)) signers.set(w.address, new NonceManager(w.connect(node.provider)));
      return signers.get(w.address)!;
    };
    const as = (w: HDNodeWallet) => Market.connect(deployment.market, signer(w));

    before(async function () {
      this.timeout(120_000);
      const t0 = Date.now();
      chain = await Chain.start(kind);
      ({ node, spot, deployment } = chain);
      timings.push(`node and deploy ${Date.now() - t0} ms`);
      market = as(DEPLOYER);
      time = await market.timeConfig();
      await market.createChallenge(DEPLOYER.address, DEPLOYER.address, FEE, "wallet credit score");
      await market.createChallenge(DEPLOYER.address, DEPLOYER.address, FEE, "served by nobody");
      await Promise.all([
        ...MODELERS.map((m) => as(m).register(1n, HOST.address)),
        as(LONE).register(2n, NOBODY.address),
      ]);
      const token = TestToken__factory.connect(deployment.token, signer(DEPLOYER));
      for (const u of USERS) await (await token.mint(u.address, 1_000n * FEE)).wait();
      await Promise.all(
        USERS.map(async (u) => (await token.connect(signer(u)).approve(deployment.market, 1_000n * FEE)).wait()),
      );

      const boards = [
        { challengeId: "1", entries: MODELERS.map((m, i) => ({ modeler: m.address, score: 0.9 - i / 10 })) },
        { challengeId: "2", entries: [{ modeler: LONE.address, score: 0.5 }] },
      ].map((board) => {
        const file = join(spot.dir, `leaderboard-${board.challengeId}.json`);
        writeFileSync(file, JSON.stringify(board));
        return `${board.challengeId}=${file}`;
      });

      proxy = new FaultyRpc(node.url, FAULTS, SEED);
      const url = await proxy.start();
      // Debug logs: the passes and what each deferred are counted in the report.
      const env = { RPC_URL: url, LOG_LEVEL: "debug", RPC_CONCURRENCY: String(RPC_CONCURRENCY) };
      const common = ["--deployment", spot.file];
      keeper = daemon(
        "keeper",
        [...common, "--leaderboard", boards[0], "--leaderboard", boards[1], "--poll-ms", "250"],
        {
          ...env,
          KEEPER_KEY: KEEPER.privateKey,
        },
      );
      const served = MODELERS.map((m) => `1:${m.address}`).join(",");
      host = daemon(
        "host",
        [
          ...common,
          "--model",
          "models/credit-score.ts",
          "--modelers",
          served,
          "--poll-ms",
          "200",
          "--batch-size",
          "50",
          "--max-input-bytes",
          String(MAX_INPUT_BYTES),
        ],
        { ...env, HOST_KEY: HOST.privateKey },
      );
      timings.push(`set-up ${Date.now() - t0} ms`);
    });

    after(async function () {
      this.timeout(60_000);
      try {
        await stopAll();
        await proxy?.stop();
      } finally {
        await chain?.stop();
      }
      expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
      if (process.env.E2E_TIMINGS === "1") console.log(`      ${kind}: ${timings.join(", ")}`);
    });

    /**
     * How many logs of `topic` the market has emitted so far: counted from where the last call stopped, so that
     * watching the daemons adds little load to the node they share.
     */
    function counter(topic: string) {
      let next = deployment.startBlock;
      let count = 0;
      return async () => {
        const head = await node.provider.getBlockNumber();
        if (head >= next) {
          count += (
            await node.provider.getLogs({ address: deployment.market, topics: [topic], fromBlock: next, toBlock: head })
          ).length;
          next = head + 1;
        }
        return count;
      };
    }

    /** Polls `done` every 500 ms until it holds; fails after `timeoutMs` or when a daemon exits. */
    async function until(what: string, done: () => Promise<boolean>, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        for (const p of [keeper, host]) if (p.exit) throw new Error(`${p.name} exited before ${what}\n${p.output()}`);
        if (Date.now() > deadline)
          throw new Error(`no ${what} within ${timeoutMs} ms\n${keeper.output(20)}\n${host.output(20)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }

    /** Sends burst `b` from every user, all in the mempool, then mined in a few blocks. */
    async function burst(b: number): Promise<void> {
      const { challengeId, perUser } = BURSTS[b];
      const first = BURSTS.slice(0, b).reduce((n, x) => n + x.perUser, 0);
      const c = InferenceMarket__factory.connect(deployment.market, node.provider);
      const fees = { maxFeePerGas: parseUnits("50", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") };
      await node.rpc("evm_setAutomine", [false]);
      try {
        const hashes = (
          await Promise.all(
            USERS.map(async (u, i) => {
              const wallet = new Wallet(u.privateKey, node.provider);
              let nonce = await node.provider.getTransactionCount(u.address, "pending");
              const sent: string[] = [];
              for (let j = 0; j < perUser; j++) {
                const n = first + j;
                const input =
                  n % 10 === 3 ? LONG_INPUT : n % 10 === 7 ? NOT_A_WALLET : USERS[(i + n) % USERS.length].address;
                const tx = await c
                  .connect(wallet)
                  .request(challengeId, FEE, encodeText(input), { ...fees, nonce: nonce++, gasLimit: 400_000n });
                sent.push(tx.hash);
              }
              return sent;
            }),
          )
        ).flat();
        // A block holds what its gas limit allows: mine until the whole burst is in.
        for (;;) {
          await node.rpc("evm_mine");
          const receipts = await Promise.all(hashes.map((h) => node.provider.getTransactionReceipt(h)));
          if (receipts.every((r) => r !== null)) {
            expect(receipts.every((r) => r!.status === 1)).to.equal(true);
            return;
          }
        }
      } finally {
        await node.rpc("evm_setAutomine", [true]);
      }
    }

    it("answers every request open to the host in time, refunds every other one, none twice, and no daemon transaction reverts", async function () {
      this.timeout(120_000);
      const t0 = Date.now();
      const c = market.contract;

      // The keeper promotes both lists in the window, through the faults; they serve from the next epoch.
      const epoch = epochOf(time, await node.latestTimestamp());
      await node.mineAt(windowStart(time, epoch));
      await until(
        "promotion of both lists",
        async () => (await c.queryFilter(c.filters.ListPromoted())).length === 2,
        60_000,
      );
      await node.mineAt(startOf(time, epoch + 1n));
      timings.push(`promoted ${Date.now() - t0} ms`);

      // The first burst, past its deadlines: the keeper refunds it while the host answers the others.
      await burst(0);
      await node.advance(Number(time.sla) + 1);
      for (let b = 1; b < BURSTS.length; b++) await burst(b);
      timings.push(`requests ${Date.now() - t0} ms`);
      const made = await market.requestsMade({ fromBlock: deployment.startBlock });
      expect(made).to.have.length(500);
      const served = made.filter((r) => r.key.challengeId === 1n);
      const lone = made.filter((r) => r.key.challengeId === 2n);

      const answersOnChain = () => c.queryFilter(c.filters.RequestAnswered(), deployment.startBlock);
      const refundsOnChain = () => c.queryFilter(c.filters.RequestRefunded(), deployment.startBlock);
      const answered = counter(c.interface.getEvent("RequestAnswered").topicHash);
      const refundedSoFar = counter(c.interface.getEvent("RequestRefunded").topicHash);
      await Promise.all([
        until(
          "answer to every request open to the host",
          async () => (await answered()) >= served.length * MODELERS.length,
          90_000,
        ).then(() => timings.push(`answered ${Date.now() - t0} ms`)),
        until(
          "refund of every request nobody answered",
          async () => (await refundedSoFar()) >= lone.length,
          90_000,
        ).then(() => timings.push(`refunded ${Date.now() - t0} ms`)),
      ]);

      for (const p of [keeper, host]) p.signal("SIGTERM");
      for (const p of [keeper, host]) {
        expect(await p.exited, p.output()).to.deep.equal({ code: 0, signal: null });
        expect(
          p.stderr.filter((l) => l.trim() !== ""),
          p.name,
        ).to.deep.equal([]);
      }
      proxy.enabled = false;
      timings.push(`stopped ${Date.now() - t0} ms`);

      // From the chain: each request answered in time or refunded, never both; no (request, modeler) twice.
      const answers = await answersOnChain();
      const refunds = await refundsOnChain();
      const answerBlocks = [...new Set(answers.map((a) => a.blockNumber))];
      const blockTime = new Map(
        await Promise.all(
          answerBlocks.map(async (n) => [n, BigInt((await node.provider.getBlock(n))!.timestamp)] as const),
        ),
      );
      const pairs = answers.map((a) => `${a.args.requestId}/${a.args.modeler}`);
      expect(new Set(pairs).size, "no modeler answered a request twice").to.equal(pairs.length);
      const refunded = new Set(refunds.map((r) => r.args.requestId));
      expect(refunded.size).to.equal(refunds.length);
      for (const r of made) {
        const mine = answers.filter((a) => a.args.requestId === r.requestId);
        const inTime = mine.filter((a) => blockTime.get(a.blockNumber)! <= r.deadline);
        expect(inTime.length, `request ${r.requestId}: answers after the deadline`).to.equal(mine.length);
        expect(
          inTime.length > 0 !== refunded.has(r.requestId),
          `request ${r.requestId}: answered or refunded`,
        ).to.equal(true);
      }
      // Challenge 1: every modeler of the list answered, the model's score or the error of a refused input.
      for (const r of served) {
        const input = decodeText(r.input);
        const outputs = answers.filter((a) => a.args.requestId === r.requestId).map((a) => decodeText(a.args.output));
        expect(outputs, `request ${r.requestId}`).to.have.length(MODELERS.length);
        const expected =
          input === LONG_INPUT
            ? /^error: invalid-input: input of 82 bytes is over the host's limit of 64$/
            : input === NOT_A_WALLET
              ? /^error: invalid-input: input is not a wallet address/
              : /^\d{3}$/;
        for (const o of outputs) expect(o, `request ${r.requestId} (${input})`).to.match(expected);
      }
      expect(lone.every((r) => refunded.has(r.requestId))).to.equal(true);

      // Every transaction of the daemons, nonce by nonce, was mined and did not revert.
      const head = await node.provider.getBlockNumber();
      const sentBy = new Map<string, Map<number, string>>([
        [HOST.address, new Map()],
        [KEEPER.address, new Map()],
      ]);
      const numbers = Array.from({ length: head - deployment.startBlock + 1 }, (_, i) => deployment.startBlock + i);
      for (let i = 0; i < numbers.length; i += 20) {
        const blocks = await Promise.all(numbers.slice(i, i + 20).map((n) => node.provider.getBlock(n, true)));
        for (const block of blocks)
          for (const tx of block!.prefetchedTransactions) sentBy.get(tx.from)?.set(tx.nonce, tx.hash);
      }
      const daemonTxs: Record<string, number> = {};
      for (const [address, byNonce] of sentBy) {
        const count = await node.provider.getTransactionCount(address, "latest");
        expect([...byNonce.keys()].sort((a, b) => a - b)).to.deep.equal([...Array(count).keys()]);
        const receipts = await Promise.all(
          [...byNonce.values()].map((hash) => node.provider.getTransactionReceipt(hash)),
        );
        for (const receipt of receipts)
          expect(receipt!.status, `${address} nonce ${receipt!.index}: ${receipt!.hash} reverted`).to.equal(1);
        daemonTxs[address === HOST.address ? "host" : "keeper"] = count;
      }

      // The faults really happened, and the RPC never had more than each daemon's share in flight.
      for (const kind of ["drop", "tooMany", "serverError", "lostReply", "delay"] as const)
        expect(proxy.injected[kind], kind).to.be.greaterThan(0);
      expect(proxy.peak).to.be.at.most(2 * RPC_CONCURRENCY);
      expect(proxy.requests).to.equal(proxy.calls);

      const count = (p: Proc, match: (l: LogLine) => boolean) => p.logs().filter(match).length;
      const did = (p: Proc) => ({
        passes: count(p, (l) => l.action === "tick" && l.status === "done"),
        failedPasses: count(p, (l) => l.action === "tick" && l.status === "failed"),
        deferredPasses: count(p, (l) => l.action === "tick" && l.status === "deferred"),
        rpcRetries: count(p, (l) => l.status === "retrying"),
        replaced: count(p, (l) => l.status === "replaced" || l.status === "cancelling"),
        reverted: count(p, (l) => l.status === "reverted"),
      });
      timings.push(
        `done ${Date.now() - t0} ms`,
        `faults ${JSON.stringify({ ...proxy.injected, lostMethods: tally(proxy.lostMethods) })} in ${proxy.calls} calls ` +
          `(${JSON.stringify(proxy.methods)}), peak ${proxy.peak} in flight, ${proxy.upstreamErrors} node errors`,
        `host ${JSON.stringify({ ...did(host), answers: answers.length, transactions: daemonTxs.host })}`,
        `keeper ${JSON.stringify({ ...did(keeper), refunds: refunds.length, transactions: daemonTxs.keeper })}`,
      );
    });
  });
}

/** How many times each string occurs. */
function tally(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}
