import { types } from "hardhat/config";
import {
  action,
  LOCAL_CHAIN_ID,
  marketTask,
  parseAmount,
  parseId,
  UsageError,
  type CommonArgs,
  type Ctx,
} from "./lib/cli";
import { answerSummary, follow, interrupted, parseCombine, requestLine } from "./lib/watch";
import type { RequestReadiness, WaitMode } from "../sdk";

function waitModeOf(text: string): WaitMode | "none" {
  if (text === "all" || text === "deadline" || text === "none") return text;
  const first = /^first:(\d+)$/.exec(text);
  if (first && Number(first[1]) > 0) return { first: Number(first[1]) };
  throw new UsageError(`--wait must be all, deadline, first:<k> or none, got "${text}"`);
}

/**
 * Refuses, before anything is sent, a request the market would reject or that nobody could answer (then
 * the fee would only come back by refund after the deadline, unless `force`).
 */
async function checkBeforePaying(
  ctx: Ctx,
  ready: RequestReadiness,
  want: { challengeId: bigint; maxFee?: bigint; force: boolean },
): Promise<void> {
  const id = want.challengeId;
  const c = ready.challenge;
  if (!c) throw new UsageError(`challenge ${id} does not exist`);
  if (ready.paused) throw new UsageError("the market is paused: it takes no requests until a pauser unpauses it");
  if (c.list.listId === 0n) {
    throw new UsageError(
      c.servesFrom === undefined
        ? `challenge ${id} takes no requests yet: the keeper has not promoted a list of modelers for it`
        : `challenge ${id} takes no requests yet: its first list of modelers serves from ${ctx.sdk.isoOf(c.servesFrom)}`,
    );
  }
  if (want.maxFee !== undefined && c.fee > want.maxFee) {
    throw new UsageError(
      `the fee of challenge ${id} is ${ctx.amount(c.fee)}, above --max-fee ${ctx.amount(want.maxFee)}`,
    );
  }
  if (c.answerable.length === 0 && !want.force) {
    throw new UsageError(
      `no modeler of challenge ${id}'s list ${c.list.listId} can answer (registered with a host, opted in, not ` +
        `evicted): the fee would only come back by refund after the deadline; --force pays anyway`,
    );
  }
  if (ready.balance < c.fee) {
    const { chainId } = await ctx.hre.ethers.provider.getNetwork();
    const faucet =
      chainId === LOCAL_CHAIN_ID
        ? `; get test tokens with npx hardhat --network ${ctx.hre.network.name} faucet --to ${ctx.signer.address}`
        : "";
    throw new UsageError(
      `${ctx.signer.address} holds ${ctx.amount(ready.balance)}, less than the fee of ${ctx.amount(c.fee)}${faucet}`,
    );
  }
}

marketTask("request", "Pays for one inference, waits for the answers (or refunds at the deadline) and combines them")
  .addParam("challenge", "challenge id")
  .addParam("input", "the input, as text (e.g. a wallet address)")
  .addOptionalParam("maxFee", "the most the signer pays, in token units (default: the current fee)")
  .addFlag("permit", "sign an EIP-2612 permit instead of approving")
  .addFlag("force", "pay even when no modeler of the active list can answer (the fee comes back by refund)")
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
          force: boolean;
          wait: string;
          combine: string;
          pollMs: number;
        },
      ) => {
        const challengeId = parseId(args.challenge, "--challenge");
        const mode = waitModeOf(args.wait);
        const method = parseCombine(ctx, args.combine);
        const maxFee =
          args.maxFee === undefined ? undefined : parseAmount(args.maxFee, ctx.token.decimals, "--max-fee");
        const ready = await ctx.market.readiness(challengeId, ctx.signer.address);
        await checkBeforePaying(ctx, ready, { challengeId, maxFee, force: args.force });

        const r = await ctx.market.request(challengeId, args.input, {
          maxFee,
          permit: args.permit,
          exactApproval: true,
        });
        const request = {
          requestId: r.requestId,
          key: r.key,
          createdAt: r.createdAt,
          deadline: r.deadline,
          txHash: r.txHash,
        };
        if (mode === "none") return { data: { request }, lines: [requestLine(ctx, r)] };
        // The request's id, deadline and transaction at once: a wait stopped early still leaves them.
        const live = !args.json;
        if (live) console.log(requestLine(ctx, r));

        const waited = await follow(ctx, r, { mode, pollMs: args.pollMs, live });
        if (waited.interrupted) return interrupted(ctx, r, args.market, { request });
        const lines: string[] = [];
        let refund: { amount: bigint; txHash: string } | undefined;
        if (waited.status === ctx.sdk.RequestStatus.Expired) {
          refund = { amount: r.key.fee, txHash: (await ctx.market.refund(r.requestId, r.key)).txHash };
          lines.push(`no answer by the deadline: refunded ${ctx.amount(r.key.fee)} (tx ${refund.txHash})`);
        } else if (waited.status === ctx.sdk.RequestStatus.Refunded) {
          // Anyone may refund, and the keeper sweeps expired requests: it may have come first.
          lines.push(`no answer by the deadline: the fee was refunded to ${r.key.requester} already`);
        }
        const summary = answerSummary(ctx, r, waited.answers, waited.expected, method);
        lines.push(...summary.lines);
        return { data: { request, ...summary.data, refund }, lines };
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
