import {
  action,
  epochsToClaim,
  marketTask,
  owedNotOpen,
  parseAddress,
  parseAmount,
  parseId,
  UsageError,
  type CommonArgs,
} from "./lib/cli";

marketTask("challenge:create", "Creates a challenge (needs CHALLENGE_MANAGER_ROLE)")
  .addParam("fee", "fee per request in token units, e.g. 1.5")
  .addOptionalParam("creator", "receives the creator share (default: the signer)")
  .addOptionalParam("admin", "sets the fee and receives the admin share (default: the signer)")
  .addOptionalParam("metadata", "free text or a URI describing the task", "")
  .setAction(
    action(async (ctx, args: CommonArgs & { fee: string; creator?: string; admin?: string; metadata: string }) => {
      const fee = parseAmount(args.fee, ctx.token.decimals, "--fee");
      const creator = args.creator ? parseAddress(args.creator, "--creator") : ctx.signer.address;
      const admin = args.admin ? parseAddress(args.admin, "--admin") : ctx.signer.address;
      const { challengeId, txHash } = await ctx.market.createChallenge(creator, admin, fee, args.metadata);
      return {
        data: { challengeId, fee, creator, admin, metadata: args.metadata, txHash },
        lines: [
          `challenge ${challengeId} created: fee ${ctx.amount(fee)}, creator ${creator}, admin ${admin} (tx ${txHash})`,
        ],
      };
    }),
  );

marketTask("challenge:fee", "Sets the fee of a challenge's later requests (its admin only)")
  .addParam("challenge", "challenge id")
  .addParam("fee", "new fee per request in token units")
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge: string; fee: string }) => {
      const challengeId = parseId(args.challenge, "--challenge");
      const fee = parseAmount(args.fee, ctx.token.decimals, "--fee");
      const { fee: oldFee } = await ctx.market.contract.challenge(challengeId);
      const { txHash } = await ctx.market.setFee(challengeId, fee);
      return {
        data: { challengeId, oldFee, fee, txHash },
        lines: [
          `challenge ${challengeId}: fee ${ctx.amount(oldFee)} -> ${ctx.amount(fee)} for later requests (tx ${txHash})`,
        ],
      };
    }),
  );

marketTask("claim:fees", "Pays the creator, admin or platform share of finished epochs; anyone may send it")
  .addParam("challenge", "challenge id")
  .addOptionalParam("kind", "creator, admin, platform or all", "all")
  .addOptionalParam("epochs", "epochs such as 2969,2970 or 2969-2972 (default: every open one owed of the last 8)")
  .setAction(
    action(async (ctx, args: CommonArgs & { challenge: string; kind: string; epochs?: string }) => {
      const challengeId = parseId(args.challenge, "--challenge");
      const { FEE_KINDS } = ctx.sdk;
      const kinds = args.kind === "all" ? [...FEE_KINDS] : FEE_KINDS.filter((k) => k === args.kind);
      if (kinds.length === 0)
        throw new UsageError(`--kind must be creator, admin, platform or all, got "${args.kind}"`);
      const claims = [];
      const lines: string[] = [];
      const notYet: string[] = [];
      for (const kind of kinds) {
        const epochs = await epochsToClaim(ctx, challengeId, kind, args.epochs);
        if (epochs.length === 0) {
          const waiting = await owedNotOpen(ctx, challengeId, kind);
          if (waiting.length > 0) notYet.push(`${kind}: nothing claimable yet: owed ${waiting.join("; ")}`);
          else lines.push(`${kind}: nothing owed`);
          continue;
        }
        const { amount, txHash } = await ctx.market.claimFees(challengeId, kind, epochs);
        claims.push({ kind, epochs, amount, txHash });
        lines.push(
          `${kind}: paid ${ctx.amount(amount)} for epoch${epochs.length > 1 ? "s" : ""} ${epochs.join(", ")} (tx ${txHash})`,
        );
      }
      // "Nothing owed" is said, with exit 0, only when it is true: a share owed but not open yet fails the task.
      if (claims.length === 0 && notYet.length > 0) throw new UsageError([...notYet, ...lines].join("\n"));
      lines.push(...notYet);
      return { data: { challengeId, claims }, lines };
    }),
  );
