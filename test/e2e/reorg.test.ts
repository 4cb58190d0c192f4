/*
 * The keeper and the host agent through a reorganisation deeper than their confirmations, on two independent
 * nodes: a real one on anvil (`anvil_reorg`: the same height, new block hashes, the given transactions replayed),
 * and on `hardhat node` the chain taken back to a snapshot and grown again with the replacing blocks. Both
 * daemons run in-process with their transactors, and the test mines every block and runs every pass and poll
 * itself, so each run is the same.
 */
import { expect } from "chai";
import { JsonRpcProvider, Network, Wallet, parseUnits, type HDNodeWallet } from "ethers";
import { Market, RequestStatus, decodeText, type MadeRequest } from "../../sdk";
import { HostAgent } from "../../daemons/host/agent";
import { Keeper } from "../../daemons/keeper/keeper";
import { sendThrough } from "../../daemons/common/send-through";
import { Transactor, type TxSettings } from "../../daemons/common/transactor";
import * as creditScore from "../../models/credit-score";
import { InferenceMarket__factory, TestToken__factory } from "../../typechain-types";
import { FAST_RETRY, captureLog } from "../daemons/helpers";
import { Chain, FEE, HOST, KEEPER, NODE_KINDS, type Listed } from "./anvil";
import { account, liveChildren } from "./harness";

const gwei = (n: number) => parseUnits(String(n), "gwei");
/** Challenge 1's list, served by HOST's agent. */
const SERVED = [account(3), account(4)];
/** Challenge 2's only modeler names itself as host and runs no agent: its requests expire, for the keeper. */
const UNSERVED = [account(10)];
/** U0's request is dropped by the reorganisation and U1's takes its id; U2's moves to another block. */
const USERS = [account(6), account(7), account(8)];
const CONFIRMATIONS = 2;
const TX: TxSettings = {
  maxFee: gwei(100),
  priorityFee: gwei(1),
  replaceAfterBlocks: 3,
  confirmations: CONFIRMATIONS,
  // The test polls: only the poll right after a send runs by itself.
  pollMs: 3_600_000,
};
const IFACE = InferenceMarket__factory.createInterface();

