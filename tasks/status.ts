import { action, marketTask, parseId, table, type CommonArgs, type Ctx } from "./lib/cli";

/** The requests of a challenge still inside their SLA, with the list positions that answered. */
async function openRequests(ctx: Ctx, challengeId: bigint, now: bigint) {
  const { sla } = await ctx.market.timeConfig();
  const fromBlock = await ctx.market.blockAt(now - sla, ctx.fromBlock);
  const made = (await ctx.market.requestsMade({ challengeId, fromBlock })).filter((r) => r.deadline >= now);
  return Promise.all(
    made.map(async (r) => {
      const { answered } = await ctx.market.requestState(r.requestId);
      return {
        requestId: r.requestId,
        requester: r.key.requester,
        createdAt: r.createdAt,
        deadline: r.deadline,
        answered,
      };
    }),
  );
}

/** What the modelers of the list that served `epoch`, and the three fee shares, can claim for it. */
async function claimableFor(ctx: Ctx, challengeId: bigint, epoch: bigint) {
  const c = await ctx.market.timeConfig();
  const served = await ctx.market.activeList(challengeId, ctx.sdk.startOf(c, epoch));
  const rewards = await Promise.all(
    served.members.map(async (m) => ({
      who: m.modeler,
      ...(await ctx.market.claimable(challengeId, m.modeler, [epoch]))[0],
    })),
  );
  const fees = await Promise.all(
    ctx.sdk.FEE_KINDS.map(async (kind) => ({
      who: kind,
      ...(await ctx.market.claimable(challengeId, kind, [epoch]))[0],
    })),
  );
  return {
    epoch,
    claimsOpenAt: ctx.sdk.claimsOpenAt(c, epoch),
    owed: [...rewards, ...fees].map(({ who, amount }) => ({ who, amount })),
  };
}

marketTask(
  "status",
  "Shows the clock, the epoch's window and claim times, and each challenge's lists, open requests and claimable amounts",
)
  .addOptionalParam("challenge", "one challenge id (default: every challenge)")
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge?: string }) => {
      const { isoOf } = ctx.sdk;
      const count = await ctx.market.contract.challengeCount();
      const ids =
        args.challenge === undefined
          ? Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1))
          : [parseId(args.challenge, "--challenge")];
      const now = await ctx.market.now();
      const epoch = ctx.sdk.epochOf(await ctx.market.timeConfig(), now);
      const times = await ctx.market.epochTimes(epoch);
      const paused = await ctx.market.contract.paused();
      const { chainId } = await ctx.hre.ethers.provider.getNetwork();

      const lines = [
        `market ${ctx.market.address} on ${ctx.hre.network.name} (chain ${chainId}), token ${ctx.token.symbol} ${ctx.token.address}${paused ? ", PAUSED" : ""}`,
        `now ${isoOf(now)}, epoch ${epoch}: ${isoOf(times.start)} .. ${isoOf(times.end)}`,
        `  promotion window from ${isoOf(times.windowStart)}${now >= times.windowStart ? " (open)" : ""}`,
        `  epoch ${epoch} final (eviction opens) ${isoOf(times.finalAt)}, its claims open ${isoOf(times.claimsOpenAt)}`,
      ];
      const challenges = [];
      for (const id of ids) {
        const s = await ctx.market.status(id);
        const open = await openRequests(ctx, id, now);
        const claimable = epoch > 0n ? await claimableFor(ctx, id, epoch - 1n) : undefined;
        challenges.push({ ...s, openRequests: open, claimable });

        lines.push("", `challenge ${id}: fee ${ctx.amount(s.fee)}, creator ${s.creator}, admin ${s.admin}`);
        for (const [label, list] of [
          ["active", s.activeList],
          ["pending", s.pendingList],
        ] as const) {
          if (!list || list.listId === 0n) {
            if (label === "active") lines.push("  no active list: requests are refused");
            continue;
          }
          lines.push(
            `  ${label} list ${list.listId} (from epoch ${list.activationEpoch}, ${isoOf(ctx.sdk.startOf(await ctx.market.timeConfig(), list.activationEpoch))})`,
          );
          lines.push(
            ...table(
              ["#", "modeler", "host", "opted in"],
              list.members.map((m) => [
                String(m.index),
                m.modeler,
                m.host === ctx.hre.ethers.ZeroAddress ? "-" : m.host,
                m.evicted ? "evicted" : m.host === ctx.hre.ethers.ZeroAddress ? "not yet" : isoOf(m.optedInAt),
              ]),
            ).map((l) => `  ${l}`),
          );
        }
        const f = s.figures;
        lines.push(
          `  epoch ${epoch}: ${f.answeredRequests} answered requests, ${f.points} answers in time, settled ${ctx.amount(f.settledFees)}, pool ${ctx.amount(f.pool)}`,
        );
        if (s.judgements.length > 0) {
          const { evictionThresholdBps } = await ctx.market.settings();
          lines.push(
            `  eviction so far: ${s.judgements[0].threshold} answers keep a modeler listed (${Number(evictionThresholdBps) / 100}% of ${f.answeredRequests} answered requests)`,
          );
          lines.push(
            ...table(
              ["#", "modeler", "answers", "standing"],
              s.judgements.map((j) => [
                String(j.index),
                j.modeler,
                `${j.points} of ${j.answeredRequests}`,
                !j.judged
                  ? `not judged: ${j.notJudgedBecause}`
                  : j.below
                    ? "below the threshold"
                    : "meets the threshold",
              ]),
            ).map((l) => `  ${l}`),
          );
        }
        if (open.length === 0) lines.push("  no open request");
        else {
          lines.push("  open requests");
          lines.push(
            ...table(
              ["id", "requester", "made", "deadline", "answered by"],
              open.map((r) => [
                String(r.requestId),
                r.requester,
                isoOf(r.createdAt),
                isoOf(r.deadline),
                r.answered.join(",") || "-",
              ]),
            ).map((l) => `  ${l}`),
          );
        }
        if (claimable) {
          const owed = claimable.owed.filter((o) => o.amount > 0n);
          const when = `${now >= claimable.claimsOpenAt ? "opened" : "open"} ${isoOf(claimable.claimsOpenAt)}`;
          if (owed.length === 0) lines.push(`  nothing to claim for epoch ${claimable.epoch} (claims ${when})`);
          else {
            lines.push(`  claimable for epoch ${claimable.epoch} (claims ${when})`);
            lines.push(
              ...table(
                ["who", "amount"],
                owed.map((o) => [o.who, ctx.amount(o.amount)]),
              ).map((l) => `  ${l}`),
            );
          }
        }
      }
      return {
        data: {
          network: ctx.hre.network.name,
          chainId,
          market: ctx.market.address,
          token: ctx.token,
          now,
          epoch,
          times,
          paused,
          challenges,
        },
        lines,
      };
    }),
  );
