import { getAddress, keccak256, toUtf8Bytes, ZeroAddress } from "ethers";

/*
 * A challenge's leaderboard, as its evaluation publishes it (a file or an https URL):
 *
 *   { "challengeId": "1", "entries": [{ "modeler": "0x…", "score": 0.93 }, …] }
 *
 * The keeper ranks it by score, best first, ties broken by the lower address; it drops entries whose
 * address is not one (or is zero) or whose score is not a finite number, and repeats of an address (the
 * best entry stays). The top 10 are promoted, with the hash of the canonical JSON of the whole ranking.
 */

/** The most modelers a list holds (InferenceMarket.MAX_LIST_SIZE). */
export const MAX_LIST_SIZE = 10;

export interface Entry {
  /** Checksummed address. */
  modeler: string;
  score: number;
}

export interface Dropped {
  /** Position of the entry in the published `entries`. */
  index: number;
  reason: string;
}

export interface Leaderboard {
  challengeId: bigint;
  /** Valid, distinct entries, best first. */
  ranking: Entry[];
  dropped: Dropped[];
}

/** A document that is not a leaderboard at all: nothing can be ranked from it. */
export class LeaderboardError extends Error {
  constructor(source: string, problem: string) {
    super(`leaderboard ${source}: ${problem}`);
    this.name = "LeaderboardError";
  }
}

function challengeIdOf(value: unknown, source: string): bigint {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^[1-9]\d{0,76}$/.test(text)) {
    throw new LeaderboardError(source, `challengeId must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return BigInt(text);
}

function entryOf(value: unknown): Entry | string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "not an object";
  const { modeler, score } = value as { modeler?: unknown; score?: unknown };
  if (typeof score !== "number" || !Number.isFinite(score))
    return `score ${JSON.stringify(score)} is not a finite number`;
  if (typeof modeler !== "string") return "modeler is not a string";
  let address: string;
  try {
    address = getAddress(modeler);
  } catch {
    return `modeler ${modeler} is not an address`;
  }
  if (address === ZeroAddress) return "modeler is the zero address";
  // -0 and 0 are the same score; JSON prints both as 0, so the canonical form must too.
  return { modeler: address, score: score === 0 ? 0 : score };
}

/** Best first: higher score, then the lower address (as a number, so the letter case of hex never matters). */
export function compareEntries(a: Entry, b: Entry): number {
  if (a.score !== b.score) return b.score - a.score;
  const x = BigInt(a.modeler);
  const y = BigInt(b.modeler);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Validates a parsed leaderboard document and ranks it. */
export function parseLeaderboard(doc: unknown, source: string): Leaderboard {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new LeaderboardError(source, "expected an object { challengeId, entries }");
  }
  const { challengeId, entries } = doc as { challengeId?: unknown; entries?: unknown };
  const id = challengeIdOf(challengeId, source);
  if (!Array.isArray(entries)) throw new LeaderboardError(source, "entries must be an array");

  const dropped: Dropped[] = [];
  const valid: { entry: Entry; index: number }[] = [];
  entries.forEach((value, index) => {
    const entry = entryOf(value);
    if (typeof entry === "string") dropped.push({ index, reason: entry });
    else valid.push({ entry, index });
  });
  valid.sort((a, b) => compareEntries(a.entry, b.entry));
  const seen = new Set<string>();
  const ranking: Entry[] = [];
  for (const { entry, index } of valid) {
    if (seen.has(entry.modeler)) {
      dropped.push({ index, reason: `repeats modeler ${entry.modeler}` });
      continue;
    }
    seen.add(entry.modeler);
    ranking.push(entry);
  }
  dropped.sort((a, b) => a.index - b.index);
  return { challengeId: id, ranking, dropped };
}

/** Parses leaderboard text (JSON). */
export function parseLeaderboardText(text: string, source: string): Leaderboard {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new LeaderboardError(source, `not JSON (${(err as Error).message})`);
  }
  return parseLeaderboard(doc, source);
}

/**
 * The canonical JSON of a ranking: no spaces, keys in the order challengeId, entries, modeler, score, the
 * id as decimal text, checksummed addresses, best first. Anyone holding the published leaderboard can
 * rebuild it and check the hash in `ListPromoted`.
 */
export function canonicalJson(board: Leaderboard): string {
  const entries = board.ranking.map(({ modeler, score }) => ({ modeler, score }));
  return JSON.stringify({ challengeId: board.challengeId.toString(), entries });
}

/** keccak256 of the canonical JSON's UTF-8 bytes: the `leaderboardHash` the keeper promotes with. */
export function leaderboardHash(board: Leaderboard): string {
  return keccak256(toUtf8Bytes(canonicalJson(board)));
}

/** The modelers to promote: the top of the ranking. */
export function topModelers(board: Leaderboard, size = MAX_LIST_SIZE): string[] {
  return board.ranking.slice(0, size).map((e) => e.modeler);
}

/** An entry with its rank in the ranking, 1 for the best. */
export type Ranked = Entry & { rank: number };

/** The valid entries ranked below the cut, which are not promoted. */
export function belowCut(board: Leaderboard, size = MAX_LIST_SIZE): Ranked[] {
  return board.ranking.slice(size).map((e, i) => ({ rank: size + i + 1, ...e }));
}
