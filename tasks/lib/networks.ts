/*
 * The public networks of hardhat.config.ts, and the check of the network a command names. Hardhat's own
 * check fails with a stack trace and names neither the networks that exist nor the .env variables that
 * would make a public one exist.
 */
import type { HardhatUserConfig } from "hardhat/config";

type Env = Record<string, string | undefined>;
type Networks = NonNullable<HardhatUserConfig["networks"]>;

/** Each public network by the variable holding its RPC endpoint; it also needs DEPLOYER_KEY, its first signer. */
const PUBLIC_NETWORKS: Record<string, { chainId: number; rpc: string }> = {
  sepolia: { chainId: 11_155_111, rpc: "SEPOLIA_RPC_URL" },
};

/** Keys of the accounts a real network signs with, from .env; the deployer's first (the tasks' default signer). */
const KEY_VARIABLES = ["DEPLOYER_KEY", "KEEPER_KEY", "HOST_KEY", "MODELER_KEY", "USER_KEY"];

const needsOf = (name: string): string[] => [PUBLIC_NETWORKS[name].rpc, "DEPLOYER_KEY"];

/** "a", "a and b", "a, b and c". */
const and = (items: string[]): string => items.join(", ").replace(/, ([^,]*)$/, " and $1");

/** The public networks whose variables `env` sets: compile and test need no .env. */
export function publicNetworks(env: Env): Networks {
  const keys = [...new Set(KEY_VARIABLES.map((name) => env[name]?.trim()).filter((k): k is string => !!k))];
  const networks: Networks = {};
  for (const [name, { chainId, rpc }] of Object.entries(PUBLIC_NETWORKS)) {
    if (needsOf(name).every((v) => env[v])) networks[name] = { url: env[rpc]!, chainId, accounts: keys };
  }
  return networks;
}

/**
 * The network a Hardhat process runs on: `--network` anywhere on Hardhat's command line (`cliArgs`, empty
 * when Hardhat is loaded as a library), else HARDHAT_NETWORK, else `fallback`.
 */
export function chosenNetwork(cliArgs: string[], env: Env, fallback: string): string {
  const i = cliArgs.indexOf("--network");
  return (i >= 0 ? cliArgs[i + 1] : undefined) ?? (env.HARDHAT_NETWORK || fallback);
}

/** Why `name` is not one of the `configured` networks, naming those that exist or what .env lacks. */
export function networkProblem(name: string, configured: string[], env: Env): string | undefined {
  if (configured.includes(name)) return undefined;
  if (Object.hasOwn(PUBLIC_NETWORKS, name)) {
    const missing = needsOf(name).filter((v) => !env[v]);
    return (
      `network ${name} needs ${and(needsOf(name))} in .env (see .env.example): ` +
      `${and(missing)} ${missing.length > 1 ? "are" : "is"} not set`
    );
  }
  const hints = Object.keys(PUBLIC_NETWORKS)
    .filter((n) => !configured.includes(n))
    .map((n) => `${n} needs ${and(needsOf(n))} in .env`);
  return `network ${name} does not exist; the networks are ${and(configured)}${hints.length ? ` (${hints.join("; ")})` : ""}`;
}

/** Ends the process with one line when the command names a network that `config` lacks. */
export function checkNetwork(config: HardhatUserConfig): void {
  // The command line is Hardhat's only when its CLI is the program; a script that loads Hardhat has its own.
  const cli = /[\\/]hardhat[\\/]internal[\\/]cli[\\/]/.test(require.main?.filename ?? "");
  const name = chosenNetwork(cli ? process.argv.slice(2) : [], process.env, config.defaultNetwork ?? "hardhat");
  const problem = networkProblem(name, Object.keys(config.networks ?? {}), process.env);
  if (problem === undefined) return;
  console.error(`Error: ${problem}`);
  process.exit(1);
}
