import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import LEADERBOARD from "./leaderboard.json";

/** The modeler whose host never comes online: it earns nothing and the keeper evicts it. */
export const OFFLINE = "granite";
/**
 * The modeler whose host runs models/slow.ts: its model needs SLOW_DELAY_S a request, and where less is left
 * before a deadline its host answers `error: timeout: …` in time.
 */
export const SLOW = "dune";

export interface Modeler {
  name: string;
  signer: HardhatEthersSigner;
  address: string;
  /** Its score in the evaluation published for each Monday snapshot. */
  scores: { week1: number; week2: number };
}

/** Everybody in the demo, as accounts of the network (the in-process one, or a node with the same accounts). */
export interface Cast {
  operator: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  creator: HardhatEthersSigner;
  challengeAdmin: HardhatEthersSigner;
  users: HardhatEthersSigner[];
  modelers: Modeler[];
  /** One per modeler that may be listed; hosts[i] serves the modeler that names it. */
  hosts: HardhatEthersSigner[];
}

export const USER_COUNT = 6;
const MODELERS_FROM = 5 + USER_COUNT;

export async function castOf(hre: HardhatRuntimeEnvironment): Promise<Cast> {
  const signers = await hre.ethers.getSigners();
  const [operator, treasury, keeper, creator, challengeAdmin] = signers;
  const users = signers.slice(5, MODELERS_FROM);
  const modelers = LEADERBOARD.modelers.map(({ name, week1, week2 }, i) => {
    const signer = signers[MODELERS_FROM + i];
    return { name, signer, address: signer.address, scores: { week1, week2 } };
  });
  const hosts = signers.slice(MODELERS_FROM + modelers.length, MODELERS_FROM + 2 * modelers.length);
  if (hosts.length < modelers.length)
    throw new Error(
      `the demo needs ${MODELERS_FROM + 2 * modelers.length} accounts, the network has ${signers.length}`,
    );
  return { operator, treasury, keeper, creator, challengeAdmin, users, modelers, hosts };
}

/** The leaderboard file the keeper reads for one week's snapshot (daemons/keeper/leaderboard.ts format). */
export function leaderboardDoc(challengeId: bigint, modelers: readonly Modeler[], week: "week1" | "week2") {
  return {
    challengeId: challengeId.toString(),
    entries: modelers.map((m) => ({ modeler: m.address, score: m.scores[week] })),
  };
}
