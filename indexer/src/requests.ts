import { ponder } from "ponder:registry";
import { answer, challenge, refund, request, skippedAnswer } from "ponder:schema";
import { decodeReason } from "../../sdk/errors";
import { decodeText, isErrorOutput } from "../../sdk/text";
import { epochOf } from "../../sdk/time";
import { time } from "../target";
import { countAnswer, updateEpoch } from "./epochs";
import { placed } from "./event";

ponder.on("InferenceMarket:RequestMade", async ({ event, context }) => {
  const { requestId, challengeId, requester, listId, fee, deadline, input } = event.args;
  const createdAt = event.block.timestamp;
  const epoch = epochOf(time, createdAt);
  const { txHash, blockNumber } = placed(event);
  await context.db.insert(request).values({
    id: requestId,
    challengeId,
    requester,
    listId,
    fee,
    epoch,
    input,
    inputText: decodeText(input),
    createdAt,
    deadline,
    status: "open",
    answerCount: 0,
    settled: false,
    refunded: false,
    blockNumber,
    txHash,
  });
  await context.db.update(challenge, { id: challengeId }).set((c) => ({ requestCount: c.requestCount + 1n }));
  // One list serves a whole epoch, so every request of the epoch names the same one.
  await updateEpoch(context.db, challengeId, epoch, (row) => ({ listId, requests: row.requests + 1n }));
});

ponder.on("InferenceMarket:RequestAnswered", async ({ event, context }) => {
  const { requestId, challengeId, modeler, epoch, settledFee, output } = event.args;
  const made = await context.db
    .update(request, { id: requestId })
    .set((r) => ({ answerCount: r.answerCount + 1, settled: true, status: "answered" as const }));
  const outputText = decodeText(output);
  await context.db.insert(answer).values({
    requestId,
    modeler,
    challengeId,
    epoch,
    output,
    outputText,
    isError: isErrorOutput(outputText),
    settledFee,
    delay: event.block.timestamp - made.createdAt,
    logIndex: event.log.logIndex,
    ...placed(event),
  });
  await countAnswer(context.db, challengeId, epoch, modeler, settledFee);
});

ponder.on("InferenceMarket:RequestRefunded", async ({ event, context }) => {
  const { requestId, challengeId, requester, fee } = event.args;
  const made = await context.db.update(request, { id: requestId }).set({ status: "refunded", refunded: true });
  await context.db.insert(refund).values({ requestId, challengeId, requester, fee, ...placed(event) });
  await updateEpoch(context.db, challengeId, made.epoch, (row) => ({
    refunds: row.refunds + 1n,
    refundedFees: row.refundedFees + fee,
  }));
});

ponder.on("InferenceMarket:AnswerSkipped", async ({ event, context }) => {
  const { requestId, index, reason } = event.args;
  const decoded = decodeReason(reason);
  await context.db.insert(skippedAnswer).values({
    id: event.id,
    requestId,
    index,
    reason,
    error: decoded.errorName ?? null,
    message: decoded.message,
    ...placed(event),
  });
});