/** Resolves once `holds` holds (a daemon logs what it did just after its transaction is final); else fails with `log`. */
async function until(holds: () => boolean, log: unknown[], timeoutMs = 10_000) {
  for (const deadline = Date.now() + timeoutMs; !holds(); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms:\n${log.map((l) => JSON.stringify(l)).join("\n")}`);
}

for (const kind of NODE_KINDS) {
  describe(`e2e: a reorganisation on ${kind} deeper than the confirmations: the right refund, the dropped answer sent again`, function () {
    this.timeout(120_000);
    let chain: Chain;
    let served: Listed;
    let unserved: Listed;
    let provider: JsonRpcProvider;
    const transactors: Transactor[] = [];
    const timings: string[] = [];

    before(async function () {
      const t0 = Date.now();
      chain = await Chain.start(kind);
      [served, unserved] = await chain.listed([{ modelers: SERVED, host: HOST }, { modelers: UNSERVED }], USERS);
      timings.push(`node, deploy and list ${Date.now() - t0} ms`);
      await chain.node.rpc("evm_setAutomine", [false]);
      const network = Network.from(31337);
      provider = new JsonRpcProvider(chain.node.url, network, { staticNetwork: network, cacheTimeout: -1 });
    });

    after(async function () {
      transactors.forEach((t) => t.stop());
      provider?.destroy();
      await chain?.stop();
      expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
      if (process.env.E2E_TIMINGS === "1") console.log(`      ${kind}: ${timings.join(", ")}`);
    });

    function transactor(w: HDNodeWallet, log: ReturnType<typeof captureLog>["log"]) {
      const t = new Transactor(new Wallet(w.privateKey, provider), provider, TX, log, FAST_RETRY);
      transactors.push(t);
      return t;
    }

    /** `user`'s request, signed now at its next nonce and sent only when a block of the test takes it. */
    async function signRequest(user: HDNodeWallet, challengeId: bigint, input: string): Promise<string> {
      return user.signTransaction({
        type: 2,
        chainId: 31337,
        nonce: await provider.getTransactionCount(user.address, "latest"),
        to: chain.deployment.market,
        data: IFACE.encodeFunctionData("request", [challengeId, FEE, new TextEncoder().encode(input)]),
        gasLimit: 400_000n,
        maxFeePerGas: gwei(100),
        maxPriorityFeePerGas: gwei(1),
      });
    }

    /** Mines a block at `timestamp` holding `raws`. */
    async function mineWith(raws: string[], timestamp: bigint) {
      for (const raw of raws) await provider.broadcastTransaction(raw);
      await chain.mine(timestamp);
    }

    /**
     * Replaces every block after `common` by as many new ones, the i-th holding `blocks[i]`: on anvil a real
     * reorganisation; on Hardhat the snapshot taken at `common`, then the new blocks mined one by one.
     */
    async function reorganise(common: { number: number; snapshot: string }, blocks: string[][], from: bigint) {
      const head = await provider.getBlockNumber();
      expect(blocks).to.have.length(head - common.number);
      if (kind === "anvil") {
        const pairs = blocks.flatMap((raws, i) => raws.map((raw) => [raw, i]));
        await chain.node.rpc("anvil_reorg", [head - common.number, pairs]);
        return;
      }
      expect(await chain.node.rpc("evm_revert", [common.snapshot])).to.equal(true);
      for (const [i, raws] of blocks.entries()) await mineWith(raws, from + BigInt(i));
    }

    it("the keeper refunds the request that is on the chain, with its key, to its requester; the agent sends the dropped answer again, once per modeler", async function () {
      const t0 = Date.now();
      const market = Market.connect(chain.deployment.market, provider);
      const token = TestToken__factory.connect(chain.deployment.token, provider);
      const agentLog = captureLog("host");
      const keeperLog = captureLog("keeper");
      const agentTx = transactor(HOST, agentLog.log);
      const keeperTx = transactor(KEEPER, keeperLog.log);
      const agent = new HostAgent({
        signer: new Wallet(HOST.privateKey, provider),
        market: chain.deployment.market,
        model: creditScore,
        log: agentLog.log,
        modelers: SERVED.map((m) => ({ challengeId: served.challengeId, modeler: m.address })),
        fromBlock: chain.deployment.startBlock,
        retry: FAST_RETRY,
        waitMined: false,
        transactor: agentTx,
        confirmations: CONFIRMATIONS,
      });
      const keeper = new Keeper({
        signer: new Wallet(KEEPER.privateKey, provider),
        market: chain.deployment.market,
        leaderboards: [],
        log: keeperLog.log,
        fromBlock: chain.deployment.startBlock,
        retry: FAST_RETRY,
        confirmations: CONFIRMATIONS,
        // A pass waits a moment for its refund: the test mines the blocks that make it final.
        send: sendThrough(keeperTx, IFACE, 100),
      });
      const balances = async () => Promise.all(USERS.map((u) => token.balanceOf(u.address)));
      const before = await balances();

      // The chain that the reorganisation replaces: X (U0, on the unserved challenge) and Y (U2, served) in one
      // block, two blocks on top, then the agent's answer to Y.
      const s0 = await chain.now();
      const common = {
        number: await provider.getBlockNumber(),
        snapshot: await chain.node.rpc<string>("evm_snapshot"),
      };
      const x = await signRequest(USERS[0], unserved.challengeId, "X");
      const y = await signRequest(USERS[2], served.challengeId, USERS[2].address);
      const xReplaced = await signRequest(USERS[1], unserved.challengeId, "X'");
      await mineWith([x, y], s0 + 10n);
      await chain.mine(s0 + 20n);
      await chain.mine(s0 + 30n);
      const [oldX, oldY] = await market.requestsMade({ fromBlock: common.number + 1, toBlock: common.number + 1 });
      expect(oldX.key.requester).to.equal(USERS[0].address);

      // Both daemons read the two requests, now two blocks deep: the agent answers Y, the keeper notes X.
      await agent.tick();
      expect(agentTx.pending).to.equal(1);
      expect((await keeper.tick()).refunded).to.deep.equal([]);
      await chain.mine(s0 + 40n);
      await agentTx.poll();
      const answersBefore = await market.contract.queryFilter(market.contract.filters.RequestAnswered());
      expect(answersBefore.map((l) => l.args.requestId)).to.deep.equal([oldY.requestId, oldY.requestId]);
      const orphaned = answersBefore[0];

      // The reorganisation, four blocks deep: X is dropped and U1's request X' takes its id, Y is replayed a
      // block later, the answer is in no new block.
      await reorganise(common, [[xReplaced], [y], [], []], s0 + 12n);
      expect(await provider.getBlockNumber()).to.equal(orphaned.blockNumber);
      expect((await provider.getBlock(orphaned.blockNumber))!.hash).to.not.equal(orphaned.blockHash);
      expect(await provider.getTransactionReceipt(orphaned.transactionHash)).to.equal(null);
      const moved = await market.requestsMade({ fromBlock: common.number + 1, toBlock: common.number + 4 });
      const [newX, newY] = moved;
      expect(newX.requestId).to.equal(oldX.requestId);
      expect(newX.key.requester).to.equal(USERS[1].address);
      expect(newX.blockNumber).to.equal(common.number + 1);
      expect([newY.requestId, newY.txHash, newY.blockNumber]).to.deep.equal([
        oldY.requestId,
        oldY.txHash,
        common.number + 2,
      ]);

      // The agent's transactor finds its answer dropped and sends it again; mined, then final, then logged.
      const t1 = await chain.now();
      await agentTx.poll();
      expect(agentLog.of("reorg", "dropped")).to.have.length(1);
      expect(agentLog.of("reorg", "dropped")[0]).to.include({ txHash: orphaned.transactionHash });
      await agent.tick();
      for (let i = 1; i <= CONFIRMATIONS + 1; i++) {
        await chain.mine(t1 + BigInt(10 * i));
        await agentTx.poll();
      }
      await until(() => agentLog.of("answerBatch", "sent").length > 0, agentLog.lines);
      expect(agentTx.pending).to.equal(0);
      await agent.tick();
      expect(agentTx.pending, "nothing more to send").to.equal(0);

      // Past X's deadline, the keeper refunds the request with X's id as the chain has it: U1's.
      await chain.mine(newX.deadline + 60n);
      for (let i = 0; i < 6 && (await market.requestState(newX.requestId)).status !== RequestStatus.Refunded; i++) {
        await keeper.tick();
        await chain.mine(newX.deadline + 61n + BigInt(i));
        await keeperTx.poll();
      }
      for (let i = 0; i < CONFIRMATIONS; i++) {
        await chain.mine(newX.deadline + 70n + BigInt(i));
        await keeperTx.poll();
      }
      await keeper.tick();
      timings.push(`scenario ${Date.now() - t0} ms`);

      const refunds = await market.contract.queryFilter(market.contract.filters.RequestRefunded());
      expect(refunds.map((l) => [l.args.requestId, l.args.requester, l.args.fee])).to.deep.equal([
        [newX.requestId, USERS[1].address, FEE],
      ]);
      const after = await balances();
      // U0 paid nothing (its request is gone), U1 paid and got its fee back, U2 paid for Y, answered.
      expect(after).to.deep.equal([before[0], before[1], before[2] - FEE]);
      // One refund was refused by its pre-flight, never sent: X's id with U0's stale key; then X' was read again.
      expect(keeperLog.of("refund", "stale").map((l) => [l.requester, l.reason])).to.deep.equal([
        [USERS[0].address, `MarketRequestKeyMismatch(requestId=${newX.requestId})`],
      ]);
      expect(keeperLog.of("refund", "re-read")).to.have.length(1);
      expect(keeperLog.of("refund", "re-read")[0]).to.include({ requester: USERS[1].address });

      const answers = await market.contract.queryFilter(market.contract.filters.RequestAnswered());
      const keys = answers.map((l) => `${l.args.requestId}/${l.args.modeler}`);
      expect(keys.sort()).to.deep.equal(SERVED.map((m) => `${newY.requestId}/${m.address}`).sort());
      expect(new Set(answers.map((l) => l.transactionHash))).to.deep.equal(new Set([orphaned.transactionHash]));
      const score = await scoreOf(newY);
      expect(answers.map((l) => decodeText(l.args.output))).to.deep.equal([score, score]);
      expect(agentLog.of("answerBatch", "sent")).to.have.length(1);
      const trouble = [...agentLog.lines, ...keeperLog.lines].filter((l) =>
        ["reverted", "failed", "cancelling", "lost"].includes(String(l.status)),
      );
      expect(trouble).to.deep.equal([]);

      /** The credit score of a request's input at its block, as every host must compute it. */
      async function scoreOf(r: MadeRequest): Promise<string> {
        const ctx = {
          provider,
          blockTag: r.blockNumber,
          requestId: r.requestId,
          challengeId: 1n,
          sleep: async () => {},
        };
        return creditScore.postprocess(creditScore.predict(await creditScore.preprocess(decodeText(r.input), ctx)));
      }
    });
  });
}
