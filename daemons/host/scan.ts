import type { IndexedOpenRequest } from "../../sdk/indexer-types";
import { RequestStatus, type Market, type MadeRequest, type ModelerList, type OpenRequest } from "../../sdk/market";
import type { rpcRetry } from "../common/act";
import { limiter } from "../common/connect";
import type { IndexedHistory } from "../common/indexer";
import type { Logger } from "../common/logger";
import { keyOf, type Sender } from "./send";
import { servedKey, type ServedModeler } from "./served";

/** An RPC read with the agent's retry policy, named for its log lines. */
export type RpcRead = ReturnType<typeof rpcRetry>;

/** Requests whose state the log scan reads at once; the provider bounds the requests in flight on top of it. */
const SCAN_READS = 32;

export interface ScanOptions {
  market: Market;
  log: Logger;
  /** The modelers served, checked. */
  modelers: readonly ServedModeler[];
  /** What this instance answered, or has in flight: those pairs need no read. */
  sender: Sender;
  /** Requests taken up per pass at most: the log scan stops once it has found as many with work. */
  maxPerPass: number;
  /** No request is older than this block: the deployment's block. */
  fromBlock?: number;
  /** Blocks per eth_getLogs call. */
  logRange?: number;
  history?: IndexedHistory;
}

/** What one pass looks for: the open pairs of `host`'s served modelers at `now`, and which of them it `wanted`. */
export interface ScanPass {
  host: string;
  now: bigint;
  /** Whether the pass has work for a pair: the log scan counts the requests with such a pair. */
  wanted: (r: OpenRequest) => boolean;
  rpc: RpcRead;
}

/**
 * The host agent's search for the requests open to the modelers it serves, and its memory of the requests with
 * nothing left for it, so that a pass reads only what may have changed.
 */
export class Scanner {
  private readonly served: Set<string>;
  /** Requests with nothing left for this host, with their deadlines and challenges: not read again until a host event. */
  private readonly finished = new Map<bigint, { deadline: bigint; challengeId: bigint }>();
  /** Modelers naming this host that it does not serve, already logged. */
  private readonly ignored = new Set<string>();
  /** First block of the last SLA window found by the previous pass; the next search starts there. */
  private windowBlock: number;
  /** The next block to scan for HostChanged and ModelerRegistered events naming this host. */
  private eventsBlock?: number;
  /**
   * The head of this instance's first scan. No earlier instance of this host answered a request made after it,
   * so such a request's pairs need no state read: the ones this instance has not sent are open. (The modeler's
   * former host may have answered one before a host change: the batch's pre-flight finds it done.)
   */
  private firstHead?: number;
  /** The requests of the blocks read so far, in block order, and the last block read with its hash. */
  private made: MadeRequest[] = [];
  private readTo?: { block: number; hash: string };

  constructor(private readonly options: ScanOptions) {
    this.served = new Set(options.modelers.map((m) => servedKey(m.challengeId, m.modeler)));
    this.windowBlock = options.fromBlock ?? 0;
  }

  /** Drops the finished requests whose deadline is before `now`. */
  forget(now: bigint) {
    for (const [id, { deadline }] of this.finished) if (deadline < now) this.finished.delete(id);
  }

  /**
   * The (request, list position) pairs open to the modelers this host serves, most urgent first, among the
   * requests made in the last SLA window (`sla` seconds before `now`) up to block `head`.
   */
  async open(head: number, sla: bigint, pass: ScanPass): Promise<OpenRequest[]> {
    const { market, sender } = this.options;
    if (this.firstHead === undefined) {
      this.firstHead = head;
      sender.doubtUpTo(head);
    }
    await pass.rpc("hostEvents", () => this.relook(pass.host, head));
    // Every request that may still be open was made in the last SLA window.
    const windowStart = pass.now > sla ? pass.now - sla : 0n;
    this.windowBlock = await pass.rpc("blockAt", () => market.blockAt(windowStart, this.windowBlock));
    return this.openRequests(this.windowBlock, head, windowStart, pass);
  }

