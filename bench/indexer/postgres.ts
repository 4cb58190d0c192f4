/** A throwaway PostgreSQL cluster from .ci/postgres.sh, for the bench's second backfill and queries. */
import { ROOT, run } from "../../test/e2e/harness";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(ROOT, ".ci", "postgres.sh");
/** The script's state file, our own: another run's `.ci/postgres.sh` (CI, a test) keeps its cluster. */
const STATE = { MARKET_PG_STATE: join(tmpdir(), `market-bench-postgres-${process.pid}.env`) };

/** Starts a cluster (installing PostgreSQL if missing) and returns its DATABASE_URL. */
export async function startPostgres(): Promise<string> {
  const ran = await run("postgres.sh start", "bash", [SCRIPT, "start"], STATE, 600_000);
  const last = ran.stdout.trim().split("\n").pop() ?? "";
  if (ran.code !== 0 || !last.startsWith("DATABASE_URL="))
    throw new Error(
      `.ci/postgres.sh start failed (exit ${ran.code})\n${ran.stderr.trim().split("\n").slice(-5).join("\n")}`,
    );
  return last.slice("DATABASE_URL=".length);
}

/** Stops the cluster and deletes it; safe when none runs. */
export async function stopPostgres(): Promise<void> {
  const ran = await run("postgres.sh stop", "bash", [SCRIPT, "stop"], STATE, 120_000);
  if (ran.code !== 0) console.error(`.ci/postgres.sh stop failed (exit ${ran.code})\n${ran.stderr}`);
}
