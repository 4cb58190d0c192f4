/*
 * Restart under load, on two independent nodes (`hardhat node` and anvil): the host agent, as a process, has
 * broadcast a pass's batches of answers when it is killed (SIGKILL, no chance to clean up), and a new agent with
 * the same key and config starts while those batches are still unmined. The test mines every block itself, so
 * what is in flight at the kill is the same on every run. Nothing may be lost and nothing doubled: every
 * request is answered once per modeler, in time, and no answer is sent again for the contract to skip.
 */
import { expect } from "chai";
import { Wallet, parseUnits, type HDNodeWallet } from "ethers";
import { Market, decodeReason, encodeText, type MadeRequest } from "../../sdk";
import { InferenceMarket__factory } from "../../typechain-types";
import { Chain, FEE, HOST, NODE_KINDS, type Listed } from "./anvil";
import { account, daemon, liveChildren, stopAll, type LogLine, type Proc } from "./harness";

const MODELERS = [account(3), account(4), account(5)];
const USERS = [6, 7, 8, 9, 12].map(account);
const PER_USER = 24;
/** 3 answers a request: a pass takes 30 requests up, 90 answers in 9 batches; 120 requests need four passes. */
const BATCH_SIZE = 10;
const MAX_PER_PASS = 30;
/** Statuses no agent may log: an answer skipped or left out by the contract, a rejected, failed or lost send. */
const TROUBLE = new Set(["reverted", "failed", "left-out", "skipped", "lost", "cancelled"]);

