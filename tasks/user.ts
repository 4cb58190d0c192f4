import { types } from "hardhat/config";
import { action, marketTask, parseAmount, parseId, UsageError, type CommonArgs, type Ctx } from "./lib/cli";
import type { MadeRequest, WaitMode } from "../sdk";

function waitModeOf(text: string): WaitMode | "none" {
  if (text === "all" || text === "deadline" || text === "none") return text;
  const first = /^first:(\d+)$/.exec(text);
  if (first && Number(first[1]) > 0) return { first: Number(first[1]) };
  throw new UsageError(`--wait must be all, deadline, first:<k> or none, got "${text}"`);
}

function requestLines(ctx: Ctx, r: MadeRequest): string[] {
  return [
    `request ${r.requestId} on challenge ${r.key.challengeId} (list ${r.key.listId}): fee ${ctx.amount(r.key.fee)}, ` +
      `made ${ctx.sdk.isoOf(r.createdAt)}, answers due by ${ctx.sdk.isoOf(r.deadline)} (tx ${r.txHash})`,
  ];
}

marketTask("request", "Pays for one inference, waits for the answers (or refunds at the deadline) and combines them")
  .addParam("challenge", "challenge id")
  .addParam("input", "the input, as text (e.g. a wallet address)")
  .addOptionalParam("maxFee", "the most the signer pays, in token units (default: the current fee)")
  .addFlag("permit", "sign an EIP-2612 permit instead of approving")
  .addOptionalParam("wait", "all (every opted-in modeler), deadline, first:<k>, or none", "all")
  .addOptionalParam("combine", "first, majority or median", "majority")
  .addOptionalParam("pollMs", "milliseconds between checks while waiting", 1_000, types.int)
  .setAction(
    action(
      async (
        ctx,
        args: CommonArgs & {
          challenge: string;
          input: string;
          maxFee?: string;
          permit: boolean;
          wait: string;
          combine: string;
          pollMs: number;
        },
      ) => {
        const challengeId = parseId(args.challenge, "--challenge");
        const mode = waitModeOf(args.wait);
        const method = ctx.sdk.COMBINE_METHODS.find((m) => m === args.combine);
        if (!method)
          throw new UsageError(`--combine must be ${ctx.sdk.COMBINE_METHODS.join(", ")}, got "${args.combine}"`);
        const maxFee =
          args.maxFee === undefined ? undefined : parseAmount(args.maxFee, ctx.token.decimals, "--max-fee");

        const r = await ctx.market.request(challengeId, args.input, { maxFee, permit: args.permit });
        const lines = requestLines(ctx, r);
        const request = {
          requestId: r.requestId,
          key: r.key,
          createdAt: r.createdAt,
          deadline: r.deadline,
          txHash: r.txHash,
        };
        if (mode === "none") return { data: { request }, lines };

        const { answers, expected, status } = await ctx.market.waitForAnswers(r, { mode, pollMs: args.pollMs });
        let refund: { amount: bigint; txHash: string } | undefined;
        if (status === ctx.sdk.RequestStatus.Expired) {
          refund = { amount: r.key.fee, txHash: (await ctx.market.refund(r.requestId, r.key)).txHash };
          lines.push(`no answer by the deadline: refunded ${ctx.amount(r.key.fee)} (tx ${refund.txHash})`);
        }
        // Error answers (the model refused the input, failed or ran out of time) say why, and count in no result.
        const result = ctx.sdk.combine(
          method,
          answers.map((a) => a.text),
        );
        const results = answers.filter((a) => !ctx.sdk.isErrorOutput(a.text));
        const errors = answers.filter((a) => ctx.sdk.isErrorOutput(a.text));
        if (answers.length > 0) {
          lines.push(`answers (${answers.length} of ${expected} expected):`);
          for (const a of results) lines.push(`  ${a.modeler}  ${a.text}`);
          if (errors.length > 0) {
            lines.push(`error answers (${errors.length}), left out of the result:`);
            for (const a of errors) lines.push(`  ${a.modeler}  ${a.text}`);
          }
          lines.push(`${method}: ${result ?? "(no answer qualifies)"}`);
        }
        const asData = (a: (typeof answers)[number]) => ({ modeler: a.modeler, output: a.text });
        return {
          data: {
            request,
            expected,
            answers: results.map(asData),
            errorAnswers: errors.map(asData),
            combine: method,
            result,
            refund,
          },
          lines,
        };
      },
    ),
  );

marketTask("refund", "Returns the fee of a request nobody answered in time to its requester; anyone may send it")
  .addParam("request", "request id")
  .setAction(
    action(async (ctx, args: CommonArgs & { request: string }) => {
      const requestId = parseId(args.request, "--request");
      const r = await ctx.market.findRequest(requestId, ctx.fromBlock);
      const { txHash } = await ctx.market.refund(requestId, r.key);
      return {
        data: { requestId, requester: r.key.requester, amount: r.key.fee, txHash },
        lines: [`request ${requestId}: refunded ${ctx.amount(r.key.fee)} to ${r.key.requester} (tx ${txHash})`],
      };
    }),
  );
