import type { EventEmitter } from "node:events";
import type { Logger } from "../common/logger";
import type { DaemonSpec } from "../common/run";
import { waitMs, type Keeper, type KeeperReport } from "./keeper";
import type { Source } from "./source";

export interface KeeperDaemonOptions {
  log: Logger;
  once: boolean;
  pollMs: number;
  /** Checks that the RPC serves the deployment's chain and that the market is there. */
  checkDeployment: () => Promise<void>;
  signals?: EventEmitter;
}

/**
 * The keeper as a daemon (`runDaemon`): at start it checks the chain, its role and every leaderboard.
 * A leaderboard it cannot use does not stop it: a URL may be down for a while, and refunds, evictions and
 * the other challenges' promotions must go on; the window's passes read it again. With `--once` the pass
 * still runs, and the exit code is 1 so that cron reports the leaderboard.
 */
export function keeperDaemon(keeper: Keeper, options: KeeperDaemonOptions): DaemonSpec<KeeperReport> {
  let unusable: Source[] = [];
  return {
    log: options.log,
    once: options.once,
    pollMs: options.pollMs,
    signals: options.signals,
    init: async () => {
      await options.checkDeployment();
      await keeper.checkRole();
      unusable = await keeper.checkLeaderboards();
    },
    tick: (signal) => keeper.tick(signal),
    waitMs,
    summary: (r) => ({
      epoch: r.epoch,
      now: r.now,
      promoted: r.promoted,
      evicted: r.evicted.length,
      finalized: r.finalized,
      refunded: r.refunded,
      nextAt: r.nextAt,
    }),
    exitCode: () => (unusable.length > 0 ? 1 : 0),
  };
}
