import { time } from "@nomicfoundation/hardhat-network-helpers";

/**
 * Simulated time for the demo. The chain's clock moves only when the demo moves it: `at` mines an empty
 * block at an exact time (the hosts and the keeper read "now" from the latest block), `nextBlockAt` dates
 * the next transaction. `sleep` is the models' clock (ModelContext.sleep): a model that waits `ms` dates
 * the next block `ms` later without mining, so its host still believes it is in time, answers, and the
 * chain judges the answer at the time it is mined, like a real transaction that arrives late.
 */
export class ChainClock {
  private wake = 0n;
  private pending: Promise<void> = Promise.resolve();

  /** Mines an empty block at `t`; the schedule must never run behind the chain. */
  async at(t: bigint): Promise<void> {
    const latest = BigInt(await time.latest());
    if (t <= latest) throw new Error(`the demo's schedule ran behind the chain: ${t} is not after block time ${latest}`);
    await time.increaseTo(t);
  }

  /** Dates the next block at `t`. */
  async nextBlockAt(t: bigint): Promise<void> {
    const latest = BigInt(await time.latest());
    if (t <= latest) throw new Error(`the demo's schedule ran behind the chain: ${t} is not after block time ${latest}`);
    await time.setNextBlockTimestamp(t);
  }

  /** Waits `ms` of chain time. The models of one batch run at once: they share one wake-up. */
  readonly sleep = async (ms: number): Promise<void> => {
    const wake = BigInt(await time.latest()) + BigInt(Math.ceil(ms / 1000));
    if (wake > this.wake) {
      this.wake = wake;
      this.pending = time.setNextBlockTimestamp(wake);
    }
    await this.pending;
  };
}
