import { formatEther, type Provider } from "ethers";
import { decodeError } from "../../sdk/errors";

/** What a health check read from the chain. */
export interface ChainState {
  /** The latest block. */
  head: { number: number; timestamp: number };
  /** The signer's balance, in wei. */
  balance: bigint;
}

export type HealthStatus = { ok: true; chain: ChainState } | { ok: false; reason: string; chain?: ChainState };

export interface HealthOptions {
  provider: Provider;
  /** The daemon's signer, which pays for every transaction it sends. */
  address: string;
  /** The floor, in wei: below it the daemon may soon be unable to pay for a transaction. */
  minBalance: bigint;
  /** The longest wait for the RPC, in milliseconds (default 3000). */
  timeoutMs?: number;
  /** How long a check's result is reused, in milliseconds (default 5000). */
  cacheMs?: number;
}

/** Rejects when `promise` has not settled within `ms` milliseconds; the promise itself runs on. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the RPC gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The daemon is healthy when its RPC answers and its signer can pay: the latest block and the signer's
 * balance are read with a short timeout. A result is reused for a few seconds, and checks made while one is
 * running share it, so that a supervisor's probes and a Prometheus scrape do not add to the RPC's load.
 */
export class Health {
  readonly provider: Provider;
  readonly address: string;
  readonly timeoutMs: number;
  private last?: { at: number; status: Promise<HealthStatus> };

  constructor(private readonly options: HealthOptions) {
    this.provider = options.provider;
    this.address = options.address;
    this.timeoutMs = options.timeoutMs ?? 3_000;
  }

  check(): Promise<HealthStatus> {
    const now = Date.now();
    if (this.last && now - this.last.at < (this.options.cacheMs ?? 5_000)) return this.last.status;
    const status = this.probe();
    this.last = { at: now, status };
    return status;
  }

  private async probe(): Promise<HealthStatus> {
    const { minBalance } = this.options;
    let chain: ChainState;
    try {
      const [block, balance] = await withTimeout(
        Promise.all([this.provider.getBlock("latest"), this.provider.getBalance(this.address)]),
        this.timeoutMs,
      );
      if (!block) throw new Error("the RPC has no latest block");
      chain = { head: { number: block.number, timestamp: block.timestamp }, balance };
    } catch (err) {
      return { ok: false, reason: `the RPC does not answer: ${decodeError(err).split("\n")[0].slice(0, 200)}` };
    }
    if (chain.balance < minBalance) {
      const reason = `the signer ${this.address} holds ${formatEther(chain.balance)} ETH, below the floor of ${formatEther(minBalance)} ETH`;
      return { ok: false, reason, chain };
    }
    return { ok: true, chain };
  }
}
