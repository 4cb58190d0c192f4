import { types } from "hardhat/config";
import { action, marketTask, parseId, type CommonArgs, type Ctx } from "./lib/cli";
import { answerSummary, duration, follow, interrupted, parseCombine, requestLine, resumeHint } from "./lib/watch";
import type { RequestReport } from "../sdk";

/** The request's status in words, with what can still happen to it. */
function statusLine(ctx: Ctx, report: RequestReport, now: bigint, market?: string): string {
  const { RequestStatus } = ctx.sdk;
  const r = report.request;
  const left = duration(r.deadline - now);
  if (report.status === RequestStatus.Open) return `open, ${left} left`;
  if (report.status === RequestStatus.Expired) {
    const { refund } = resumeHint(ctx.hre.network.name, r.requestId, market);
    return `expired: nobody answered by the deadline; get the fee back with ${refund}`;
  }
  if (report.status === RequestStatus.Refunded) {
    return `refunded: nobody answered by the deadline, and the fee went back to ${r.key.requester}`;
  }
  return now <= r.deadline ? `answered, ${left} left for more answers` : "answered";
}

marketTask("answers", "Shows a request (fee, times, status), its answers and their combination; --wait follows it")
  .addParam("request", "request id")
  .addOptionalParam("combine", "first, majority or median", "majority")
  .addFlag("wait", "while the request is open, wait for every expected answer or the deadline, showing them")
  .addOptionalParam("pollMs", "milliseconds between checks while waiting", 1_000, types.int)
  .setAction(
    action(async (ctx, args: CommonArgs & { request: string; combine: string; wait: boolean; pollMs: number }) => {
      const requestId = parseId(args.request, "--request");
      const method = parseCombine(ctx, args.combine);
      let report = await ctx.market.requestReport(requestId, ctx.fromBlock);
      const r = report.request;
      const input = ctx.sdk.decodeText(r.input);
      const request = { requestId, key: r.key, input, createdAt: r.createdAt, deadline: r.deadline, txHash: r.txHash };
      const lines = [requestLine(ctx, r), `input: ${input}`];
      // Answers can come until the deadline, also after the first one.
      if (args.wait && (await ctx.market.now()) <= r.deadline && report.answers.length < report.expected) {
        const live = !args.json;
        if (live) for (const line of lines.splice(0)) console.log(line);
        const waited = await follow(ctx, r, { mode: "all", pollMs: args.pollMs, live });
        if (waited.interrupted) return interrupted(ctx, r, args.market, { request });
        report = { request: r, ...waited };
      }
      lines.push(`status: ${statusLine(ctx, report, await ctx.market.now(), args.market)}`);
      const summary = answerSummary(ctx, r, report.answers, report.expected, method);
      lines.push(...(report.answers.length > 0 ? summary.lines : [`no answers (${report.expected} expected)`]));
      const status = ctx.sdk.RequestStatus[report.status].toLowerCase();
      return { data: { request, status, ...summary.data }, lines };
    }),
  );
