import type { Signer } from "ethers";
import { activationEpoch, epochOf, finalAt, inWindow, windowStart, type TimeConfig } from "../../sdk/time";
import { Market, RequestStatus, type MadeRequest, type SendCall } from "../../sdk/market";
import { decodeError } from "../../sdk/errors";
import { act, rpcRetry } from "../common/act";
import type { Logger } from "../common/logger";
import type { IndexedHistory } from "../common/indexer";
import { DEFAULT_RETRY, type RetryOptions } from "../common/retry";
import { LeaderboardError, leaderboardHash, topModelers, type Leaderboard } from "./leaderboard";
import { readLeaderboard, type BoundSource, type Source } from "./source";

export interface KeeperOptions {
  /** Signs the keeper's transactions; its provider is the keeper's only clock. */
  signer: Signer;
  /** The market's address. */
  market: string;
  /** One leaderboard per challenge to promote, each a file path or an https URL bound to its challenge. */
  leaderboards: readonly BoundSource[];
  log: Logger;
  /** No request is older than this block: the deployment's block. */
  fromBlock?: number;
  /** At start, the refund sweep looks this many blocks back. */
  lookbackBlocks?: number;
  /** Blocks per eth_getLogs call. */
  logRange?: number;
  /** Refunds sent per pass at most; the rest wait for the next pass. */
  maxRefunds?: number;
  retry?: RetryOptions;
  /** Reads a leaderboard; the default reads files and URLs. */
  load?: (source: Source) => Promise<Leaderboard>;
  /** The refund sweep finds expired requests in the indexer's whole history, and in the logs after it. */
  history?: IndexedHistory;
  /** Blocks on top of a block before the refund sweep reads it (default 0). */
  confirmations?: number;
  /** Sends the keeper's transactions in place of the signer (the transactor, with its fees and timeouts). */
  send?: SendCall;
}

/** What one pass did, and when (chain time) the next one has work. */
export interface KeeperReport {
  now: bigint;
  epoch: bigint;
  promoted: bigint[];
  evicted: { challengeId: bigint; epoch: bigint; modeler: string }[];
  /** Challenges whose finished epoch this pass finalized. */
  finalized: bigint[];
  refunded: bigint[];
  nextAt: bigint;
}

const DONE_PROMOTE = ["MarketAlreadyPromoted"];
const DONE_EVICT = ["MarketModelerEvicted"];
const DONE_FINALIZE = ["MarketEpochAlreadyFinalized"];
const DONE_REFUND = ["MarketRequestRefunded", "MarketRequestAnswered"];
/** The refund's key is not the request's: the chain the keeper read was reorganised since. */
const MOVED = "MarketRequestKeyMismatch";
/** How far before its old block a moved request is looked for: deeper than any reorganisation seen in practice. */
const REREAD_BLOCKS = 1_000;

/**
 * The keeper's duties, one pass per `tick()`: promote each leaderboard's Top-10 once per epoch inside the
 * promotion window, evict the under-serving modelers of the epoch just finished and finalize its totals
 * (so claims need not), and refund the expired
 * unanswered requests. Every duty reads the chain first, so restarts and concurrent keepers never act
 * twice. Time is the chain's latest block timestamp, never the wall clock.
 */
export class Keeper {
  readonly market: Market;
  private readonly log: Logger;
  private readonly retry: RetryOptions;
  private readonly load: (source: Source) => Promise<Leaderboard>;
  /** The epoch whose promotion each challenge is done with (promoted or found promoted). */
  private readonly promotedEpoch = new Map<bigint, bigint>();
  /** `challengeId/epoch` pairs whose evictions and finalization are done. */
  private readonly settled = new Set<string>();
  /** Requests seen made and not yet answered, refunded or found settled, by id. */
  private readonly pending = new Map<bigint, MadeRequest>();
  /** Next block the refund sweep scans. */
  private cursor?: number;
  /** The first block of the last SLA window, which the sweep reads again on every pass. */
  private windowBlock?: number;

  constructor(private readonly options: KeeperOptions) {
    this.market = Market.connect(options.market, options.signer, { send: options.send });
    this.log = options.log;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.load = options.load ?? ((source) => readLeaderboard(source));
  }

