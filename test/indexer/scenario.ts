/*
 * A small market history played through the SDK on a real node, in two parts: a prologue (challenges,
 * registrations, tokens) that the indexer backfills, then three epochs played while it follows live. It covers
 * every event the indexer handles: fee and admin changes, host changes, promotions and a re-listing, requests
 * answered by some modelers (one by an error answer, one through a batch with a skipped entry), a refund, an
 * expired request, an open one, an explicit and an implicit finalization (and one of an empty epoch), an
 * eviction, reward and fee claims, a treasury change and a pause. The ledger keeps what each call returned.
 */
import { NonceManager, id, parseUnits, type HDNodeWallet } from "ethers";
import {
  Market,
  claimsOpenAt,
  epochOf,
  errorOutput,
  finalAt,
  startOf,
  windowStart,
  type Deployment,
  type FeeKind,
  type MadeRequest,
  type TimeConfig,
} from "../../sdk";
import { TestToken__factory } from "../../typechain-types";
import { account, type Node } from "../e2e/harness";

export const DEPLOYER = account(0);
export const KEEPER = account(1);
export const HOST = account(2);
export const MODELERS = [account(3), account(4), account(5)];
export const USERS = [account(6), account(7)];
export const CREATOR = account(12);
export const ADMIN = account(13);
export const NEW_ADMIN = account(14);
export const NEW_TREASURY = account(15);
/** Refunds, finalizes, evicts and claims on others' behalf: anyone may. */
export const ANYONE = account(16);

/** Fees that do not divide evenly, so the split and the rewards leave rounding units. */
export const FEES = { first: 10n ** 18n + 7n, changed: 10n ** 18n + 3n, second: 3n * 10n ** 18n + 1n };

export interface Ledger {
  challenges: bigint[];
  /** The epoch the story starts in (E0); E1 and E2 follow. */
  e0: bigint;
  requests: Map<string, MadeRequest>;
  refunded: bigint[];
  evicted: { challengeId: bigint; modeler: string; epoch: bigint }[];
  rewardClaims: { challengeId: bigint; modeler: string; epochs: bigint[]; amount: bigint }[];
  feeClaims: { challengeId: bigint; kind: FeeKind; epoch: bigint; amount: bigint }[];
  /** Each promotion: challenge, list id, members and leaderboard hash. */
  lists: { challengeId: bigint; listId: bigint; members: string[]; hash: string }[];
}

export class Story {
  readonly ledger: Ledger = {
    challenges: [],
    e0: 0n,
    requests: new Map(),
    refunded: [],
    evicted: [],
    rewardClaims: [],
    feeClaims: [],
    lists: [],
  };
  private readonly signers = new Map<string, NonceManager>();
  private time!: TimeConfig;

  constructor(
    private readonly node: Node,
    private readonly deployment: Deployment,
  ) {}

  /** One signer per account: a NonceManager counts nonces that ethers would otherwise re-read too soon. */
  as(w: HDNodeWallet): Market {
    if (!this.signers.has(w.address)) this.signers.set(w.address, new NonceManager(w.connect(this.node.provider)));
    return Market.connect(this.deployment.market, this.signers.get(w.address)!);
  }

  /** Before the indexer starts: two challenges, registrations (one with a host change) and the users' tokens. */
  async prologue(): Promise<void> {
    const operator = this.as(DEPLOYER);
    this.time = await operator.timeConfig();
    this.ledger.e0 = epochOf(this.time, await this.node.latestTimestamp());
    const [c1, c2] = [
      (await operator.createChallenge(CREATOR.address, ADMIN.address, FEES.first, "wallet credit score")).challengeId,
      (await operator.createChallenge(DEPLOYER.address, DEPLOYER.address, FEES.second, "second")).challengeId,
    ];
    this.ledger.challenges.push(c1, c2);
    await this.as(MODELERS[0]).register(c1, HOST.address);
    await this.as(MODELERS[1]).register(c1, HOST.address);
    await this.as(MODELERS[2]).register(c1, MODELERS[2].address);
    await this.as(MODELERS[2]).setHost(c1, HOST.address);
    await this.as(MODELERS[0]).register(c2, HOST.address);
    await this.as(MODELERS[1]).register(c2, HOST.address);
    const token = TestToken__factory.connect(this.deployment.token, this.signers.get(DEPLOYER.address)!);
    for (const u of USERS) await (await token.mint(u.address, parseUnits("100", 18))).wait();
  }

