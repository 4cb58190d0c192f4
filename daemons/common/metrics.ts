import { formatEther } from "ethers";
import pino, { type DestinationStream, type LevelWithSilent } from "pino";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { withTimeout, type Health } from "./health";
import { createLogger, type Logger } from "./logger";

export type DaemonName = "keeper" | "host";

/** A log line as the daemons write it: `action` and `status` name what was done. */
type Line = Record<string, unknown>;

const name = (metric: string) => `inference_market_${metric}`;

/** Seconds from a request to an answer, in chain time: the SLA is 600 s, and a later answer reverts. */
const DELAY_BUCKETS = [5, 10, 20, 30, 60, 120, 180, 300, 420, 540, 600];

/**
 * The daemon's Prometheus metrics. Counters are derived from its log lines (`destination` is a pino
 * destination that counts each line), so that every action is counted exactly where it is logged and the
 * daemons' code holds no metrics calls; the chain's figures (head lag, balance, pending transactions, health)
 * are read when Prometheus scrapes.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly destination: DestinationStream = { write: (line: string) => this.countLine(line) };
  /** What a line of `action/status` adds, beyond `actions_total`. */
  private readonly rules = new Map<string, (line: Line) => void>();
  private readonly actions: Counter<"action" | "status">;
  private readonly rpcErrors: Counter<"kind">;
  private readonly replacements: Counter;
  private readonly reorgs: Counter;

  constructor(daemon: DaemonName, health?: Health) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ daemon });
    collectDefaultMetrics({ register: this.registry });
    this.actions = new Counter({
      name: name("actions_total"),
      help: "Log lines by action and status: every action the daemon took, found done, skipped or failed",
      labelNames: ["action", "status"],
      registers,
    });
    this.rpcErrors = new Counter({
      name: name("rpc_errors_total"),
      help: "RPC errors retried with backoff, by kind (the error code, e.g. ECONNREFUSED, TIMEOUT, SERVER_ERROR)",
      labelNames: ["kind"],
      registers,
    });
    this.replacements = new Counter({
      name: name("transactions_replaced_total"),
      help: 'Transactions replaced at the same nonce with a higher fee (lines with status "replaced")',
      registers,
    });
    this.reorgs = new Counter({
      name: name("reorgs_total"),
      help: 'Chain reorganisations seen (lines with action "reorg")',
      registers,
    });
    if (daemon === "host") this.hostRules(registers);
    else this.keeperRules(registers);
    if (health) this.chainGauges(health, registers);
  }

  private countLine(text: string) {
    try {
      this.count(JSON.parse(text) as Line);
    } catch {
      // Counting rides on the log's write: a fault in it must never cost the daemon its log line or its action.
    }
  }

  private count(line: Line) {
    const { action, status } = line;
    if (typeof action !== "string") return;
    if (typeof status === "string") this.actions.inc({ action, status });
    if (status === "retrying" && typeof line.kind === "string") this.rpcErrors.inc({ kind: line.kind });
    if (status === "replaced") this.replacements.inc();
    if (action === "reorg") this.reorgs.inc();
    this.rules.get(`${action}/${String(status)}`)?.(line);
  }

  private on(action: string, status: string, rule: (line: Line) => void) {
    this.rules.set(`${action}/${status}`, rule);
  }

  private hostRules(registers: Registry[]) {
    const sent = new Counter({ name: name("answers_sent_total"), help: "Answers mined", registers });
    const late = new Counter({
      name: name("answers_late_total"),
      help: "Answers given up because their deadline passed before they could be mined",
      registers,
    });
    const batches = new Counter({
      name: name("answer_batches_total"),
      help: "answerBatch transactions mined",
      registers,
    });
    const delay = new Histogram({
      name: name("answer_delay_seconds"),
      help: "Chain time from a request to its answer's block",
      buckets: DELAY_BUCKETS,
      registers,
    });
    this.on("answer", "sent", (line) => {
      sent.inc();
      if (line.delayS !== undefined) delay.observe(Number(line.delayS));
    });
    const lateRule = (line: Line) => {
      if (line.late === true) late.inc();
    };
    this.on("answer", "skipped", lateRule);
    this.on("answer", "left-out", lateRule);
    this.on("answer", "cancelled", lateRule);
    this.on("answerBatch", "sent", () => batches.inc());
  }

  private keeperRules(registers: Registry[]) {
    const duties = [
      ["promote", "promotions_total", "Lists promoted"],
      ["evict", "evictions_total", "Modelers evicted"],
      ["finalize", "finalizations_total", "Epochs finalized"],
      ["refund", "refunds_total", "Expired requests refunded"],
    ] as const;
    for (const [action, metric, help] of duties) {
      const counter = new Counter({ name: name(metric), help: `${help} (transactions mined)`, registers });
      this.on(action, "sent", () => counter.inc());
    }
  }

  /** Gauges read on each scrape; a figure the RPC does not give is NaN, never a stale value. */
  private chainGauges(health: Health, registers: Registry[]) {
    new Gauge({
      name: name("healthy"),
      help: "1 when the RPC answers and the signer holds at least MIN_BALANCE_ETH, else 0 (as /healthz)",
      registers,
      async collect() {
        this.set((await health.check()).ok ? 1 : 0);
      },
    });
    new Gauge({
      name: name("head_lag_seconds"),
      help: "Wall clock minus the latest block's timestamp",
      registers,
      async collect() {
        const { chain } = await health.check();
        this.set(chain ? Date.now() / 1000 - chain.head.timestamp : NaN);
      },
    });
    new Gauge({
      name: name("signer_balance_eth"),
      help: "The signer's balance, in ETH",
      registers,
      async collect() {
        const { chain } = await health.check();
        this.set(chain ? Number(formatEther(chain.balance)) : NaN);
      },
    });
    new Gauge({
      name: name("pending_transactions"),
      help: "The signer's transactions sent and not yet mined (its pending nonce minus its latest)",
      registers,
      async collect() {
        const { provider, address, timeoutMs } = health;
        try {
          const [mined, sent] = await withTimeout(
            Promise.all([
              provider.getTransactionCount(address, "latest"),
              provider.getTransactionCount(address, "pending"),
            ]),
            timeoutMs,
          );
          this.set(sent - mined);
        } catch {
          this.set(NaN);
        }
      },
    });
  }
}

/**
 * The daemon's logger with its lines counted into `metrics`: `out` (stdout by default) gets the lines of
 * `level` and above, and the metrics every line of info and above whatever `level` is, so that the counters
 * do not depend on how verbose the log is.
 */
export function meteredLogger(daemon: string, level: string, metrics: Metrics, out?: DestinationStream): Logger {
  const { values } = pino.levels;
  const streams = pino.multistream<LevelWithSilent>([
    { level: level as LevelWithSilent, stream: out ?? pino.destination({ dest: 1, sync: true }) },
    { level: "info", stream: metrics.destination },
  ]);
  return createLogger(daemon, (values[level] ?? Infinity) < values.info ? level : "info", streams);
}
