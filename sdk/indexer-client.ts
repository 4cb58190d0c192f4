/*
 * The transport under sdk/indexer.ts: Ponder's GraphQL API over the global `fetch` (a browser's or Node's), one
 * error type for an indexer that cannot be reached or answers an error, and the cursor pagination of its list
 * fields. No Node-only import: the web app uses this module as the CLI does.
 */

/** Where the indexer listens when nothing else is said (`npm run indexer`). */
export const DEFAULT_INDEXER_URL = "http://127.0.0.1:42069";

/** Ponder's largest page. */
export const PAGE_LIMIT = 1000;

export interface IndexerClientOptions {
  /** The fetch to use (tests, a proxy); the global one by default. */
  fetch?: typeof fetch;
  /** How long one HTTP request may take, in milliseconds; 10 s by default. */
  timeoutMs?: number;
}

/**
 * The indexer could not be reached (`kind` "unreachable": refused, timed out, not an indexer) or answered with
 * an error (`kind` "error": a GraphQL error, an HTTP error status). The message is one line naming the URL.
 */
export class IndexerError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly kind: "unreachable" | "error",
  ) {
    super(message);
    this.name = "IndexerError";
  }
}

/** A GraphQL `where` argument: column names with Ponder's suffixes (`_in`, `_lt`, `_has`…), AND/OR lists. */
export type Where = { [key: string]: string | number | boolean | bigint | null | Where | Where[] | string[] };

/**
 * Rows matching any of `wheres`. Ponder flattens the conditions of an OR's entries into the OR itself
 * (`OR: [{a, b}]` reads as a OR b), so each entry goes in as an AND of its conditions.
 */
export function anyOf(wheres: Where[]): Where {
  return { OR: wheres.map((w) => ({ AND: Object.entries(w).map(([k, v]) => ({ [k]: v })) })) };
}

/** One list field of a document, read to its last page. */
export interface ListQuery {
  /** The plural field: `requests`, `challengeEpochs`… */
  field: string;
  /** The fields of each item, GraphQL syntax. */
  select: string;
  where?: Where;
  orderBy?: string;
  orderDirection?: "asc" | "desc";
  /** Items per page; PAGE_LIMIT by default. */
  limit?: number;
  /** Read only this one page from this cursor (callers that page themselves), instead of every page. */
  after?: string | null;
}

/** A list field's page as Ponder returns it. */
export interface Page<T> {
  items: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** `_meta`: the last indexed block of each chain, whose time is a reader's default `now`. */
export const META = "_meta { status }";

export type Meta = { _meta?: { status: Record<string, { block: { number: number; timestamp: number } }> | null } };

/** The time of the last block indexed, from a document that selected META (zero before the first block). */
export function indexedTime(data: Meta): bigint {
  const times = Object.values(data._meta?.status ?? {}).map((c) => BigInt(c.block.timestamp));
  return times.reduce((a, b) => (b > a ? b : a), 0n);
}

/** The number of the last block indexed, from a document that selected META (-1 before the first block). */
export function indexedBlock(data: Meta): number {
  return Math.max(-1, ...Object.values(data._meta?.status ?? {}).map((c) => c.block.number));
}

/** A value as a GraphQL literal: strings and bigints quoted (Ponder's BigInt scalar reads decimal strings). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${fields.map(([k, v]) => `${k}: ${literal(v)}`).join(", ")}}`;
}

/** The arguments of a list field, as GraphQL. */
function listArgs(q: ListQuery, after: string | null): string {
  const args: string[] = [`limit: ${q.limit ?? PAGE_LIMIT}`];
  if (q.where) args.push(`where: ${literal(q.where)}`);
  if (q.orderBy) args.push(`orderBy: ${literal(q.orderBy)}`);
  if (q.orderDirection) args.push(`orderDirection: ${literal(q.orderDirection)}`);
  if (after !== null) args.push(`after: ${literal(after)}`);
  return args.join(", ");
}

/** The indexer's GraphQL endpoint: documents in, data out, every failure an IndexerError. */
export class GraphqlTransport {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(url: string = DEFAULT_INDEXER_URL, options: IndexerClientOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    // A browser's fetch must be called unbound from any other object, or it throws "Illegal invocation".
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** A document's data; a GraphQL error, an HTTP error or no answer throws an IndexerError. */
  async query<T>(document: string): Promise<T> {
    const endpoint = `${this.url}/graphql`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let res: Response;
    let body: { data?: T; errors?: { message: string }[] };
    try {
      const post = () =>
        this.fetchFn(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ query: document }),
          signal: abort.signal,
        });
      // The indexer closes idle keep-alive connections after 5 s: a read that left on one just as it closed is
      // sent again, once (a query changes nothing).
      res = await post().catch((err: unknown) => {
        if (abort.signal.aborted) throw err;
        return post();
      });
      const text = await res.text();
      try {
        body = JSON.parse(text);
      } catch {
        const what = res.ok ? "an answer that is not JSON" : `HTTP ${res.status} ${res.statusText}`.trim();
        throw new IndexerError(
          `the indexer at ${this.url} answered ${what}: is it an indexer?`,
          this.url,
          "unreachable",
        );
      }
    } catch (err) {
      if (err instanceof IndexerError) throw err;
      const why = abort.signal.aborted ? `no answer within ${this.timeoutMs} ms` : causeOf(err);
      throw new IndexerError(`cannot reach the indexer at ${this.url}: ${why}`, this.url, "unreachable");
    } finally {
      clearTimeout(timer);
    }
    if (body.errors?.length || !body.data) {
      const messages = body.errors?.map((e) => e.message).join("; ") || `HTTP ${res.status} without data`;
      throw new IndexerError(`the indexer at ${this.url} answered an error: ${messages}`, this.url, "error");
    }
    return body.data;
  }

  /**
   * Several list fields read to their last page (or one page each, for those with `after`), the first pages in
   * one document with `extra` (singular fields such as `challenge(id: …)`), the rest field by field.
   */
  async collect<K extends string>(
    lists: Record<K, ListQuery>,
    extra = "",
  ): Promise<{ items: Record<K, unknown[]>; next: Record<K, string | null>; extra: Record<string, unknown> }> {
    const keys = Object.keys(lists) as K[];
    const items = Object.fromEntries(keys.map((k) => [k, []])) as unknown as Record<K, unknown[]>;
    const next = Object.fromEntries(keys.map((k) => [k, null])) as Record<K, string | null>;
    const pageOf = (k: K, after: string | null) =>
      `${k}: ${lists[k].field}(${listArgs(lists[k], after)}) { items { ${lists[k].select} } pageInfo { hasNextPage endCursor } }`;
    const data = await this.query<Record<string, unknown>>(
      `{ ${keys.map((k) => pageOf(k, lists[k].after ?? null)).join(" ")} ${extra} }`,
    );
    let pending = keys;
    let pages = data as Record<string, Page<unknown>>;
    while (pending.length > 0) {
      const more: K[] = [];
      for (const k of pending) {
        items[k].push(...pages[k].items);
        const { hasNextPage, endCursor } = pages[k].pageInfo;
        next[k] = hasNextPage ? endCursor : null;
        if (hasNextPage && lists[k].after === undefined) more.push(k);
      }
      pending = more;
      if (more.length > 0) pages = await this.query(`{ ${more.map((k) => pageOf(k, next[k])).join(" ")} }`);
    }
    return { items, next, extra: data };
  }
}

/** Why fetch failed, in a few words: Node hides the socket's error in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}
