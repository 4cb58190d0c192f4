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
import { isUrl, type Source } from "./source";
import { existsSync } from "node:fs";
import type { Wallet } from "ethers";

export const KEEPER_FLAGS = {
  ...COMMON_FLAGS,
  leaderboard: { type: "string", multiple: true },
  "lookback-blocks": { type: "string" },
} as const;

export const KEEPER_USAGE = `Usage: npm run keeper -- --leaderboard <file|url> [flags]
The key comes from env KEEPER_KEY (an account with KEEPER_ROLE).
${commonUsage(60_000)}
  --leaderboard <file|url>  one challenge's leaderboard; repeat per challenge  env LEADERBOARD (comma-separated)
  --lookback-blocks <n>     at start, sweep refunds this far back  env LOOKBACK_BLOCKS  default 10000`;

export interface KeeperConfig extends CommonConfig {
  key: Wallet;
  leaderboards: Source[];
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
  const leaderboards = values.leaderboard?.length ? values.leaderboard : fromEnv;
  if (leaderboards.length === 0)
    throw new ConfigError("no leaderboard: give --leaderboard <file|url> (or LEADERBOARD)");
  if (new Set(leaderboards).size !== leaderboards.length) throw new ConfigError("the same leaderboard is given twice");
  for (const source of leaderboards) {
    if (!isUrl(source) && !existsSync(source))
      throw new ConfigError(`leaderboard ${source} is neither an http(s) URL nor an existing file`);
  }
  return {
    ...common,
    key: privateKey(env, "KEEPER_KEY"),
    leaderboards,
    lookbackBlocks: integer(setting(values, "lookback-blocks", env, "LOOKBACK_BLOCKS"), "--lookback-blocks", 10_000, 0),
  };
}
