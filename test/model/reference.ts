/**
 * The protocol as plain TypeScript: PROTOCOL.md plus the README's decisions where it is silent, with no chain.
 * Rewards follow the contract's finalized epochs: each modeler gets the floor of its share of the pool by
 * points, and what the floors leave (the dust) goes to the platform's share.
 *
 * Every action runs at a block time `at` like a transaction: it either succeeds or throws the `Revert` the
 * contract must raise (same custom error, same arguments, checked in the contract's order) and then leaves
 * the state exactly as it was. The clock advances either way, as a reverted transaction is still mined.
 * A batch of answers is the exception the protocol makes: it takes the entries valid when it is mined, in
 * order, skips the others with the error each would revert with, and reverts only when it takes none.
 *
 * Eviction counts answered requests (those with at least one answer in time) and judges a modeler only on an
 * epoch it was opted in for from the epoch's first second: unanswered and refunded requests never count.
 * Token balances, allowances and permit nonces of the fee token (an OpenZeppelin ERC-20 with EIP-2612) are
 * modelled too, because a request moves tokens and can fail in the token.
 */
import { id as keccakId } from "ethers";
import { RequestStatus } from "../../sdk/market";
import { InferenceMarket__factory } from "../../typechain-types";
import * as time from "../../sdk/time";
import type { TimeConfig } from "../../sdk/time";

export const BPS = 10_000n;
export const MAX_LIST_SIZE = 10;
export const MAX_EPOCH = 2n ** 24n - 1n;
export const MAX_FEE = 2n ** 96n - 1n;
export const MAX_UINT256 = 2n ** 256n - 1n;
/** The opt-in time the contract shows for an evicted modeler. */
export const NEVER = 2n ** 40n - 1n;
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export const ROLES = {
  admin: "0x" + "00".repeat(32),
  manager: keccakId("CHALLENGE_MANAGER_ROLE"),
  keeper: keccakId("KEEPER_ROLE"),
  pauser: keccakId("PAUSER_ROLE"),
} as const;

/** IInferenceMarket.FeeRecipient */
export enum FeeKind {
  Creator,
  Admin,
  Platform,
}

/** IInferenceMarket.RequestStatus, as the SDK declares it. */
export { RequestStatus };

export interface Settings {
  time: TimeConfig;
  creatorBps: bigint;
  adminBps: bigint;
  platformBps: bigint;
  evictionThresholdBps: bigint;
}

export const DEFAULT_SETTINGS: Settings = {
  time: time.DEFAULT_TIME,
  creatorBps: 500n,
  adminBps: 500n,
  platformBps: 500n,
  evictionThresholdBps: 5_000n,
};

/** The custom error a call must revert with. */
export class Revert extends Error {
  constructor(
    readonly error: string,
    readonly args: readonly unknown[],
  ) {
    super(`${error}(${args.map(String).join(", ")})`);
  }
}

const MARKET = InferenceMarket__factory.createInterface();

/** The ABI encoding of a market custom error, as `answerBatch` reports a skipped entry. */
export function encodeRevert(r: Revert): string {
  return MARKET.encodeErrorResult(r.error, r.args as unknown[]);
}

export interface RequestKey {
  requester: string;
  challengeId: bigint;
  listId: bigint;
  fee: bigint;
}

export interface Permit {
  value: bigint;
  deadline: bigint;
  nonce: bigint;
}

export interface AnswerEntry {
  requestId: bigint;
  key: RequestKey;
  index: number;
}

/** What an answer that lands does: the modeler's point in the request's epoch, and the fee it settles. */
export interface Answered {
  requestId: bigint;
  challengeId: bigint;
  modeler: string;
  epoch: bigint;
  /** The request's fee for its first answer in time, else zero. */
  settledFee: bigint;
}

/** Per entry of a batch, in order: what it did, or why it was skipped. */
export type BatchEntryResult = { answered: Answered } | { skipped: Revert };

interface Challenge {
  creator: string;
  admin: string;
  fee: bigint;
  lists: { activationEpoch: bigint; members: string[] }[]; // list id = position + 1
}

interface Modeler {
  host: string; // zero until it registers; never zero again once registered
  registeredAt?: bigint;
  evicted: boolean; // from an eviction until a later promotion lists it again; only a registered one is evicted
  relistedAt?: bigint; // first second of the list that listed it again after an eviction
}

