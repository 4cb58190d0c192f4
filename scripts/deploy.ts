/**
 * Deploys the market through its Ignition module, grants the operating roles and writes
 * deployments/<network>.json. Usage: `npm run deploy -- --network <name>`; settings from .env:
 *   TOKEN           fee token address; empty or "test" deploys the mintable test token (LocalMarket)
 *   TREASURY        receives platform shares (default: the admin parameter, else the deployer)
 *   KEEPER_ADDRESS  granted KEEPER_ROLE; on a local chain (31337) it defaults to the node's account #1
 *   DEPLOYMENT_OUT  the deployment file to write instead of deployments/<network>.json
 *   IGNITION_DEPLOYMENT_ID  Ignition's journal, ignition/deployments/<id> (default chain-<chainId>)
 * The last two let several local chains be deployed to side by side (the end-to-end tests do).
 * Every market setting comes from ignition/parameters/<network>.json when that file exists.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { getAddress, isAddress, type Provider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import InferenceMarketModule from "../ignition/modules/InferenceMarket";
import LocalMarketModule from "../ignition/modules/LocalMarket";
import { InferenceMarket__factory } from "../typechain-types";
import { isoOf } from "../sdk/time";
import { readDeployment, writeDeployment, deploymentPath, type Deployment } from "../sdk/deployment";
import { decodeError } from "../sdk/errors";
import { changeRole, roleHolders, roleId, ROLE_NAMES, type RoleHolders, type RoleName } from "../sdk/roles";

type Env = Record<string, string | undefined>;
type Parameters = Record<string, Record<string, unknown>>;

const ROOT = resolve(__dirname, "..");
const LOCAL_CHAIN_ID = 31337;

export interface DeployResult {
  deployment: Deployment;
  path: string;
  module: "LocalMarket" | "InferenceMarket";
  admin: string;
  treasury: string;
  /** Roles granted by this run, as "ROLE -> account". */
  granted: string[];
  /** Roles the deployer could not grant because another account is the admin. */
  missing: string[];
  /** Who was meant to get KEEPER_ROLE, and why; none when KEEPER_ADDRESS is empty on a public chain. */
  keeper?: { address: string; source: "KEEPER_ADDRESS" | "account #1" };
  /** Every role's holders once the run is over. */
  holders: RoleHolders;
}

export function parametersPath(network: string): string {
  return join(ROOT, "ignition", "parameters", `${network}.json`);
}

function envAddress(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!isAddress(value)) throw new Error(`${name} is not an address: "${value}"`);
  return getAddress(value);
}

/** The module's parameters: the network's file, then TOKEN and TREASURY from the environment on top. */
function moduleParameters(network: string, module: DeployResult["module"], env: Env, token?: string): Parameters {
  const path = parametersPath(network);
  const file: Parameters = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  const other = module === "LocalMarket" ? "InferenceMarket" : "LocalMarket";
  if (!(module in file) && other in file) {
    throw new Error(
      `${path} sets parameters for ${other} but this deployment uses ${module} (TOKEN=${env.TOKEN ?? ""})`,
    );
  }
  const own = { ...(file[module] ?? {}) };
  const treasury = envAddress(env, "TREASURY");
  if (treasury) own.treasury = treasury;
  if (token) own.token = token;
  return { ...file, [module]: own };
}

/**
 * A restarted local node forgets its chain but Ignition's journal in ignition/deployments/chain-31337
 * remembers it: drop the journal when the contract it recorded has no code.
 */
async function dropStaleLocalJournal(
  provider: Provider,
  chainId: number,
  deploymentId = `chain-${chainId}`,
): Promise<void> {
  if (chainId !== LOCAL_CHAIN_ID) return;
  const dir = join(ROOT, "ignition", "deployments", deploymentId);
  const addressesFile = join(dir, "deployed_addresses.json");
  if (!existsSync(addressesFile)) return;
  const addresses = Object.values(JSON.parse(readFileSync(addressesFile, "utf8"))) as string[];
  const codes = await Promise.all(addresses.map((a) => provider.getCode(a)));
  if (codes.some((c) => c === "0x")) rmSync(dir, { recursive: true });
}

