/*
 * What every market task shares: the --market/--from/--json parameters, the connection to the network's
 * deployment, printing, and turning any failure into a one-line message (exit code 1, no stack trace).
 *
 * The SDK is imported lazily: it loads the TypeChain types, which do not exist before the first compile,
 * and hardhat.config.ts loads this file to compile them.
 */
import { task } from "hardhat/config";
import { HardhatError, HardhatPluginError } from "hardhat/internal/core/errors";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { getAddress, isAddress } from "ethers";
import type * as Sdk from "../../sdk";

export interface CommonArgs {
  market?: string;
  from?: string;
  json: boolean;
}

export interface Ctx {
  hre: HardhatRuntimeEnvironment;
  sdk: typeof Sdk;
  market: Sdk.Market;
  signer: HardhatEthersSigner;
  token: { address: string; symbol: string; decimals: number };
  /** First block worth scanning for logs: the deployment's block, or 0 with --market. */
  fromBlock: number;
  /** An amount of the fee token for people: "1.5 tUSD". */
  amount(units: bigint): string;
}

/** What a task shows: `data` for --json (and as the task's return value), `lines` for people. */
export interface Output {
  data: unknown;
  lines: string[];
}

/** A task on the market with the shared parameters. */
export function marketTask(name: string, description: string) {
  return task(name, description)
    .addOptionalParam(
      "market",
      "market address (default: the address in the DEPLOYMENT file, else deployments/<network>.json)",
    )
    .addOptionalParam("from", "signer: account index or address (default: the network's first account)")
    .addFlag("json", "print JSON instead of text");
}

/** A task's action: connects, runs, prints; a failure becomes its decoded message, amounts in the token's units. */
export function action<A extends CommonArgs>(run: (ctx: Ctx, args: A) => Promise<Output>) {
  return async (args: A, hre: HardhatRuntimeEnvironment): Promise<unknown> => {
    let ctx: Ctx | undefined;
    let out: Output;
    try {
      ctx = await connect(hre, args);
      out = await run(ctx, args);
    } catch (err) {
      throw taskError(await messageOf(err, ctx?.token), err);
    }
    console.log(args.json ? toJson(out.data) : out.lines.join("\n"));
    return out.data;
  };
}

async function messageOf(err: unknown, token?: Ctx["token"]): Promise<string> {
  if (err instanceof UsageError) return err.message;
  try {
    return (await import("../../sdk/errors")).decodeError(err, { token });
  } catch {
    return err instanceof Error ? err.message.split("\n")[0] : String(err);
  }
}

/**
 * A failed task: Hardhat prints "Error in plugin market: <message>" and exits with code 1; with
 * --show-stack-traces, the stack of what failed too.
 */
export function taskError(message: string, cause?: unknown): HardhatPluginError {
  return new HardhatPluginError("market", message, cause instanceof Error ? cause : undefined);
}

/** Whether the command asks for stack traces, as Hardhat reads it: the flag anywhere, or its variable. */
export function stackTracesWanted(argv: string[], env: Record<string, string | undefined>): boolean {
  return argv.includes("--show-stack-traces") || env.HARDHAT_SHOW_STACK_TRACES === "true";
}

/**
 * After a failed command's message, Hardhat prints the error object, stack included, whenever it thinks it
 * runs on CI, which covers any Linux without a display. Its own errors (a missing argument, an unknown task)
 * and the tasks' failures say all in their message, so unless the command asks for stacks they print as
 * nothing more; their `stack` reads through the same function, so it is empty too. Other errors keep their
 * stack: they are bugs. (Only Hardhat's internals export HardhatError.)
 */
export function hideStackTraces(): void {
  if (stackTracesWanted(process.argv, process.env)) return;
  for (const type of [HardhatError, HardhatPluginError]) {
    Object.defineProperty(type.prototype, Symbol.for("nodejs.util.inspect.custom"), {
      value: () => "",
      configurable: true,
      writable: true,
    });
  }
}

/** A mistake in the task's arguments. */
export class UsageError extends Error {}

async function connect(hre: HardhatRuntimeEnvironment, args: CommonArgs): Promise<Ctx> {
  const sdk = await import("../../sdk");
  const signer = await signerOf(hre, args.from);
  let address: string;
  let fromBlock = 0;
  if (args.market) {
    address = parseAddress(args.market, "--market");
  } else {
    // DEPLOYMENT names another deployment file, as it does for the daemons.
    const file = process.env.DEPLOYMENT?.trim() || hre.network.name;
    const d = sdk.readDeployment(file);
    const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    if (d.chainId !== chainId) {
      throw new UsageError(
        `${file.endsWith(".json") ? file : `deployments/${file}.json`} is for chain ${d.chainId}, the network is chain ${chainId}`,
      );
    }
    address = d.market;
    fromBlock = d.startBlock;
  }
  if ((await hre.ethers.provider.getCode(address)) === "0x") {
    throw new UsageError(
      `no contract at ${address} on ${hre.network.name}: deploy first (npm run deploy -- --network ${hre.network.name})`,
    );
  }
  const market = sdk.Market.connect(address, signer);
  const { contract, symbol, decimals } = await market.token();
  const token = { address: await contract.getAddress(), symbol, decimals };
  return {
    hre,
    sdk,
    market,
    signer,
    token,
    fromBlock,
    amount: (units) => sdk.formatAmount(units, token),
  };
}

