import { action, marketTask, parseId, UsageError, type CommonArgs } from "./lib/cli";

marketTask("answer", "Answers a request as the host of a listed modeler")
  .addParam("request", "request id")
  .addParam("output", "the answer, as text (e.g. a score: 712)")
  .addOptionalParam("index", "the modeler's position in the request's list (default: the one the signer hosts)")
  .setAction(
    action(async (ctx, args: CommonArgs & { request: string; output: string; index?: string }) => {
      const requestId = parseId(args.request, "--request");
      const r = await ctx.market.findRequest(requestId, ctx.fromBlock);
      let index: number;
      if (args.index !== undefined) {
        index = Number(parseId(args.index, "--index"));
      } else {
        const { members } = await ctx.market.list(r.key.challengeId, r.key.listId);
        const hosted = members.filter((m) => m.host === ctx.signer.address);
        if (hosted.length !== 1) {
          throw new UsageError(
            `${ctx.signer.address} hosts ${hosted.length} modelers of list ${r.key.listId}` +
              `${hosted.length > 1 ? ` (positions ${hosted.map((m) => m.index).join(", ")})` : ""}: give --index`,
          );
        }
        index = hosted[0].index;
      }
      const { txHash } = await ctx.market.answer(requestId, r.key, index, args.output);
      return {
        data: { requestId, index, output: args.output, txHash },
        lines: [`request ${requestId} answered at position ${index} with "${args.output}" (tx ${txHash})`],
      };
    }),
  );
