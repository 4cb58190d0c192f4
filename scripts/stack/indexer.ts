/*
 * The indexer as `npm run indexer:start` runs it, minus npm, with PGlite in a temporary folder: one Ponder process
 * whose group ends with it (an npm and a shell above it would outlive a SIGKILL as zombies where nobody reaps).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Proc, ROOT, childEnv, freePort } from "../../test/e2e/harness";

/** Ponder's CLI, run by node itself: `exec` from a shell leaves one process in the group. */
export const PONDER = join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

export interface RunningIndexer {
  proc: Proc;
  url: string;
  stop(): Promise<void>;
}

/** Resolves once /ready says the backfill is done. */
export async function startIndexer(
  deploymentFile: string,
  rpcUrl: string,
  timeoutMs = 120_000,
): Promise<RunningIndexer> {
  const dir = mkdtempSync(join(tmpdir(), "stack-indexer-"));
  const proc = new Proc(
    "indexer",
    "/bin/sh",
    [
      ...["-c", 'cd indexer && exec "$0" "$@"', process.execPath, PONDER],
      ...["start", "--schema", "market", "--log-format", "json"],
    ],
    childEnv({
      PONDER_TELEMETRY_DISABLED: "true",
      DEPLOYMENT: deploymentFile,
      RPC_URL: rpcUrl,
      PGLITE_DIR: join(dir, "pglite"),
      PORT: String(await freePort()),
      DATABASE_URL: "",
      DATABASE_PRIVATE_URL: "",
    }),
    500,
  );
  const stop = async () => {
    await endIndexer(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Ponder moves to another port when ours was taken meanwhile: its log says which.
    const created = await proc.waitForLog((l) => l.msg === "Created HTTP server", "the HTTP server", timeoutMs);
    const url = `http://127.0.0.1:${created.port}`;
    const deadline = Date.now() + timeoutMs;
    while (
      (await fetch(`${url}/ready`)
        .then((r) => r.status)
        .catch(() => 0)) !== 200
    ) {
      if (proc.exit) throw new Error(`the indexer exited before /ready\n${proc.output()}`);
      if (Date.now() > deadline) throw new Error(`the indexer was not ready within ${timeoutMs} ms\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { proc, url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * SIGTERM (Ponder shuts down within 5 s), then `Proc.stop`, which SIGKILLs what is left and checks that the
 * group is gone. In between, a wait: Vite's esbuild service, Ponder's own child, outlives Ponder for a moment as
 * a zombie that only init reaps, and `Proc.stop` gives a group one second.
 */
export async function endIndexer(proc: Proc): Promise<void> {
  proc.signal("SIGTERM");
  const timer = setTimeout(() => proc.signal("SIGKILL"), 10_000);
  await proc.exited;
  clearTimeout(timer);
  for (let i = 0; i < 100 && proc.groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
  await proc.stop();
}