interface Request {
  key: RequestKey;
  createdAt: bigint;
  answered: number; // bit i: the modeler at list position i answered in time
  refunded: boolean;
}

interface Tally {
  settledFees: bigint;
  answeredRequests: bigint; // requests of the epoch with at least one answer in time: the eviction base
  listId: bigint; // the list that served the epoch (every request of an epoch is made on it)
  points: Map<string, bigint>; // answers in time per modeler
  rewardClaimed: string[]; // modelers that claimed their reward
  rewardsPaid: bigint;
  feesClaimed: FeeKind[];
  finalized: boolean;
}

/** Everything the protocol remembers; plain data so that a failed action can restore a copy. */
interface State {
  now: bigint;
  paused: boolean;
  treasury: string;
  roles: Map<string, Set<string>>;
  balances: Map<string, bigint>;
  allowances: Map<string, bigint>; // owner's allowance to the market
  nonces: Map<string, bigint>;
  challenges: Challenge[]; // challenge id = position + 1
  modelers: Map<string, Modeler>; // `${challengeId}/${modeler}`
  requests: Request[]; // request id = position + 1
  tallies: Map<string, Tally>; // `${challengeId}/${epoch}`
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
function fail(error: string, ...args: unknown[]): never {
  throw new Revert(error, args);
}
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const total = (t: Tally) => [...t.points.values()].reduce((a, b) => a + b, 0n);

export class MarketModel {
  private s: State;

  constructor(
    readonly market: string,
    admin: string,
    treasury: string,
    readonly settings: Settings = DEFAULT_SETTINGS,
    now = 0n,
  ) {
    this.s = {
      now,
      paused: false,
      treasury,
      roles: new Map([[ROLES.admin, new Set([admin.toLowerCase()])]]),
      balances: new Map(),
      allowances: new Map(),
      nonces: new Map(),
      challenges: [],
      modelers: new Map(),
      requests: [],
      tallies: new Map(),
    };
  }

  clone(): MarketModel {
    const copy = Object.create(MarketModel.prototype) as MarketModel;
    Object.assign(copy, this, { s: structuredClone(this.s) });
    return copy;
  }

  get now(): bigint {
    return this.s.now;
  }

  private get time(): TimeConfig {
    return this.settings.time;
  }

  /**
   * Runs `action` as a transaction mined at `at`: returns its result, or the Revert with the state restored.
   */
  exec<T>(at: bigint, action: () => T): T | Revert {
    if (at <= this.s.now) throw new Error(`time goes forward only: ${at} <= ${this.s.now}`);
    const before = structuredClone(this.s);
    this.s.now = at;
    try {
      return action();
    } catch (e) {
      if (!(e instanceof Revert)) throw e;
      this.s = { ...before, now: at };
      return e;
    }
  }

  // ------------------------------------------------------------------ fee token

  mint(to: string, amount: bigint) {
    this.credit(to, amount);
  }

  approve(owner: string, amount: bigint) {
    this.s.allowances.set(owner.toLowerCase(), amount);
  }

  private credit(to: string, amount: bigint) {
    this.s.balances.set(to.toLowerCase(), this.balanceOf(to) + amount);
  }

  /** ERC20.transfer from the market, which always holds what it pays (checked by the solvency invariant). */
  private pay(to: string, amount: bigint) {
    this.transfer(this.market, to, amount);
  }

  private transfer(from: string, to: string, amount: bigint) {
    const balance = this.balanceOf(from);
    if (balance < amount) fail("ERC20InsufficientBalance", from, balance, amount);
    this.s.balances.set(from.toLowerCase(), balance - amount);
    this.credit(to, amount);
  }

  /** ERC20.transferFrom(owner, market, amount) sent by the market: allowance first, then balance. */
  private collect(owner: string, amount: bigint) {
    const allowance = this.allowance(owner);
    if (allowance < MAX_UINT256) {
      if (allowance < amount) fail("ERC20InsufficientAllowance", this.market, allowance, amount);
      this.approve(owner, allowance - amount);
    }
    this.transfer(owner, this.market, amount);
  }

  /** ERC20Permit.permit as the market calls it: a permit that fails is ignored. */
  private tryPermit(owner: string, value: bigint, permit: Permit) {
    if (this.s.now > permit.deadline || permit.nonce !== this.nonces(owner) || permit.value !== value) return;
    this.s.nonces.set(owner.toLowerCase(), permit.nonce + 1n);
    this.approve(owner, value);
  }

