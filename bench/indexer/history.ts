/**
 * The history the indexer backfills: one challenge whose promoted list has four modelers behind one host, 33 users
 * sending requests, the host answering each block's requests in the next block with `answerBatch`. Half the
 * requests fall in the list's first epoch, which is then finalized and claimed (fees and rewards), half in the next.
 * Automine is off: each round of requests and answers is sent, then mined with `evm_mine`.
 */
import { type HDNodeWallet } from "ethers";
import { FEE_KINDS, Market, claimsOpenAt, epochOf, type MadeRequest, type TimeConfig } from "../../sdk";
import { InferenceMarket__factory } from "../../typechain-types";
import { type DeploySpot, type Node } from "../../test/e2e/harness";
import { FEE, cast, prepare, type Cast, type Market1 } from "../agent/setup";
import { Sender, getLogs } from "./chain";

/** Modelers of the list and users; with deployer, keeper and host that is the node's 40 accounts. */
export const MODELERS = 4;
export const USERS = 33;
/** Twice Ponder's finality depth on an unknown chain (30 blocks). */
export const FINALITY_MARGIN = 60;
/** The contract's largest batch. */
const BATCH = 50;

/** Which of the list's modelers answer request `id`: 0 always, the others less often; a few requests get none. */
export function answerersOf(id: bigint): number[] {
  const j = Number(id % 1_000_000n);
  if (j % 500 === 499) return [];
  return [0, 1, 2, 3].filter(
    (i) => i === 0 || (i === 1 && j % 10 !== 0) || (i === 2 && j % 3 !== 0) || (i === 3 && j % 5 < 2),
  );
}

export interface History extends Market1 {
  cast: Cast;
  time: TimeConfig;
  /** The two epochs the requests fall in; the first is finalized and claimed. */
  epochs: [bigint, bigint];
  requests: number;
  answers: number;
  /** The history's last block. */
  lastBlock: number;
  /** Wall-clock milliseconds: deploy and setup, then the requests and answers. */
  setupMs: number;
  buildMs: number;
}

/** Sends requests and the answers of earlier ones, round after round, on a node with automine off. */
export class Builder {
  readonly sender: Sender;
  private readonly iface = InferenceMarket__factory.createInterface();
  private readonly reader: Market;
  private next = 0;
  /** Gas of one answer entry, measured on the first batch, with room to spare. */
  private answerGas = 0n;
  sentRequests = 0;
  /** When the first request was made: its epoch is the history's first. */
  firstCreatedAt?: bigint;
  sentAnswers = 0;

  constructor(
    readonly node: Node,
    readonly m: Market1,
    readonly users: readonly HDNodeWallet[],
    readonly host: string,
  ) {
    this.sender = new Sender(node.provider, m.deployment.market);
    this.reader = Market.connect(m.deployment.market, node.provider);
  }

  /** Sends `n` requests, users in turn (the node numbers each sender's transactions in order). */
  sendRequests(n: number): Promise<string>[] {
    const sends: Promise<string>[] = [];
    for (let i = 0; i < n; i++, this.next++) {
      const user = this.users[this.next % this.users.length].address;
      const input = `0x${this.next.toString(16).padStart(40, "0")}`;
      const data = this.iface.encodeFunctionData("request", [this.m.challengeId, FEE, new TextEncoder().encode(input)]);
      sends.push(this.sender.send(user, data, this.m.requestGas));
    }
    this.sentRequests += n;
    return sends;
  }

  /** Sends the answers of `made`, in batches of the contract's largest size. */
  async sendAnswers(made: readonly MadeRequest[]): Promise<Promise<string>[]> {
    const entries = made.flatMap((r) =>
      answerersOf(r.requestId).map((index) => ({
        requestId: r.requestId,
        key: r.key,
        index,
        output: new TextEncoder().encode(String(600 + Number(r.requestId % 250n))),
      })),
    );
    const sends: Promise<string>[] = [];
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH);
      const data = this.iface.encodeFunctionData("answerBatch", [batch]);
      if (this.answerGas === 0n) {
        const est = BigInt(
          await this.node.rpc<string>("eth_estimateGas", [{ from: this.host, to: this.sender.to, data }]),
        );
        this.answerGas = (est * 3n) / 2n / BigInt(batch.length);
      }
      sends.push(this.sender.send(this.host, data, 100_000n + this.answerGas * BigInt(batch.length)));
    }
    this.sentAnswers += entries.length;
    return sends;
  }

  /** Throws unless every answer sent so far is mined: a batch that reverted or never left the pool. */
  async checkAnswered(): Promise<void> {
    const c = this.reader.contract;
    const toBlock = await this.node.provider.getBlockNumber();
    const count = async (event: "RequestAnswered" | "AnswerSkipped") => {
      const topics = [c.interface.getEvent(event)!.topicHash];
      const filter = { address: this.m.deployment.market, fromBlock: this.m.deployment.startBlock, toBlock, topics };
      return (await getLogs(this.node.url, filter)).length;
    };
    const answered = await count("RequestAnswered");
    if (answered === this.sentAnswers) return;
    const skipped = { length: await count("AnswerSkipped") };
    const pending = await this.node.rpc<{ transactions: string[] }>("eth_getBlockByNumber", ["pending", false]);
    throw new Error(
      `${this.sentAnswers} answers sent, ${answered} mined, ${skipped.length} skipped, ` +
        `${pending.transactions.length} transactions pending, host nonce ${await this.node.provider.getTransactionCount(this.host)}`,
    );
  }

  /** The requests mined in a block range, as the SDK reads them. */
  async made(fromBlock: number, toBlock: number): Promise<MadeRequest[]> {
    const made = await this.reader.requestsMade({ fromBlock, toBlock, challengeId: this.m.challengeId });
    this.firstCreatedAt ??= made[0]?.createdAt;
    return made;
  }
}