  /** One pass over every duty. */
  async tick(signal?: AbortSignal): Promise<KeeperReport> {
    const rpc = rpcRetry(this.log, this.retry, signal);
    const time = await rpc("settings", () => this.market.timeConfig());
    const now = await rpc("now", () => this.market.now());
    const epoch = epochOf(time, now);
    const report: KeeperReport = { now, epoch, promoted: [], evicted: [], finalized: [], refunded: [], nextAt: 0n };

    if (inWindow(time, now)) await this.promoteAll(time, epoch, report, signal);
    if (!signal?.aborted && epoch > 0n && now >= finalAt(time, epoch - 1n))
      await this.settleAll(epoch - 1n, report, signal);
    if (!signal?.aborted) await this.sweepRefunds(now, report, signal);

    report.nextAt = this.nextAt(time, now, epoch);
    return report;
  }

  /** Warns when the signer lacks KEEPER_ROLE: it could still refund, evict and finalize, but never promote. */
  async checkRole(): Promise<void> {
    const keeper = await this.options.signer.getAddress();
    const c = this.market.contract;
    if (!(await c.hasRole(await c.KEEPER_ROLE(), keeper)))
      this.log.warn(
        { action: "start", status: "warning", keeper },
        "this key lacks KEEPER_ROLE: promotions will be rejected",
      );
  }

  /**
   * Reads and checks every leaderboard at start, so that a broken one shows at once and not days later in the
   * window: each that cannot be read, is not a leaderboard, names another challenge than its own, has no valid
   * entry or is bound to a challenge that does not exist is logged as an error, and returned. Dropped entries
   * are logged as warnings.
   */
  async checkLeaderboards(): Promise<Source[]> {
    // The only RPC read comes first: a start-up retried after an RPC error does not log every leaderboard twice.
    const count = await rpcRetry(this.log, this.retry)("challengeCount", () => this.market.contract.challengeCount());
    const unusable: Source[] = [];
    for (const bound of this.options.leaderboards) {
      const { challengeId, source } = bound;
      const fields = { action: "leaderboard", challengeId, source };
      let board: Leaderboard | undefined;
      let error: string | undefined;
      try {
        board = await this.read(bound);
        this.logDropped(board, source);
        if (challengeId > count) error = unknownChallenge(challengeId, count);
        else if (board.ranking.length === 0) error = "no valid entry";
      } catch (err) {
        error = decodeError(err);
      }
      if (error === undefined) {
        const { ranking, dropped } = board!;
        this.log.info(
          { ...fields, status: "ready", ranked: ranking.length, dropped: dropped.length },
          "leaderboard read: its top is promoted in the window",
        );
        continue;
      }
      unusable.push(source);
      this.log.error(
        { ...fields, status: "failed", error },
        "leaderboard unusable: the keeper goes on, and reads it again in each pass of the window",
      );
    }
    return unusable;
  }

  /**
   * Reads the leaderboard of `bound`'s challenge. A document naming another challenge is refused whole: its
   * source is trusted for its own challenge only.
   */
  private async read({ challengeId, source }: BoundSource): Promise<Leaderboard> {
    const board = await this.load(source);
    if (board.challengeId !== challengeId)
      throw new LeaderboardError(
        source,
        `names challenge ${board.challengeId}, but this source is bound to challenge ${challengeId}`,
      );
    return board;
  }

  private logDropped(board: Leaderboard, source: Source) {
    for (const d of board.dropped)
      this.log.warn(
        { action: "leaderboard", status: "dropped", challengeId: board.challengeId, source, ...d },
        "leaderboard entry dropped",
      );
  }

  /** The chain time of the next scheduled work: a window opening, a deadline running out, an epoch becoming final. */
  private nextAt(time: TimeConfig, now: bigint, epoch: bigint): bigint {
    // Inside the window a promotion still to do is retried at the loop's poll interval.
    const window = windowStart(time, epoch);
    let next = now < window ? window : windowStart(time, epoch + 1n);
    const evictionOpens = finalAt(time, epoch);
    if (evictionOpens > now && evictionOpens < next) next = evictionOpens;
    for (const r of this.pending.values()) if (r.deadline + 1n < next) next = r.deadline + 1n;
    return next > now ? next : now + 1n;
  }

  // ------------------------------------------------------------------ promotion

  private async promoteAll(time: TimeConfig, epoch: bigint, report: KeeperReport, signal?: AbortSignal) {
    const due = this.options.leaderboards.filter((b) => this.promotedEpoch.get(b.challengeId) !== epoch);
    if (due.length === 0) return;
    const rpc = rpcRetry(this.log, this.retry, signal);
    const count = await rpc("challengeCount", () => this.market.contract.challengeCount());
    for (const bound of due) {
      if (signal?.aborted) return;
      if (await this.promoteOne(bound, count, time, epoch, report, signal))
        this.promotedEpoch.set(bound.challengeId, epoch);
    }
  }

