import { subtask } from "hardhat/config";
import { TASK_NODE_SERVER_CREATED } from "hardhat/builtin-tasks/task-names";
import type { EIP1193Provider } from "hardhat/types";

/** Milliseconds between the blocks `hardhat node` mines on its own: 1000 by default, 0 to mine only on transactions. */
export function mineIntervalMs(env: Record<string, string | undefined> = process.env): number {
  const text = env.MINE_INTERVAL_MS?.trim() || "1000";
  if (!/^\d+$/.test(text)) throw new Error(`MINE_INTERVAL_MS must be a whole number of milliseconds, got "${text}"`);
  return Number(text);
}

/*
 * A node that mines only when a transaction arrives has a clock that stands still: nothing that waits on
 * chain time (a deadline, a refund, the promotion window) ever comes. `hardhat node` therefore also mines a
 * block every second, as a real chain does; transactions are still mined at once. The in-process network of
 * the tests and the demo keeps its fixed start date and pure automining. Set before the server listens, so
 * no client ever sees the other mode.
 */
subtask(TASK_NODE_SERVER_CREATED).setAction(async (args: { provider: EIP1193Provider }, _hre, runSuper) => {
  const interval = mineIntervalMs();
  if (interval > 0) await args.provider.request({ method: "evm_setIntervalMining", params: [interval] });
  return runSuper(args);
});