  // ------------------------------------------------------------------ operator and admins

  grantRole(role: string, account: string) {
    const holders = this.s.roles.get(role) ?? new Set<string>();
    holders.add(account.toLowerCase());
    this.s.roles.set(role, holders);
  }

  createChallenge(caller: string, creator: string, admin: string, fee: bigint): bigint {
    this.checkRole(ROLES.manager, caller);
    if (same(creator, ZERO_ADDRESS) || same(admin, ZERO_ADDRESS)) fail("MarketInvalidChallengeParty", creator, admin);
    this.checkFee(fee);
    this.s.challenges.push({ creator, admin, fee, lists: [] });
    return BigInt(this.s.challenges.length);
  }

  setFee(caller: string, challengeId: bigint, fee: bigint) {
    const c = this.checkChallengeAdmin(challengeId, caller);
    this.checkFee(fee);
    c.fee = fee;
  }

  setChallengeAdmin(caller: string, challengeId: bigint, newAdmin: string) {
    const c = this.checkChallengeAdmin(challengeId, caller);
    if (same(newAdmin, ZERO_ADDRESS)) fail("MarketInvalidChallengeParty", c.creator, newAdmin);
    c.admin = newAdmin;
  }

  setTreasury(caller: string, newTreasury: string) {
    this.checkRole(ROLES.admin, caller);
    if (same(newTreasury, ZERO_ADDRESS)) fail("MarketInvalidTreasury", newTreasury);
    this.s.treasury = newTreasury;
  }

  pause(caller: string) {
    this.checkRole(ROLES.pauser, caller);
    this.checkNotPaused();
    this.s.paused = true;
  }

  unpause(caller: string) {
    this.checkRole(ROLES.pauser, caller);
    if (!this.s.paused) fail("ExpectedPause");
    this.s.paused = false;
  }

  // ------------------------------------------------------------------ keeper

  /** Lists 1 to 10 distinct modelers, once per epoch, inside the window; they serve from the activation epoch. */
  promote(caller: string, challengeId: bigint, modelers: string[]): bigint {
    this.checkRole(ROLES.keeper, caller);
    this.checkNotPaused();
    const c = this.existing(challengeId);
    const epoch = time.epochOf(this.time, this.s.now);
    if (!time.inWindow(this.time, this.s.now)) {
      fail("MarketOutsideWindow", this.s.now, time.windowStart(this.time, epoch), time.endOf(this.time, epoch));
    }
    const activation = time.activationEpoch(this.time, epoch);
    const latest = c.lists.at(-1);
    if (latest && latest.activationEpoch >= activation) fail("MarketAlreadyPromoted", challengeId, epoch);
    if (modelers.length === 0 || modelers.length > MAX_LIST_SIZE) fail("MarketInvalidListSize", modelers.length);
    modelers.forEach((m, i) => {
      if (same(m, ZERO_ADDRESS) || modelers.slice(0, i).some((earlier) => same(earlier, m))) {
        fail("MarketInvalidListEntry", i, m);
      }
    });
    const start = time.startOf(this.time, activation);
    for (const address of modelers) {
      const m = this.modeler(challengeId, address);
      // A promotion after an eviction lists the modeler again: the new list's requests are open to it.
      if (m.evicted) {
        m.evicted = false;
        m.relistedAt = start;
      }
    }
    c.lists.push({ activationEpoch: activation, members: [...modelers] });
    return BigInt(c.lists.length);
  }

  // ------------------------------------------------------------------ modelers and hosts

  register(caller: string, challengeId: bigint, host: string) {
    this.existing(challengeId);
    if (same(host, ZERO_ADDRESS)) fail("MarketInvalidHost", host);
    const m = this.modeler(challengeId, caller);
    if (!same(m.host, ZERO_ADDRESS)) fail("MarketModelerAlreadyRegistered", challengeId, caller);
    m.host = host;
    m.registeredAt = this.s.now;
  }

  setHost(caller: string, challengeId: bigint, host: string) {
    if (same(host, ZERO_ADDRESS)) fail("MarketInvalidHost", host);
    const m = this.modeler(challengeId, caller);
    if (same(m.host, ZERO_ADDRESS)) fail("MarketModelerNotRegistered", challengeId, caller);
    m.host = host;
  }

