import { ZeroAddress } from "ethers";
import type { Judgement, ListMember } from "./types";

const BPS = 10_000n;

/**
 * The eviction rule, as `InferenceMarket.evict` applies it once an epoch is final. Only the epoch's answered
 * requests count (at least one answer in time), and a modeler is judged only on an epoch that it was opted in
 * for from the first second: registered, not evicted, its current opt-in at or before `epochStart`. A judged
 * modeler is under the threshold when `points * 10,000 < answeredRequests * thresholdBps`.
 */
export function judge(
  member: ListMember,
  listId: bigint,
  figures: { points: bigint; answeredRequests: bigint; thresholdBps: bigint; epochStart: bigint },
): Judgement {
  const { points, answeredRequests, thresholdBps, epochStart } = figures;
  const notJudgedBecause =
    member.host === ZeroAddress
      ? ("not registered" as const)
      : member.evicted
        ? ("evicted" as const)
        : member.optedInAt > epochStart
          ? ("opted in during or after the epoch" as const)
          : undefined;
  const judged = notJudgedBecause === undefined;
  return {
    listId,
    index: member.index,
    modeler: member.modeler,
    points,
    answeredRequests,
    threshold: (answeredRequests * thresholdBps + BPS - 1n) / BPS,
    judged,
    notJudgedBecause,
    below: judged && points * BPS < answeredRequests * thresholdBps,
  };
}