for (const kind of NODE_KINDS) {
  describe(`e2e: the host agent killed on ${kind} with its batches in flight, then restarted: nothing lost, nothing doubled`, function () {
    this.timeout(120_000);
    let chain: Chain;
    let listed: Listed;
    const agents: Proc[] = [];
    const timings: string[] = [];

    before(async function () {
      const t0 = Date.now();
      chain = await Chain.start(kind);
      [listed] = await chain.listed([{ modelers: MODELERS, host: HOST }], USERS);
      await chain.node.rpc("evm_setAutomine", [false]);
      timings.push(`node, deploy and list ${Date.now() - t0} ms`);
    });

    after(async function () {
      try {
        await stopAll();
      } finally {
        await chain?.stop();
      }
      expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
      if (process.env.E2E_TIMINGS === "1") console.log(`      ${kind}: ${timings.join(", ")}`);
    });

    /** An agent process for HOST, the same flags and key every time. */
    function agent(): Proc {
      const p = daemon(
        "host",
        [
          ...["--deployment", chain.spot.file, "--model", "models/credit-score.ts"],
          ...["--modelers", MODELERS.map((m) => `${listed.challengeId}:${m.address}`).join(",")],
          ...["--poll-ms", "200", "--batch-size", String(BATCH_SIZE), "--max-per-pass", String(MAX_PER_PASS)],
        ],
        { RPC_URL: chain.node.url, HOST_KEY: HOST.privateKey, LOG_LEVEL: "debug" },
      );
      agents.push(p);
      return p;
    }

    /** Every user's requests, sent at once and mined in as many blocks as their gas needs. */
    async function requests(): Promise<MadeRequest[]> {
      const c = InferenceMarket__factory.connect(chain.deployment.market, chain.provider);
      const fees = { maxFeePerGas: parseUnits("50", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") };
      const hashes = (
        await Promise.all(
          USERS.map(async (u: HDNodeWallet, i) => {
            const wallet = new Wallet(u.privateKey, chain.provider);
            let nonce = await chain.provider.getTransactionCount(u.address, "pending");
            const sent: string[] = [];
            for (let j = 0; j < PER_USER; j++) {
              const input = encodeText(USERS[(i + j) % USERS.length].address);
              const tx = await c
                .connect(wallet)
                .request(listed.challengeId, FEE, input, { ...fees, nonce: nonce++, gasLimit: 400_000n });
              sent.push(tx.hash);
            }
            return sent;
          }),
        )
      ).flat();
      for (;;) {
        await chain.node.rpc("evm_mine");
        const receipts = await Promise.all(hashes.map((h) => chain.provider.getTransactionReceipt(h)));
        if (receipts.every((r) => r !== null)) {
          expect(receipts.every((r) => r!.status === 1)).to.equal(true);
          break;
        }
      }
      return Market.connect(chain.deployment.market, chain.provider).requestsMade({
        fromBlock: chain.deployment.startBlock,
      });
    }

    const hostNonces = () =>
      Promise.all([
        chain.provider.getTransactionCount(HOST.address, "latest"),
        chain.provider.getTransactionCount(HOST.address, "pending"),
      ]);

    it("answers every request once per modeler, in time, after the kill: the restarted agent sends none of the dead one's answers again", async function () {
      const t0 = Date.now();
      const made = await requests();
      expect(made).to.have.length(USERS.length * PER_USER);
      timings.push(`${made.length} requests ${Date.now() - t0} ms`);

      // The first agent's first pass broadcasts its 9 batches; it is killed on the line that ends the pass, before
      // the next pass (200 ms later) and before any block: every batch it sent is unmined, none recorded.
      const first = agent();
      await first.waitForLog((l) => l.action === "tick" && l.status === "done", "the first pass", 30_000);
      expect(await first.kill()).to.deep.equal({ code: null, signal: "SIGKILL" });
      const [minedAtKill, sentAtKill] = await hostNonces();
      expect([minedAtKill, sentAtKill]).to.deep.equal([0, (MAX_PER_PASS * MODELERS.length) / BATCH_SIZE]);
      timings.push(`killed with ${sentAtKill - minedAtKill} batches in flight ${Date.now() - t0} ms`);

      // The second agent's first pass runs while the dead one's batches still wait in the pool.
      const second = agent();
      // Its pre-flight estimates each batch on the pending block, after the dead agent's batches: on Hardhat that
      // takes a second or two a batch.
      await second.waitForLog(
        (l) => l.action === "tick" && l.status === "done",
        "the restarted agent's first pass",
        45_000,
      );
      timings.push(`restarted agent's first pass ${Date.now() - t0} ms`);

      // Blocks from now on, until every answer is in and the agent has sent nothing more for two passes.
      const market = Market.connect(chain.deployment.market, chain.provider);
      const c = market.contract;
      const want = made.flatMap((r) => MODELERS.map((m) => `${r.requestId}/${m.address}`)).sort();
      const deadline = Date.now() + 45_000;
      for (let quiet = 0; quiet < 2;) {
        if (second.exit) throw new Error(`the restarted agent exited\n${second.output()}`);
        if (Date.now() > deadline) throw new Error(`answers missing after 45 s\n${story(second)}`);
        const passes = second.logsOf("tick", "done").length;
        await chain.node.rpc("evm_mine");
        await second.waitFor(
          () => (second.logsOf("tick", "done").length > passes ? true : undefined),
          "a pass after the block",
        );
        const [mined, sent] = await hostNonces();
        const answered = (await c.queryFilter(c.filters.RequestAnswered(), chain.deployment.startBlock)).length;
        quiet = mined === sent && answered >= want.length ? quiet + 1 : 0;
      }
      expect(await second.stop()).to.deep.equal({ code: 0, signal: null });
      timings.push(`all answered ${Date.now() - t0} ms`);

      // From the chain: every (request, modeler) answered exactly once, each before its deadline.
      const answers = await c.queryFilter(c.filters.RequestAnswered(), chain.deployment.startBlock);
      const keys = answers.map((l) => `${l.args.requestId}/${l.args.modeler}`);
      expect(new Set(keys).size, "no (request, modeler) answered twice").to.equal(keys.length);
      expect([...keys].sort()).to.deep.equal(want);
      const deadlineOf = new Map(made.map((r) => [r.requestId, r.deadline]));
      const blockTime = new Map<number, bigint>();
      for (const l of answers) {
        if (!blockTime.has(l.blockNumber))
          blockTime.set(l.blockNumber, BigInt((await chain.provider.getBlock(l.blockNumber))!.timestamp));
        expect(blockTime.get(l.blockNumber)! <= deadlineOf.get(l.args.requestId)!, `${l.args.requestId} late`).to.equal(
          true,
        );
      }

      // Every nonce of the host was mined and succeeded, and the contract skipped no answer as already given.
      const [mined, sent] = await hostNonces();
      expect(mined).to.equal(sent);
      const head = await chain.provider.getBlockNumber();
      const byNonce = new Map<number, string>();
      for (let n = chain.deployment.startBlock; n <= head; n++)
        for (const tx of (await chain.provider.getBlock(n, true))!.prefetchedTransactions)
          if (tx.from === HOST.address) byNonce.set(tx.nonce, tx.hash);
      expect([...byNonce.keys()].sort((a, b) => a - b)).to.deep.equal([...Array(mined).keys()]);
      for (const [nonce, hash] of byNonce)
        expect(
          (await chain.provider.getTransactionReceipt(hash))!.status,
          `host nonce ${nonce}: ${hash} reverted`,
        ).to.equal(1);
      const skipped = (await c.queryFilter(c.filters.AnswerSkipped(), chain.deployment.startBlock)).map((l) => ({
        requestId: l.args.requestId,
        index: l.args.index,
        txHash: l.transactionHash,
        reason: decodeReason(l.args.reason).message,
      }));
      timings.push(
        `host: ${mined} transactions (${sentAtKill} by the killed agent), ${skipped.length} answers skipped by the contract, ` +
          `${second.logsOf("answer", "already").length} found already made by the restarted agent's pre-flight`,
      );
      expect(skipped, "answers sent twice, skipped by the contract").to.deep.equal([]);

      // The restarted agent's pre-flight (against the pool) found every answer of the dead one's batches already
      // made, and sent none of them; it sent all the others.
      const killedTxs = new Set([...byNonce].filter(([nonce]) => nonce < sentAtKill).map(([, hash]) => hash));
      const byKilled = answers.filter((l) => killedTxs.has(l.transactionHash));
      expect(byKilled).to.have.length(MAX_PER_PASS * MODELERS.length);
      const already = second.logsOf("answer", "already");
      expect(already.map((l) => l.stage)).to.satisfy((stages: unknown[]) => stages.every((s) => s === "pre-flight"));
      expect(already.map((l) => `${String(l.requestId)}/${String(l.modeler)}`).sort()).to.deep.equal(
        byKilled.map((l) => `${l.args.requestId}/${l.args.modeler}`).sort(),
      );
      const landed = second.logsOf("answer", "sent").length + second.logsOf("answerBatch", "sent").length;
      expect(landed, story(second)).to.be.greaterThan(0);
      expect(first.logsOf("answer", "already")).to.deep.equal([]);
      const trouble = agents.flatMap((p) => p.logs().filter((l: LogLine) => TROUBLE.has(String(l.status))));
      expect(trouble).to.deep.equal([]);
    });
  });
}

/** An agent's log without its pass lines, for failure messages. */
function story(p: Proc): string {
  return p
    .logs()
    .filter((l) => l.action !== "tick")
    .slice(-40)
    .map((l) => JSON.stringify(l))
    .join("\n");
}