async function signerOf(hre: HardhatRuntimeEnvironment, from?: string): Promise<HardhatEthersSigner> {
  const signers = await hre.ethers.getSigners();
  if (signers.length === 0)
    throw new UsageError(`network ${hre.network.name} has no account: set DEPLOYER_KEY in .env`);
  if (from === undefined) return signers[0];
  if (/^\d+$/.test(from)) {
    const signer = signers[Number(from)];
    if (!signer)
      throw new UsageError(`--from ${from}: the network has ${signers.length} accounts (0..${signers.length - 1})`);
    return signer;
  }
  const address = parseAddress(from, "--from");
  const signer = signers.find((s) => s.address === address);
  if (!signer) throw new UsageError(`--from ${address}: not one of the network's accounts (keys in .env)`);
  return signer;
}

// ------------------------------------------------------------------ parsing

export function parseAddress(text: string, what: string): string {
  if (!isAddress(text)) throw new UsageError(`${what} is not an address: "${text}"`);
  return getAddress(text);
}

export function parseId(text: string, what: string): bigint {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a whole number, got "${text}"`);
  return BigInt(text);
}

/** An amount in token units ("1.5"), to the token's smallest unit. */
export function parseAmount(text: string, decimals: number, what: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`${what} must be an amount such as 1.5, got "${text}"`);
  const [, fraction = ""] = text.split(".");
  if (fraction.length > decimals) throw new UsageError(`${what} has more than ${decimals} decimals: "${text}"`);
  const [whole] = text.split(".");
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** Epochs as "2969", "2969,2971" or "2969-2972". */
export function parseEpochs(text: string): bigint[] {
  const epochs: bigint[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [BigInt(range[1]), BigInt(range[2])];
      if (to < from || to - from > 1000n) throw new UsageError(`--epochs range ${part} is empty or longer than 1000`);
      for (let e = from; e <= to; e++) epochs.push(e);
    } else {
      epochs.push(parseId(part, "--epochs"));
    }
  }
  return epochs;
}

// ------------------------------------------------------------------ printing

/** JSON with bigints as decimal strings. */
export function toJson(data: unknown): string {
  return JSON.stringify(data, (_key, value) => (typeof value === "bigint" ? value.toString() : value), 2);
}

/** Rows as aligned columns under a header, indented by two spaces. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** How far back the claim tasks look when no --epochs is given. */
export const CLAIM_LOOKBACK = 8n;

/**
 * The epochs a claim covers: those given, or else the finished epochs of the last CLAIM_LOOKBACK whose
 * claims are open and that owe `who` something.
 */
export async function epochsToClaim(ctx: Ctx, challengeId: bigint, who: string, epochs?: string): Promise<bigint[]> {
  if (epochs !== undefined) return parseEpochs(epochs);
  const current = ctx.sdk.epochOf(await ctx.market.timeConfig(), await ctx.market.now());
  const first = current > CLAIM_LOOKBACK ? current - CLAIM_LOOKBACK : 0n;
  const recent = Array.from({ length: Number(current - first) }, (_, i) => first + BigInt(i));
  const owed = await ctx.market.claimable(challengeId, who, recent);
  return owed.filter((c) => c.open && c.amount > 0n).map((c) => c.epoch);
}

/**
 * What `who` is owed but cannot claim yet, as lines such as "1.98 tUSD for epoch 2969, whose claims open
 * 2026-12-04T00:00:00Z". Only the current and the previous epoch can be owed and not open yet.
 */
export async function owedNotOpen(ctx: Ctx, challengeId: bigint, who: string): Promise<string[]> {
  const current = ctx.sdk.epochOf(await ctx.market.timeConfig(), await ctx.market.now());
  const epochs = current > 0n ? [current - 1n, current] : [current];
  const owed = await ctx.market.claimable(challengeId, who, epochs);
  return owed
    .filter((c) => !c.open && c.amount > 0n)
    .map((c) => `${ctx.amount(c.amount)} for epoch ${c.epoch}, whose claims open ${ctx.sdk.isoOf(c.claimsOpenAt)}`);
}

/** The chain id of Hardhat's networks and anvil: the only chains where test levers (minting, balances, time) exist. */
export const LOCAL_CHAIN_ID = 31337n;

/** Refuses a task meant for a local chain anywhere else. */
export function checkLocalChain(chainId: bigint, network: string, task: string): void {
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new UsageError(
      `${task} works only on a local chain (chain id ${LOCAL_CHAIN_ID}); network ${network} is chain ${chainId}`,
    );
  }
}
