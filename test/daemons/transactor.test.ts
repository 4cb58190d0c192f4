/*
 * The transactor against a real `hardhat node` that mines only when told (no interval, no automine), so each block's
 * base fee and time are the test's: a base fee above what a transaction offers keeps it out of the block, as a
 * spike does on a real chain. The polls are the test's too (pollMs of an hour: only the first runs by itself).
 */
import { expect } from "chai";
import { NonceManager, Wallet, parseUnits } from "ethers";
import { connect } from "../../daemons/common/connect";
import { Transactor, type Final, type TxSettings } from "../../daemons/common/transactor";
import { TestToken__factory } from "../../typechain-types";
import { Node, account, liveChildren } from "../e2e/harness";
import { FaultyRpc } from "../e2e/proxy";
import { FAST_RETRY, captureLog } from "./helpers";

const gwei = (n: number) => parseUnits(String(n), "gwei");
const TO = account(30).address;
const call = { to: TO, data: "0x", gasLimit: 21_000n };
const SETTINGS: TxSettings = {
  maxFee: parseUnits("100", "gwei"),
  priorityFee: parseUnits("1", "gwei"),
  replaceAfterBlocks: 2,
  confirmations: 0,
  pollMs: 3_600_000,
};

describe("e2e: transactions on a real node: fees, replacement, cancel, nonces", function () {
  this.timeout(120_000);
  let node: Node;
  let signerIndex = 20;
  const made: Transactor[] = [];

  before(async function () {
    node = await Node.start(90_000, { MINE_INTERVAL_MS: "0" });
    // Transactions wait in the mempool until the test mines a block.
    await node.rpc("evm_setAutomine", [false]);
  });

  afterEach(() => made.splice(0).forEach((t) => t.stop()));

  after(async function () {
    await node?.stop();
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
  });

  /** A transactor for a fresh account, and its log. */
  function transactor(settings: Partial<TxSettings> = {}) {
    const key = new Wallet(account(signerIndex++).privateKey);
    const { provider, signer } = connect(node.url, { chainId: 31337 } as never, key);
    const { log, of } = captureLog("test");
    const t = new Transactor(
      signer,
      provider,
      {
        maxFee: gwei(100),
        priorityFee: gwei(1),
        replaceAfterBlocks: 2,
        confirmations: 0,
        pollMs: 3_600_000,
        ...settings,
      },
      log,
      FAST_RETRY,
    );
    made.push(t);
    return { t, of, address: key.address, provider };
  }

  const baseFee = async () => (await node.provider.getBlock("latest"))!.baseFeePerGas!;
  /** Mines the next block with base fee `fee` (it then moves with each block's use, as EIP-1559 says). */
  const mineWithBaseFee = async (fee: bigint) => {
    await node.rpc("hardhat_setNextBlockBaseFeePerGas", [`0x${fee.toString(16)}`]);
    await node.rpc("evm_mine");
  };
  const settled = async (final: Promise<Final>) =>
    Promise.race([final, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);

  it("prices at twice the base fee plus the tip, and a mined transaction is final at once with 0 confirmations", async () => {
    const { t } = transactor();
    const base = await baseFee();
    const sent = await t.send(call, { fields: { action: "test" } });
    const tx = (await node.provider.getTransaction(sent.hash))!;
    expect([tx.maxFeePerGas, tx.maxPriorityFeePerGas, tx.nonce]).to.deep.equal([
      2n * base + gwei(1),
      gwei(1),
      sent.nonce,
    ]);
    await node.rpc("evm_mine");
    await t.poll();
    const final = await sent.final;
    expect(final.status).to.equal("mined");
    expect(t.pending).to.equal(0);
  });

  it("counts nonces itself: three calls in a row are three nonces in flight, mined in one block; a call sent again while in flight is the same transaction", async () => {
    const { t, address } = transactor();
    const first = await node.provider.getTransactionCount(address, "pending");
    const sent = [];
    for (let i = 1; i <= 3; i++)
      sent.push(await t.send({ to: TO, data: `0x0${i}`, gasLimit: 30_000n }, { fields: { action: "test", i } }));
    expect(sent.map((s) => s.nonce)).to.deep.equal([first, first + 1, first + 2]);
    const again = await t.send({ to: TO, data: "0x02", gasLimit: 30_000n }, { fields: { action: "test" } });
    expect([again.nonce, again.hash]).to.deep.equal([sent[1].nonce, sent[1].hash]);
    expect(t.pending).to.equal(3);
    await node.rpc("evm_mine");
    await t.poll();
    const finals = await Promise.all(sent.map((s) => s.final));
    expect(finals.map((f) => f.status)).to.deep.equal(["mined", "mined", "mined"]);
    expect(new Set(finals.map((f) => (f.status === "mined" ? f.receipt.blockNumber : 0))).size).to.equal(1);
  });

  it("a fee spike: replaced at the same nonce with a higher fee after N blocks, and mined once", async () => {
    const { t, of, address } = transactor();
    const base = await baseFee();
    const sent = await t.send(call, { fields: { action: "test" } });
    // Tenfold: more than the 2 × base + tip it offered.
    await mineWithBaseFee(base * 10n);
    await t.poll();
    expect(of("test", "replaced")).to.have.length(0);
    await mineWithBaseFee(base * 10n);
    await t.poll();
    const [replaced] = of("test", "replaced");
    expect(replaced).to.include({ nonce: sent.nonce, previous: sent.hash });
    const bumped = (await node.provider.getTransaction(replaced.txHash as string))!;
    expect(bumped.nonce).to.equal(sent.nonce);
    expect(bumped.maxFeePerGas! > base * 10n).to.equal(true);
    await mineWithBaseFee(base * 10n);
    await t.poll();
    const final = await sent.final;
    expect(final.status).to.equal("mined");
    if (final.status === "mined") expect(final.receipt.hash).to.equal(replaced.txHash);
    expect(await node.provider.getTransactionReceipt(sent.hash)).to.equal(null);
    expect(await node.provider.getTransactionCount(address, "latest")).to.equal(sent.nonce + 1);
  });

  it("never offers more than the ceiling; past its deadline an unmined call is cancelled at its nonce, never mined", async () => {
    const { t, of, address } = transactor({ maxFee: gwei(50) });
    const now = await node.latestTimestamp();
    const sent = await t.send(call, { deadline: now + 100n, fields: { action: "test" } });
    // A base fee over the ceiling: nothing the transactor may offer gets in. Replaced after 2 blocks up to the
    // ceiling, then held there.
    for (let i = 0; i < 4; i++) {
      await mineWithBaseFee(gwei(80));
      await t.poll();
    }
    expect(of("test", "at-ceiling")).to.have.length(1);
    for (const attempt of of("test", "replaced"))
      expect((attempt.maxFeeGwei as number) <= 50).to.equal(true, JSON.stringify(attempt));
    expect(await settled(sent.final)).to.equal(undefined);
    // The deadline passes unmined: the call is cancelled, at one bump over the ceiling at most.
    await node.rpc("evm_increaseTime", [100]);
    await mineWithBaseFee(gwei(80));
    await t.poll();
    const [cancel] = of("test", "cancelling");
    expect(cancel).to.include({ nonce: sent.nonce });
    expect(cancel.maxFeeGwei as number).to.be.at.most(62.5);
    // The spike ends: the cancel is mined in its place.
    await mineWithBaseFee(gwei(1));
    await t.poll();
    const final = await sent.final;
    expect(final.status).to.equal("cancelled");
    if (final.status === "cancelled") expect(final.receipt.to).to.equal(address);
    expect(await node.provider.getTransactionReceipt(sent.hash)).to.equal(null);
    expect(await node.provider.getTransactionCount(address, "latest")).to.equal(sent.nonce + 1);
  });

  it("a stuck call that would now revert is cancelled instead of replaced", async () => {
    const { t, of, address } = transactor();
    const owner = new NonceManager(new Wallet(account(31).privateKey, node.provider));
    const token = await new TestToken__factory(owner).deploy();
    await node.rpc("evm_mine");
    await (await token.mint(owner, 10n ** 18n)).wait(0);
    await (await token.approve(address, 10n ** 18n)).wait(0);
    await node.rpc("evm_mine");
    const pull = {
      to: await token.getAddress(),
      data: token.interface.encodeFunctionData("transferFrom", [await owner.getAddress(), TO, 10n ** 18n]),
      gasLimit: 100_000n,
    };
    const sent = await t.send(pull, { fields: { action: "pull" } });
    const base = await baseFee();
    await mineWithBaseFee(base * 10n);
    await t.poll();
    // The owner takes the allowance back (its transaction pays the spike; ours does not): the pull would revert.
    await (await token.approve(address, 0n, { maxFeePerGas: base * 100n, maxPriorityFeePerGas: gwei(1) })).wait(0);
    await mineWithBaseFee(base * 10n);
    await t.poll();
    const [cancel] = of("pull", "cancelling");
    expect(cancel).to.include({ nonce: sent.nonce, reason: "it would now revert" });
    await mineWithBaseFee(base);
    await t.poll();
    expect((await sent.final).status).to.equal("cancelled");
    expect(await token.balanceOf(TO)).to.equal(0n);
  });

  it("a send whose reply is lost is the same transaction when sent again, never a second one", async () => {
    const proxy = new FaultyRpc(node.url, { lostReply: 1, only: ["eth_sendRawTransaction"] }, 7);
    const url = await proxy.start();
    try {
      const key = new Wallet(account(signerIndex++).privateKey);
      const { provider, signer } = connect(url, { chainId: 31337 } as never, key);
      const { log } = captureLog("test");
      const t = new Transactor(signer, provider, { ...SETTINGS }, log, FAST_RETRY);
      made.push(t);
      const first = await node.provider.getTransactionCount(key.address, "pending");
      const a = await t.send({ to: TO, data: "0x0a", gasLimit: 30_000n }, { fields: { action: "test" } });
      const b = await t.send({ to: TO, data: "0x0b", gasLimit: 30_000n }, { fields: { action: "test" } });
      expect(proxy.injected.lostReply).to.be.at.least(2);
      expect([a.nonce, b.nonce]).to.deep.equal([first, first + 1]);
      await node.rpc("evm_mine");
      await t.poll();
      expect((await a.final).status).to.equal("mined");
      expect((await b.final).status).to.equal("mined");
      expect(await node.provider.getTransactionCount(key.address, "latest")).to.equal(first + 2);
    } finally {
      await proxy.stop();
    }
  });

  it("with confirmations, final only N blocks after its block; a reorganisation that drops it sends it again", async () => {
    const { t, of } = transactor({ confirmations: 2 });
    const snapshot = await node.rpc<string>("evm_snapshot");
    const sent = await t.send(call, { fields: { action: "test" } });
    await node.rpc("evm_mine");
    await t.poll();
    await node.rpc("evm_mine");
    await t.poll();
    expect(await settled(sent.final)).to.equal(undefined);
    // The chain goes back before its block, and grows again without it (Hardhat drops the reverted transactions).
    await node.rpc("evm_revert", [snapshot]);
    for (let i = 0; i < 3; i++) await node.rpc("evm_mine");
    await t.poll();
    expect(of("reorg", "dropped")).to.have.length(1);
    expect(await node.provider.getTransaction(sent.hash)).to.not.equal(null);
    for (let i = 0; i < 3; i++) {
      await node.rpc("evm_mine");
      await t.poll();
    }
    const final = await sent.final;
    expect(final.status).to.equal("mined");
    if (final.status === "mined") expect(final.receipt.hash).to.equal(sent.hash);
  });
});
