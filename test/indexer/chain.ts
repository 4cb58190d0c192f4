/*
 * "The index equals the chain", for any history: every request, answer and refund the indexer serves against the
 * market's events on the node's canonical chain, and its per-epoch figures against the contract's views
 * (`requestState`, `epochFigures`, `pointsOf`). The agreement test checks a known story in more detail; this
 * check needs no story, so a reorg or a restarted backfill can be held to it.
 */
import { expect } from "chai";
import { Market, RequestStatus, type Deployment } from "../../sdk";
import type { Indexer } from "./harness";
import { EPOCH_FIELDS, low, type AnswerRow, type EpochRow, type RequestRow } from "./rows";

export interface RefundRow {
  requestId: string;
  challengeId: string;
  requester: string;
  fee: string;
  blockNumber: string;
  txHash: string;
}

/** What the index held once it equalled the chain: its rows, for a test's own further checks. */
export interface Indexed {
  head: number;
  requests: RequestRow[];
  answers: AnswerRow[];
  refunds: RefundRow[];
}

const byKey =
  <T>(key: (row: T) => string) =>
  (a: T, b: T) =>
    key(a).localeCompare(key(b));
const pad = (n: string | bigint | number) => String(n).padStart(12, "0");

/**
 * Asserts that the index equals the chain at its head; the caller has waited for the indexer to index the head,
 * and nothing is mined meanwhile.
 */
