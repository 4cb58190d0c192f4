/*
 * Typed queries over the indexer's GraphQL API (indexer/, Ponder), for the web app and the CLI. Every list that
 * can grow is read through Ponder's cursor pagination; figures come back as bigint, addresses checksummed.
 *
 * The web app's five main queries, timed by the benchmark: requestsBy, request, modelerEpochs,
 * challengeHistory and feeShares. The daemons' two: expiredUnrefunded (the keeper's refund sweep) and
 * openRequestsFor (the host agent's restart scan).
 *
 * A request's status "expired" (open, deadline passed) depends on the reader's clock: each query that returns
 * requests takes `now`, and without it uses the time of the last block the indexer has indexed.
 */
import { getAddress as getChecksum } from "ethers";
import {
  GraphqlTransport,
  META,
  PAGE_LIMIT,
  indexedTime,
  type IndexerClientOptions,
  type Meta,
} from "./indexer-client";
import {
  EPOCH_FIELDS,
  LIST_FIELDS,
  MODELER_FIELDS,
  REQUEST_WITH_ANSWERS,
  big,
  toEpoch,
  toList,
  toModeler,
  toRequest,
  type EpochRow,
  type ListRow,
  type ModelerRow,
  type RequestRow,
} from "./indexer-rows";
import { expiredUnrefunded, openRequestsFor } from "./indexer-scans";
import type {
  ChallengeHistory,
  EpochFeeShares,
  FeeClaim,
  IndexedModeler,
  IndexedOpenRequest,
  IndexedRequest,
  IndexedScan,
  ModelerEpoch,
  RequestPage,
} from "./indexer-types";
import { reward } from "./payouts";
import { FEE_KINDS, type FeeKind } from "./types";

export * from "./indexer-client";
export * from "./indexer-types";
export { statusAt } from "./indexer-rows";

const BPS = 10_000n;
const low = (address: string) => address.toLowerCase();

export class IndexerClient {
  readonly transport: GraphqlTransport;

  /** `url`: the indexer's base URL, such as http://127.0.0.1:42069 (GraphQL is at `/graphql`). */
  constructor(url?: string, options: IndexerClientOptions = {}) {
    this.transport = new GraphqlTransport(url, options);
  }

  get url(): string {
    return this.transport.url;
  }

  /** The market the indexer indexes, and the time of the last block it indexed. */
  async status(): Promise<{ market: string; chainId: number; indexedAt: bigint }> {
    const data = await this.transport.query<Meta & { markets: { items: { address: string; chainId: number }[] } }>(
      `{ markets(limit: 1) { items { address chainId } } ${META} }`,
    );
    const [m] = data.markets.items;
    return { market: m?.address ?? "", chainId: m?.chainId ?? 0, indexedAt: indexedTime(data) };
  }

  /** A requester's requests with their answers, newest first, one page (`after`: the previous page's `next`). */
  async requestsBy(
    requester: string,
    options: { limit?: number; after?: string | null; now?: bigint } = {},
  ): Promise<RequestPage> {
    const { items, next, extra } = await this.transport.collect(
      {
        requests: {
          field: "requests",
          select: REQUEST_WITH_ANSWERS,
          where: { requester: low(requester) },
          orderBy: "id",
          orderDirection: "desc",
          limit: Math.min(options.limit ?? 50, PAGE_LIMIT),
          after: options.after ?? null,
        },
      },
      options.now === undefined ? META : "",
    );
    const now = options.now ?? indexedTime(extra as Meta);
    return { requests: (items.requests as RequestRow[]).map((r) => toRequest(r, now)), next: next.requests };
  }

  /** One request with its answers; undefined when the indexer has no such request. */
  async request(requestId: bigint, options: { now?: bigint } = {}): Promise<IndexedRequest | undefined> {
    const data = await this.transport.query<Meta & { request: RequestRow | null }>(
      `{ request(id: "${BigInt(requestId)}") { ${REQUEST_WITH_ANSWERS} } ${options.now === undefined ? META : ""} }`,
    );
    return data.request ? toRequest(data.request, options.now ?? indexedTime(data)) : undefined;
  }

