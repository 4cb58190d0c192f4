import {
  Signature,
  ZeroAddress,
  type BigNumberish,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Log,
  type Provider,
  type Result,
  type Signer,
} from "ethers";
import {
  ERC20Permit__factory,
  InferenceMarket__factory,
  type ERC20Permit,
  type InferenceMarket,
} from "../typechain-types";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../typechain-types/common";
import { decodeReason, toRevertError } from "./errors";
import { judge } from "./eviction";
import { signPermit } from "./permit";
import { decodeText, encodeText } from "./text";
import { claimsOpenAt, endOf, epochOf, finalAt, inWindow, startOf, windowStart, type TimeConfig } from "./time";

import {
  FEE_KINDS,
  RequestStatus,
  type AnswerRecord,
  type Claimable,
  type EpochTimes,
  type EvictionCandidate,
  type FeeKind,
  type Judgement,
  type LogRange,
  type MadeRequest,
  type ModelerList,
  type OpenRequest,
  type RequestKeyLike,
  type RequestState,
  type Sent,
  type Settings,
  type SkippedAnswer,
  type WaitMode,
  type WaitResult,
} from "./types";

export * from "./types";

/** The block span of one log query unless the caller says otherwise; most public RPCs accept it. */
const DEFAULT_MAX_RANGE = 2_000;
/** Lifetime of a permit signed for a request: it is used in the same transaction. */
const PERMIT_LIFETIME = 3_600n;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const toBytes = (data: string | Uint8Array) => (typeof data === "string" ? encodeText(data) : data);

/**
 * A typed client of one InferenceMarket. Reads work with a provider; sending methods need a signer. Every
 * sending method first runs the call with `staticCall`, so a rejected call throws a RevertError naming the
 * custom error before any gas is spent, then sends and waits for the receipt. The check runs on the latest
 * block, so a call that becomes valid only at a later time (a window opening, a deadline passing) is refused
 * until a block of that time exists.
 */
export class Market {
  private settingsCache?: Promise<Settings>;
  private tokenCache?: Promise<{ contract: ERC20Permit; symbol: string; decimals: number }>;

  private constructor(
    readonly contract: InferenceMarket,
    readonly runner: ContractRunner,
  ) {}

  static connect(address: string, runner: ContractRunner): Market {
    return new Market(InferenceMarket__factory.connect(address, runner), runner);
  }

  get address(): string {
    return this.contract.target as string;
  }

  get provider(): Provider {
    const provider = this.runner.provider ?? (this.runner as Provider);
    if (typeof provider.getBlock !== "function") throw new Error("the market's runner has no provider");
    return provider;
  }

  private get signer(): Signer {
    const signer = this.runner as Signer;
    if (typeof signer.sendTransaction !== "function") throw new Error("sending needs a signer, not a provider");
    return signer;
  }

  // ------------------------------------------------------------------ settings, time and token

  /** The deployment settings (fixed at construction, so read once). */
  settings(): Promise<Settings> {
    this.settingsCache ??= this.contract.settings().catch((e) => {
      this.settingsCache = undefined;
      throw e;
    });
    return this.settingsCache;
  }

  /** The time rules of this deployment, for sdk/time. */
  async timeConfig(): Promise<TimeConfig> {
    const s = await this.settings();
    return {
      epochLength: s.epochLength,
      windowOffset: s.windowOffset,
      sla: s.sla,
      claimDelay: s.claimDelay,
      activationDelay: s.activationDelay,
    };
  }

