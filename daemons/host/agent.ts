import { setMaxListeners } from "node:events";
import { isAddress, getAddress, type Signer } from "ethers";
import type { IndexedOpenRequest } from "../../sdk/indexer-types";
import { Market, RequestStatus, type MadeRequest, type ModelerList, type OpenRequest } from "../../sdk/market";
import { ERROR_CODES, decodeText, type ErrorCode } from "../../sdk/text";
import { rpcRetry } from "../common/act";
import { ConfigError } from "../common/config";
import { limiter } from "../common/connect";
import type { IndexedHistory } from "../common/indexer";
import type { Transactor } from "../common/transactor";
import type { Logger } from "../common/logger";
import { DEFAULT_RETRY, type RetryOptions } from "../common/retry";
import { isAbort, sleep } from "../common/sleep";
import {
  DEFAULT_MAX_INPUT_BYTES,
  answerFor,
  errorOutcome,
  inputTooLong,
  readOnly,
  type Model,
  type ModelContext,
  type Outcome,
} from "./model";
import { checkNamed } from "./naming";
import { Sender, keyOf, type HostReport, type Ready } from "./send";
import { Summary } from "./summary";

export type { HostReport } from "./send";

/** A modeler that the host's operator chose to serve, in one challenge. */
export interface ServedModeler {
  challengeId: bigint;
  modeler: string;
}

/**
 * The sends of one pass, one after the other in `queue`. A send that fails for good (an RPC fault that outlasts
 * its retries) is kept in `failure` and aborts `halt`: no chunk starts or sends after it, and the pass throws it.
 */
interface Sends {
  queue: Promise<void>;
  halt: AbortController;
  failure?: { err: unknown };
}

/** An RPC read with the agent's retry policy, named for its log lines. */
type RpcRead = ReturnType<typeof rpcRetry>;

/** The agent's clock: waits `ms`, or rejects with an AbortError once `signal` aborts. */
export type Clock = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface HostAgentOptions {
  /** The host's key: the address its modelers name as their host. */
  signer: Signer;
  /** The market's address. */
  market: string;
  model: Model;
  log: Logger;
  /**
   * The modelers this host serves, per challenge: its operator's choice, required. A modeler naming this host
   * that is not on this list gets nothing (PROTOCOL "A host serves only the modelers that its operator chose").
   */
  modelers: readonly ServedModeler[];
  /** No request is older than this block: the deployment's block. */
  fromBlock?: number;
  /** Blocks per eth_getLogs call. */
  logRange?: number;
  /** Answers per transaction at most (1 to 50); the models of one batch run at once. */
  batchSize?: number;
  /**
   * Seconds kept before a deadline for the answer to be mined (default 10): a request with less left is
   * skipped, and the model's time budget ends this long before the deadline.
   */
  marginS?: number;
  /**
   * The longest a model may take on one request, in seconds (default 60). A request's budget is the shorter
   * of this and its time left less the margin; a model still running when it is spent gets a timeout answer.
   */
  modelTimeoutS?: number;
  retry?: RetryOptions;
  /**
   * Whether a pass waits for its transactions to be mined (default true). The daemon sets false: a pass then
   * returns once its batches are sent, and answers in flight stay out of later passes until their receipt.
   */
  waitMined?: boolean;
  /** The agent's clock, for the models' `ctx.sleep` and the time budgets: real time by default, chain time in the demo. */
  sleep?: Clock;
  /** Real milliseconds between two summaries at info (default a minute). */
  summaryMs?: number;
  /** Real milliseconds between two checks that a served modeler names this host (default an hour). */
  namedCheckMs?: number;
  /** Each pass finds the open requests in the indexer up to its last block, and in the logs after it. */
  history?: IndexedHistory;
  /** Sends the answers with its fees, nonces, replacements and cancels; without, the signer sends as it is. */
  transactor?: Transactor;
  /** Blocks on top of a block before the agent reads its requests (default 0). */
  confirmations?: number;
  /**
   * Requests taken up per pass at most (default 200), most urgent first: the others stay open and wait for the
   * next pass, so that a flood of requests never turns a pass into more work than it can finish.
   */
  maxPerPass?: number;
  /** The longest input the model is given, in bytes (default 16384); a longer one gets an error answer. */
  maxInputBytes?: number;
}

