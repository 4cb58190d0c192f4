/*
 * The indexer as `npm run indexer:start` runs it, minus npm: one Ponder process, so its process group ends
 * with it. It is a child of the e2e harness against a real node, with PGlite in a temporary folder
 * of its own; `Indexer` also reads its HTTP API: GraphQL, /ready and /status.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Market, readDeployment, type Deployment } from "../../sdk";
import { DeploySpot, Node, Proc, childEnv, freePort, run, type Env, type Ran } from "../e2e/harness";
import { KEEPER, Story } from "./scenario";
import { PONDER, endIndexer } from "../../scripts/stack/indexer";

/**
 * `ponder start` run to its end with `env` on top of the test's neutral environment, for starts that must fail:
 * PGlite in a temporary folder unless `env` says otherwise, removed afterwards.
 */
export async function runIndexer(env: Env, timeoutMs = 60_000): Promise<Ran> {
  const dir = mkdtempSync(join(tmpdir(), "indexer-"));
  try {
    return await run(
      "indexer",
      "/bin/sh",
      ["-c", 'cd indexer && exec "$0" "$@"', process.execPath, PONDER, "start", "--schema", "market"],
      {
        PONDER_TELEMETRY_DISABLED: "true",
        PGLITE_DIR: join(dir, "pglite"),
        PORT: String(await freePort()),
        DATABASE_URL: "",
        DATABASE_PRIVATE_URL: "",
        ...env,
      },
      timeoutMs,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface IndexerOptions {
  /** The deployment file to index. */
  deployment: string;
  rpcUrl: string;
  /** PostgreSQL instead of PGlite; each start writes to a schema of its own there. */
  databaseUrl?: string;
  /**
   * A PGlite folder to reuse, e.g. to start again where a killed indexer stopped; the caller removes it.
   * Default: a fresh temporary folder, removed by `stop()`.
   */
  pgliteDir?: string;
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
    /** The temporary folder of PGlite, removed by `stop()`; empty when the caller gave `pgliteDir`. */
    readonly dir: string,
    /** Milliseconds from the spawn to /ready answering 200: Ponder's start-up with the backfill. */
    readonly readyMs: number,
  ) {}

  /** Starts the indexer and resolves once /ready says the backfill is done. */
  static async start(options: IndexerOptions, timeoutMs = 120_000): Promise<Indexer> {
    return Indexer.launch(options, timeoutMs, true);
  }

  /**
   * Starts the indexer and resolves once its HTTP server listens, in the middle of the backfill or earlier
   * (`readyMs` is then -1); with `untilReady`, once /ready says the backfill is done, as `start` does.
   */
  static async launch(options: IndexerOptions, timeoutMs = 120_000, untilReady = false): Promise<Indexer> {
    const dir = options.pgliteDir === undefined ? mkdtempSync(join(tmpdir(), "indexer-")) : "";
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
        PGLITE_DIR: options.pgliteDir ?? join(dir, "pglite"),
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
      if (!untilReady) return new Indexer(proc, url, dir, -1);
      await waitUntil(proc, "/ready", started + timeoutMs, async () => (await fetch(`${url}/ready`)).status === 200);
      return new Indexer(proc, url, dir, Date.now() - started);
    } catch (err) {
      await endIndexer(proc).finally(() => dir && rmSync(dir, { recursive: true, force: true }));
      throw err;
    }
  }

  /** Whether /ready answers 200: the backfill is done. */
  async ready(): Promise<boolean> {
    return (await fetch(`${this.url}/ready`)).status === 200;
  }

  /** Resolves once /ready answers 200; returns how long it took. */
  async waitForReady(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    await waitUntil(this.proc, "/ready", started + timeoutMs, () => this.ready());
    return Date.now() - started;
  }

  /** SIGKILL, as a crash: no shutdown, the PGlite folder kept as it was (the temporary one too, until `stop()`). */
  async kill(): Promise<void> {
    this.proc.signal("SIGKILL");
    await this.proc.exited;
    // As in `end`: Ponder's esbuild child lingers a moment as a zombie.
    for (let i = 0; i < 100 && this.proc.groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
    await this.proc.kill();
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

  /**
   * A GraphQL query's data; GraphQL errors throw. A read is sent again once when its connection fails: the
   * server closes idle keep-alive connections after 5 s, and a request can leave on one just as it closes.
   */
  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const post = () =>
      fetch(`${this.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
    const res = await post().catch(post);
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
      if (!this.proc.exit) await endIndexer(this.proc);
    } finally {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    }
  }
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

/**
 * A fresh `hardhat node` that mines only on transactions (the tests choose every block), with the market
 * deployed by the deploy script into a spot of its own, the keeper role to the scenario's KEEPER. A failed
 * deploy stops the node before it throws.
 */
export async function deployedNode(): Promise<{ spot: DeploySpot; node: Node; deployment: Deployment }> {
  const spot = new DeploySpot();
  const node = await Node.start(90_000, { MINE_INTERVAL_MS: "0" });
  try {
    const deployed = await run("npm run deploy", "npm", ["run", "--silent", "deploy", "--", "--network", "localhost"], {
      RPC_URL: node.url,
      KEEPER_ADDRESS: KEEPER.address,
      ...spot.env(),
    });
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).to.equal(0);
    return { spot, node, deployment: readDeployment(spot.file) };
  } catch (err) {
    await node.stop();
    spot.remove();
    throw err;
  }
}

/** A node, its deployment, the story played on it and the indexer that followed it to the head. */
export interface IndexedStory {
  node: Node;
  spot: DeploySpot;
  deployment: Deployment;
  story: Story;
  indexer: Indexer;
  /** The market read through the node: nothing is mined after the story (MINE_INTERVAL_MS=0). */
  market: Market;
  /** The head's block time. */
  headTime: bigint;
  /** Start-up and story timings, for the test's log. */
  timings: string[];
  stop(): Promise<void>;
}

/**
 * As agreement.test.ts sets up: a node, the deploy script, the story's prologue, the indexer (backfill), the
 * story played while it follows, and the head indexed. One Ponder start; `stop()` ends both processes.
 */
export async function indexedStory(databaseUrl?: string): Promise<IndexedStory> {
  const { spot, node, deployment } = await deployedNode();
  let indexer: Indexer | undefined;
  const stop = async () => {
    try {
      await indexer?.stop();
      await node.stop();
    } finally {
      spot.remove();
    }
  };
  try {
    const story = new Story(node, deployment);
    await story.prologue();
    indexer = await Indexer.start({ deployment: spot.file, rpcUrl: node.url, databaseUrl });
    const timings = [`start-up to /ready ${indexer.readyMs} ms`];
    const t0 = Date.now();
    await story.play();
    const head = await node.provider.getBlockNumber();
    timings.push(`story ${Date.now() - t0} ms`, `head indexed ${await indexer.waitForBlock(head)} ms after`);
    const market = Market.connect(deployment.market, node.provider);
    return { node, spot, deployment, story, indexer, market, headTime: await node.latestTimestamp(), timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
