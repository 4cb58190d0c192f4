import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { LeaderboardError, parseLeaderboardText, type Leaderboard } from "./leaderboard";

/** Where a leaderboard is published: an http(s) URL or a file path. */
export type Source = string;

export const isUrl = (source: Source): boolean => /^https?:\/\//i.test(source);

/** A leaderboard larger than this is refused: 10 entries are kept, and a ranking is a few kB. */
const MAX_BYTES = 4 * 1024 * 1024;

/** Reads and ranks a leaderboard; a missing file, an HTTP error or a timeout is thrown for the caller to log. */
export async function readLeaderboard(source: Source, timeoutMs = 10_000): Promise<Leaderboard> {
  let text: string;
  if (isUrl(source)) {
    const response = await fetch(source, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: "application/json" },
    });
    if (!response.ok) throw new LeaderboardError(source, `HTTP ${response.status} ${response.statusText}`);
    text = await response.text();
  } else {
    text = await readFile(resolve(source), "utf8");
  }
  if (Buffer.byteLength(text) > MAX_BYTES) throw new LeaderboardError(source, `larger than ${MAX_BYTES} bytes`);
  return parseLeaderboardText(text, source);
}