  /**
   * Promotes one challenge from its leaderboard; true when the epoch's promotion is done (by us or earlier).
   * Whatever goes wrong with this source is logged, and the other challenges' promotions go on.
   */
  private async promoteOne(
    bound: BoundSource,
    count: bigint,
    time: TimeConfig,
    epoch: bigint,
    report: KeeperReport,
    signal?: AbortSignal,
  ) {
    const { challengeId, source } = bound;
    const fields = { action: "promote", challengeId, epoch, source };
    // The challenge view reverts for an unknown id, which would end the whole pass.
    if (challengeId > count) {
      this.log.error({ ...fields, status: "failed", error: unknownChallenge(challengeId, count) }, "cannot promote");
      return false;
    }
    // The chain first: once the epoch is promoted, the source is not read again.
    const rpc = rpcRetry(this.log, this.retry, signal);
    const challenge = await rpc("challenge", () => this.market.contract.challenge(challengeId));
    if (challenge.listCount > 0n && challenge.latestActivationEpoch >= activationEpoch(time, epoch)) {
      this.log.info({ ...fields, status: "already", listId: challenge.listCount }, "promote: already done this epoch");
      return true;
    }
    let board: Leaderboard;
    try {
      board = await this.read(bound);
    } catch (err) {
      this.log.error({ ...fields, status: "failed", error: decodeError(err) }, "cannot read the leaderboard");
      return false;
    }
    this.logDropped(board, source);

    const modelers = topModelers(board);
    if (modelers.length === 0) {
      this.log.warn({ ...fields, status: "skipped", reason: "no valid entry" }, "promote: nothing to promote");
      return false;
    }
    const hash = leaderboardHash(board);
    const result = await act(
      this.log,
      { ...fields, modelers, leaderboardHash: hash },
      () => this.market.promote(challengeId, modelers, hash),
      {
        retry: this.retry,
        signal,
        done: DONE_PROMOTE,
      },
    );
    if (result.outcome === "sent") report.promoted.push(challengeId);
    return result.outcome === "sent" || result.outcome === "already";
  }

  // ------------------------------------------------------------------ eviction and finalization

  /** For each challenge, once the epoch is final: evict its under-serving modelers, then store its totals. */
  private async settleAll(epoch: bigint, report: KeeperReport, signal?: AbortSignal) {
    const rpc = rpcRetry(this.log, this.retry, signal);
    const count = await rpc("challengeCount", () => this.market.contract.challengeCount());
    for (let challengeId = 1n; challengeId <= count; challengeId++) {
      if (signal?.aborted) return;
      const key = `${challengeId}/${epoch}`;
      if (this.settled.has(key)) continue;
      const candidates = await rpc("evictionCandidates", () => this.market.evictionCandidates(challengeId, epoch));
      let evictionsDone = true;
      for (const c of candidates) {
        if (signal?.aborted) return;
        const fields = {
          action: "evict",
          challengeId,
          epoch,
          listId: c.listId,
          index: c.index,
          modeler: c.modeler,
          points: c.points,
          answeredRequests: c.answeredRequests,
          threshold: c.threshold,
        };
        const result = await act(this.log, fields, () => this.market.evict(challengeId, epoch, c.listId, c.index), {
          retry: this.retry,
          signal,
          done: DONE_EVICT,
        });
        if (result.outcome === "sent") report.evicted.push({ challengeId, epoch, modeler: c.modeler });
        if (result.outcome === "failed" || result.outcome === "pending") evictionsDone = false;
      }
      if (signal?.aborted) return;
      if (evictionsDone && (await this.finalize(challengeId, epoch, report, signal))) this.settled.add(key);
    }
  }

  /** Finalizes an epoch that had requests; true when it is finalized (now or before). */
  private async finalize(challengeId: bigint, epoch: bigint, report: KeeperReport, signal?: AbortSignal) {
    const rpc = rpcRetry(this.log, this.retry, signal);
    const figures = await rpc("epochFigures", () => this.market.contract.epochFigures(challengeId, epoch));
    // An epoch without an answered request settled nothing and owes nobody anything: it needs no totals.
    if (figures.finalized || figures.answeredRequests === 0n) return true;
    const fields = { action: "finalize", challengeId, epoch, listId: figures.listId, points: figures.points };
    const result = await act(this.log, fields, () => this.market.finalize(challengeId, epoch), {
      retry: this.retry,
      signal,
      done: DONE_FINALIZE,
    });
    if (result.outcome === "sent") report.finalized.push(challengeId);
    return result.outcome === "sent" || result.outcome === "already";
  }