  /**
   * Answers by `caller` for the modelers at the entries' positions: takes each entry that is valid against the
   * state the earlier entries left (so a repeated entry is skipped as already answered), skips the others with
   * the error `answer` would revert with, and reverts with every entry's error when it takes none.
   */
  answerBatch(caller: string, entries: AnswerEntry[]): BatchEntryResult[] {
    if (entries.length === 0) fail("MarketEmptyBatch");
    const results = entries.map((e): BatchEntryResult => {
      try {
        return { answered: this.answer(caller, e.requestId, e.key, e.index) };
      } catch (err) {
        // `answer` checks everything before it changes anything, so a skipped entry leaves no trace.
        if (!(err instanceof Revert)) throw err;
        return { skipped: err };
      }
    });
    if (results.every((x) => "skipped" in x)) {
      fail(
        "MarketBatchAnsweredNothing",
        results.map((x) => encodeRevert((x as { skipped: Revert }).skipped)),
      );
    }
    return results;
  }

  /**
   * A request answered by `caller` for the modeler at `index` of the request's list: in time, by the current
   * host of a registered modeler that was opted in when the request was made, is not evicted, and has not
   * answered it yet. Checks everything, in the contract's order, before it changes anything.
   */
  answer(caller: string, requestId: bigint, key: RequestKey, index: number): Answered {
    const r = this.openRequest(requestId, key);
    const due = time.deadline(this.time, r.createdAt);
    if (this.s.now > due) fail("MarketDeadlinePassed", requestId, due, this.s.now);
    const address = this.listMember(key.challengeId, key.listId, index);
    if (r.answered & (1 << index)) fail("MarketAlreadyAnswered", requestId, address);
    const m = this.s.modelers.get(`${key.challengeId}/${address.toLowerCase()}`);
    if (!m || same(m.host, ZERO_ADDRESS)) fail("MarketModelerNotRegistered", key.challengeId, address);
    if (!same(m.host, caller)) fail("MarketNotHost", address, caller);
    if (m.evicted) fail("MarketModelerEvicted", key.challengeId, address);
    const optedInAt = this.optedInAt(m);
    if (optedInAt > r.createdAt) fail("MarketModelerNotOptedIn", address, r.createdAt, optedInAt);

    const epoch = time.epochOf(this.time, r.createdAt);
    const t = this.tally(key.challengeId, epoch);
    // The first answer in time settles the escrowed fee into the figures of the request's epoch, and makes the
    // request one of the epoch's answered requests, the base of eviction.
    const settledFee = r.answered === 0 ? key.fee : 0n;
    if (r.answered === 0) {
      t.settledFees += key.fee;
      t.answeredRequests += 1n;
    }
    r.answered |= 1 << index;
    t.points.set(address.toLowerCase(), (t.points.get(address.toLowerCase()) ?? 0n) + 1n);
    return { requestId, challengeId: key.challengeId, modeler: address, epoch, settledFee };
  }

  // ------------------------------------------------------------------ users

  request(caller: string, challengeId: bigint, maxFee: bigint, permit?: Permit): bigint {
    this.checkNotPaused();
    if (permit) this.tryPermit(caller, maxFee, permit);
    const c = this.existing(challengeId);
    if (c.fee > maxFee) fail("MarketFeeAboveMax", c.fee, maxFee);
    const epoch = time.epochOf(this.time, this.s.now);
    const listId = this.activeListIdAt(challengeId, epoch);
    if (listId === 0n) fail("MarketNoActiveList", challengeId, epoch);
    this.collect(caller, c.fee);
    const key = { requester: caller, challengeId, listId, fee: c.fee };
    this.s.requests.push({ key, createdAt: this.s.now, answered: 0, refunded: false });
    // Only the list is noted: a request counts in the eviction base once answered, never before.
    this.tally(challengeId, epoch).listId = listId;
    return BigInt(this.s.requests.length);
  }

  refund(requestId: bigint, key: RequestKey) {
    const r = this.openRequest(requestId, key);
    if (r.answered !== 0) fail("MarketRequestAnswered", requestId);
    const due = time.deadline(this.time, r.createdAt);
    if (this.s.now <= due) fail("MarketDeadlineNotPassed", requestId, due, this.s.now);
    r.refunded = true;
    this.pay(r.key.requester, r.key.fee);
  }

  // ------------------------------------------------------------------ claims and eviction

