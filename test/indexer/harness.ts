/*
 * The indexer as `npm run indexer:start` runs it, minus npm: one Ponder process, so its process group ends
 * with it. It is a child of the e2e harness against a real node, with PGlite in a temporary folder
 * of its own; `Indexer` also reads its HTTP API: GraphQL, /ready and /status.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Proc, ROOT, childEnv, freePort } from "../e2e/harness";

const PONDER = join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

export interface IndexerOptions {
  /** The deployment file to index. */
  deployment: string;
  rpcUrl: string;
  /** PostgreSQL instead of PGlite; each start writes to a schema of its own there. */
  databaseUrl?: string;
}

/** A GraphQL list field's page, as Ponder returns it. */
interface Page<T> {
  items: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export class Indexer {
  private constructor(
    readonly proc: Proc,
    readonly url: string,
    /** The PGlite folder, removed by `stop()`. */
    readonly dir: string,
    /** Milliseconds from the spawn to /ready answering 200: Ponder's start-up with the backfill. */
    readonly readyMs: number,
  ) {}

  /** Starts the indexer and resolves once /ready says the backfill is done. */
  static async start(options: IndexerOptions, timeoutMs = 120_000): Promise<Indexer> {
    const dir = mkdtempSync(join(tmpdir(), "indexer-"));
    // Ponder refuses a schema that another build wrote, and would resume one that this build wrote on an earlier
    // chain: a new schema each start. PGlite starts empty in its new folder anyway.
    const schema = options.databaseUrl ? `test_${process.pid}_${Date.now()}` : "market";
    const started = Date.now();
    // In indexer/, as npm runs it; `exec` leaves one process, the shell replaced by Ponder.
    const proc = new Proc(
      "indexer",
      "/bin/sh",
      [
        "-c",
        'cd indexer && exec "$0" "$@"',
        process.execPath,
        PONDER,
        "start",
        "--schema",
        schema,
        "--log-format",
        "json",
      ],
      childEnv({
        PONDER_TELEMETRY_DISABLED: "true",
        DEPLOYMENT: options.deployment,
        RPC_URL: options.rpcUrl,
        PGLITE_DIR: join(dir, "pglite"),
        PORT: String(await freePort()),
        // Only the test chooses the database: a developer's own settings never reach it.
        DATABASE_URL: options.databaseUrl ?? "",
        DATABASE_PRIVATE_URL: "",
      }),
      500,
    );
    try {
      // Ponder moves to the next port when another process took ours meanwhile: its log says which.
      const created = await proc.waitForLog((l) => l.msg === "Created HTTP server", "the HTTP server", timeoutMs);
      const url = `http://127.0.0.1:${created.port}`;
      await waitUntil(proc, "/ready", started + timeoutMs, async () => (await fetch(`${url}/ready`)).status === 200);
      return new Indexer(proc, url, dir, Date.now() - started);
    } catch (err) {
      await end(proc).finally(() => rmSync(dir, { recursive: true, force: true }));
      throw err;
    }
  }

  /** The last block indexed. */
  async indexedBlock(): Promise<number> {
    const status = (await (await fetch(`${this.url}/status`)).json()) as Record<string, { block: { number: number } }>;
    const [chain] = Object.values(status);
    return chain?.block.number ?? -1;
  }

  /** Resolves once the indexer has indexed `block`; returns how long it took. */
  async waitForBlock(block: number, timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    await waitUntil(this.proc, `block ${block}`, started + timeoutMs, async () => (await this.indexedBlock()) >= block);
    return Date.now() - started;
  }

  /** A GraphQL query's data; GraphQL errors throw. */
  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length || !body.data) {
      throw new Error(`GraphQL: ${body.errors?.map((e) => e.message).join("; ") ?? res.statusText}\n${query}`);
    }
    return body.data;
  }

  /** Every row of a table's list field (`requests`, `answers`…), one page of up to 1000 at a time. */
  async all<T>(field: string, selection: string, args = ""): Promise<T[]> {
    const rows: T[] = [];
    for (let after: string | null = null; ;) {
      const data: Record<string, Page<T>> = await this.query(
        `query ($after: String) { ${field}(limit: 1000, after: $after ${args}) { items { ${selection} } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const page = data[field];
      rows.push(...page.items);
      if (!page.pageInfo.hasNextPage) return rows;
      after = page.pageInfo.endCursor;
    }
  }

  async stop(): Promise<void> {
    try {
      await end(this.proc);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * SIGTERM (Ponder shuts down within 5 s), then `Proc.stop`, which SIGKILLs what is left and checks that the
 * group is gone. In between, a wait: Vite's esbuild service, Ponder's own child, outlives Ponder for a moment as
 * a zombie that only init reaps, and `Proc.stop` gives a group one second.
 */
async function end(proc: Proc): Promise<void> {
  proc.signal("SIGTERM");
  const timer = setTimeout(() => proc.signal("SIGKILL"), 10_000);
  await proc.exited;
  clearTimeout(timer);
  for (let i = 0; i < 100 && proc.groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
  await proc.stop();
}

/** Polls `check` every 200 ms until it holds; fails when the process exits or the deadline passes. */
async function waitUntil(proc: Proc, what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (proc.exit) throw new Error(`indexer exited (${JSON.stringify(proc.exit)}) before ${what}\n${proc.output()}`);
    try {
      if (await check()) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`indexer: no ${what} in time\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