  // ------------------------------------------------------------------ refunds

  /**
   * Refunds the expired requests nobody answered. It reads blocks with enough confirmations only, and the last
   * SLA window again on every pass, so a request that a reorganisation moved (another block, another key) is
   * read again with its new key; one found with a stale key when refunded is read again on its own.
   */
  private async sweepRefunds(now: bigint, report: KeeperReport, signal?: AbortSignal) {
    const rpc = rpcRetry(this.log, this.retry, signal);
    const head = await rpc("blockNumber", () => this.market.provider.getBlockNumber());
    const safe = head - (this.options.confirmations ?? 0);
    const { sla } = await rpc("settings", () => this.market.timeConfig());
    const start = this.options.fromBlock ?? 0;
    this.windowBlock = await rpc("blockAt", () =>
      this.market.blockAt(now > sla ? now - sla : 0n, Math.max(start, this.windowBlock ?? 0)),
    );
    let from =
      this.cursor === undefined
        ? Math.max(start, safe - (this.options.lookbackBlocks ?? 10_000))
        : Math.min(this.cursor, this.windowBlock);
    const indexed = await this.options.history?.read("expiredUnrefunded", (c) => c.expiredUnrefunded(undefined, now));
    if (indexed) {
      for (const r of indexed.found) this.pending.set(r.requestId, r);
      from = Math.max(from, indexed.indexedBlock + 1);
    }
    if (from <= safe) {
      const made = await rpc("requestsMade", () =>
        this.market.requestsMade({ fromBlock: from, toBlock: safe, maxRange: this.options.logRange }),
      );
      for (const r of made) this.pending.set(r.requestId, r);
      this.cursor = safe + 1;
    }

    let budget = this.options.maxRefunds ?? 50;
    const due = [...this.pending.values()]
      .filter((r) => r.deadline < now)
      .sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
    for (const r of due) {
      if (signal?.aborted || budget === 0) return;
      const { status } = await rpc("requestState", () => this.market.requestState(r.requestId));
      if (status !== RequestStatus.Expired) {
        this.pending.delete(r.requestId);
        continue;
      }
      budget--;
      const fields = {
        action: "refund",
        requestId: r.requestId,
        challengeId: r.key.challengeId,
        requester: r.key.requester,
        fee: r.key.fee,
      };
      const result = await act(this.log, fields, () => this.market.refund(r.requestId, r.key), {
        retry: this.retry,
        signal,
        done: DONE_REFUND,
        stale: [MOVED],
      });
      if (result.outcome === "sent") report.refunded.push(r.requestId);
      if (result.outcome === "sent" || result.outcome === "already") this.pending.delete(r.requestId);
      else if (result.outcome === "stale") await this.reread(r, safe, signal);
      else if (result.outcome === "reverted") this.pending.delete(r.requestId);
    }
  }

  /** Reads a request's RequestMade again, from a little before where it was: a reorganisation moved it. */
  private async reread(r: MadeRequest, toBlock: number, signal?: AbortSignal) {
    const fromBlock = Math.max(this.options.fromBlock ?? 0, r.blockNumber - REREAD_BLOCKS);
    const found = await rpcRetry(
      this.log,
      this.retry,
      signal,
    )("requestsMade", () =>
      this.market.requestsMade({ requestId: r.requestId, fromBlock, toBlock, maxRange: this.options.logRange }),
    );
    const now = found[found.length - 1];
    if (now) this.pending.set(r.requestId, now);
    else this.pending.delete(r.requestId);
    this.log.info(
      {
        action: "refund",
        status: "re-read",
        requestId: r.requestId,
        requester: now?.key.requester,
        block: now?.blockNumber,
      },
      "refund: the request moved in a reorganisation; read again for the next pass",
    );
  }
}

const unknownChallenge = (challengeId: bigint, count: bigint) =>
  `challenge ${challengeId} does not exist (the market has ${count})`;

/** The chain time `report.nextAt` as a wait in milliseconds from the pass's `now`. */
export function waitMs(report: { now: bigint; nextAt: bigint }): number {
  return Number(report.nextAt - report.now) * 1000;
}