  claimRewards(challengeId: bigint, modeler: string, epochs: bigint[]): bigint {
    if (epochs.length === 0) fail("MarketEmptyBatch");
    let amount = 0n;
    for (const epoch of epochs) {
      this.checkClaimOpen(epoch);
      const t = this.tally(challengeId, epoch);
      if (t.rewardClaimed.includes(modeler.toLowerCase())) fail("MarketAlreadyClaimed", challengeId, modeler, epoch);
      const points = this.pointsOf(challengeId, modeler, epoch);
      // Only an epoch without points is refused: one whose floored reward is zero is claimed and pays nothing.
      if (points === 0n) fail("MarketNothingToClaim", challengeId, modeler, epoch);
      t.rewardClaimed.push(modeler.toLowerCase());
      // The first claim finalizes the epoch if nobody did; claims open after its final time.
      t.finalized = true;
      const reward = this.reward(t, points);
      t.rewardsPaid += reward;
      amount += reward;
    }
    this.pay(modeler, amount);
    return amount;
  }

  claimFees(challengeId: bigint, kind: FeeKind, epochs: bigint[]): bigint {
    if (epochs.length === 0) fail("MarketEmptyBatch");
    this.existing(challengeId);
    const recipient = this.feeRecipient(challengeId, kind);
    let amount = 0n;
    for (const epoch of epochs) {
      this.checkClaimOpen(epoch);
      const t = this.tally(challengeId, epoch);
      // The platform's share takes the reward dust, known once the epoch is finalized.
      if (kind === FeeKind.Platform) t.finalized = true;
      if (t.feesClaimed.includes(kind)) fail("MarketAlreadyClaimed", challengeId, recipient, epoch);
      const share = this.feeShare(t, kind);
      if (share === 0n) fail("MarketNothingToClaim", challengeId, recipient, epoch);
      t.feesClaimed.push(kind);
      amount += share;
    }
    this.pay(recipient, amount);
    return amount;
  }

  /** Stores an epoch's totals once every request of it is answered or expired; once. */
  finalize(challengeId: bigint, epoch: bigint) {
    this.existing(challengeId);
    const t = this.tally(challengeId, epoch);
    if (t.finalized) fail("MarketEpochAlreadyFinalized", challengeId, epoch);
    if (epoch > MAX_EPOCH) fail("EpochsEpochOutOfRange", epoch, MAX_EPOCH);
    const finalAt = time.finalAt(this.time, epoch);
    if (this.s.now < finalAt) fail("MarketEpochNotFinal", epoch, finalAt, this.s.now);
    t.finalized = true;
  }

  /**
   * From the epoch's final time to the end of the next epoch, a modeler of the list that served the epoch that
   * the epoch judges (registered, not evicted, opted in at or before the epoch's first second) and that
   * answered fewer than the threshold share of the epoch's answered requests. With no answered request
   * nobody is evictable: `0 * BPS >= 0 * threshold`.
   */
  evict(challengeId: bigint, epoch: bigint, listId: bigint, index: number) {
    if (epoch > MAX_EPOCH) fail("EpochsEpochOutOfRange", epoch, MAX_EPOCH);
    const opensAt = time.finalAt(this.time, epoch);
    const closesAt = time.endOf(this.time, epoch + 1n);
    if (this.s.now < opensAt || this.s.now >= closesAt) {
      fail("MarketEvictionClosed", epoch, opensAt, closesAt, this.s.now);
    }
    this.existing(challengeId);
    if (listId === 0n || this.activeListIdAt(challengeId, epoch) !== listId) {
      fail("MarketListNotActiveInEpoch", challengeId, listId, epoch);
    }
    const address = this.listMember(challengeId, listId, index);
    const m = this.modeler(challengeId, address);
    if (same(m.host, ZERO_ADDRESS)) fail("MarketModelerNotRegistered", challengeId, address);
    if (m.evicted) fail("MarketModelerEvicted", challengeId, address);
    const optedInAt = this.optedInAt(m);
    // Judged only on an epoch every request of which was open to it.
    const epochStart = time.startOf(this.time, epoch);
    if (optedInAt > epochStart) fail("MarketModelerOptedInLater", challengeId, address, optedInAt, epochStart);
    const points = this.pointsOf(challengeId, address, epoch);
    const answered = this.tally(challengeId, epoch).answeredRequests;
    if (points * BPS >= answered * this.settings.evictionThresholdBps) {
      fail("MarketModelerMetThreshold", challengeId, address, points, answered);
    }
    m.evicted = true;
  }

  // ------------------------------------------------------------------ views (as the contract returns them)

