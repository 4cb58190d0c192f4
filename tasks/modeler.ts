import {
  action,
  epochsToClaim,
  marketTask,
  owedNotOpen,
  parseAddress,
  parseId,
  UsageError,
  type CommonArgs,
} from "./lib/cli";

marketTask("register", "Opts the signer in as a modeler of a challenge, answered for by a host")
  .addParam("challenge", "challenge id")
  .addOptionalParam("host", "the address that answers for the modeler (default: the signer itself)")
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge: string; host?: string }) => {
      const challengeId = parseId(args.challenge, "--challenge");
      const host = args.host ? parseAddress(args.host, "--host") : ctx.signer.address;
      const { txHash } = await ctx.market.register(challengeId, host);
      const { optedInAt } = await ctx.market.contract.modelerInfo(challengeId, ctx.signer.address);
      return {
        data: { challengeId, modeler: ctx.signer.address, host, optedInAt, txHash },
        lines: [
          `modeler ${ctx.signer.address} registered on challenge ${challengeId} with host ${host}`,
          `requests made from ${ctx.sdk.isoOf(optedInAt)} on are open to it (tx ${txHash})`,
        ],
      };
    }),
  );

marketTask("host:set", "Changes the signer's host for a challenge; only the new host answers from now on")
  .addParam("challenge", "challenge id")
  .addParam("host", "the new host address")
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge: string; host: string }) => {
      const challengeId = parseId(args.challenge, "--challenge");
      const host = parseAddress(args.host, "--host");
      const { host: oldHost } = await ctx.market.contract.modelerInfo(challengeId, ctx.signer.address);
      const { txHash } = await ctx.market.setHost(challengeId, host);
      return {
        data: { challengeId, modeler: ctx.signer.address, oldHost, host, txHash },
        lines: [`modeler ${ctx.signer.address} on challenge ${challengeId}: host ${oldHost} -> ${host} (tx ${txHash})`],
      };
    }),
  );

marketTask("claim", "Pays a modeler its rewards of finished epochs; anyone may send it")
  .addParam("challenge", "challenge id")
  .addOptionalParam("modeler", "the modeler paid (default: the signer)")
  .addOptionalParam("epochs", "epochs such as 2969,2970 or 2969-2972 (default: every open one owed of the last 8)")
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge: string; modeler?: string; epochs?: string }) => {
      const challengeId = parseId(args.challenge, "--challenge");
      const modeler = args.modeler ? parseAddress(args.modeler, "--modeler") : ctx.signer.address;
      const epochs = await epochsToClaim(ctx, challengeId, modeler, args.epochs);
      if (epochs.length === 0) {
        // "Nothing owed" is said, with exit 0, only when it is true.
        const waiting = await owedNotOpen(ctx, challengeId, modeler);
        if (waiting.length > 0)
          throw new UsageError(`modeler ${modeler}: nothing claimable yet: owed ${waiting.join("; ")}`);
        return { data: { challengeId, modeler, epochs, amount: 0n }, lines: [`modeler ${modeler}: nothing owed`] };
      }
      const { amount, txHash } = await ctx.market.claimRewards(challengeId, modeler, epochs);
      return {
        data: { challengeId, modeler, epochs, amount, txHash },
        lines: [
          `modeler ${modeler}: paid ${ctx.amount(amount)} for epoch${epochs.length > 1 ? "s" : ""} ${epochs.join(", ")} (tx ${txHash})`,
        ],
      };
    }),
  );
