import hre, { network } from "hardhat";
import type { EIP1193Provider } from "hardhat/types";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a task in-process while the test watches what it prints, line by line as it prints it (runTask
 * shows the output only once the task is done).
 */
export function startTask(name: string, args: Record<string, unknown>) {
  const printed: string[] = [];
  const others = new Set(process.listeners("SIGINT"));
  const log = console.log;
  console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
  let settled = false;
  const done = hre
    .run(name, args)
    .finally(() => {
      console.log = log;
      settled = true;
    })
    .then((result) => ({ result, out: printed.join("\n") }));
  /** Resolves once a printed line matches; a task that ends first fails the test instead of hanging it. */
  const until = async (pattern: RegExp) => {
    while (!printed.some((line) => pattern.test(line))) {
      if (settled) throw new Error(`the task ended without printing ${pattern}:\n${printed.join("\n")}`);
      await sleep(5);
    }
  };
  /**
   * Ctrl-C for this task alone: its own SIGINT listeners run, not the test process's (the e2e harness,
   * loaded in a full run, exits on SIGINT).
   */
  const interrupt = () => {
    for (const listener of process.listeners("SIGINT")) if (!others.has(listener)) (listener as () => void)();
  };
  return { printed, done, until, interrupt };
}

const APPROVE_SELECTOR = "0x095ea7b3";

/**
 * Runs `run` while every approve transaction sent through the Hardhat network is followed at once by
 * `after()`: a state change that lands between a task's approve and its request.
 */
export async function afterEachApprove<T>(after: () => Promise<unknown>, run: () => Promise<T>): Promise<T> {
  const provider = network.provider as EIP1193Provider & { send(method: string, params?: unknown[]): Promise<any> };
  const send = provider.send;
  const own = Object.prototype.hasOwnProperty.call(provider, "send");
  provider.send = async (method: string, params?: unknown[]) => {
    const result = await send.call(provider, method, params);
    const tx = params?.[0] as { data?: string } | undefined;
    if (method === "eth_sendTransaction" && tx?.data?.startsWith(APPROVE_SELECTOR)) await after();
    return result;
  };
  try {
    return await run();
  } finally {
    if (own) provider.send = send;
    else delete (provider as { send?: unknown }).send;
  }
}