  /** Three epochs, while the indexer follows. */
  async play(): Promise<void> {
    const [c1, c2] = this.ledger.challenges;
    const e0 = this.ledger.e0;
    const [e1, e2] = [e0 + 1n, e0 + 2n];
    const host = this.as(HOST);
    const [m0, m1, m2] = MODELERS.map((m) => m.address);

    // E0: the lists for E1, then a fee change for c1's later requests and a new admin for c2.
    await this.node.mineAt(windowStart(this.time, e0));
    await this.promote(c1, [m0, m1, m2], "c1 week 1");
    await this.promote(c2, [m1, m0], "c2 week 1");
    await this.as(ADMIN).setFee(c1, FEES.changed);
    await (await this.as(DEPLOYER).contract.setChallengeAdmin(c2, NEW_ADMIN.address)).wait();

    // E1: seven requests. c1: r1 by all three, r2 by m0, r3 by m1 (a batch whose second entry names no
    // listed modeler and is skipped), r4 by nobody (refunded). c2: r5 by m1 with an error answer, r6 by both, r7
    // by nobody and never refunded.
    await this.node.mineAt(startOf(this.time, e1));
    const r1 = await this.request(0, c1, "r1", "0x1111111111111111111111111111111111111111");
    const r2 = await this.request(1, c1, "r2", "0x2222222222222222222222222222222222222222");
    const r3 = await this.request(0, c1, "r3", "0x3333333333333333333333333333333333333333");
    const r4 = await this.request(1, c1, "r4", "unanswerable");
    const r5 = await this.request(0, c2, "r5", "not an address");
    const r6 = await this.request(1, c2, "r6", "0x6666666666666666666666666666666666666666");
    await this.request(0, c2, "r7", "0x7777777777777777777777777777777777777777");
    await this.node.advance(7);
    for (const index of [0, 1, 2]) await host.answer(r1.requestId, r1.key, index, `71${index}`);
    await host.answer(r2.requestId, r2.key, 0, "640");
    await this.node.advance(30);
    await host.answerBatch([
      { requestId: r3.requestId, key: r3.key, index: 1, output: "655" },
      { requestId: r3.requestId, key: r3.key, index: 5, output: "655" },
    ]);
    await host.answer(r5.requestId, r5.key, 0, errorOutput("invalid-input", "not a wallet address"));
    await host.answer(r6.requestId, r6.key, 0, "701");
    await this.node.advance(120);
    await host.answer(r6.requestId, r6.key, 1, "702");
    await this.node.advance(601);
    await this.as(ANYONE).refund(r4.requestId, r4.key);
    this.ledger.refunded.push(r4.requestId);

    // E2: E1 is final. c1's E1 is finalized explicitly, c2's by its first claim; c2's empty E0 too. m2 answered
    // 1 of c1's 3 answered requests: under half, evicted.
    await this.node.mineAt(finalAt(this.time, e1));
    await this.as(ANYONE).finalize(c1, e1);
    await this.as(ANYONE).finalize(c2, e0);
    await this.as(ANYONE).evict(c1, e1, 1n, 2);
    this.ledger.evicted.push({ challengeId: c1, modeler: m2, epoch: e1 });

    await this.node.mineAt(claimsOpenAt(this.time, e1));
    await this.claimRewards(c1, m0, [e1]);
    await this.claimFees(c1, "creator", [e1]);
    await this.claimFees(c1, "platform", [e1]);
    await this.claimRewards(c2, m1, [e1]);
    await this.claimFees(c2, "admin", [e1]);
    const operator = this.as(DEPLOYER).contract;
    await (await operator.setTreasury(NEW_TREASURY.address)).wait();
    await (await operator.pause()).wait();
    await (await operator.unpause()).wait();

    // Still E2, still served by c1's first list: r8 answered by m0 (m2 is evicted). Then c1's new list re-lists
    // m2 from E3, and r9 is made and left open within its SLA at the head.
    const r8 = await this.request(0, c1, "r8", "0x8888888888888888888888888888888888888888");
    await this.node.advance(3);
    await host.answer(r8.requestId, r8.key, 0, "699");
    await this.node.mineAt(windowStart(this.time, e2));
    await this.promote(c1, [m2, m0, m1], "c1 week 3");
    await this.request(1, c1, "r9", "0x9999999999999999999999999999999999999999");
  }

  private async request(user: number, challengeId: bigint, label: string, input: string): Promise<MadeRequest> {
    const made = await this.as(USERS[user]).request(challengeId, input);
    this.ledger.requests.set(label, made);
    return made;
  }

  private async promote(challengeId: bigint, members: string[], leaderboard: string): Promise<void> {
    const hash = id(leaderboard);
    const { listId } = await this.as(KEEPER).promote(challengeId, members, hash);
    this.ledger.lists.push({ challengeId, listId, members, hash });
  }

  private async claimRewards(challengeId: bigint, modeler: string, epochs: bigint[]): Promise<void> {
    const { amount } = await this.as(ANYONE).claimRewards(challengeId, modeler, epochs);
    this.ledger.rewardClaims.push({ challengeId, modeler, epochs, amount });
  }

  private async claimFees(challengeId: bigint, kind: FeeKind, epochs: bigint[]): Promise<void> {
    const [epoch] = epochs;
    const { amount } = await this.as(ANYONE).claimFees(challengeId, kind, epochs);
    this.ledger.feeClaims.push({ challengeId, kind, epoch, amount });
  }
}
