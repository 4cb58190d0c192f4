/*
 * The host agent daemon, as a process, through a fee spike on two independent nodes (`hardhat node` and
 * anvil). The test mines every block itself (automine off), so each block's time and base fee are its own:
 * the base fee goes tenfold above what the agent's answers offer while requests are open, then down again.
 */
import { expect } from "chai";
import { parseUnits, type HDNodeWallet } from "ethers";
import { Market, type MadeRequest } from "../../sdk";
import { Chain, FEE, HOST, NODE_KINDS, type Listed } from "./anvil";
import { account, daemon, liveChildren, type LogLine, type Proc } from "./harness";

const gwei = (n: number) => parseUnits(String(n), "gwei");
const MODELERS = [account(3), account(4), account(5)];
const USERS = [account(6), account(7), account(8), account(9)];
/** Before and after the spike. */
const BASE = gwei(1);
const SPIKE = 10n * BASE;
const MAX_FEE_GWEI = 50;
/** Statuses the agent must never log: an answer found already made, a rejected or failed transaction. */
const TROUBLE = new Set(["already", "reverted", "failed", "left-out", "skipped"]);

for (const kind of NODE_KINDS) {
  describe(`e2e: a tenfold fee spike on ${kind}: the host agent replaces its answers, none late, none twice`, function () {
    this.timeout(120_000);
    let chain: Chain;
    let listed: Listed;
    let host: Proc | undefined;
    const timings: string[] = [];

    before(async function () {
      const t0 = Date.now();
      chain = await Chain.start(kind);
      timings.push(`node and deploy ${Date.now() - t0} ms`);
      [listed] = await chain.listed([{ modelers: MODELERS, host: HOST }], USERS);
      await chain.node.rpc("evm_setAutomine", [false]);
    });

    after(async function () {
      await host?.stop();
      await chain?.stop();
      expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
      if (process.env.E2E_TIMINGS === "1") console.log(`      ${kind}: ${timings.join(", ")}`);
    });

    /** Sends `user`'s request; it is mined with the test's next block. */
    async function request(user: HDNodeWallet, input: string): Promise<string> {
      const market = chain.as(user).contract;
      // Above any base fee of the test: users pay the spike, the agent's answers must catch up with it.
      const tx = await market.request(listed.challengeId, FEE, new TextEncoder().encode(input), {
        maxFeePerGas: gwei(100),
        maxPriorityFeePerGas: gwei(1),
        gasLimit: 400_000n,
      });
      return tx.hash;
    }

    async function made(hash: string): Promise<MadeRequest> {
      const receipt = await chain.provider.getTransactionReceipt(hash);
      const market = Market.connect(chain.deployment.market, chain.provider);
      const inBlock = await market.requestsMade({ fromBlock: receipt!.blockNumber, toBlock: receipt!.blockNumber });
      return inBlock.find((r) => r.txHash === hash)!;
    }

    /**
     * Resolves after two of the agent's passes at chain time `t` or later: the second began once the block at `t`
     * was mined, and a pass returns once its answers are sent.
     */
    async function passedAt(t: bigint, what: string) {
      const at = () => host!.logsOf("tick", "done").filter((l) => BigInt(String(l.now)) >= t).length;
      await until(() => at() >= 2, what);
    }

    /** Resolves once `holds` holds of the host's log; fails with its story. */
    async function until(holds: () => boolean, what: string) {
      await host!
        .waitFor(() => (holds() ? true : undefined), what, 30_000)
        .catch((err: Error) => {
          throw new Error(`${err.message.split("\n")[0]}\n${story()}`);
        });
    }

    /** The host's log without its pass lines, for failure messages. */
    const story = () =>
      host!
        .logs()
        .filter((l) => l.action !== "tick")
        .map((l) => JSON.stringify(l))
        .join("\n");
    const logsOf = (status: string) => host!.logs().filter((l) => l.status === status);

    it("answers every request still in time once per modeler, cancels the one the spike made late, and none is mined late", async function () {
      const t0 = Date.now();
      const s0 = await chain.now();
      // L is made first: when the agent starts, 40 s are left, and the spike holds its answer past its deadline.
      const hashes = [await request(USERS[0], USERS[0].address)];
      await chain.mine(s0 + 10n, BASE);
      hashes.push(await request(USERS[1], USERS[1].address), await request(USERS[2], HOST.address));
      await chain.mine(s0 + 570n, BASE);
      const [late, a, b] = await Promise.all(hashes.map(made));

      host = daemon(
        "host",
        [
          ...["--deployment", chain.spot.file, "--model", "models/credit-score.ts"],
          ...["--modelers", MODELERS.map((m) => `${listed.challengeId}:${m.address}`).join(",")],
          ...["--poll-ms", "200", "--batch-size", "3"],
        ],
        {
          RPC_URL: chain.node.url,
          HOST_KEY: HOST.privateKey,
          LOG_LEVEL: "debug",
          MAX_FEE_GWEI: String(MAX_FEE_GWEI),
          PRIORITY_FEE_GWEI: "0.1",
          REPLACE_AFTER_BLOCKS: "2",
        },
      );
      // One transaction a request (three modelers a batch), each offering 2 × 1 gwei + 0.1 gwei.
      await passedAt(s0 + 570n, "three answers sent");
      const [waiting, nonce] = await Promise.all([
        chain.provider.getTransactionCount(HOST.address, "pending"),
        chain.provider.getTransactionCount(HOST.address, "latest"),
      ]);
      expect(waiting - nonce).to.equal(3);
      timings.push(`host started and sent ${Date.now() - t0} ms`);

      // The spike, with C made in its first block, at L's deadline + 1: nothing the agent sent fits.
      const c = request(USERS[3], MODELERS[0].address);
      await chain.mine(late.deadline + 1n, SPIKE);
      const spiked = await chain.provider.getBlock("latest");
      expect(spiked!.baseFeePerGas).to.equal(SPIKE);
      expect(spiked!.transactions).to.deep.equal([await c]);
      const cMade = await made(await c);
      await until(() => logsOf("cancelling").length > 0, "the late answer cancelled");
      await passedAt(late.deadline + 1n, "C's answers sent");
      await chain.mine(late.deadline + 5n, SPIKE);
      await until(() => logsOf("replaced").length >= 2, "two replacements");
      await chain.mine(late.deadline + 10n, SPIKE);

      // The spike ends; D is made after it.
      const d = await request(USERS[0], MODELERS[1].address);
      await chain.mine(late.deadline + 20n, BASE);
      await passedAt(late.deadline + 20n, "D's answers sent");
      await chain.mine(late.deadline + 30n, BASE);
      const open = [a, b, cMade, await made(d)];

      const market = Market.connect(chain.deployment.market, chain.provider);
      const want = open.flatMap((r) => MODELERS.map((m) => `${r.requestId}/${m.address}`)).sort();
      const answered = async () =>
        (await market.contract.queryFilter(market.contract.filters.RequestAnswered(), chain.deployment.startBlock)).map(
          (l) => ({ key: `${l.args.requestId}/${l.args.modeler}`, log: l }),
        );
      await until(() => host!.logsOf("answerBatch", "sent").length >= 4, "four batches mined");
      // One more pass after the last answer: the agent must send nothing more.
      const passes = host.logsOf("tick", "done").length;
      await host.waitFor(
        () => (host!.logsOf("tick", "done").length > passes + 1 ? true : undefined),
        "two more passes",
      );
      expect(await chain.provider.getTransactionCount(HOST.address, "pending")).to.equal(
        await chain.provider.getTransactionCount(HOST.address, "latest"),
      );
      expect(await host.stop()).to.deep.equal({ code: 0, signal: null });
      timings.push(`scenario ${Date.now() - t0} ms`);

      // From the chain: every request still open is answered by each modeler once, in time; L by none.
      const answers = await answered();
      const keys = answers.map((x) => x.key);
      expect(new Set(keys).size, "no (request, modeler) answered twice").to.equal(keys.length);
      expect([...keys].sort()).to.deep.equal(want);
      const deadlineOf = new Map(open.map((r) => [r.requestId.toString(), r.deadline]));
      for (const { log } of answers) {
        const block = await chain.provider.getBlock(log.blockNumber);
        expect(BigInt(block!.timestamp) <= deadlineOf.get(log.args.requestId.toString())!).to.equal(true);
      }
      expect(keys.filter((k) => k.startsWith(`${late.requestId}/`))).to.deep.equal([]);

      // Every transaction the host got mined succeeded, none over the ceiling but the cancel's one bump.
      const head = await chain.provider.getBlockNumber();
      const mined = [];
      for (let n = chain.deployment.startBlock; n <= head; n++) {
        const block = await chain.provider.getBlock(n, true);
        mined.push(...block!.prefetchedTransactions.filter((tx) => tx.from === HOST.address));
      }
      expect(mined).to.have.length(5);
      for (const tx of mined) {
        expect((await chain.provider.getTransactionReceipt(tx.hash))!.status).to.equal(1);
        const cancel = tx.to === HOST.address;
        expect(tx.maxFeePerGas! <= (gwei(MAX_FEE_GWEI) * (cancel ? 125n : 100n)) / 100n).to.equal(true);
      }
      expect(mined.filter((tx) => tx.to === HOST.address)).to.have.length(1);

      // The agent's own account: the spike's replacements above the spike, the cancel of L's answers, no trouble.
      const replaced = logsOf("replaced");
      expect(replaced).to.have.length(2);
      for (const r of replaced) expect(gwei(r.maxFeeGwei as number) > SPIKE).to.equal(true, JSON.stringify(r));
      const [cancelling] = logsOf("cancelling");
      expect(cancelling).to.include({ reason: "its deadline passed unmined" });
      expect(
        host
          .logsOf("answer", "cancelled")
          .map((l) => l.requestId)
          .sort(),
      ).to.deep.equal(["0", "1", "2"].map(() => late.requestId.toString()));
      const trouble = host.logs().filter((l: LogLine) => TROUBLE.has(String(l.status)));
      expect(trouble).to.deep.equal([]);
    });
  });
}
