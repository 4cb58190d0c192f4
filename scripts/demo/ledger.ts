import type { InferenceMarket } from "../../typechain-types";
import { FEE_KINDS, type FeeKind } from "../../sdk/market";
import { decodeText } from "../../sdk/text";

/*
 * What the market's events say happened, read back from the chain after the run. The checks recompute
 * every payout from these alone, the way an indexer would, and compare them with what was paid.
 */

export interface Ledger {
  promotions: { listId: bigint; epoch: bigint; activationEpoch: bigint; modelers: string[]; at: bigint }[];
  registrations: { modeler: string; host: string; optedInAt: bigint }[];
  requests: { requestId: bigint; requester: string; listId: bigint; fee: bigint; createdAt: bigint; input: string }[];
  answers: { requestId: bigint; modeler: string; epoch: bigint; settledFee: bigint; at: bigint; output: string }[];
  /** Entries of answer batches that the contract left out (AnswerSkipped). */
  skipped: { requestId: bigint; index: bigint; txHash: string }[];
  refunds: { requestId: bigint; requester: string; fee: bigint; txHash: string }[];
  finalized: { epoch: bigint; listId: bigint; points: bigint; rewardDust: bigint; txHash: string }[];
  rewardClaims: { modeler: string; epochs: bigint[]; amount: bigint }[];
  feeClaims: { kind: FeeKind; recipient: string; epoch: bigint; amount: bigint }[];
  evictions: { modeler: string; epoch: bigint; points: bigint; answeredRequests: bigint }[];
}

/** Every event of `market` from `fromBlock` to the head, sorted into the ledger. */
export async function readLedger(market: InferenceMarket, fromBlock: number, sla: bigint): Promise<Ledger> {
  const provider = market.runner!.provider!;
  const logs = await provider.getLogs({ address: await market.getAddress(), fromBlock, toBlock: "latest" });
  const blockTimes = new Map<number, bigint>();
  const timeOf = async (block: number) => {
    if (!blockTimes.has(block)) blockTimes.set(block, BigInt((await provider.getBlock(block))!.timestamp));
    return blockTimes.get(block)!;
  };
  const ledger: Ledger = {
    promotions: [],
    registrations: [],
    requests: [],
    answers: [],
    skipped: [],
    refunds: [],
    finalized: [],
    rewardClaims: [],
    feeClaims: [],
    evictions: [],
  };
  for (const log of logs) {
    const event = market.interface.parseLog(log);
    if (!event) continue;
    const a = event.args;
    switch (event.name) {
      case "ListPromoted":
        ledger.promotions.push({
          listId: a.listId,
          epoch: a.epoch,
          activationEpoch: a.activationEpoch,
          modelers: [...a.modelers],
          at: await timeOf(log.blockNumber),
        });
        break;
      case "ModelerRegistered":
        ledger.registrations.push({ modeler: a.modeler, host: a.host, optedInAt: a.optedInAt });
        break;
      case "RequestMade":
        ledger.requests.push({
          requestId: a.requestId,
          requester: a.requester,
          listId: a.listId,
          fee: a.fee,
          createdAt: a.deadline - sla,
          input: decodeText(a.input),
        });
        break;
      case "RequestAnswered":
        ledger.answers.push({
          requestId: a.requestId,
          modeler: a.modeler,
          epoch: a.epoch,
          settledFee: a.settledFee,
          at: await timeOf(log.blockNumber),
          output: decodeText(a.output),
        });
        break;
      case "AnswerSkipped":
        ledger.skipped.push({ requestId: a.requestId, index: a.index, txHash: log.transactionHash });
        break;
      case "RequestRefunded":
        ledger.refunds.push({
          requestId: a.requestId,
          requester: a.requester,
          fee: a.fee,
          txHash: log.transactionHash,
        });
        break;
      case "EpochFinalized":
        ledger.finalized.push({
          epoch: a.epoch,
          listId: a.listId,
          points: a.points,
          rewardDust: a.rewardDust,
          txHash: log.transactionHash,
        });
        break;
      case "RewardsClaimed":
        ledger.rewardClaims.push({ modeler: a.modeler, epochs: [...a.epochs], amount: a.amount });
        break;
      case "FeesClaimed":
        ledger.feeClaims.push({
          kind: FEE_KINDS[Number(a.kind)],
          recipient: a.recipient,
          epoch: a.epoch,
          amount: a.amount,
        });
        break;
      case "ModelerEvicted":
        ledger.evictions.push({
          modeler: a.modeler,
          epoch: a.epoch,
          points: a.points,
          answeredRequests: a.answeredRequests,
        });
        break;
    }
  }
  return ledger;
}
