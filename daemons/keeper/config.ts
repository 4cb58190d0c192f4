import {
  COMMON_FLAGS,
  commonUsage,
  ConfigError,
  commonConfig,
  integer,
  parseFlags,
  privateKey,
  setting,
  type CommonConfig,
  type Env,
} from "../common/config";
import { isUrl, sourceProblem, type BoundSource } from "./source";
import { existsSync } from "node:fs";
import type { Wallet } from "ethers";

export const KEEPER_FLAGS = {
  ...COMMON_FLAGS,
  leaderboard: { type: "string", multiple: true },
  "lookback-blocks": { type: "string" },
} as const;

export const KEEPER_USAGE = `Usage: npm run keeper -- --leaderboard <id>=<file|url> [flags]
The key comes from env KEEPER_KEY (an account with KEEPER_ROLE).
${commonUsage(60_000)}
  --leaderboard <id>=<file|url>
                            challenge <id>'s leaderboard, a file or an https URL; repeat per challenge
                            env LEADERBOARD (comma-separated, e.g. 1=board-1.json,2=https://…/2.json)
  --lookback-blocks <n>     at start, sweep refunds this far back  env LOOKBACK_BLOCKS  default 10000`;

export interface KeeperConfig extends CommonConfig {
  key: Wallet;
  leaderboards: BoundSource[];
  lookbackBlocks: number;
}

/** The keeper's settings from flags and environment, checked once; throws a ConfigError that says what is wrong. */
export function keeperConfig(argv: string[], env: Env): KeeperConfig | "help" {
  const values = parseFlags(argv, KEEPER_FLAGS);
  if (values.help) return "help";
  const common = commonConfig(values, env, 60_000);
  const fromEnv =
    env.LEADERBOARD?.split(",")
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  const leaderboards = leaderboardSources(values.leaderboard?.length ? values.leaderboard : fromEnv);
  return {
    ...common,
    key: privateKey(env, "KEEPER_KEY"),
    leaderboards,
    lookbackBlocks: integer(setting(values, "lookback-blocks", env, "LOOKBACK_BLOCKS"), "--lookback-blocks", 10_000, 0),
  };
}

/**
 * `<id>=<file|url>` items, one source per challenge: the binding, not the document, says which challenge a
 * source may promote onto.
 */
function leaderboardSources(items: string[]): BoundSource[] {
  if (items.length === 0)
    throw new ConfigError("no leaderboard: give --leaderboard <id>=<file|url> (or LEADERBOARD), e.g. 1=board.json");
  const bound: BoundSource[] = [];
  for (const item of items) {
    // The id comes before the first "=", and holds no path or URL character: "https://x/?a=b" is not bound.
    const match = /^([^=/\\:]*)=(.*)$/s.exec(item);
    if (match === null) {
      const problem = sourceProblem(item);
      throw new ConfigError(
        problem === undefined
          ? `leaderboard "${item}" names no challenge: give it as <id>=<file|url>, e.g. 1=${item}`
          : `leaderboard ${item}: ${problem}`,
      );
    }
    const id = match[1].trim();
    const source = match[2].trim();
    if (!/^[1-9]\d{0,76}$/.test(id))
      throw new ConfigError(`leaderboard "${item}": the challenge id must be a positive whole number, got "${id}"`);
    const challengeId = BigInt(id);
    if (source === "") throw new ConfigError(`leaderboard "${item}" gives no file or URL after "${id}="`);
    const problem = sourceProblem(source);
    if (problem !== undefined) throw new ConfigError(`leaderboard ${source} (challenge ${id}): ${problem}`);
    if (!isUrl(source) && !existsSync(source))
      throw new ConfigError(`leaderboard ${source} (challenge ${id}) is neither an https URL nor an existing file`);
    const twice = bound.find((b) => b.challengeId === challengeId);
    if (twice) throw new ConfigError(`challenge ${id} is given two leaderboards: ${twice.source} and ${source}`);
    const shared = bound.find((b) => b.source === source);
    if (shared)
      throw new ConfigError(
        `leaderboard ${source} is given for challenges ${shared.challengeId} and ${id}: a document names one challenge`,
      );
    bound.push({ challengeId, source });
  }
  return bound;
}