  balanceOf(account: string): bigint {
    return this.s.balances.get(account.toLowerCase()) ?? 0n;
  }

  allowance(owner: string): bigint {
    return this.s.allowances.get(owner.toLowerCase()) ?? 0n;
  }

  nonces(owner: string): bigint {
    return this.s.nonces.get(owner.toLowerCase()) ?? 0n;
  }

  get paused(): boolean {
    return this.s.paused;
  }

  get treasury(): string {
    return this.s.treasury;
  }

  get challengeCount(): bigint {
    return BigInt(this.s.challenges.length);
  }

  get requestCount(): bigint {
    return BigInt(this.s.requests.length);
  }

  hasRole(role: string, account: string): boolean {
    return this.s.roles.get(role)?.has(account.toLowerCase()) ?? false;
  }

  /** [creator, admin, fee, listCount, latestActivationEpoch]; undefined for an unknown challenge. */
  challenge(challengeId: bigint): [string, string, bigint, bigint, bigint] | undefined {
    const c = this.s.challenges[Number(challengeId) - 1];
    if (challengeId < 1n || !c) return undefined;
    return [c.creator, c.admin, c.fee, BigInt(c.lists.length), c.lists.at(-1)?.activationEpoch ?? 0n];
  }

  /** [activationEpoch, members]; [0, []] for a list that does not exist. */
  list(challengeId: bigint, listId: bigint): [bigint, string[]] {
    const l = this.s.challenges[Number(challengeId) - 1]?.lists[Number(listId) - 1];
    return l && listId >= 1n ? [l.activationEpoch, [...l.members]] : [0n, []];
  }

  activeListId(challengeId: bigint): bigint {
    return this.activeListIdAt(challengeId, time.epochOf(this.time, this.s.now));
  }

  /** The latest list whose activation epoch has come by `epoch`, or 0. */
  activeListIdAt(challengeId: bigint, epoch: bigint): bigint {
    const lists = this.s.challenges[Number(challengeId) - 1]?.lists ?? [];
    for (let id = lists.length; id >= 1; id--) if (lists[id - 1].activationEpoch <= epoch) return BigInt(id);
    return 0n;
  }

  /** [host, optedInAt, evicted] */
  modelerInfo(challengeId: bigint, address: string): [string, bigint, boolean] {
    const m = this.s.modelers.get(`${challengeId}/${address.toLowerCase()}`);
    if (!m) return [ZERO_ADDRESS, 0n, false];
    return [m.host, m.evicted ? NEVER : this.optedInAt(m), m.evicted];
  }

  pointsOf(challengeId: bigint, modeler: string, epoch: bigint): bigint {
    return this.s.tallies.get(`${challengeId}/${epoch}`)?.points.get(modeler.toLowerCase()) ?? 0n;
  }

  /** IInferenceMarket.EpochFigures: until finalization the contract sums points and dust live, to the same values. */
  epochFigures(challengeId: bigint, epoch: bigint) {
    const t = this.s.tallies.get(`${challengeId}/${epoch}`) ?? this.emptyTally();
    const [pool, creatorShare, adminShare, platform] = this.split(t.settledFees);
    const rewardDust = this.dust(t);
    return {
      settledFees: t.settledFees,
      answeredRequests: t.answeredRequests,
      points: total(t),
      pool,
      creatorShare,
      adminShare,
      platformShare: platform + rewardDust,
      rewardDust,
      listId: t.listId,
      finalized: t.finalized,
    };
  }

  claimableReward(challengeId: bigint, modeler: string, epoch: bigint): bigint {
    const t = this.s.tallies.get(`${challengeId}/${epoch}`);
    const points = this.pointsOf(challengeId, modeler, epoch);
    if (!t || t.rewardClaimed.includes(modeler.toLowerCase()) || points === 0n) return 0n;
    return this.reward(t, points);
  }

  claimableFees(challengeId: bigint, kind: FeeKind, epoch: bigint): bigint {
    const t = this.s.tallies.get(`${challengeId}/${epoch}`);
    if (!t || t.feesClaimed.includes(kind)) return 0n;
    return this.feeShare(t, kind);
  }

