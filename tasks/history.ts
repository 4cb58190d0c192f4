/*
 * `history`: what the indexer (indexer/, `npm run indexer`) knows of a requester, a modeler or a challenge, read
 * through sdk/indexer.ts. The chain gives the clock (a request is expired against the chain's time) and the
 * token's units; the indexer gives the rest.
 */
import type { IndexerClient } from "../sdk";
import { UsageError, action, marketTask, parseAddress, parseId, table, type CommonArgs, type Ctx } from "./lib/cli";

interface HistoryArgs extends CommonArgs {
  requester?: string;
  modeler?: string;
  challenge?: string;
  indexer?: string;
}

/** The indexer's URL: --indexer, else INDEXER_URL, else the default of `npm run indexer`. */
export function indexerUrl(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  fallback: string,
): string {
  return flag?.trim() || env.INDEXER_URL?.trim() || fallback;
}

/** Reads through the indexer; an indexer that cannot be reached is one line naming it and how to start one. */
async function reading<T>(ctx: Ctx, url: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ctx.sdk.IndexerError && err.kind === "unreachable") {
      throw new UsageError(`${err.message} (start it with \`npm run indexer\`, or name it with --indexer)`);
    }
    throw err;
  }
}

/** Refuses an indexer that indexes another market than the task's. */
async function checkMarket(ctx: Ctx, client: IndexerClient): Promise<void> {
  const { market } = await client.status();
  if (market.toLowerCase() !== ctx.market.address.toLowerCase()) {
    throw new UsageError(
      `the indexer at ${client.url} indexes ${market ? `market ${market}` : "no market yet"}, not ${ctx.market.address}`,
    );
  }
}

async function requesterView(ctx: Ctx, client: IndexerClient, requester: string) {
  const now = await ctx.market.now();
  const requests = [];
  let after: string | null = null;
  do {
    const page = await client.requestsBy(requester, { limit: ctx.sdk.PAGE_LIMIT, after, now });
    requests.push(...page.requests);
    after = page.next;
  } while (after !== null);
  const rows = requests.map((r) => ({
    ...r,
    majority:
      ctx.sdk.combine(
        "majority",
        r.answers.map((a) => a.output),
      ) ?? null,
  }));
  const lines = [
    `${rows.length} request${rows.length === 1 ? "" : "s"} by ${requester} (indexer ${client.url})`,
    ...(rows.length === 0
      ? []
      : table(
          ["id", "challenge", "made", "fee", "status", "answers", "majority"],
          rows.map((r) => [
            String(r.requestId),
            String(r.key.challengeId),
            ctx.sdk.isoOf(r.createdAt),
            ctx.amount(r.key.fee),
            r.status,
            String(r.answers.length),
            r.majority ?? "-",
          ]),
        )),
  ];
  return { data: { requester, requests: rows }, lines };
}

async function modelerView(ctx: Ctx, client: IndexerClient, modeler: string, challengeId?: bigint) {
  const challenges =
    challengeId !== undefined ? [challengeId] : (await client.challengesOf(modeler)).map((c) => c.challengeId);
  const epochs = (await Promise.all(challenges.map((c) => client.modelerEpochs(c, modeler)))).flat();
  const lines = [
    `${modeler}: ${epochs.length} epoch${epochs.length === 1 ? "" : "s"} in ${
      challengeId !== undefined ? `challenge ${challengeId}` : `${challenges.length} challenge(s)`
    } (indexer ${client.url})`,
    ...(epochs.length === 0
      ? []
      : table(
          ["challenge", "epoch", "points", "answered requests", "claimable", "claimed"],
          epochs.map((e) => [
            String(e.challengeId),
            String(e.epoch),
            `${e.points}${e.evicted ? " (evicted)" : ""}`,
            String(e.answeredRequests),
            ctx.amount(e.claimable),
            e.claimed ? "yes" : "no",
          ]),
        )),
  ];
  return { data: { modeler, epochs }, lines };
}

async function challengeView(ctx: Ctx, client: IndexerClient, challengeId: bigint) {
  const h = await client.challengeHistory(challengeId);
  if (!h) throw new UsageError(`the indexer at ${client.url} has no challenge ${challengeId}`);
  const lines = [
    `challenge ${h.id} "${h.metadata}": fee ${ctx.amount(h.fee)}, creator ${h.creator}, admin ${h.admin}, ` +
      `${h.requestCount} requests (indexer ${client.url})`,
    `fees: ${h.fees.map((f) => `${ctx.amount(f.newFee)} from ${ctx.sdk.isoOf(f.at)}`).join(", ")}`,
    "epochs:",
    ...table(
      ["epoch", "settled", "answered requests", "pool", "creator", "admin", "platform", "finalized"],
      h.epochs.map((e) => [
        String(e.epoch),
        ctx.amount(e.settledFees),
        String(e.answeredRequests),
        ctx.amount(e.pool),
        ctx.amount(e.creatorShare),
        ctx.amount(e.adminShare),
        ctx.amount(e.platformShare),
        e.finalized ? "yes" : "no",
      ]),
    ),
    "lists:",
    ...table(
      ["list", "from epoch", "leaderboard", "members"],
      h.lists.map((l) => [String(l.listId), String(l.activationEpoch), l.leaderboardHash, l.members.join(" ")]),
    ),
  ];
  return { data: h, lines };
}

marketTask(
  "history",
  "Shows, from the indexer, a requester's requests, a modeler's epochs, or a challenge's epochs and lists",
)
  .addOptionalParam("requester", "a requester's address: its requests with their status and majority answer")
  .addOptionalParam("modeler", "a modeler's address: its points, answered requests and rewards per epoch")
  .addOptionalParam("challenge", "a challenge id: its epochs and lists (with --modeler: only that challenge)")
  .addOptionalParam("indexer", "the indexer's URL (default: INDEXER_URL, else http://127.0.0.1:42069)")
  .setAction(
    action(async (ctx, args: HistoryArgs) => {
      if (args.requester !== undefined && args.modeler !== undefined)
        throw new UsageError("history shows one view: --requester or --modeler, not both");
      if (args.requester !== undefined && args.challenge !== undefined)
        throw new UsageError("--challenge goes with --modeler, or alone; --requester shows every challenge");
      if (args.requester === undefined && args.modeler === undefined && args.challenge === undefined)
        throw new UsageError("history needs --requester 0x…, --modeler 0x… or --challenge N");
      const challengeId = args.challenge === undefined ? undefined : parseId(args.challenge, "--challenge");
      const requester = args.requester === undefined ? undefined : parseAddress(args.requester, "--requester");
      const modeler = args.modeler === undefined ? undefined : parseAddress(args.modeler, "--modeler");
      const url = indexerUrl(args.indexer, process.env, ctx.sdk.DEFAULT_INDEXER_URL);
      const client = new ctx.sdk.IndexerClient(url);
      return reading(ctx, url, async () => {
        await checkMarket(ctx, client);
        if (requester !== undefined) return requesterView(ctx, client, requester);
        if (modeler !== undefined) return modelerView(ctx, client, modeler, challengeId);
        return challengeView(ctx, client, challengeId!);
      });
    }),
  );
