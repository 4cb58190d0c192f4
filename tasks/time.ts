import { action, checkLocalChain, marketTask, UsageError, type CommonArgs } from "./lib/cli";

const MOMENTS = ["window", "epoch-end", "final", "claims"] as const;

marketTask(
  "time",
  "Local chains only: moves the chain's clock to the next moment named, or a UTC date, and mines a block",
)
  .addParam(
    "to",
    "the next time a promotion window opens (window), an epoch ends (epoch-end), an epoch's figures are final and " +
      "its eviction opens (final), an epoch's claims open (claims); or an ISO date such as 2026-12-03T00:10:00Z",
  )
  .setAction(
    action(async (ctx, args: CommonArgs & { to: string }) => {
      const { chainId } = await ctx.hre.ethers.provider.getNetwork();
      checkLocalChain(chainId, ctx.hre.network.name, "time");
      const c = await ctx.market.timeConfig();
      const now = await ctx.market.now();
      const epoch = ctx.sdk.epochOf(c, now);
      // The first such moment after now: the previous epoch's final time and claims may still be ahead.
      const next = (of: (e: bigint) => bigint) => [epoch - 1n, epoch, epoch + 1n].map(of).find((t) => t > now)!;
      const moments: Record<(typeof MOMENTS)[number], () => bigint> = {
        window: () => next((e) => ctx.sdk.windowStart(c, e)),
        "epoch-end": () => next((e) => ctx.sdk.endOf(c, e)),
        final: () => next((e) => ctx.sdk.finalAt(c, e)),
        claims: () => next((e) => ctx.sdk.claimsOpenAt(c, e)),
      };
      const named = MOMENTS.find((m) => m === args.to);
      let at: bigint;
      if (named) at = moments[named]();
      else {
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(args.to)) {
          throw new UsageError(
            `--to must be ${MOMENTS.join(", ")} or an ISO date such as 2026-12-03T00:10:00Z, got "${args.to}"`,
          );
        }
        at = ctx.sdk.utc(args.to);
      }
      // A chain's clock only moves forward: a block must be later than the one before it.
      if (at <= now) throw new UsageError(`the chain is already at ${ctx.sdk.isoOf(now)}, past ${ctx.sdk.isoOf(at)}`);
      await ctx.hre.network.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
      await ctx.hre.network.provider.send("evm_mine", []);
      const reached = await ctx.market.now();
      return {
        data: { from: now, to: reached, epoch: ctx.sdk.epochOf(c, reached) },
        lines: [`time: ${ctx.sdk.isoOf(now)} -> ${ctx.sdk.isoOf(reached)} (epoch ${ctx.sdk.epochOf(c, reached)})`],
      };
    }),
  );