/** The first block in [lo, hi] where `address` has code. */
async function firstBlockWithCode(provider: Provider, address: string, lo: number, hi: number): Promise<number> {
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await provider.getCode(address, mid)) !== "0x") hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export async function deploy(hre: HardhatRuntimeEnvironment, env: Env = process.env): Promise<DeployResult> {
  const network = hre.network.name;
  const provider = hre.ethers.provider;
  const chainId = Number((await provider.getNetwork()).chainId);
  const [deployer] = await hre.ethers.getSigners();
  if (!deployer) throw new Error(`network ${network} has no account: set DEPLOYER_KEY in .env`);

  const tokenSetting = env.TOKEN?.trim() ?? "";
  const local = tokenSetting === "" || tokenSetting === "test";
  const token = local ? undefined : envAddress(env, "TOKEN");
  const module = local ? "LocalMarket" : "InferenceMarket";
  const parameters = moduleParameters(network, module, env, token);

  const deploymentId = env.IGNITION_DEPLOYMENT_ID?.trim() || undefined;
  await dropStaleLocalJournal(provider, chainId, deploymentId);
  const headBefore = await provider.getBlockNumber();
  const deployed = local
    ? await hre.ignition.deploy(LocalMarketModule, { parameters: parameters as never, deploymentId })
    : await hre.ignition.deploy(InferenceMarketModule, { parameters: parameters as never, deploymentId });
  const marketAddress = await deployed.market.getAddress();
  const market = InferenceMarket__factory.connect(marketAddress, deployer);
  const tokenAddress = await market.token();

  const admin = getAddress(String(parameters[module].admin ?? deployer.address));
  const treasury = await market.treasury();
  const granted: string[] = [];
  const missing: string[] = [];
  const wanted: [RoleName, string][] = [
    ["CHALLENGE_MANAGER_ROLE", deployer.address],
    ["PAUSER_ROLE", deployer.address],
  ];
  const keeper = await keeperOf(hre, chainId, env);
  if (keeper) wanted.push(["KEEPER_ROLE", keeper.address]);
  const canGrant = await market.hasRole(roleId("DEFAULT_ADMIN_ROLE"), deployer.address);
  for (const [name, account] of wanted) {
    if (await market.hasRole(roleId(name), account)) continue;
    if (!canGrant) {
      missing.push(`${name} -> ${account}`);
      continue;
    }
    try {
      await changeRole(market, "grant", name, account);
    } catch (err) {
      throw new Error(`grantRole(${name}, ${account}): ${decodeError(err)}`);
    }
    granted.push(`${name} -> ${account}`);
  }

  // Keep the start block of an earlier run that deployed the same market; otherwise find the block.
  const file = env.DEPLOYMENT_OUT?.trim() ? resolve(env.DEPLOYMENT_OUT.trim()) : deploymentPath(network);
  const earlier = existsSync(file) ? readDeployment(file) : undefined;
  const head = await provider.getBlockNumber();
  const startBlock =
    earlier && earlier.market === marketAddress && earlier.chainId === chainId
      ? earlier.startBlock
      : await firstBlockWithCode(
          provider,
          marketAddress,
          (await provider.getCode(marketAddress, headBefore)) === "0x" ? headBefore + 1 : 0,
          head,
        );
  const block = await provider.getBlock(startBlock);
  const deployment: Deployment = {
    network,
    chainId,
    market: marketAddress,
    token: tokenAddress,
    startBlock,
    deployedAt: isoOf(BigInt(block?.timestamp ?? 0)),
  };
  const holders = await roleHolders(market, { fromBlock: startBlock, toBlock: head });
  const path = writeDeployment(deployment, file);
  return { deployment, path, module, admin, treasury, granted, missing, keeper, holders };
}

/**
 * KEEPER_ADDRESS, else on a local chain the node's account #1: the default mnemonic of `npx hardhat node`
 * and anvil makes it the same well-known account everywhere, so the README can name its key.
 */
export async function keeperOf(
  hre: HardhatRuntimeEnvironment,
  chainId: number,
  env: Env,
): Promise<DeployResult["keeper"]> {
  const set = envAddress(env, "KEEPER_ADDRESS");
  if (set) return { address: set, source: "KEEPER_ADDRESS" };
  if (chainId !== LOCAL_CHAIN_ID) return undefined;
  const second = (await hre.ethers.getSigners())[1];
  return second && { address: second.address, source: "account #1" };
}

/** What the deploy command prints. */
export function report(r: DeployResult): string[] {
  const d = r.deployment;
  const roles = `npx hardhat --network ${d.network} roles`;
  const lines = [
    `network   ${d.network} (chain ${d.chainId})`,
    `module    ${r.module}`,
    `market    ${d.market}`,
    `token     ${d.token}${r.module === "LocalMarket" ? " (test token, anyone may mint)" : ""}`,
    `admin     ${r.admin}`,
    `treasury  ${r.treasury}`,
    `block     ${d.startBlock} at ${d.deployedAt}`,
  ];
  if (r.keeper?.source === "account #1") {
    lines.push(`keeper    ${r.keeper.address}: the node's account #1, the local default (KEEPER_ADDRESS overrides)`);
  } else if (r.keeper) {
    lines.push(`keeper    ${r.keeper.address} (KEEPER_ADDRESS)`);
  }
  for (const g of r.granted) lines.push(`granted   ${g}`);
  for (const m of r.missing) lines.push(`the admin must grant ${m}`);
  if (r.missing.length > 0) lines.push(`          with: ${roles} --grant <ROLE> --to <address> --from <admin>`);
  for (const name of ROLE_NAMES) lines.push(`role      ${name} -> ${r.holders[name].join(", ") || "nobody"}`);
  lines.push(`wrote     ${r.path}`);
  // Without a keeper no list is ever promoted, so no request can be made: say it last, where it is seen.
  if (r.holders.KEEPER_ROLE.length === 0) {
    lines.push(
      `WARNING   nobody holds KEEPER_ROLE, so no list can be promoted: the admin grants it with ` +
        `${roles} --grant KEEPER --to <keeper address>, or set KEEPER_ADDRESS and deploy again`,
    );
  }
  return lines;
}

async function main() {
  const hre = (await import("hardhat")).default;
  console.log(report(await deploy(hre)).join("\n"));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`deploy failed: ${decodeError(err)}`);
    process.exitCode = 1;
  });
}