  /** The latest block's timestamp: the chain's "now", which the contract judges by. */
  async now(): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    if (!block) throw new Error("no latest block");
    return BigInt(block.timestamp);
  }

  /** The times of `epoch` under this deployment's settings. */
  async epochTimes(epoch: bigint): Promise<EpochTimes> {
    const c = await this.timeConfig();
    return {
      start: startOf(c, epoch),
      windowStart: windowStart(c, epoch),
      end: endOf(c, epoch),
      finalAt: finalAt(c, epoch),
      claimsOpenAt: claimsOpenAt(c, epoch),
    };
  }

  /** The fee token with its symbol and decimals, for amounts shown to people. */
  token(): Promise<{ contract: ERC20Permit; symbol: string; decimals: number }> {
    this.tokenCache ??= (async () => {
      const contract = ERC20Permit__factory.connect(await this.contract.token(), this.runner);
      const [symbol, decimals] = await Promise.all([contract.symbol(), contract.decimals()]);
      return { contract, symbol, decimals: Number(decimals) };
    })().catch((e) => {
      this.tokenCache = undefined;
      throw e;
    });
    return this.tokenCache;
  }

  /** The first block at or after `timestamp` (the latest block if none), searched between `fromBlock` and the head. */
  async blockAt(timestamp: bigint, fromBlock = 0): Promise<number> {
    let lo = fromBlock;
    let hi = await this.provider.getBlockNumber();
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const block = await this.provider.getBlock(mid);
      if (block && BigInt(block.timestamp) >= timestamp) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  // ------------------------------------------------------------------ lists

  /** A promoted list with each member's current registration. */
  async list(challengeId: BigNumberish, listId: BigNumberish): Promise<ModelerList> {
    const [activationEpoch, modelers] = await this.contract.list(challengeId, listId);
    const infos = await Promise.all(modelers.map((m) => this.contract.modelerInfo(challengeId, m)));
    const members = modelers.map((modeler, index) => ({
      index,
      modeler,
      host: infos[index].host,
      optedInAt: infos[index].optedInAt,
      evicted: infos[index].evicted,
    }));
    return { listId: BigInt(listId), activationEpoch, members };
  }

  /** The list serving `challengeId` at time `at` (default now); `listId` 0 and no members when none serves. */
  async activeList(challengeId: BigNumberish, at?: bigint): Promise<ModelerList> {
    const epoch = epochOf(await this.timeConfig(), at ?? (await this.now()));
    const { listCount } = await this.contract.challenge(challengeId);
    // Lists activate in id order: the serving one is the latest whose activation epoch has come.
    for (let id = listCount; id > 0n; id--) {
      const [activationEpoch] = await this.contract.list(challengeId, id);
      if (activationEpoch <= epoch) return this.list(challengeId, id);
    }
    return { listId: 0n, activationEpoch: 0n, members: [] };
  }

  // ------------------------------------------------------------------ requests

  /** Where a request stands, with the list positions that answered it. */
  async requestState(requestId: BigNumberish): Promise<RequestState> {
    const [status, createdAt, deadline, mask] = await this.contract.requestState(requestId);
    const answered = [...mask.toString(2)].reverse().flatMap((bit, i) => (bit === "1" ? [i] : []));
    return { status: Number(status) as RequestStatus, createdAt, deadline, answered };
  }

  /**
   * A request by id, read from its `RequestMade` event in the block of its creation (found from its time,
   * searching from `fromBlock`, e.g. the deployment's start block). Refunded requests are gone.
   */
  async findRequest(requestId: BigNumberish, fromBlock = 0): Promise<MadeRequest> {
    const { status, createdAt } = await this.requestState(requestId);
    if (status === RequestStatus.None) throw new Error(`request ${requestId} does not exist`);
    if (status === RequestStatus.Refunded) throw new Error(`request ${requestId} was refunded`);
    const block = await this.blockAt(createdAt, fromBlock);
    // Chains with several blocks per second put it in one of the next few blocks of the same second.
    const toBlock = Math.min(block + DEFAULT_MAX_RANGE - 1, await this.provider.getBlockNumber());
    const logs = await this.contract.queryFilter(this.contract.filters.RequestMade(requestId), block, toBlock);
    const [made] = await this.parseRequests(logs);
    if (!made) throw new Error(`no RequestMade event for request ${requestId} in blocks ${block}..${toBlock}`);
    return made;
  }

  // ------------------------------------------------------------------ users

  /**
   * Pays for one inference of `challengeId`. `input` is text (encoded as UTF-8) or raw bytes. `maxFee`
   * defaults to the current fee. Approves `maxFee` first if the allowance does not cover the fee, or with
   * `permit` signs an EIP-2612 permit of `maxFee` instead.
   */
  async request(
    challengeId: BigNumberish,
    input: string | Uint8Array,
    options: { maxFee?: bigint; permit?: boolean } = {},
  ): Promise<MadeRequest> {
    const { fee } = await this.contract.challenge(challengeId);
    const maxFee = options.maxFee ?? fee;
    const data = toBytes(input);
    let sent: Sent;
    if (options.permit) {
      const deadline = (await this.now()) + PERMIT_LIFETIME;
      const { v, r, s } = await this.signPermit(maxFee, deadline);
      sent = await this.execute(this.contract.requestWithPermit, [challengeId, maxFee, data, deadline, v, r, s]);
    } else {
      const { contract: token } = await this.token();
      const owner = await this.signer.getAddress();
      // A fee above maxFee is refused by the request's own check below; approving would only waste gas.
      if (fee <= maxFee && (await token.allowance(owner, this.address)) < fee) {
        await this.execute(token.approve, [this.address, maxFee]);
      }
      sent = await this.execute(this.contract.request, [challengeId, maxFee, data]);
    }
    const made = await this.parseRequests(sent.receipt.logs);
    if (made.length !== 1) throw new Error(`transaction ${sent.txHash} made no request`);
    return made[0];
  }

  private async signPermit(value: bigint, deadline: bigint): Promise<Signature> {
    const { contract: token } = await this.token();
    return signPermit(token, this.signer, this.address, value, deadline);
  }

  /** The answers of a request in the order they were made; `fromBlock` is the request's block (or earlier). */
  async answersOf(requestId: BigNumberish, fromBlock: number, maxRange?: number): Promise<AnswerRecord[]> {
    const logs = await this.scan(this.contract.filters.RequestAnswered(requestId), { fromBlock, maxRange });
    return logs.map((log) => ({
      requestId: log.args.requestId,
      modeler: log.args.modeler,
      output: log.args.output,
      text: decodeText(log.args.output),
      epoch: log.args.epoch,
      settledFee: log.args.settledFee,
      blockNumber: log.blockNumber,
      txHash: log.transactionHash,
    }));
  }

  /**
   * Polls until the request is done for the caller's purpose, then returns its answers:
   * - `"all"` (default): every expected modeler answered, or the deadline passed;
   * - `{ first: k }`: k answers, or every expected modeler answered, or the deadline passed;
   * - `"deadline"`: the deadline passed, whatever came before.
   * The deadline counts as passed once a block later than it exists. When no modeler can answer (none was
   * opted in when the request was made), every mode waits for the deadline, after which it can be refunded.
   */
  async waitForAnswers(request: MadeRequest, options: { mode?: WaitMode; pollMs?: number } = {}): Promise<WaitResult> {
    const mode = options.mode ?? "all";
    const { members } = await this.list(request.key.challengeId, request.key.listId);
    const expected = members.filter(
      (m) => !m.evicted && m.host !== ZeroAddress && m.optedInAt <= request.createdAt,
    ).length;
    const enough =
      mode === "deadline" || expected === 0
        ? Infinity
        : Math.min(expected, typeof mode === "object" ? mode.first : expected);
    for (;;) {
      const { status, answered } = await this.requestState(request.requestId);
      const done =
        status === RequestStatus.Refunded || answered.length >= enough || (await this.now()) > request.deadline;
      if (done) {
        const answers = await this.answersOf(request.requestId, request.blockNumber);
        return { status: (await this.requestState(request.requestId)).status, answers, expected };
      }
      await sleep(options.pollMs ?? 1_000);
    }
  }

  /** Returns the fee of a request nobody answered in time to its requester. Anyone may send it. */
  refund(requestId: BigNumberish, key: RequestKeyLike): Promise<Sent> {
    return this.execute(this.contract.refund, [requestId, key]);
  }

  // ------------------------------------------------------------------ hosts

  /** Answers a request for the modeler at `index` of its list; `output` is text or raw bytes. */
  answer(requestId: BigNumberish, key: RequestKeyLike, index: number, output: string | Uint8Array): Promise<Sent> {
    return this.execute(this.contract.answer, [requestId, key, index, toBytes(output)]);
  }

  /**
   * Answers several requests in one transaction. The contract takes the entries valid when it is mined and
   * skips the others; `skipped` lists them with their errors. Throws a RevertError
   * (MarketBatchAnsweredNothing, with every entry's error) when no entry is valid, before sending.
   */
  async answerBatch(
    items: readonly { requestId: BigNumberish; key: RequestKeyLike; index: number; output: string | Uint8Array }[],
  ): Promise<Sent & { skipped: SkippedAnswer[] }> {
    const answers = items.map((a) => ({
      requestId: a.requestId,
      key: a.key,
      index: a.index,
      output: toBytes(a.output),
    }));
    const sent = await this.execute(this.contract.answerBatch, [answers]);
    return { ...sent, skipped: this.skippedIn(sent.receipt) };
  }

  /** The entries a mined `answerBatch` left out, from its `AnswerSkipped` events. */
  skippedIn(receipt: ContractTransactionReceipt): SkippedAnswer[] {
    const skipped: SkippedAnswer[] = [];
    for (const log of receipt.logs) {
      if (!sameAddress(log.address, this.address)) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name !== "AnswerSkipped") continue;
      skipped.push({
        requestId: parsed.args.requestId,
        index: Number(parsed.args.index),
        error: decodeReason(parsed.args.reason),
      });
    }
    return skipped;
  }

  /** The `RequestMade` events of a block range, optionally of one challenge or requester, scanned in bounded spans. */
  async requestsMade(options: LogRange & { challengeId?: BigNumberish; requester?: string }): Promise<MadeRequest[]> {
    const filter = this.contract.filters.RequestMade(undefined, options.challengeId, options.requester);
    return this.parseRequests(await this.scan(filter, options));
  }

  /**
   * The requests of the range that `host` may still answer: for every listed modeler whose current host it
   * is, opted in when the request was made, not evicted, not answered yet by that modeler, and whose
   * deadline is later than the latest block (so an answer in the next block is in time). Most urgent first.
   */
  async openRequestsFor(host: string, range: LogRange): Promise<OpenRequest[]> {
    const now = await this.now();
    const made = (await this.requestsMade(range)).filter((r) => r.deadline > now);
    const lists = new Map<string, Promise<ModelerList>>();
    const open: OpenRequest[] = [];
    for (const r of made) {
      const listKey = `${r.key.challengeId}/${r.key.listId}`;
      if (!lists.has(listKey)) lists.set(listKey, this.list(r.key.challengeId, r.key.listId));
      const mine = (await lists.get(listKey)!).members.filter(
        (m) => sameAddress(m.host, host) && !m.evicted && m.optedInAt <= r.createdAt,
      );
      if (mine.length === 0) continue;
      const { status, answered } = await this.requestState(r.requestId);
      if (status !== RequestStatus.Open && status !== RequestStatus.Answered) continue;
      for (const m of mine) {
        if (!answered.includes(m.index)) open.push({ ...r, index: m.index, modeler: m.modeler });
      }
    }
    return open.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
  }

  /** The challenges in which a `HostChanged` or `ModelerRegistered` event of the range names `host`. */
  async challengesNaming(host: string, range: LogRange): Promise<bigint[]> {
    const [moved, registered] = await Promise.all([
      this.scan(this.contract.filters.HostChanged(undefined, undefined, host), range),
      this.scan(this.contract.filters.ModelerRegistered(undefined, undefined, host), range),
    ]);
    return [...new Set([...moved, ...registered].map((e) => e.args.challengeId))];
  }

  /** The requests of the range that nobody answered in time and nobody refunded yet: the keeper's refund sweep. */
  async expiredUnrefunded(options: LogRange & { challengeId?: BigNumberish }): Promise<MadeRequest[]> {
    const now = await this.now();
    const expired: MadeRequest[] = [];
    for (const r of await this.requestsMade(options)) {
      if (r.deadline >= now) continue;
      if ((await this.requestState(r.requestId)).status === RequestStatus.Expired) expired.push(r);
    }
    return expired;
  }

  // ------------------------------------------------------------------ operator, admins and modelers

  /** Creates a challenge (CHALLENGE_MANAGER_ROLE) and returns its id. */
  async createChallenge(
    creator: string,
    admin: string,
    fee: bigint,
    metadata: string,
  ): Promise<Sent & { challengeId: bigint }> {
    const sent = await this.execute(this.contract.createChallenge, [creator, admin, fee, metadata]);
    const [event] = this.eventsOf(sent, "ChallengeCreated");
    return { ...sent, challengeId: event.challengeId as bigint };
  }

  /** Sets the fee of the challenge's later requests (its admin only). */
  setFee(challengeId: BigNumberish, fee: bigint): Promise<Sent> {
    return this.execute(this.contract.setFee, [challengeId, fee]);
  }

  /** Opts the signer in as a modeler of the challenge, answered for by `host`. */
  register(challengeId: BigNumberish, host: string): Promise<Sent> {
    return this.execute(this.contract.register, [challengeId, host]);
  }

  /** Changes the signer's host for the challenge. */
  setHost(challengeId: BigNumberish, host: string): Promise<Sent> {
    return this.execute(this.contract.setHost, [challengeId, host]);
  }

  // ------------------------------------------------------------------ keeper

  /** Promotes the challenge's list for this epoch (KEEPER_ROLE, inside the window) and returns its id. */
  async promote(
    challengeId: BigNumberish,
    modelers: readonly string[],
    leaderboardHash: string,
  ): Promise<Sent & { listId: bigint }> {
    const sent = await this.execute(this.contract.promote, [challengeId, [...modelers], leaderboardHash]);
    const [event] = this.eventsOf(sent, "ListPromoted");
    return { ...sent, listId: event.listId as bigint };
  }

  /**
   * Each member of the list that served `epoch` against the eviction rule: its points against the threshold
   * share of the epoch's answered requests, and whether the epoch judges it. Empty when no list served.
   * Before the epoch is final the figures are still moving.
   */
  async judgements(challengeId: BigNumberish, epoch: bigint): Promise<Judgement[]> {
    const c = await this.timeConfig();
    const { evictionThresholdBps } = await this.settings();
    const served = await this.activeList(challengeId, startOf(c, epoch));
    if (served.listId === 0n) return [];
    const { answeredRequests } = await this.contract.epochFigures(challengeId, epoch);
    const figures = { answeredRequests, thresholdBps: evictionThresholdBps, epochStart: startOf(c, epoch) };
    return Promise.all(
      served.members.map(async (m) => {
        const points = await this.contract.pointsOf(challengeId, m.modeler, epoch);
        return judge(m, served.listId, { ...figures, points });
      }),
    );
  }

  /** The members `evict` would take for `epoch` once it is final: judged and under the threshold. */
  async evictionCandidates(challengeId: BigNumberish, epoch: bigint): Promise<EvictionCandidate[]> {
    return (await this.judgements(challengeId, epoch)).filter((j) => j.below);
  }

  /** Evicts the modeler at `index` of `listId`, the list that served `epoch`. Anyone may send it. */
  evict(challengeId: BigNumberish, epoch: BigNumberish, listId: BigNumberish, index: number): Promise<Sent> {
    return this.execute(this.contract.evict, [challengeId, epoch, listId, index]);
  }

  // ------------------------------------------------------------------ claims

  /** What `who` (a modeler's address, or a fee share) can claim for each of `epochs`, and whether claims are open. */
  async claimable(challengeId: BigNumberish, who: string | FeeKind, epochs: readonly bigint[]): Promise<Claimable[]> {
    const c = await this.timeConfig();
    const now = await this.now();
    const kind = FEE_KINDS.indexOf(who as FeeKind);
    return Promise.all(
      epochs.map(async (epoch) => {
        const amount =
          kind >= 0
            ? await this.contract.claimableFees(challengeId, kind, epoch)
            : await this.contract.claimableReward(challengeId, who, epoch);
        const opensAt = claimsOpenAt(c, epoch);
        return { epoch, amount, claimsOpenAt: opensAt, open: now >= opensAt };
      }),
    );
  }

  /** Pays `modeler` its rewards for `epochs`; anyone may send it. */
  async claimRewards(
    challengeId: BigNumberish,
    modeler: string,
    epochs: readonly bigint[],
  ): Promise<Sent & { amount: bigint }> {
    const sent = await this.execute(this.contract.claimRewards, [challengeId, modeler, [...epochs]]);
    const [event] = this.eventsOf(sent, "RewardsClaimed");
    return { ...sent, amount: event.amount as bigint };
  }

  /**
   * Stores a finished epoch's totals (its points and the rewards' dust) once its final time has passed.
   * Anyone may send it; the first claim of an epoch does it too.
   */
  finalize(challengeId: BigNumberish, epoch: BigNumberish): Promise<Sent> {
    return this.execute(this.contract.finalize, [challengeId, epoch]);
  }

  /** Pays a fee share (creator, admin or platform) for `epochs`; anyone may send it. */
  async claimFees(
    challengeId: BigNumberish,
    kind: FeeKind,
    epochs: readonly bigint[],
  ): Promise<Sent & { amount: bigint }> {
    const sent = await this.execute(this.contract.claimFees, [challengeId, FEE_KINDS.indexOf(kind), [...epochs]]);
    const amount = this.eventsOf(sent, "FeesClaimed").reduce((sum, e) => sum + (e.amount as bigint), 0n);
    return { ...sent, amount };
  }

  // ------------------------------------------------------------------ status

  /** A challenge at a glance: the clock, the current epoch's times, its parties, serving and pending lists, figures. */
  async status(challengeId: BigNumberish) {
    const c = await this.timeConfig();
    const now = await this.now();
    const epoch = epochOf(c, now);
    const [challenge, activeList, figures, paused, judgements] = await Promise.all([
      this.contract.challenge(challengeId),
      this.activeList(challengeId, now),
      this.contract.epochFigures(challengeId, epoch),
      this.contract.paused(),
      this.judgements(challengeId, epoch),
    ]);
    const pendingList =
      challenge.listCount > activeList.listId ? await this.list(challengeId, challenge.listCount) : undefined;
    return {
      challengeId: BigInt(challengeId),
      now,
      epoch,
      times: await this.epochTimes(epoch),
      inWindow: inWindow(c, now),
      paused,
      creator: challenge.creator,
      admin: challenge.admin,
      fee: challenge.fee,
      activeList,
      pendingList,
      /** This epoch's standing of each serving modeler against the eviction rule, so far. */
      judgements,
      figures: {
        answeredRequests: figures.answeredRequests,
        points: figures.points,
        settledFees: figures.settledFees,
        pool: figures.pool,
        finalized: figures.finalized,
      },
    };
  }

  // ------------------------------------------------------------------ plumbing

  /** staticCall (a revert throws a decoded RevertError), then send and wait for the receipt. */
  private async execute<A extends unknown[]>(
    method: {
      staticCall(...args: A): Promise<unknown>;
      send(...args: A): Promise<ContractTransactionResponse>;
    },
    args: A,
  ): Promise<Sent> {
    try {
      await method.staticCall(...args);
      const tx = await method.send(...args);
      const receipt = await tx.wait();
      if (!receipt) throw new Error(`transaction ${tx.hash} has no receipt`);
      return { receipt, txHash: tx.hash };
    } catch (err) {
      throw toRevertError(err);
    }
  }

  /** The arguments of this market's `name` events in a receipt. */
  private eventsOf(sent: Sent, name: string): Result[] {
    const events: Result[] = [];
    for (const log of sent.receipt.logs) {
      if (!sameAddress(log.address, this.address)) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name === name) events.push(parsed.args);
    }
    if (events.length === 0) throw new Error(`transaction ${sent.txHash} emitted no ${name}`);
    return events;
  }

  /** The logs of `filter` from `fromBlock` to `toBlock` (default latest), in spans of at most `maxRange` blocks. */
  private async scan<E extends TypedContractEvent>(
    filter: TypedDeferredTopicFilter<E>,
    range: LogRange,
  ): Promise<TypedEventLog<E>[]> {
    const toBlock = range.toBlock ?? (await this.provider.getBlockNumber());
    const span = range.maxRange ?? DEFAULT_MAX_RANGE;
    if (span < 1) throw new Error(`maxRange must be at least 1, got ${span}`);
    const logs: TypedEventLog<E>[] = [];
    for (let from = range.fromBlock; from <= toBlock; from += span) {
      logs.push(...(await this.contract.queryFilter(filter, from, Math.min(from + span - 1, toBlock))));
    }
    return logs;
  }

  private async parseRequests(logs: readonly Log[]): Promise<MadeRequest[]> {
    const { sla } = await this.settings();
    const made: MadeRequest[] = [];
    for (const log of logs) {
      if (!sameAddress(log.address, this.address)) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name !== "RequestMade") continue;
      const { requestId, challengeId, requester, listId, fee, deadline, input } = parsed.args;
      made.push({
        requestId,
        key: { requester, challengeId, listId, fee },
        input,
        createdAt: deadline - sla,
        deadline,
        blockNumber: log.blockNumber,
        txHash: log.transactionHash,
      });
    }
    return made;
  }
}