  /**
   * A modeler's epochs in a challenge, oldest first: every epoch it earned points in or its list served, with
   * the epoch's answered requests and the eviction threshold (to chart points against it), its reward and claim.
   */
  async modelerEpochs(challengeId: bigint, modeler: string): Promise<ModelerEpoch[]> {
    const c = String(challengeId);
    const m = low(modeler);
    const { items, extra } = await this.transport.collect(
      {
        epochs: { field: "challengeEpochs", select: EPOCH_FIELDS, where: { challengeId: c }, orderBy: "epoch" },
        lists: { field: "lists", select: "listId", where: { challengeId: c, members_has: m } },
        mine: {
          field: "modelerEpochs",
          select: "epoch points reward claimable claimed claimedAt",
          where: { challengeId: c, modeler: m },
        },
        evictions: { field: "evictions", select: "epoch", where: { challengeId: c, modeler: m } },
      },
      "markets(limit: 1) { items { evictionThresholdBps } }",
    );
    const thresholdBps = big(
      (extra.markets as { items: { evictionThresholdBps: string }[] }).items[0]?.evictionThresholdBps ?? "0",
    );
    const lists = new Set((items.lists as { listId: string }[]).map((l) => l.listId));
    type Mine = {
      epoch: string;
      points: string;
      reward: string | null;
      claimable: string | null;
      claimed: boolean;
      claimedAt: string | null;
    };
    const mine = new Map((items.mine as Mine[]).map((r) => [r.epoch, r]));
    const evicted = new Set((items.evictions as { epoch: string }[]).map((e) => e.epoch));
    const out: ModelerEpoch[] = [];
    for (const row of items.epochs as EpochRow[]) {
      const listed = lists.has(row.listId);
      const own = mine.get(row.epoch);
      if (!listed && !own) continue;
      const e = toEpoch(row);
      const points = own ? big(own.points) : 0n;
      const claimed = own?.claimed ?? false;
      // Until the epoch is finalized its reward moves with every answer; `claimableReward` computes it so.
      const claimable = own?.claimable != null ? big(own.claimable) : claimed ? 0n : reward(e.pool, points, e.points);
      out.push({
        challengeId: e.challengeId,
        modeler: getChecksum(modeler),
        epoch: e.epoch,
        listed,
        points,
        answeredRequests: e.answeredRequests,
        thresholdBps,
        threshold: (e.answeredRequests * thresholdBps + BPS - 1n) / BPS,
        totalPoints: e.points,
        pool: e.pool,
        finalized: e.finalized,
        reward: own?.reward != null ? big(own.reward) : null,
        claimable,
        claimed,
        claimedAt: own?.claimedAt != null ? big(own.claimedAt) : null,
        evicted: evicted.has(row.epoch),
      });
    }
    return out;
  }

  /** The challenges a modeler is listed or registered in, with its state in each. */
  async challengesOf(modeler: string): Promise<(IndexedModeler & { challengeId: bigint })[]> {
    const { items } = await this.transport.collect({
      modelers: {
        field: "modelers",
        select: `challengeId ${MODELER_FIELDS}`,
        where: { modeler: low(modeler) },
        orderBy: "challengeId",
      },
    });
    return (items.modelers as (ModelerRow & { challengeId: string })[]).map((r) => ({
      challengeId: big(r.challengeId),
      ...toModeler(r),
    }));
  }

