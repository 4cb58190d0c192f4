/*
 * The daemons' queries over the indexer: the keeper's refund sweep and the host agent's restart scan, the same
 * answers as their log scans (sdk/market-keeper.ts, sdk/market-hosts.ts) read from the index instead.
 */
import { getAddress } from "ethers";
import {
  META,
  anyOf,
  indexedBlock,
  indexedTime,
  literal,
  type GraphqlTransport,
  type ListQuery,
  type Meta,
  type Where,
} from "./indexer-client";
import {
  LIST_FIELDS,
  MODELER_FIELDS,
  REQUEST_FIELDS,
  toModeler,
  toRequest,
  type ListRow,
  type ModelerRow,
  type RequestRow,
} from "./indexer-rows";
import type { IndexedOpenRequest, IndexedRequest, IndexedScan } from "./indexer-types";
import { canAnswer } from "./market-reads";

const low = (address: string) => address.toLowerCase();

/** Requests never answered nor refunded whose deadline is before `now`, of one challenge or all; oldest deadline first. */
export async function expiredUnrefunded(
  transport: GraphqlTransport,
  challengeId: bigint | undefined,
  now: bigint,
): Promise<IndexedScan<IndexedRequest>> {
  const where: Where = { status: "open", deadline_lt: String(now) };
  if (challengeId !== undefined) where.challengeId = String(challengeId);
  const { items, extra } = await transport.collect(
    { requests: { field: "requests", select: REQUEST_FIELDS, where, orderBy: "deadline" } },
    META,
  );
  return {
    found: (items.requests as RequestRow[]).map((r) => toRequest(r, now)),
    indexedBlock: indexedBlock(extra as Meta),
  };
}

/**
 * Requests made at or after `since` on lists naming the given modelers, that such a modeler may answer and has
 * not answered yet: registered, not evicted, opted in when the request was made (sdk canAnswer, on its state
 * now), the request not refunded. One entry per request and modeler, most urgent first. With `now`, only
 * requests whose deadline is later (an answer in the next block is in time); without, every one since `since`.
 * With `host`, only modelers whose current host it is. `indexedBlock` is read before the requests: every
 * request of a block up to it is in the answer.
 */
export async function openRequestsFor(
  transport: GraphqlTransport,
  pairs: readonly { challengeId: bigint; modeler: string }[],
  since: bigint,
  options: { now?: bigint; host?: string } = {},
): Promise<IndexedScan<IndexedOpenRequest>> {
  if (pairs.length === 0) return { found: [], indexedBlock: -1 };
  const asked = pairs.map((p) => ({ c: String(p.challengeId), m: low(p.modeler) }));
  const host = options.host === undefined ? undefined : low(options.host);
  const first = await transport.collect(
    {
      lists: {
        field: "lists",
        select: `challengeId ${LIST_FIELDS}`,
        where: anyOf(asked.map((p) => ({ challengeId: p.c, members_has: p.m }))),
      },
      modelers: {
        field: "modelers",
        select: `challengeId ${MODELER_FIELDS}`,
        where: anyOf(asked.map((p) => ({ challengeId: p.c, modeler: p.m }))),
      },
    },
    META,
  );
  const now = options.now ?? indexedTime(first.extra as Meta);
  const covered = indexedBlock(first.extra as Meta);
  const lists = first.items.lists as (ListRow & { challengeId: string })[];
  if (lists.length === 0) return { found: [], indexedBlock: covered };
  const members = new Map(lists.map((l) => [`${l.challengeId}/${l.listId}`, l.members]));
  const modelers = new Map(
    (first.items.modelers as (ModelerRow & { challengeId: string })[]).map((m) => [
      `${m.challengeId}/${m.modeler}`,
      toModeler(m),
    ]),
  );
  const listIds = new Map<string, string[]>();
  for (const l of lists) listIds.set(l.challengeId, [...(listIds.get(l.challengeId) ?? []), l.listId]);
  const wanted = new Set(asked.map((p) => `${p.c}/${p.m}`));
  const answeredBy: Where = { modeler_in: [...new Set(asked.map((p) => p.m))] };
  // A request's answers are bounded by its list's size (10): one page.
  const requests: ListQuery = {
    field: "requests",
    select: `${REQUEST_FIELDS} answers(limit: 100, where: ${literal(answeredBy)}) { items { modeler } }`,
    where: anyOf(
      [...listIds].map(([c, ids]) => ({
        challengeId: c,
        listId_in: ids,
        createdAt_gte: String(since),
        status_not: "refunded",
        ...(options.now === undefined ? {} : { deadline_gt: String(now) }),
      })),
    ),
    orderBy: "deadline",
  };
  const { items } = await transport.collect({ requests });
  const open: IndexedOpenRequest[] = [];
  for (const row of items.requests as (RequestRow & { answers: { items: { modeler: string }[] } })[]) {
    const answered = new Set(row.answers.items.map((a) => a.modeler));
    const request = toRequest({ ...row, answers: undefined }, now);
    for (const [index, m] of (members.get(`${row.challengeId}/${row.listId}`) ?? []).entries()) {
      const key = `${row.challengeId}/${m}`;
      const info = modelers.get(key);
      if (!wanted.has(key) || answered.has(m) || !info) continue;
      if (host !== undefined && info.host.toLowerCase() !== host) continue;
      if (!canAnswer({ ...info, index }, request.createdAt)) continue;
      open.push({ ...request, index, modeler: getAddress(m) });
    }
  }
  return { found: open, indexedBlock: covered };
}