  /**
   * A request found with nothing to do is not read again, unless a `HostChanged` or `ModelerRegistered` event
   * since the last pass names this host: then every such request of that challenge is looked at again.
   */
  private async relook(host: string, head: number) {
    const from = this.eventsBlock;
    if (from === undefined || from > head) {
      this.eventsBlock ??= head + 1;
      return;
    }
    const challenges = await this.options.market.challengesNaming(host, {
      fromBlock: from,
      toBlock: head,
      maxRange: this.options.logRange,
    });
    this.eventsBlock = head + 1;
    // The modeler's former host may have answered the requests made before it named this one.
    if (challenges.length > 0) this.options.sender.doubtUpTo(head);
    for (const challengeId of challenges) {
      let again = 0;
      for (const [id, f] of this.finished) {
        if (f.challengeId !== challengeId) continue;
        this.finished.delete(id);
        again++;
      }
      this.options.log.info(
        { action: "relook", status: "done", challengeId, requests: again },
        "a modeler named this host: looking again at the challenge's requests",
      );
    }
  }

  /**
   * The (request, list position) pairs open to the modelers this host serves, most urgent first: from the
   * indexer, when there is one, up to its last block, and from the chain's logs after it. The log scan stops
   * once it has found as many requests with work for this pass (`wanted`) as a pass takes up.
   */
  private async openRequests(
    fromBlock: number,
    toBlock: number,
    since: bigint,
    pass: ScanPass,
  ): Promise<OpenRequest[]> {
    const indexed = await this.options.history?.read("openRequestsFor", (c) =>
      c.openRequestsFor(this.options.modelers, since, { now: pass.now, host: pass.host }),
    );
    const fromIndex = (indexed?.found ?? []).map(openRequest);
    const room = this.options.maxPerPass - new Set(fromIndex.filter(pass.wanted).map((r) => r.requestId)).size;
    const from = indexed ? Math.max(fromBlock, indexed.indexedBlock + 1) : fromBlock;
    const scanned = from <= toBlock && room > 0 ? await this.scanLogs(from, toBlock, room, pass) : [];
    const seen = new Set(scanned.map(keyOf));
    const found = [...scanned, ...fromIndex.filter((r) => !seen.has(keyOf(r)))];
    return found.sort(byUrgency);
  }

  /**
   * The pairs open to this host's modelers among the requests the logs of the range tell, read most urgent first,
   * `SCAN_READS` requests at a time, until `room` requests with work for this pass are found. Each read is retried
   * on its own: one RPC fault costs one read again, never the whole scan.
   */
  private async scanLogs(fromBlock: number, toBlock: number, room: number, pass: ScanPass): Promise<OpenRequest[]> {
    const { market } = this.options;
    const { now, rpc } = pass;
    const made = await this.madeIn(fromBlock, toBlock, rpc);
    const live = made
      .filter((r) => r.deadline > now && !this.finished.has(r.requestId))
      .sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
    const lists = new Map<string, Promise<ModelerList>>();
    const listOf = (challengeId: bigint, listId: bigint) => {
      const key = `${challengeId}/${listId}`;
      if (!lists.has(key))
        lists.set(
          key,
          rpc("list", () => market.list(challengeId, listId)),
        );
      return lists.get(key)!;
    };
    // Read by read rather than chunk by chunk: a read waiting for its retry holds up no other.
    const slot = limiter(SCAN_READS);
    let withWork = 0;
    const found = await Promise.all(
      live.map((r) =>
        slot(async () => {
          if (withWork >= room) return [];
          const pairs = await this.openPairs(r, listOf, pass);
          if (pairs.some(pass.wanted)) withWork++;
          return pairs;
        }),
      ),
    );
    return found.flat();
  }