  /** [status, createdAt, deadline, answeredMask] */
  requestState(requestId: bigint): [RequestStatus, bigint, bigint, bigint] {
    const r = this.s.requests[Number(requestId) - 1];
    if (requestId < 1n || !r) return [RequestStatus.None, 0n, 0n, 0n];
    if (r.refunded) return [RequestStatus.Refunded, 0n, 0n, 0n];
    const due = time.deadline(this.time, r.createdAt);
    const status =
      r.answered !== 0 ? RequestStatus.Answered : this.s.now <= due ? RequestStatus.Open : RequestStatus.Expired;
    return [status, r.createdAt, due, BigInt(r.answered)];
  }

  // ------------------------------------------------------------------ reading the model (for the fuzzer)

  /** A request as made, or undefined. */
  requestOf(requestId: bigint): Readonly<Request> | undefined {
    return requestId >= 1n ? this.s.requests[Number(requestId) - 1] : undefined;
  }

  /** Every modeler's points of every challenge and epoch, and whether it claimed them. */
  pointEntries(): { challengeId: bigint; modeler: string; epoch: bigint; points: bigint; claimed: boolean }[] {
    return [...this.s.tallies].flatMap(([key, t]) => {
      const [challengeId, epoch] = key.split("/").map(BigInt);
      return [...t.points].map(([modeler, points]) => {
        return { challengeId, modeler, epoch, points, claimed: t.rewardClaimed.includes(modeler) };
      });
    });
  }

  /** Every challenge and epoch with figures. */
  tallyKeys(): { challengeId: bigint; epoch: bigint }[] {
    return [...this.s.tallies.keys()].map((k) => {
      const [c, e] = k.split("/");
      return { challengeId: BigInt(c), epoch: BigInt(e) };
    });
  }

  /** Who the share of `kind` of a challenge goes to now. */
  feeRecipient(challengeId: bigint, kind: FeeKind): string {
    const c = this.existing(challengeId);
    return kind === FeeKind.Creator ? c.creator : kind === FeeKind.Admin ? c.admin : this.s.treasury;
  }

  /**
   * The solvency rule: the market holds exactly the escrowed fees of requests neither settled nor refunded,
   * plus the unpaid rewards of every pool and every unclaimed fee share (the platform's with the dust).
   */
  owed(): { escrowed: bigint; rewards: bigint; shares: bigint } {
    let escrowed = 0n;
    for (const r of this.s.requests) if (!r.refunded && r.answered === 0) escrowed += r.key.fee;
    let rewards = 0n;
    let shares = 0n;
    for (const t of this.s.tallies.values()) {
      rewards += this.split(t.settledFees)[0] - this.dust(t) - t.rewardsPaid;
      for (const kind of [FeeKind.Creator, FeeKind.Admin, FeeKind.Platform]) {
        if (!t.feesClaimed.includes(kind)) shares += this.feeShare(t, kind);
      }
    }
    return { escrowed, rewards, shares };
  }

  /**
   * Throws unless the model's own books balance (see `owed`), every pool pays out exactly, and each epoch's
   * answered requests are exactly those of its requests that have an answer.
   */
  checkInvariants() {
    const { escrowed, rewards, shares } = this.owed();
    const balance = this.balanceOf(this.market);
    if (balance !== escrowed + rewards + shares) {
      throw new Error(`insolvent model: balance ${balance} != ${escrowed} + ${rewards} + ${shares}`);
    }
    // The eviction base, counted at each first answer, is the epoch's requests that have an answer: refunded
    // and unanswered ones never count.
    const answered = new Map<string, bigint>();
    for (const r of this.s.requests) {
      if (r.answered === 0) continue;
      const key = `${r.key.challengeId}/${time.epochOf(this.time, r.createdAt)}`;
      answered.set(key, (answered.get(key) ?? 0n) + 1n);
    }
    for (const [key, t] of this.s.tallies) {
      if (t.answeredRequests !== (answered.get(key) ?? 0n)) {
        throw new Error(`tally ${key}: ${t.answeredRequests} answered requests, ${answered.get(key) ?? 0n} answered`);
      }
      const dust = this.dust(t);
      const payable = this.split(t.settledFees)[0] - dust;
      if (t.rewardsPaid > payable || dust >= BigInt(Math.max(t.points.size, 1)))
        throw new Error(`pool ${key} overpaid`);
      if (t.rewardClaimed.length === t.points.size && t.rewardsPaid !== payable) {
        throw new Error(`pool ${key} not paid out exactly: ${t.rewardsPaid} of ${payable}`);
      }
    }
  }

  // ------------------------------------------------------------------ rules