export async function expectIndexedEqualsChain(
  indexer: Indexer,
  market: Market,
  deployment: Deployment,
): Promise<Indexed> {
  // "latest" read now: ethers caches the block number for a moment.
  const headBlock = (await market.provider.getBlock("latest"))!;
  const head = headBlock.number;
  expect(await indexer.indexedBlock(), "the indexed head").to.equal(head);
  const headTime = BigInt(headBlock.timestamp);
  const range = { fromBlock: deployment.startBlock, toBlock: head };

  // Requests: the RequestMade events of the canonical chain, no more, no fewer.
  const requests = await indexer.all<RequestRow>(
    "requests",
    "id challengeId requester listId fee epoch input inputText createdAt deadline status answerCount settled refunded txHash",
    ', orderBy: "id"',
  );
  const made = await market.requestsMade(range);
  expect(BigInt(requests.length), "requestCount").to.equal(await market.contract.requestCount());
  expect(
    requests.map((r) => ({
      id: r.id,
      challengeId: r.challengeId,
      requester: r.requester,
      listId: r.listId,
      fee: r.fee,
      input: r.input,
      createdAt: r.createdAt,
      deadline: r.deadline,
      txHash: r.txHash,
    })),
    "requests",
  ).to.deep.equal(
    made.map((m) => ({
      id: String(m.requestId),
      challengeId: String(m.key.challengeId),
      requester: low(m.key.requester),
      listId: String(m.key.listId),
      fee: String(m.key.fee),
      input: m.input,
      createdAt: String(m.createdAt),
      deadline: String(m.deadline),
      txHash: m.txHash,
    })),
  );

  // Answers: the RequestAnswered events.
  const answers = await indexer.all<AnswerRow>(
    "answers",
    "requestId modeler challengeId epoch output outputText isError settledFee delay blockNumber timestamp txHash",
  );
  const answered = await market.contract.queryFilter(market.contract.filters.RequestAnswered(), ...toRange(range));
  const answerKey = (a: { requestId: string; modeler: string }) => `${pad(a.requestId)}/${a.modeler}`;
  expect(
    answers
      .map((a) => ({
        requestId: a.requestId,
        modeler: a.modeler,
        epoch: a.epoch,
        output: a.output,
        settledFee: a.settledFee,
        blockNumber: a.blockNumber,
        txHash: a.txHash,
      }))
      .sort(byKey(answerKey)),
    "answers",
  ).to.deep.equal(
    answered
      .map((log) => ({
        requestId: String(log.args.requestId),
        modeler: low(log.args.modeler),
        epoch: String(log.args.epoch),
        output: log.args.output,
        settledFee: String(log.args.settledFee),
        blockNumber: String(log.blockNumber),
        txHash: log.transactionHash,
      }))
      .sort(byKey(answerKey)),
  );

  // Refunds: the RequestRefunded events.
  const refunds = await indexer.all<RefundRow>("refunds", "requestId challengeId requester fee blockNumber txHash");
  const refunded = await market.contract.queryFilter(market.contract.filters.RequestRefunded(), ...toRange(range));
  expect(refunds.sort(byKey((r) => pad(r.requestId))), "refunds").to.deep.equal(
    refunded
      .map((log) => ({
        requestId: String(log.args.requestId),
        challengeId: String(log.args.challengeId),
        requester: low(log.args.requester),
        fee: String(log.args.fee),
        blockNumber: String(log.blockNumber),
        txHash: log.transactionHash,
      }))
      .sort(byKey((r) => pad(r.requestId))),
  );

  // Each request's state as `requestState`: status (expired is open past its deadline) and answered positions.
  const members = new Map<string, string[]>();
  for (const r of requests) {
    const state = await market.requestState(r.id);
    const mine = answers.filter((a) => a.requestId === r.id);
    expect([r.answerCount, r.settled, r.refunded], `request ${r.id} counts`).to.deep.equal([
      mine.length,
      mine.length > 0,
      r.status === "refunded",
    ]);
    const status =
      r.status === "refunded"
        ? RequestStatus.Refunded
        : r.status === "answered"
          ? RequestStatus.Answered
          : headTime > BigInt(r.deadline)
            ? RequestStatus.Expired
            : RequestStatus.Open;
    expect(status, `request ${r.id} status`).to.equal(state.status);
    if (status === RequestStatus.Refunded) continue;
    const list = `${r.challengeId}/${r.listId}`;
    if (!members.has(list))
      members.set(
        list,
        (await market.list(r.challengeId, r.listId)).members.map((m) => low(m.modeler)),
      );
    const positions = mine.map((a) => members.get(list)!.indexOf(a.modeler)).sort((a, b) => a - b);
    expect(positions, `request ${r.id} answered positions`).to.deep.equal(state.answered);
  }

  // Per-epoch figures as `epochFigures`, modelers' points as `pointsOf`.
  const epochs = await indexer.all<EpochRow>("challengeEpochs", EPOCH_FIELDS);
  for (const e of epochs) {
    const f = await market.contract.epochFigures(e.challengeId, e.epoch);
    expect(e, `epoch ${e.challengeId}/${e.epoch}`).to.deep.include({
      settledFees: String(f.settledFees),
      answeredRequests: String(f.answeredRequests),
      points: String(f.points),
      pool: String(f.pool),
      creatorShare: String(f.creatorShare),
      adminShare: String(f.adminShare),
      platformShare: String(f.platformShare),
      finalized: f.finalized,
    });
    expect(BigInt(e.requests), `epoch ${e.challengeId}/${e.epoch} requests`).to.equal(
      BigInt(requests.filter((r) => r.challengeId === e.challengeId && r.epoch === e.epoch).length),
    );
  }
  const modelerEpochs = await indexer.all<{ challengeId: string; modeler: string; epoch: string; points: string }>(
    "modelerEpochs",
    "challengeId modeler epoch points",
  );
  for (const m of modelerEpochs) {
    const points = await market.contract.pointsOf(m.challengeId, m.modeler, m.epoch);
    expect(m.points, `points of ${m.challengeId}/${m.modeler}/${m.epoch}`).to.equal(String(points));
  }
  // Every modeler with points on chain has its row: the answers name them all.
  for (const a of answers) {
    expect(
      modelerEpochs.some((m) => m.challengeId === a.challengeId && m.modeler === a.modeler && m.epoch === a.epoch),
      `modelerEpoch of answer ${a.requestId}/${a.modeler}`,
    ).to.equal(true);
  }
  return { head, requests, answers, refunds };
}

function toRange(range: { fromBlock: number; toBlock: number }): [number, number] {
  return [range.fromBlock, range.toBlock];
}
