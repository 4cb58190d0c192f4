import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { LeaderboardError, parseLeaderboardText, type Leaderboard } from "./leaderboard";

/** Where a leaderboard is published: a local file path or an https URL. */
export type Source = string;

/**
 * A source and the one challenge it may promote onto. The document's own `challengeId` must name the same
 * challenge: whoever controls one challenge's source cannot publish another challenge's list.
 */
export interface BoundSource {
  challengeId: bigint;
  source: Source;
}

/** A leaderboard larger than this is refused: 10 entries are kept, and a ranking is a few kB. */
export const MAX_BYTES = 4 * 1024 * 1024;

/** The longest a URL's read may take, connection and whole body included. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export const isUrl = (source: Source): boolean => /^https:\/\//i.test(source);

/**
 * Why `source` cannot be a leaderboard source, or undefined when it can. Plain http is refused: anyone on
 * the path could rewrite the list the keeper promotes. A scheme has two letters at least, so that a
 * Windows drive letter stays a path.
 */
export function sourceProblem(source: Source): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(source)?.[1].toLowerCase();
  if (scheme === undefined) return undefined;
  if (scheme === "http")
    return "plain http:// is refused (anyone on the path could change the list): use https:// or a file";
  if (scheme !== "https") return `${scheme}: is not read: a leaderboard comes from a local file or an https:// URL`;
  if (!URL.canParse(source) || !isUrl(source)) return "is not a valid https:// URL";
  return undefined;
}

export interface ReadOptions {
  /** The longest a URL's read may take, connection and whole body included; default 10 s. */
  timeoutMs?: number;
  /** The fetch used for URLs; tests pass one that trusts their own certificate authority. */
  fetch?: typeof fetch;
}

/**
 * Reads and ranks a leaderboard; a missing file, an HTTP error, a redirect, a body past MAX_BYTES or a
 * timeout is thrown for the caller to log. Neither a file nor a body is ever held past MAX_BYTES.
 */
export async function readLeaderboard(source: Source, options: ReadOptions = {}): Promise<Leaderboard> {
  const problem = sourceProblem(source);
  if (problem !== undefined) throw new LeaderboardError(source, problem);
  const text = isUrl(source)
    ? await readUrl(source, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.fetch ?? fetch)
    : await readFile(source);
  return parseLeaderboardText(text, source);
}

const tooLarge = (source: Source, what: string) =>
  new LeaderboardError(source, `${what} is larger than the limit of ${MAX_BYTES} bytes`);

async function readFile(source: Source): Promise<string> {
  const path = resolve(source);
  const info = await stat(path);
  // A FIFO or a device such as /dev/zero would never end, and a directory is no document.
  if (!info.isFile()) throw new LeaderboardError(source, "not a regular file");
  if (info.size > MAX_BYTES) throw tooLarge(source, `the file (${info.size} bytes)`);
  const file = await open(path, "r");
  try {
    // One byte more than stat gave tells a file that grew since: it is refused rather than read without bound.
    const buffer = Buffer.alloc(info.size + 1);
    let size = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, size, buffer.length - size, size);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size === buffer.length) throw new LeaderboardError(source, "the file grew while it was read");
    }
    return buffer.toString("utf8", 0, size);
  } finally {
    await file.close();
  }
}

async function readUrl(source: Source, timeoutMs: number, fetchFn: typeof fetch): Promise<string> {
  // One signal for the connection and the whole body: a server that trickles bytes is cut off too.
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    response = await fetchFn(source, { signal, redirect: "manual", headers: { accept: "application/json" } });
    // A redirect could lead anywhere, plain http included: the operator configures the final URL.
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location");
      throw new LeaderboardError(
        source,
        `HTTP ${response.status} redirects to ${location ?? "(no Location)"}: redirects are not followed, configure the final URL`,
      );
    }
    if (!response.ok) throw new LeaderboardError(source, `HTTP ${response.status} ${response.statusText}`);
    const length = response.headers.get("content-length");
    if (length !== null && Number(length) > MAX_BYTES) throw tooLarge(source, `the body (content-length ${length})`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > MAX_BYTES) throw tooLarge(source, `the body (${size} bytes so far)`);
        chunks.push(value);
      }
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    // Hanging up at once: the rest of a hostile body is neither read nor buffered.
    (reader ?? response?.body)?.cancel().catch(() => undefined);
    if (err instanceof LeaderboardError) throw err;
    if (signal.aborted) throw new LeaderboardError(source, `no complete answer within ${timeoutMs} ms`);
    // fetch says only "fetch failed" or "terminated": the reason (refused, reset, certificate) is its cause.
    const cause = (err as { cause?: unknown }).cause;
    throw new LeaderboardError(source, `cannot fetch: ${cause instanceof Error ? cause.message : String(err)}`);
  }
}