  /**
   * The opt-in of a registered or re-listed modeler: the later of its registration and its re-listing, since
   * after an eviction only the requests of the list that re-listed it are open to it, from that list's first
   * second, and only epochs that began at or after that judge it. Only a registered modeler is evicted, so a
   * re-listed one is registered already (see test/fuzz/regressions.test.ts).
   */
  private optedInAt(m: Modeler): bigint {
    return max(m.registeredAt ?? 0n, m.relistedAt ?? 0n);
  }

  /** [pool, creator, admin, platform]: floors for the shares, the remainder for the pool. */
  private split(settled: bigint): [bigint, bigint, bigint, bigint] {
    const creator = (settled * this.settings.creatorBps) / BPS;
    const admin = (settled * this.settings.adminBps) / BPS;
    const platform = (settled * this.settings.platformBps) / BPS;
    return [settled - creator - admin - platform, creator, admin, platform];
  }

  /** A modeler's reward: its floored share of the pool by points. */
  private reward(t: Tally, points: bigint): bigint {
    return (this.split(t.settledFees)[0] * points) / total(t);
  }

  /** What the floored rewards leave of the pool; it goes to the platform. */
  private dust(t: Tally): bigint {
    const pool = this.split(t.settledFees)[0];
    let paid = 0n;
    for (const points of t.points.values()) paid += this.reward(t, points);
    return pool - paid;
  }

  private feeShare(t: Tally, kind: FeeKind): bigint {
    return this.split(t.settledFees)[kind + 1] + (kind === FeeKind.Platform ? this.dust(t) : 0n);
  }

  private checkClaimOpen(epoch: bigint) {
    if (epoch > MAX_EPOCH) fail("EpochsEpochOutOfRange", epoch, MAX_EPOCH);
    const opensAt = time.claimsOpenAt(this.time, epoch);
    if (this.s.now < opensAt) fail("MarketClaimNotOpen", epoch, opensAt, this.s.now);
  }

  private openRequest(requestId: bigint, key: RequestKey): Request {
    const r = requestId >= 1n ? this.s.requests[Number(requestId) - 1] : undefined;
    if (!r) fail("MarketUnknownRequest", requestId);
    if (r.refunded) fail("MarketRequestRefunded", requestId);
    const k = r.key;
    const matches =
      same(k.requester, key.requester) &&
      k.challengeId === key.challengeId &&
      k.listId === key.listId &&
      k.fee === key.fee;
    if (!matches) fail("MarketRequestKeyMismatch", requestId);
    return r;
  }

  private listMember(challengeId: bigint, listId: bigint, index: number): string {
    const [, members] = this.list(challengeId, listId);
    if (index >= members.length) fail("MarketNotListed", challengeId, listId, index);
    return members[index];
  }

  private modeler(challengeId: bigint, address: string): Modeler {
    const key = `${challengeId}/${address.toLowerCase()}`;
    let m = this.s.modelers.get(key);
    if (!m) {
      m = { host: ZERO_ADDRESS, evicted: false };
      this.s.modelers.set(key, m);
    }
    return m;
  }

  private tally(challengeId: bigint, epoch: bigint): Tally {
    const key = `${challengeId}/${epoch}`;
    let t = this.s.tallies.get(key);
    if (!t) {
      t = this.emptyTally();
      this.s.tallies.set(key, t);
    }
    return t;
  }

  private emptyTally(): Tally {
    return {
      settledFees: 0n,
      answeredRequests: 0n,
      listId: 0n,
      points: new Map(),
      rewardClaimed: [],
      rewardsPaid: 0n,
      feesClaimed: [],
      finalized: false,
    };
  }

  private existing(challengeId: bigint): Challenge {
    const c = challengeId >= 1n ? this.s.challenges[Number(challengeId) - 1] : undefined;
    if (!c) fail("MarketChallengeNotFound", challengeId);
    return c;
  }

  private checkChallengeAdmin(challengeId: bigint, caller: string): Challenge {
    const c = this.existing(challengeId);
    if (!same(c.admin, caller)) fail("MarketNotChallengeAdmin", challengeId, caller);
    return c;
  }

  private checkFee(fee: bigint) {
    if (fee === 0n || fee > MAX_FEE) fail("MarketInvalidFee", fee);
  }

  private checkRole(role: string, account: string) {
    if (!this.hasRole(role, account)) fail("AccessControlUnauthorizedAccount", account, role);
  }

  private checkNotPaused() {
    if (this.s.paused) fail("EnforcedPause");
  }
}
