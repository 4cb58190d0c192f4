import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isAddress } from "ethers";

/** Where a network's market lives; written by `npm run deploy`, read by the tasks and daemons. */
export interface Deployment {
  network: string;
  chainId: number;
  market: string;
  token: string;
  /** Block of the market's deployment: log scans start here. */
  startBlock: number;
  /** ISO-8601 UTC time of the deployment. */
  deployedAt: string;
}

const ROOT = resolve(__dirname, "..");

/** `deployments/<network>.json` at the project root. */
export function deploymentPath(network: string): string {
  return join(ROOT, "deployments", `${network}.json`);
}

/** Reads and checks a deployment file, given a network name or a path to a `.json` file. */
export function readDeployment(networkOrPath: string): Deployment {
  const path = networkOrPath.endsWith(".json") ? resolve(networkOrPath) : deploymentPath(networkOrPath);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`no deployment file ${path}: run \`npm run deploy -- --network <name>\` first`);
  }
  const d = JSON.parse(text) as Deployment;
  const problems = [
    typeof d.network === "string" && d.network !== "" ? "" : "network",
    Number.isInteger(d.chainId) ? "" : "chainId",
    isAddress(d.market) ? "" : "market",
    isAddress(d.token) ? "" : "token",
    Number.isInteger(d.startBlock) && d.startBlock >= 0 ? "" : "startBlock",
    typeof d.deployedAt === "string" ? "" : "deployedAt",
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`${path}: missing or invalid ${problems.join(", ")}`);
  return d;
}

/** Writes `deployments/<network>.json`, or `path`, and returns the path. */
export function writeDeployment(d: Deployment, path = deploymentPath(d.network)): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(d, null, 2)}\n`);
  return path;
}