  /** A challenge with its fee and admin histories, lists, modelers and per-epoch figures; undefined if unknown. */
  async challengeHistory(challengeId: bigint): Promise<ChallengeHistory | undefined> {
    const where = { challengeId: String(challengeId) };
    const placed = "timestamp blockNumber txHash";
    const { items, extra } = await this.transport.collect(
      {
        fees: { field: "feeChanges", select: `oldFee newFee ${placed}`, where, orderBy: "blockNumber" },
        admins: { field: "adminChanges", select: `previousAdmin newAdmin ${placed}`, where, orderBy: "blockNumber" },
        lists: { field: "lists", select: LIST_FIELDS, where, orderBy: "listId" },
        modelers: { field: "modelers", select: MODELER_FIELDS, where },
        epochs: { field: "challengeEpochs", select: EPOCH_FIELDS, where, orderBy: "epoch" },
      },
      `challenge(id: "${BigInt(challengeId)}") { id creator admin fee metadata listCount requestCount createdAt createdBlock }`,
    );
    const c = extra.challenge as Record<string, string> | null;
    if (!c) return undefined;
    type Placed = { timestamp: string; blockNumber: string; txHash: string };
    const at = (p: Placed) => ({ at: big(p.timestamp), blockNumber: Number(p.blockNumber), txHash: p.txHash });
    return {
      id: big(c.id),
      creator: getChecksum(c.creator),
      admin: getChecksum(c.admin),
      fee: big(c.fee),
      metadata: c.metadata,
      listCount: big(c.listCount),
      requestCount: big(c.requestCount),
      createdAt: big(c.createdAt),
      createdBlock: Number(c.createdBlock),
      fees: (items.fees as ({ oldFee: string | null; newFee: string } & Placed)[]).map((f) => ({
        oldFee: f.oldFee === null ? null : big(f.oldFee),
        newFee: big(f.newFee),
        ...at(f),
      })),
      admins: (items.admins as ({ previousAdmin: string | null; newAdmin: string } & Placed)[]).map((a) => ({
        previousAdmin: a.previousAdmin === null ? null : getChecksum(a.previousAdmin),
        newAdmin: getChecksum(a.newAdmin),
        ...at(a),
      })),
      lists: (items.lists as ListRow[]).map(toList),
      modelers: (items.modelers as ModelerRow[]).map(toModeler),
      epochs: (items.epochs as EpochRow[]).map(toEpoch),
    };
  }

  /** A challenge's fee shares per epoch, oldest first: each share's amount, claimable amount and claims. */
  async feeShares(challengeId: bigint): Promise<EpochFeeShares[]> {
    const where = { challengeId: String(challengeId) };
    const { items } = await this.transport.collect({
      epochs: { field: "challengeEpochs", select: EPOCH_FIELDS, where, orderBy: "epoch" },
      claims: {
        field: "feeClaims",
        select: "epoch kind recipient amount timestamp txHash",
        where,
        orderBy: "blockNumber",
      },
    });
    type ClaimRow = {
      epoch: string;
      kind: FeeKind;
      recipient: string;
      amount: string;
      timestamp: string;
      txHash: string;
    };
    const claims = new Map<string, FeeClaim[]>();
    for (const c of items.claims as ClaimRow[]) {
      const key = `${c.epoch}/${c.kind}`;
      if (!claims.has(key)) claims.set(key, []);
      claims
        .get(key)!
        .push({ recipient: getChecksum(c.recipient), amount: big(c.amount), at: big(c.timestamp), txHash: c.txHash });
    }
    return (items.epochs as EpochRow[]).map(toEpoch).map((e) => {
      const amounts: Record<FeeKind, bigint> = {
        creator: e.creatorShare,
        admin: e.adminShare,
        platform: e.platformShare,
      };
      const shares = Object.fromEntries(
        FEE_KINDS.map((kind) => [
          kind,
          {
            amount: amounts[kind],
            claimed: e.claimed[kind],
            claimable: e.claimed[kind] ? 0n : amounts[kind],
            claims: claims.get(`${e.epoch}/${kind}`) ?? [],
          },
        ]),
      ) as EpochFeeShares["shares"];
      return { epoch: e.epoch, finalized: e.finalized, settledFees: e.settledFees, pool: e.pool, shares };
    });
  }

  /**
   * Requests never answered nor refunded whose deadline is before `now` (of one challenge, or all): what the
   * keeper's refund sweep refunds. Oldest deadline first, with the last block indexed.
   */
  expiredUnrefunded(challengeId: bigint | undefined, now: bigint): Promise<IndexedScan<IndexedRequest>> {
    return expiredUnrefunded(this.transport, challengeId, now);
  }

  /**
   * Requests made at or after `since` on lists naming the given modelers, that such a modeler may answer and
   * has not answered yet (sdk/indexer-scans.ts), with the last block indexed. The host agent's scan.
   */
  openRequestsFor(
    pairs: readonly { challengeId: bigint; modeler: string }[],
    since: bigint,
    options: { now?: bigint; host?: string } = {},
  ): Promise<IndexedScan<IndexedOpenRequest>> {
    return openRequestsFor(this.transport, pairs, since, options);
  }
}
