import { ZeroHash, id, type Log } from "ethers";
import type { InferenceMarket } from "../typechain-types";
import { toRevertError } from "./errors";
import { DEFAULT_MAX_RANGE } from "./market-reads";
import type { LogRange, Sent } from "./types";

/** The market's AccessControl roles; DEFAULT_ADMIN_ROLE administers all four. */
export const ROLE_NAMES = ["DEFAULT_ADMIN_ROLE", "CHALLENGE_MANAGER_ROLE", "KEEPER_ROLE", "PAUSER_ROLE"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
export type RoleHolders = Record<RoleName, string[]>;

/** The role's bytes32 id, as the contract computes it. */
export function roleId(name: RoleName): string {
  return name === "DEFAULT_ADMIN_ROLE" ? ZeroHash : id(name);
}

/** A role named as people type it: "keeper", "KEEPER_ROLE", "challenge_manager", "admin"; undefined when unknown. */
export function roleNamed(text: string): RoleName | undefined {
  const bare = text
    .trim()
    .toUpperCase()
    .replace(/_ROLE$/, "");
  const full = bare === "ADMIN" ? "DEFAULT_ADMIN_ROLE" : `${bare}_ROLE`;
  return ROLE_NAMES.find((n) => n === full);
}

/**
 * Every role's holders at the range's last block. AccessControl keeps no list of members, so the
 * RoleGranted and RoleRevoked events are replayed in chain order: the range must start at or before the
 * market's deployment block, or holders granted earlier are missed.
 */
export async function roleHolders(market: InferenceMarket, range: LogRange): Promise<RoleHolders> {
  const provider = market.runner?.provider;
  if (!provider) throw new Error("reading roles needs a provider");
  const granted = market.interface.getEvent("RoleGranted").topicHash;
  const revoked = market.interface.getEvent("RoleRevoked").topicHash;
  const toBlock = range.toBlock ?? (await provider.getBlockNumber());
  const span = range.maxRange ?? DEFAULT_MAX_RANGE;
  if (span < 1) throw new Error(`maxRange must be at least 1, got ${span}`);
  const logs: Log[] = [];
  for (let from = range.fromBlock; from <= toBlock; from += span) {
    // One query for both events keeps them in chain order, so a revoke always follows its grant.
    const to = Math.min(from + span - 1, toBlock);
    logs.push(
      ...(await provider.getLogs({
        address: market.target,
        topics: [[granted, revoked]],
        fromBlock: from,
        toBlock: to,
      })),
    );
  }
  const byId = new Map(ROLE_NAMES.map((n) => [roleId(n), new Set<string>()]));
  for (const log of logs) {
    const parsed = market.interface.parseLog(log);
    const holders = parsed && byId.get(parsed.args.role);
    if (!holders) continue;
    if (parsed.name === "RoleGranted") holders.add(parsed.args.account);
    else holders.delete(parsed.args.account);
  }
  return Object.fromEntries(ROLE_NAMES.map((n) => [n, [...byId.get(roleId(n))!]])) as RoleHolders;
}

/**
 * Grants or revokes a role as the market's signer: staticCall first, so a signer without the admin role
 * gets a decoded RevertError (AccessControlUnauthorizedAccount) before any gas is spent.
 */
export async function changeRole(
  market: InferenceMarket,
  change: "grant" | "revoke",
  name: RoleName,
  account: string,
): Promise<Sent> {
  const method = change === "grant" ? market.grantRole : market.revokeRole;
  try {
    await method.staticCall(roleId(name), account);
    const tx = await method.send(roleId(name), account);
    const receipt = await tx.wait();
    if (!receipt) throw new Error(`transaction ${tx.hash} has no receipt`);
    return { receipt, txHash: tx.hash };
  } catch (err) {
    throw toRevertError(err);
  }
}
