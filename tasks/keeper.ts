import type { Dropped, Ranked } from "../daemons/keeper/leaderboard";
import { action, marketTask, parseId, table, UsageError, type CommonArgs } from "./lib/cli";

/** What the ranking left out, so that a typo or a repeat in a leaderboard does not pass unseen. */
function leftOut(dropped: Dropped[], below: Ranked[]): string[] {
  const lines: string[] = [];
  if (dropped.length > 0)
    lines.push(
      `${dropped.length} dropped (not ranked):`,
      ...table(
        ["entry", "reason"],
        dropped.map((d) => [String(d.index), d.reason]),
      ),
    );
  if (below.length > 0)
    lines.push(
      `${below.length} ranked below the Top-10 cut (not promoted):`,
      ...table(
        ["rank", "modeler", "score"],
        below.map((e) => [String(e.rank), e.modeler, String(e.score)]),
      ),
    );
  return lines;
}

marketTask("promote", "Promotes a challenge's Top-10 from a leaderboard (needs KEEPER_ROLE, inside the window)")
  .addParam("leaderboard", "leaderboard file or https URL: { challengeId, entries: [{ modeler, score }] }")
  .addOptionalParam("challenge", "challenge id (default: the leaderboard's; must match it)")
  .setAction(
    action(async (ctx, args: CommonArgs & { leaderboard: string; challenge?: string }) => {
      // The keeper daemon's reader: the CLI promotes exactly the list and hash the daemon would.
      const { readLeaderboard } = await import("../daemons/keeper/source");
      const { belowCut, leaderboardHash, topModelers } = await import("../daemons/keeper/leaderboard");
      const board = await readLeaderboard(args.leaderboard);
      const challengeId = args.challenge === undefined ? board.challengeId : parseId(args.challenge, "--challenge");
      if (challengeId !== board.challengeId) {
        throw new UsageError(`--challenge ${challengeId} but the leaderboard is for challenge ${board.challengeId}`);
      }
      const { dropped } = board;
      const modelers = topModelers(board);
      if (modelers.length === 0) {
        const why = dropped.map((d) => `entry ${d.index}: ${d.reason}`).join("; ");
        throw new UsageError(`leaderboard ${args.leaderboard} has no valid entry${why ? ` (${why})` : ""}`);
      }
      const below = belowCut(board);
      const hash = leaderboardHash(board);
      const { listId, txHash } = await ctx.market.promote(challengeId, modelers, hash);
      const c = await ctx.market.timeConfig();
      const activation = ctx.sdk.activationEpoch(c, ctx.sdk.epochOf(c, await ctx.market.now()));
      const serves = ctx.sdk.isoOf(ctx.sdk.startOf(c, activation));
      return {
        data: {
          challengeId,
          listId,
          modelers,
          leaderboardHash: hash,
          activationEpoch: activation,
          txHash,
          dropped,
          belowCut: below,
        },
        lines: [
          `challenge ${challengeId}: list ${listId} promoted, serving from epoch ${activation} (${serves}) (tx ${txHash})`,
          ...modelers.map((m, i) => `  ${i}  ${m}`),
          `leaderboard hash ${hash}`,
          ...leftOut(dropped, below),
        ],
      };
    }),
  );

marketTask(
  "evict",
  "Evicts listed modelers that answered too few of a finished epoch's answered requests; anyone may send it",
)
  .addParam("challenge", "challenge id")
  .addOptionalParam("epoch", "the finished epoch judged (default: the previous epoch)")
  .addOptionalParam(
    "index",
    "one position of the list that served the epoch (default: every modeler under the threshold)",
  )
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge: string; epoch?: string; index?: string }) => {
      const challengeId = parseId(args.challenge, "--challenge");
      const c = await ctx.market.timeConfig();
      const epoch =
        args.epoch === undefined ? ctx.sdk.epochOf(c, await ctx.market.now()) - 1n : parseId(args.epoch, "--epoch");
      let targets: { listId: bigint; index: number; modeler?: string }[];
      if (args.index !== undefined) {
        const served = await ctx.market.activeList(challengeId, ctx.sdk.startOf(c, epoch));
        targets = [{ listId: served.listId, index: Number(parseId(args.index, "--index")) }];
      } else {
        targets = await ctx.market.evictionCandidates(challengeId, epoch);
      }
      if (targets.length === 0) {
        return {
          data: { challengeId, epoch, evicted: [] },
          lines: [`challenge ${challengeId}, epoch ${epoch}: nobody to evict`],
        };
      }
      const evicted = [];
      const lines: string[] = [];
      for (const t of targets) {
        const { txHash } = await ctx.market.evict(challengeId, epoch, t.listId, t.index);
        evicted.push({ ...t, txHash });
        lines.push(
          `challenge ${challengeId}, epoch ${epoch}: evicted position ${t.index} of list ${t.listId}${t.modeler ? ` (${t.modeler})` : ""} (tx ${txHash})`,
        );
      }
      return { data: { challengeId, epoch, evicted }, lines };
    }),
  );
