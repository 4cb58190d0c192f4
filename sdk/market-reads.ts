import {
  ZeroAddress,
  type BigNumberish,
  type ContractRunner,
  type ContractTransactionResponse,
  type Log,
  type Provider,
  type Result,
  type Signer,
} from "ethers";
import { ERC20Permit__factory, type ERC20Permit, type InferenceMarket } from "../typechain-types";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../typechain-types/common";
import { toRevertError } from "./errors";
import { decodeText, encodeText } from "./text";
import { claimsOpenAt, endOf, epochOf, finalAt, startOf, windowStart, type TimeConfig } from "./time";
import {
  RequestStatus,
  type AnswerRecord,
  type EpochTimes,
  type ListMember,
  type LogRange,
  type MadeRequest,
  type ModelerList,
  type RequestState,
  type SendCall,
  type Sent,
  type Settings,
} from "./types";

/** The block span of one log query unless the caller says otherwise; most public RPCs accept it. */
export const DEFAULT_MAX_RANGE = 2_000;

export const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** Text as its UTF-8 bytes (sdk/text), raw bytes as they are. */
export const toBytes = (data: string | Uint8Array) => (typeof data === "string" ? encodeText(data) : data);

/** An answer with the time of the block it was mined in. */
export interface TimedAnswer extends AnswerRecord {
  answeredAt: bigint;
}

/**
 * Whether the list member can answer a request made at `at`: registered with a host, not evicted, and opted
 * in by then (a re-listing after an eviction opts in only from the new list's first second).
 */
export function canAnswer(member: ListMember, at: bigint): boolean {
  return member.host !== ZeroAddress && !member.evicted && member.optedInAt <= at;
}

/**
 * The reading half of the market client: the deployment's settings, time and token, lists, requests and
 * their answers, and the plumbing every sending method goes through. `Market` (sdk/market.ts) builds on it
 * role by role.
 */
export class MarketReads {
  private settingsCache?: Promise<Settings>;
  private tokenCache?: Promise<{ contract: ERC20Permit; symbol: string; decimals: number }>;

  protected constructor(
    readonly contract: InferenceMarket,
    readonly runner: ContractRunner,
    /** Sends every checked call in place of the runner (the daemons' transactor); the runner's own send without. */
    protected readonly sendCall?: SendCall,
  ) {}

  get address(): string {
    return this.contract.target as string;
  }

  get provider(): Provider {
    const provider = this.runner.provider ?? (this.runner as Provider);
    if (typeof provider.getBlock !== "function") throw new Error("the market's runner has no provider");
    return provider;
  }

  protected get signer(): Signer {
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

  /**
   * The first block at or after `timestamp` (the latest block if none), searched between `fromBlock` and the
   * head. The search gallops from `fromBlock` before it halves: a daemon that passes its last answer finds the
   * next one, a few blocks on, in a few reads rather than one per halving of the whole range.
   */
  async blockAt(timestamp: bigint, fromBlock = 0): Promise<number> {
    const head = await this.provider.getBlockNumber();
    const reached = async (n: number) => {
      const block = await this.provider.getBlock(n);
      return block !== null && BigInt(block.timestamp) >= timestamp;
    };
    let lo = fromBlock;
    let hi = Math.min(fromBlock, head);
    for (let step = 1; hi < head && !(await reached(hi)); step *= 2) {
      lo = hi + 1;
      hi = Math.min(hi + step, head);
    }
    // The answer is in lo..hi: hi reached the time, or is the head.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await reached(mid)) hi = mid;
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

  // ------------------------------------------------------------------ requests and answers

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

  /**
   * The answers of a request in the order they were made, with their blocks' times; `fromBlock` is the
   * request's block (or earlier).
   */
  async answersOf(requestId: BigNumberish, fromBlock: number, maxRange?: number): Promise<TimedAnswer[]> {
    const logs = await this.scan(this.contract.filters.RequestAnswered(requestId), { fromBlock, maxRange });
    const times = new Map<number, Promise<bigint>>();
    const timeOf = (blockNumber: number) => {
      if (!times.has(blockNumber)) {
        times.set(
          blockNumber,
          this.provider.getBlock(blockNumber).then((b) => {
            if (!b) throw new Error(`no block ${blockNumber}`);
            return BigInt(b.timestamp);
          }),
        );
      }
      return times.get(blockNumber)!;
    };
    return Promise.all(
      logs.map(async (log) => ({
        requestId: log.args.requestId,
        modeler: log.args.modeler,
        output: log.args.output,
        text: decodeText(log.args.output),
        epoch: log.args.epoch,
        settledFee: log.args.settledFee,
        blockNumber: log.blockNumber,
        txHash: log.transactionHash,
        answeredAt: await timeOf(log.blockNumber),
      })),
    );
  }

  /** The `RequestMade` events of a block range, optionally of one challenge or requester, scanned in bounded spans. */
  async requestsMade(
    options: LogRange & { challengeId?: BigNumberish; requester?: string; requestId?: BigNumberish },
  ): Promise<MadeRequest[]> {
    const filter = this.contract.filters.RequestMade(options.requestId, options.challengeId, options.requester);
    return this.parseRequests(await this.scan(filter, options));
  }

  /** How many modelers of the request's list could answer it: those `canAnswer` at its time, by their state now. */
  async expectedAnswers(request: MadeRequest): Promise<number> {
    const { members } = await this.list(request.key.challengeId, request.key.listId);
    return members.filter((m) => canAnswer(m, request.createdAt)).length;
  }

  // ------------------------------------------------------------------ plumbing

  /** staticCall (a revert throws a decoded RevertError), then send and wait for the receipt. */
  protected async execute<A extends unknown[]>(
    method: {
      staticCall(...args: A): Promise<unknown>;
      send(...args: A): Promise<ContractTransactionResponse>;
      populateTransaction(...args: A): Promise<{ to: string; data: string }>;
    },
    args: A,
  ): Promise<Sent> {
    try {
      await method.staticCall(...args);
      if (this.sendCall) {
        const { to, data } = await method.populateTransaction(...args);
        return await this.sendCall({ to, data });
      }
      const tx = await method.send(...args);
      const receipt = await tx.wait();
      if (!receipt) throw new Error(`transaction ${tx.hash} has no receipt`);
      return { receipt, txHash: tx.hash };
    } catch (err) {
      throw toRevertError(err);
    }
  }

  /** The arguments of this market's `name` events in a receipt. */
  protected eventsOf(sent: Sent, name: string): Result[] {
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
  protected async scan<E extends TypedContractEvent>(
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

  protected async parseRequests(logs: readonly Log[]): Promise<MadeRequest[]> {
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