  /**
   * The requests made in blocks `fromBlock` to `toBlock`: the window is read again only when a reorganisation
   * may have changed it, that is when the last block read no longer has the hash it had (a block's hash commits
   * to every block before it); otherwise only the blocks after it are read. The hash is read before the logs,
   * so it is never newer than they are: a reorganisation in between is seen on the next pass.
   */
  private async madeIn(fromBlock: number, toBlock: number, rpc: RpcRead): Promise<MadeRequest[]> {
    const { market } = this.options;
    const hashOf = async (block: number) =>
      (await rpc("block", () => market.provider.getBlock(block)))?.hash ?? undefined;
    let from = fromBlock;
    const last = this.readTo;
    if (last && last.block >= fromBlock - 1 && last.block <= toBlock && (await hashOf(last.block)) === last.hash)
      from = last.block + 1;
    else this.made = [];
    if (from <= toBlock) {
      const hash = await hashOf(toBlock);
      const fresh = await rpc("requestsMade", () =>
        market.requestsMade({ fromBlock: from, toBlock, maxRange: this.options.logRange }),
      );
      this.made.push(...fresh);
      this.readTo = hash === undefined ? undefined : { block: toBlock, hash };
    }
    this.made = this.made.filter((r) => r.blockNumber >= fromBlock);
    return this.made;
  }

  /** The pairs of request `r` still open to the modelers this host serves; none, and `r` is finished. */
  private async openPairs(
    r: MadeRequest,
    listOf: (challengeId: bigint, listId: bigint) => Promise<ModelerList>,
    pass: ScanPass,
  ): Promise<OpenRequest[]> {
    const { sender } = this.options;
    const host = pass.host.toLowerCase();
    const challengeId = r.key.challengeId;
    const naming = (await listOf(challengeId, r.key.listId)).members.filter((m) => m.host.toLowerCase() === host);
    for (const m of naming)
      if (!this.served.has(servedKey(challengeId, m.modeler))) this.ignore(challengeId, m.modeler);
    const mine = naming.filter(
      (m) => this.served.has(servedKey(challengeId, m.modeler)) && !m.evicted && m.optedInAt <= r.createdAt,
    );
    if (mine.length === 0) {
      this.finished.set(r.requestId, { deadline: r.deadline, challengeId });
      return [];
    }
    // What this instance saw answered, or has in flight, needs no read: only the other pairs may have changed.
    const pairs = mine.map((m) => ({ ...r, index: m.index, modeler: m.modeler }));
    if (pairs.every((p) => sender.answered(p))) {
      this.finished.set(r.requestId, { deadline: r.deadline, challengeId });
      return [];
    }
    const unknown = pairs.filter((p) => sender.pending(p));
    if (unknown.length === 0 || r.blockNumber > this.firstHead!) return unknown;
    const { status, answered } = await pass.rpc("requestState", () => this.options.market.requestState(r.requestId));
    if (status !== RequestStatus.Open && status !== RequestStatus.Answered) return [];
    if (mine.every((m) => answered.includes(m.index)))
      this.finished.set(r.requestId, { deadline: r.deadline, challengeId });
    return unknown.filter((p) => !answered.includes(p.index));
  }

  private ignore(challengeId: bigint, modeler: string) {
    const key = servedKey(challengeId, modeler);
    if (this.ignored.has(key)) return;
    this.ignored.add(key);
    this.options.log.warn(
      { action: "modeler", status: "ignored", challengeId, modeler },
      `modeler ${modeler} names this host in challenge ${challengeId} but is not served (not in --modelers)`,
    );
  }
}

/**
 * Deadline first, then request, then list position: the order in which the pass takes requests up, with the
 * pairs of a request side by side so that one model run answers them all.
 */
function byUrgency(a: OpenRequest, b: OpenRequest): number {
  if (a.deadline !== b.deadline) return a.deadline < b.deadline ? -1 : 1;
  if (a.requestId !== b.requestId) return a.requestId < b.requestId ? -1 : 1;
  return a.index - b.index;
}

/** An indexed request as the log scan gives it: what an answer needs, without its history. */
function openRequest(r: IndexedOpenRequest): OpenRequest {
  const { requestId, key, input, createdAt, deadline, blockNumber, txHash, index, modeler } = r;
  return { requestId, key, input, createdAt, deadline, blockNumber, txHash, index, modeler };
}