export const MAX_BATCH = 50;
export const DEFAULT_MODEL_TIMEOUT_S = 60;
export const DEFAULT_MAX_PER_PASS = 200;
/** Requests whose state the log scan reads at once; the provider bounds the requests in flight on top of it. */
const SCAN_READS = 32;

/** `challengeId/modeler` in lower case. */
const servedKey = (challengeId: bigint, modeler: string) => `${challengeId}/${modeler.toLowerCase()}`;

/** The modelers list checked: non-empty, positive challenge ids, addresses; repeats dropped. */
export function checkServed(modelers: readonly ServedModeler[] | undefined): ServedModeler[] {
  if (!modelers || modelers.length === 0) {
    throw new ConfigError(
      "no modelers to serve: give the modelers this host answers for, per challenge (--modelers 1:0xabc…,2:0xdef…, or MODELERS); " +
        "a modeler naming this host does not make it work for it",
    );
  }
  const seen = new Map<string, ServedModeler>();
  for (const m of modelers) {
    if (typeof m.challengeId !== "bigint" || m.challengeId <= 0n)
      throw new ConfigError(`modelers: challenge id ${String(m.challengeId)} is not a positive whole number`);
    if (!isAddress(m.modeler)) throw new ConfigError(`modelers: "${m.modeler}" is not an address`);
    seen.set(servedKey(m.challengeId, m.modeler), { challengeId: m.challengeId, modeler: getAddress(m.modeler) });
  }
  return [...seen.values()];
}

/**
 * The host agent in the spirit of Spectral's Nova: one pass per `tick()` finds every request open to the
 * modelers it serves in the last SLA window (so a restart loses nothing), runs the model on each within a
 * time budget, and answers every one still in time, in batches: with the model's output, or with an error
 * output (sdk/text) when the model rejects the input, fails or runs out of time. Before answering it reads
 * which modelers already answered, and a `MarketAlreadyAnswered` counts as done, so nothing is answered
 * twice. Time is the chain's; the models' time is the agent's clock.
 */
export class HostAgent {
  readonly market: Market;
  /** The modelers served, checked. */
  readonly modelers: readonly ServedModeler[];
  private readonly log: Logger;
  private readonly retry: RetryOptions;
  private readonly batchSize: number;
  private readonly marginS: bigint;
  private readonly modelTimeoutMs: number;
  private readonly maxPerPass: number;
  private readonly maxInputBytes: number;
  private readonly served: Set<string>;
  private readonly clock: Clock;
  private readonly sender: Sender;
  private readonly waitMined: boolean;
  /** Requests with nothing left for this host, with their deadlines and challenges: not read again until a host event. */
  private readonly finished = new Map<bigint, { deadline: bigint; challengeId: bigint }>();
  /** Modelers naming this host that it does not serve, already logged. */
  private readonly ignored = new Set<string>();
  /** First block of the last SLA window found by the previous pass; the next search starts there. */
  private windowBlock: number;
  /** The next block to scan for HostChanged and ModelerRegistered events naming this host. */
  private eventsBlock?: number;
  private host?: string;
  private readonly summary: Summary;
  /** When (real time) the agent last checked that a served modeler names it. */
  private namedCheckedAt?: number;

