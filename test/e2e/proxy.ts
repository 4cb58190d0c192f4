/*
 * A fault-injecting JSON-RPC proxy on loopback, between the daemons and a node: it drops requests, delays
 * them, answers 429 or 5xx, or forwards a request and loses the node's reply (the transaction is sent, the
 * sender never hears of it). Each fault has a rate; one seeded random source decides, so a run can be replayed.
 * Methods in `spare` (the test's own levers) pass untouched. It counts the calls it sees and the most it had
 * in flight at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Faults {
  /** The connection is closed with no reply, and nothing reaches the node. */
  drop?: number;
  /** The reply waits `delayMs` more. */
  delay?: number;
  delayMs?: number;
  /** 429 Too Many Requests, nothing reaches the node. */
  tooMany?: number;
  /** 502/503, nothing reaches the node. */
  serverError?: number;
  /** The request reaches the node; its reply is lost (the connection is closed). */
  lostReply?: number;
  /** Only these JSON-RPC methods meet faults; all of them when unset. */
  only?: readonly string[];
}

export type FaultKind = "drop" | "delay" | "tooMany" | "serverError" | "lostReply";

/** mulberry32: small, fast and good enough to pick faults reproducibly. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

export class FaultyRpc {
  /** What was injected, by kind, and by JSON-RPC method for the replies lost. */
  readonly injected: Record<FaultKind, number> = { drop: 0, delay: 0, tooMany: 0, serverError: 0, lostReply: 0 };
  readonly lostMethods: string[] = [];
  /** HTTP calls seen, and JSON-RPC requests in them (a batch holds several). */
  calls = 0;
  requests = 0;
  /** Calls the node did not answer (the proxy answered 502): faults of the node, not injected. */
  upstreamErrors = 0;
  /** JSON-RPC requests seen, by method. */
  readonly methods: Record<string, number> = {};
  /** Calls being handled now, and the most at once. */
  inFlight = 0;
  peak = 0;
  private readonly random: () => number;
  private server?: Server;
  /** Off while the test sets the scene; on while the daemons run. */
  enabled = true;

  constructor(
    private readonly upstream: string,
    private readonly faults: Faults,
    seed: number,
    private readonly spare: ReadonlySet<string> = new Set(),
  ) {
    this.random = seeded(seed);
  }

  /** Listens on a free loopback port; resolves with the proxy's URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Longer than any client keeps an idle connection: the client closes it first, so no call meets a connection
    // the proxy closed under it (a fault that nobody chose).
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private pick(methods: string[]): FaultKind | undefined {
    if (!this.enabled || methods.some((m) => this.spare.has(m))) return undefined;
    if (this.faults.only && !methods.some((m) => this.faults.only!.includes(m))) return undefined;
    const r = this.random();
    let edge = 0;
    for (const kind of ["drop", "tooMany", "serverError", "lostReply", "delay"] as const) {
      edge += this.faults[kind] ?? 0;
      if (r < edge) return kind;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    this.calls++;
    this.peak = Math.max(this.peak, ++this.inFlight);
    try {
      const text = await body(req);
      let methods: string[] = [];
      try {
        const parsed = JSON.parse(text) as { method?: string } | { method?: string }[];
        methods = (Array.isArray(parsed) ? parsed : [parsed]).map((p) => String(p.method));
        this.requests += methods.length;
        for (const m of methods) this.methods[m] = (this.methods[m] ?? 0) + 1;
      } catch {
        // Not JSON: the node answers it as it would.
      }
      const fault = this.pick(methods);
      if (fault) this.injected[fault]++;
      if (fault === "drop") return void req.socket.destroy();
      if (fault === "tooMany") return void res.writeHead(429, { "retry-after": "1" }).end("rate limited");
      if (fault === "serverError")
        return void res.writeHead(this.random() < 0.5 ? 502 : 503).end("upstream unavailable");
      if (fault === "delay") await new Promise((r) => setTimeout(r, this.faults.delayMs ?? 500));
      const reply = await fetch(this.upstream, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
      });
      const answer = await reply.text();
      if (fault === "lostReply") {
        this.lostMethods.push(...methods);
        return void req.socket.destroy();
      }
      res.writeHead(reply.status, { "content-type": "application/json" }).end(answer);
    } catch {
      this.upstreamErrors++;
      if (!res.headersSent) res.writeHead(502).end("proxy error");
    } finally {
      this.inFlight--;
    }
  }
}