/** Runs `n` requests in rounds of `perBlock`, each round's answers in the next; ends with every answer mined. */
async function rounds(b: Builder, n: number, perBlock: number, progress: (done: number) => void): Promise<number> {
  let last = await b.node.provider.getBlockNumber();
  let toAnswer: MadeRequest[] = [];
  for (let done = 0; done < n || toAnswer.length > 0;) {
    const count = Math.min(perBlock, n - done);
    const sends = [...b.sendRequests(count), ...(await b.sendAnswers(toAnswer))];
    await Promise.all(sends);
    const mined = await b.sender.mineAll();
    toAnswer = count > 0 ? await b.made(last + 1, mined) : [];
    last = mined;
    done += count;
    if (count > 0) progress(b.sentRequests);
  }
  return last;
}

/** A claim that finds nothing left is fine; anything else is not. */
function nothingLeft(err: unknown): void {
  if ((err as { errorName?: string }).errorName !== "MarketNothingToClaim") throw err;
}

/** Deploys, sets the market up and plays the history; the node is left with automine off. */
export async function buildHistory(
  node: Node,
  spot: DeploySpot,
  requests: number,
  perBlock: number,
  log: (line: string) => void,
): Promise<History> {
  const started = Date.now();
  const c = cast(MODELERS, USERS);
  const m = await prepare(node, spot, c);
  const setupMs = Date.now() - started;
  const signer = await node.provider.getSigner(c.deployer.address);
  const market = Market.connect(m.deployment.market, signer);
  const time = await market.timeConfig();

  const b = new Builder(node, m, c.users, c.host.address);
  const step = Math.max(perBlock, Math.ceil(requests / 10 / perBlock) * perBlock);
  let shown = 0;
  const progress = (done: number) => {
    if (done - shown < step && done < requests) return;
    shown = done;
    log(
      `  ${String(done).padStart(String(requests).length)}/${requests} requests, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  };
  const buildStarted = Date.now();
  await node.rpc("evm_setAutomine", [false]);
  const first = Math.floor(requests / 2);
  await rounds(b, first, perBlock, progress);

  await b.checkAnswered();
  const e1 = epochOf(time, b.firstCreatedAt!);
  // The first epoch ends: finalized, then every fee share and reward claimed, on automine through the SDK.
  await node.mineAt(claimsOpenAt(time, e1));
  await node.rpc("evm_setAutomine", [true]);
  await market.finalize(m.challengeId, e1);
  // The creator and the admin are one account: its first claim pays both shares, the second finds nothing.
  for (const kind of FEE_KINDS) await market.claimFees(m.challengeId, kind, [e1]).catch(nothingLeft);
  for (const modeler of c.modelers) await market.claimRewards(m.challengeId, modeler.address, [e1]);
  await node.rpc("evm_setAutomine", [false]);

  const lastBlock = await rounds(b, requests - first, perBlock, progress);
  // Empty blocks on top: Ponder backfills up to 30 blocks below the head on a chain it does not know and takes
  // the rest block by block, as it follows the head; with these the whole history is the backfill's.
  // evm_mine one by one: Ponder's live sync stalled on a run of blocks from `hardhat_mine`.
  for (let i = 0; i < FINALITY_MARGIN; i++) await node.rpc("evm_mine");
  return {
    ...m,
    cast: c,
    time,
    epochs: [e1, e1 + 1n],
    requests: b.sentRequests,
    answers: b.sentAnswers,
    lastBlock,
    setupMs,
    buildMs: Date.now() - buildStarted,
  };
}
