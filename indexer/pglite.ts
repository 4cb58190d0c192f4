/*
 * The default PGlite folder, one per chain and per version of the indexing code. `ponder start` resumes the
 * index it finds for the same build, refuses one of another build ("previously used by a different Ponder
 * app"), and knows neither a replaced chain nor code outside indexer/src. So the folder is named after
 * - the hash of the deployment's block: a restarted local node reuses block numbers, and often addresses, for
 *   a new chain, which must not resume the old chain's index;
 * - a hash of what the figures are computed with: the indexer's files, the SDK and the market's ABI; after a
 *   change the index is built again from the start block, as Ponder would require.
 * PGLITE_DIR overrides it; with PostgreSQL the schema name (DATABASE_SCHEMA) plays this part.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

const tsFiles = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));

export function defaultPgliteDir(indexer: string, chainId: number, startBlockHash: string): string {
  const root = join(indexer, "..");
  const files = [
    ...["ponder.config.ts", "ponder.schema.ts", "target.ts", "pglite.ts"].map((f) => join(indexer, f)),
    ...tsFiles(join(indexer, "src")),
    ...tsFiles(join(root, "sdk")),
    join(root, "typechain-types", "factories", "contracts", "InferenceMarket__factory.ts"),
  ].sort();
  const code = createHash("sha256");
  for (const f of files) code.update(relative(root, f)).update(readFileSync(f));
  const name = `${chainId}-${startBlockHash.slice(2, 14)}-${code.digest("hex").slice(0, 12)}`;
  return join(indexer, ".ponder", "pglite", name);
}
