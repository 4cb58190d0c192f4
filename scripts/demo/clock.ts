import { setImmediate as nextTurn } from "node:timers/promises";
import { time } from "@nomicfoundation/hardhat-network-helpers";

/** The network's EIP-1193 provider, as Hardhat gives it (`hre.network.provider`). */
export interface NetworkProvider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
  send(method: string, params?: unknown[]): Promise<unknown>;
}

interface Waiter {
  wake: bigint;
  resolve: () => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** How long an idle node is watched for a block it mines on its own. */
const IDLE_WATCH_MS = 1_500;
const LOCAL_CHAIN_ID = 31337;

/**
 * Refuses a chain whose clock the demo cannot own. The in-process network qualifies; so does a local Hardhat
 * node (chain 31337) that mines every transaction at once and nothing else, as `MINE_INTERVAL_MS=0 npx hardhat
 * node` does. A node that also mines on an interval would date blocks of its own between the demo's, after the
 * time the demo set for its next transaction: it is caught when it mines while watched for IDLE_WATCH_MS.
 */
export async function checkOwnClock(network: string, provider: NetworkProvider): Promise<void> {
  if (network === "hardhat") return;
  const refuse = (why: string): never => {
    throw new Error(
      `the demo drives the chain's clock: run it in process (npm run demo) or against a local Hardhat node ` +
        `that mines only on transactions (MINE_INTERVAL_MS=0 npx hardhat node); network ${network} ${why}`,
    );
  };
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  if (chainId !== LOCAL_CHAIN_ID) refuse(`is chain ${chainId}, not ${LOCAL_CHAIN_ID}`);
  const client = String(await provider.request({ method: "web3_clientVersion" }));
  if (!client.startsWith("HardhatNetwork")) refuse(`is ${client}, not a Hardhat node`);
  if ((await provider.request({ method: "hardhat_getAutomine" })) !== true)
    refuse("does not mine transactions as they come");
  const before = await provider.request({ method: "eth_blockNumber" });
  await new Promise((resolve) => setTimeout(resolve, IDLE_WATCH_MS));
  if ((await provider.request({ method: "eth_blockNumber" })) !== before)
    refuse(`mined a block within ${IDLE_WATCH_MS} ms on its own (or another client uses it)`);
}

/** Turns of the event loop with no RPC call in flight after which the simulation counts as waiting. */
const QUIET_TURNS = 3;

function abortError(): Error {
  const err = new Error("This operation was aborted");
  err.name = "AbortError";
  return err;
}

/**
 * Simulated time for the demo and the tests, on a chain whose clock they own (`checkOwnClock`): the in-process
 * network, or a local node that mines only on transactions. The chain's clock moves only when the caller moves
 * it: `at` mines an empty block at an exact time (the hosts and the keeper read "now" from the latest block),
 * `nextBlockAt` dates the next transaction.
 *
 * `sleep` is the host agents' clock (their models' `ctx.sleep` and their time budgets), a discrete-event
 * scheduler: a sleep of `ms` wakes at the latest block's time plus `ms`; once nothing runs (no RPC call in
 * flight for a few turns of the event loop, every task waiting on the clock), the earliest waiters wake,
 * after an empty block is mined at their wake time. So a model that waits 240 s and an agent's budget of
 * 100 s end in the order they would in real time, whatever the machine's speed, and the answers sent when
 * the budget ends are mined 100 s later on chain. A sleep aborted by its signal leaves the schedule.
 * Call `dispose()` when done: the clock watches the provider's calls.
 */
export class ChainClock {
  private readonly waiters: Waiter[] = [];
  /** RPC calls in flight, and started so far. */
  private inFlight = 0;
  private started = 0;
  /** Whether a check for quiet, or a wake-up, is under way. */
  private busy = false;
  private readonly restore: () => void;

  constructor(provider: NetworkProvider) {
    const { request, send } = provider;
    const count = <T>(call: () => Promise<T>): Promise<T> => {
      this.inFlight++;
      this.started++;
      return call().finally(() => {
        if (--this.inFlight === 0) this.poke();
      });
    };
    provider.request = (args) => count(() => request.call(provider, args));
    provider.send = (method, params) => count(() => send.call(provider, method, params));
    this.restore = () => {
      provider.request = request;
      provider.send = send;
    };
  }

  /** Stops watching the provider; pending sleeps are aborted. */
  dispose(): void {
    this.restore();
    for (const w of this.waiters.splice(0)) this.end(w, true);
  }

  /** Mines an empty block at `t`; the schedule must never run behind the chain. */
  async at(t: bigint): Promise<void> {
    const latest = BigInt(await time.latest());
    if (t <= latest)
      throw new Error(`the demo's schedule ran behind the chain: ${t} is not after block time ${latest}`);
    await time.increaseTo(t);
  }

  /** Dates the next block at `t`. */
  async nextBlockAt(t: bigint): Promise<void> {
    const latest = BigInt(await time.latest());
    if (t <= latest)
      throw new Error(`the demo's schedule ran behind the chain: ${t} is not after block time ${latest}`);
    await time.setNextBlockTimestamp(t);
  }

  /** Waits `ms` of chain time (whole seconds, rounded up); rejects with an AbortError when `signal` aborts. */
  readonly sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) throw abortError();
    const wake = BigInt(await time.latest()) + BigInt(Math.ceil(ms / 1000));
    if (signal?.aborted) throw abortError();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { wake, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError());
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.poke();
    });
  };

  private end(w: Waiter, abort: boolean) {
    if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
    if (abort) w.reject(abortError());
    else w.resolve();
  }

  /** Something may be waiting while nothing runs: check, without spinning while RPC calls are in flight. */
  private poke() {
    if (this.busy || this.inFlight > 0 || this.waiters.length === 0) return;
    this.busy = true;
    void this.check();
  }

  /** Once nothing has run for a few turns of the event loop, wakes the earliest waiters. */
  private async check(): Promise<void> {
    try {
      const started = this.started;
      for (let i = 0; i < QUIET_TURNS; i++) await nextTurn();
      // A call started meanwhile: its end checks again.
      if (this.inFlight > 0 || this.started !== started || this.waiters.length === 0) return;
      const wake = this.waiters.reduce((min, w) => (w.wake < min ? w.wake : min), this.waiters[0].wake);
      const due = this.waiters.filter((w) => w.wake === wake);
      for (const w of due) this.waiters.splice(this.waiters.indexOf(w), 1);
      if (wake > BigInt(await time.latest())) await time.increaseTo(wake);
      for (const w of due) this.end(w, false);
    } finally {
      this.busy = false;
      this.poke();
    }
  }
}
