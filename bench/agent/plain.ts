import { parseUnits, toUtf8Bytes, type HDNodeWallet, type JsonRpcProvider } from "ethers";
import { answerGasLimit } from "../../sdk/answer-gas";
import { Market, type MadeRequest } from "../../sdk/market";

/** The largest batch the contract's gas and the agent allow; the plain answerer sends no smaller ones when busy. */
const BATCH = 50;
const OUTPUT = toUtf8Bytes("500");

/**
 * The node's own ceiling for answers: a script with none of the agent's work (no model, no pre-flight, no
 * per-request reads, no replacement or finality bookkeeping). Every new block's requests are answered at once
 * for every modeler, in batches of 50, with the gas limit of sdk/answer-gas.ts, signed here with local nonces and
 * broadcast all at once, without an estimate or a wait for the receipt: answerBatch transactions as fast as the
 * node mines them.
 */
export class PlainAnswerer {
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly market: string,
    private readonly host: HDNodeWallet,
    /** The challenge answered: its list positions 0 to `modelers - 1` are this host's. */
    private readonly challengeId: bigint,
    private readonly modelers: number,
  ) {}

  /** Answers every request mined after block `fromBlock`, until `stop()`. */
  start(fromBlock: number) {
    this.loop = this.run(fromBlock);
  }

  async stop() {
    this.stopped = true;
    await this.loop;
  }

  private async run(fromBlock: number) {
    const wallet = this.host.connect(this.provider);
    const market = Market.connect(this.market, wallet);
    const data = market.contract.interface;
    let nonce = await this.provider.getTransactionCount(wallet.address, "pending");
    let scanned = fromBlock;
    const fees = { maxFeePerGas: parseUnits("100", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") };
    while (!this.stopped) {
      const head = await this.provider.getBlockNumber();
      if (head <= scanned) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const made: MadeRequest[] = await market.requestsMade({
        fromBlock: scanned + 1,
        toBlock: head,
        challengeId: this.challengeId,
      });
      scanned = head;
      const entries = made.flatMap((r) =>
        Array.from({ length: this.modelers }, (_, index) => ({
          requestId: r.requestId,
          key: r.key,
          index,
          output: OUTPUT,
        })),
      );
      const signed: string[] = [];
      for (let i = 0; i < entries.length; i += BATCH) {
        const batch = entries.slice(i, i + BATCH);
        const tx = { to: this.market, data: data.encodeFunctionData("answerBatch", [batch]), chainId: 31337n };
        const gasLimit = answerGasLimit(batch.length, tx.data);
        signed.push(await wallet.signTransaction({ ...tx, ...fees, gasLimit, nonce: nonce++ }));
      }
      // All at once: the node keeps a later nonce that arrives first until the gap fills.
      await Promise.all(signed.map((raw) => this.provider.broadcastTransaction(raw)));
    }
  }
}