  constructor(private readonly options: HostAgentOptions) {
    this.modelers = checkServed(options.modelers);
    this.served = new Set(this.modelers.map((m) => servedKey(m.challengeId, m.modeler)));
    this.market = Market.connect(options.market, options.signer);
    this.log = options.log;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > MAX_BATCH) {
      throw new ConfigError(`batchSize must be 1 to ${MAX_BATCH}, got ${this.batchSize}`);
    }
    this.marginS = BigInt(options.marginS ?? 10);
    const timeoutS = options.modelTimeoutS ?? DEFAULT_MODEL_TIMEOUT_S;
    if (!Number.isInteger(timeoutS) || timeoutS < 1)
      throw new ConfigError(`modelTimeoutS must be a whole number of seconds, at least 1, got ${timeoutS}`);
    this.modelTimeoutMs = timeoutS * 1000;
    this.maxPerPass = positive(options.maxPerPass ?? DEFAULT_MAX_PER_PASS, "maxPerPass");
    this.maxInputBytes = positive(options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES, "maxInputBytes");
    this.clock = options.sleep ?? sleep;
    this.windowBlock = options.fromBlock ?? 0;
    this.waitMined = options.waitMined ?? true;
    this.sender = new Sender(this.market, this.log, this.retry, options.transactor);
    this.summary = new Summary(this.log, options.summaryMs ?? 60_000);
  }

  /** One pass; the summary of the passes is logged when due. */
  async tick(signal?: AbortSignal): Promise<HostReport> {
    try {
      const report = await this.pass(signal && listenable(signal));
      this.summary.passed(report, this.sender.mined());
      return report;
    } catch (err) {
      if (!isAbort(err)) this.summary.failed();
      throw err;
    } finally {
      this.summary.logIfDue();
    }
  }

  private async pass(signal?: AbortSignal): Promise<HostReport> {
    const rpc = rpcRetry(this.log, this.retry, signal);
    this.host ??= await this.options.signer.getAddress();
    const checkMs = this.options.namedCheckMs ?? 3_600_000;
    if (this.namedCheckedAt === undefined || Date.now() - this.namedCheckedAt >= checkMs) {
      await rpc("modelerInfo", () => checkNamed(this.market, this.host!, this.modelers, this.log));
      this.namedCheckedAt = Date.now();
    }
    const { sla } = await rpc("settings", () => this.market.timeConfig());
    // Requests are read from blocks with enough confirmations only: one a reorganisation drops is never answered.
    const head =
      (await rpc("blockNumber", () => this.market.provider.getBlockNumber())) - (this.options.confirmations ?? 0);
    const now = await rpc("now", () => this.market.now());
    const report: HostReport = { now, answered: [], errors: [], transactions: 0, skipped: [] };
    for (const [id, { deadline }] of this.finished) if (deadline < now) this.finished.delete(id);
    this.sender.forget(now);

    await rpc("hostEvents", () => this.relook(head));
    // Every request that may still be open was made in the last SLA window.
    const windowStart = now > sla ? now - sla : 0n;
    this.windowBlock = await rpc("blockAt", () => this.market.blockAt(windowStart, this.windowBlock));
    const wanted = (r: OpenRequest) => this.sender.pending(r) && r.deadline >= now + this.marginS;
    const open = await this.openRequests(this.windowBlock, head, windowStart, now, wanted, rpc);
    // Whole requests, most urgent first, up to the pass's share; the others stay open for the next pass.
    const due: OpenRequest[] = [];
    const taken = new Set<bigint>();
    const later = new Set<bigint>();
    for (const r of open) {
      if (!this.sender.pending(r) || this.tooClose(r, now, report)) continue;
      if (!taken.has(r.requestId) && taken.size >= this.maxPerPass) {
        later.add(r.requestId);
        continue;
      }
      taken.add(r.requestId);
      due.push(r);
    }
    if (later.size > 0)
      this.log.debug(
        { action: "tick", status: "deferred", taken: taken.size, later: later.size, maxPerPass: this.maxPerPass },
        "more requests than a pass takes up: the others wait for the next pass",
      );
    // Chunk after chunk, most urgent first; each answer is sent by the end of its budget, and the pass does
    // not wait for the transactions to be mined: answers in flight stay out of the next passes until their receipt.
    // A chunk's models run while the chunk before it is sent: a send held up by the RPC holds up no model.
    const sends: Sends = { queue: Promise.resolve(), halt: new AbortController() };
    for (let i = 0; i < due.length && !signal?.aborted && !sends.halt.signal.aborted; i += this.batchSize) {
      await this.answerChunk(due.slice(i, i + this.batchSize), report, sends, signal);
    }
    await sends.queue;
    if (sends.failure && !signal?.aborted) throw sends.failure.err;
    if (this.waitMined || signal?.aborted) await this.sender.mined();
    return report;
  }

  /**
   * A request found with nothing to do is not read again, unless a `HostChanged` or `ModelerRegistered` event
   * since the last pass names this host: then every such request of that challenge is looked at again.
   */
  private async relook(head: number) {
    const from = this.eventsBlock;
    if (from === undefined || from > head) {
      this.eventsBlock ??= head + 1;
      return;
    }
    const challenges = await this.market.challengesNaming(this.host!, {
      fromBlock: from,
      toBlock: head,
      maxRange: this.options.logRange,
    });
    this.eventsBlock = head + 1;
    for (const challengeId of challenges) {
      let again = 0;
      for (const [id, f] of this.finished) {
        if (f.challengeId !== challengeId) continue;
        this.finished.delete(id);
        again++;
      }
      this.log.info(
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
    now: bigint,
    wanted: (r: OpenRequest) => boolean,
    rpc: RpcRead,
  ): Promise<OpenRequest[]> {
    const indexed = await this.options.history?.read("openRequestsFor", (c) =>
      c.openRequestsFor(this.modelers, since, { now, host: this.host }),
    );
    const fromIndex = (indexed?.found ?? []).map(openRequest);
    const room = this.maxPerPass - new Set(fromIndex.filter(wanted).map((r) => r.requestId)).size;
    const from = indexed ? Math.max(fromBlock, indexed.indexedBlock + 1) : fromBlock;
    const scanned = from <= toBlock && room > 0 ? await this.scanLogs(from, toBlock, now, room, wanted, rpc) : [];
    const seen = new Set(scanned.map(keyOf));
    const found = [...scanned, ...fromIndex.filter((r) => !seen.has(keyOf(r)))];
    return found.sort(byUrgency);
  }

  /**
   * The pairs open to this host's modelers among the requests the logs of the range tell, read most urgent first,
   * `SCAN_READS` requests at a time, until `room` requests with work for this pass are found. Each read is retried
   * on its own: one RPC fault costs one read again, never the whole scan.
   */
  private async scanLogs(
    fromBlock: number,
    toBlock: number,
    now: bigint,
    room: number,
    wanted: (r: OpenRequest) => boolean,
    rpc: RpcRead,
  ): Promise<OpenRequest[]> {
    const made = await rpc("requestsMade", () =>
      this.market.requestsMade({ fromBlock, toBlock, maxRange: this.options.logRange }),
    );
    const live = made
      .filter((r) => r.deadline > now && !this.finished.has(r.requestId))
      .sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
    const lists = new Map<string, Promise<ModelerList>>();
    const listOf = (challengeId: bigint, listId: bigint) => {
      const key = `${challengeId}/${listId}`;
      if (!lists.has(key))
        lists.set(
          key,
          rpc("list", () => this.market.list(challengeId, listId)),
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
          const pairs = await this.openPairs(r, listOf, rpc);
          if (pairs.some(wanted)) withWork++;
          return pairs;
        }),
      ),
    );
    return found.flat();
  }

  /** The pairs of request `r` still open to the modelers this host serves; none, and `r` is finished. */
  private async openPairs(
    r: MadeRequest,
    listOf: (challengeId: bigint, listId: bigint) => Promise<ModelerList>,
    rpc: RpcRead,
  ): Promise<OpenRequest[]> {
    const host = this.host!.toLowerCase();
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
    if (pairs.every((p) => this.sender.answered(p))) {
      this.finished.set(r.requestId, { deadline: r.deadline, challengeId });
      return [];
    }
    const unknown = pairs.filter((p) => this.sender.pending(p));
    if (unknown.length === 0) return [];
    const { status, answered } = await rpc("requestState", () => this.market.requestState(r.requestId));
    if (status !== RequestStatus.Open && status !== RequestStatus.Answered) return [];
    if (mine.every((m) => answered.includes(m.index)))
      this.finished.set(r.requestId, { deadline: r.deadline, challengeId });
    return unknown.filter((p) => !answered.includes(p.index));
  }

  /** Skips `r`, logged once, when it has less than the margin left at `now`: too close to risk an answer. */
  private tooClose(r: OpenRequest, now: bigint, report: HostReport): boolean {
    if (r.deadline >= now + this.marginS) return false;
    this.sender.skip(r, report, `only ${r.deadline - now} s left, margin ${this.marginS} s`);
    this.summary.tooClose(keyOf(r));
    return true;
  }

  private ignore(challengeId: bigint, modeler: string) {
    const key = servedKey(challengeId, modeler);
    if (this.ignored.has(key)) return;
    this.ignored.add(key);
    this.log.warn(
      { action: "modeler", status: "ignored", challengeId, modeler },
      `modeler ${modeler} names this host in challenge ${challengeId} but is not served (not in --modelers)`,
    );
  }

  /**
   * Runs the model on each request of the chunk at once, once for all the pairs of a request (the modelers a
   * host serves share its model, and a request's input and block are the same for each), each within its time
   * budget: the shorter of --model-timeout-s and its time left less the margin, on the agent's clock. Whenever a
   * budget ends, every answer ready so far is queued for sending (the model still running gets a timeout answer);
   * the rest go once every model is done. So each answer is queued by the end of its own budget, whatever the
   * other models of the chunk do. Returns once every answer of the chunk is queued.
   */
  private async answerChunk(due: OpenRequest[], report: HostReport, sends: Sends, signal?: AbortSignal) {
    const now = await rpcRetry(this.log, this.retry, signal)("now", () => this.market.now());
    // The chunks before this one took time: what now has less than the margin left is skipped.
    const chunk = due.filter((r) => !this.tooClose(r, now, report));
    if (chunk.length === 0) return;
    const provider = readOnly(this.market.provider, rpcRetry(this.log, this.retry, signal));
    // Ends every timer and model wait of the chunk: once it is done, or when the daemon stops.
    const stop = new AbortController();
    const stopAll = () => stop.abort();
    signal?.addEventListener("abort", stopAll, { once: true });
    sends.halt.signal.addEventListener("abort", stopAll, { once: true });

    interface Item {
      r: OpenRequest;
      outcome?: Outcome;
      sent: boolean;
    }
    /** One model run for the pairs of one request: the input and the block it reads are the request's. */
    interface Run {
      r: OpenRequest;
      items: Item[];
      /** Ends the budget's timer: once the answers are sent. */
      timer: AbortController;
      /** Ends the model's waits: once the agent stops waiting for it. */
      model: AbortController;
    }
    const items: Item[] = chunk.map((r) => ({ r, outcome: this.sender.cached(r), sent: false }));
    const runs = new Map<bigint, Run>();
    for (const item of items) {
      if (item.outcome !== undefined) continue;
      const run = runs.get(item.r.requestId);
      if (run) run.items.push(item);
      else
        runs.set(item.r.requestId, {
          r: item.r,
          items: [item],
          timer: new AbortController(),
          model: new AbortController(),
        });
    }
    const flush = () => {
      const ready = items.filter((i) => i.outcome !== undefined && !i.sent);
      if (ready.length === 0 || stop.signal.aborted) return;
      for (const i of ready) {
        i.sent = true;
        runs.get(i.r.requestId)?.timer.abort();
      }
      const batch: Ready[] = ready.map((i) => ({ r: i.r, output: i.outcome!.output }));
      sends.queue = sends.queue
        .then(() => this.sender.send(batch, report, signal))
        .catch((err: unknown) => {
          sends.failure ??= { err };
          sends.halt.abort();
        });
    };

    await new Promise<void>((resolveChunk) => {
      stop.signal.addEventListener("abort", () => resolveChunk(), { once: true });
      let unsettled = items.filter((i) => i.outcome === undefined).length;
      const settle = (run: Run, outcome: Outcome) => {
        if (run.model.signal.aborted || stop.signal.aborted) return;
        run.model.abort();
        for (const item of run.items) {
          item.outcome = outcome;
          this.sender.keep(item.r, outcome.output);
          if (outcome.error) this.noResult(item.r, outcome.error.code, outcome.error.detail, report);
          unsettled--;
        }
        if (unsettled === 0) {
          flush();
          resolveChunk();
        }
      };
      let timedOut = false;
      for (const run of runs.values()) {
        const { r } = run;
        // Answered without the model, and sent with the chunk's other answers: nothing presses.
        const tooLong = inputTooLong(r.input, this.maxInputBytes);
        if (tooLong) {
          settle(run, tooLong);
          continue;
        }
        const leftMs = Number(r.deadline - this.marginS - now) * 1000;
        const budgetMs = Math.min(this.modelTimeoutMs, leftMs);
        if (budgetMs <= 0) {
          settle(run, errorOutcome(ERROR_CODES.timeout, "no time left for the model before the deadline"));
          timedOut = true;
          continue;
        }
        const modelSignal = AbortSignal.any([run.model.signal, stop.signal]);
        const ctx: ModelContext = {
          provider,
          blockTag: r.blockNumber,
          requestId: r.requestId,
          challengeId: r.key.challengeId,
          sleep: (ms) => this.clock(ms, modelSignal),
          signal: modelSignal,
        };
        this.clock(budgetMs, AbortSignal.any([run.timer.signal, stop.signal])).then(
          () => {
            settle(run, errorOutcome(ERROR_CODES.timeout, `the model gave no result within ${budgetMs / 1000} s`));
            flush();
          },
          () => undefined,
        );
        // A model that the agent stopped waiting for may still settle: its result is not used.
        answerFor(this.options.model, decodeText(r.input), ctx).then((outcome) => settle(run, outcome));
      }
      if (timedOut) flush();
      if (unsettled === 0) {
        flush();
        resolveChunk();
      }
    });
    stop.abort();
    signal?.removeEventListener("abort", stopAll);
    sends.halt.signal.removeEventListener("abort", stopAll);
  }

  /** Logs once why a request gets an error answer, and counts it in the pass's report. */
  private noResult(r: OpenRequest, code: ErrorCode, detail: string, report: HostReport) {
    const id = keyOf(r);
    report.errors.push({ id, code });
    if (!this.sender.once(`${id}:error`, r.deadline)) return;
    const fields = {
      action: "model",
      status: code,
      requestId: r.requestId,
      challengeId: r.key.challengeId,
      modeler: r.modeler,
      index: r.index,
      detail,
    };
    const msg = "model: no result, answering with an error output";
    if (code === ERROR_CODES.invalidInput) this.log.info(fields, msg);
    else this.log.warn(fields, msg);
  }
}

/**
 * `signal`, as a signal that many may listen to: each read waiting for its retry does, and the scan and a batch
 * of models read many at once (past Node's default of 10, it warns of a leak).
 */
function listenable(signal: AbortSignal): AbortSignal {
  const own = AbortSignal.any([signal]);
  setMaxListeners(0, own);
  return own;
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

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what} must be a positive whole number, got ${n}`);
  return n;
}

/** An indexed request as the log scan gives it: what an answer needs, without its history. */
function openRequest(r: IndexedOpenRequest): OpenRequest {
  const { requestId, key, input, createdAt, deadline, blockNumber, txHash, index, modeler } = r;
  return { requestId, key, input, createdAt, deadline, blockNumber, txHash, index, modeler };
}
