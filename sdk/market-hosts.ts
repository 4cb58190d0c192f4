import type { BigNumberish, TransactionReceipt } from "ethers";
import { decodeReason } from "./errors";
import { canAnswer, sameAddress, toBytes } from "./market-reads";
import { MarketUsers } from "./market-users";
import {
  RequestStatus,
  type LogRange,
  type ModelerList,
  type OpenRequest,
  type RequestKeyLike,
  type Sent,
  type SkippedAnswer,
} from "./types";

/** The host's part of the market client: finding the requests it may answer, and answering them. */
export class MarketHosts extends MarketUsers {
  /** Answers a request for the modeler at `index` of its list; `output` is text or raw bytes. */
  answer(requestId: BigNumberish, key: RequestKeyLike, index: number, output: string | Uint8Array): Promise<Sent> {
    return this.execute(this.contract.answer, [requestId, key, index, toBytes(output)]);
  }

  /**
   * Answers several requests in one transaction. The contract takes the entries valid when it is mined and
   * skips the others; `skipped` lists them with their errors. Throws a RevertError
   * (MarketBatchAnsweredNothing, with every entry's error) when no entry is valid, before sending.
   */
  async answerBatch(
    items: readonly { requestId: BigNumberish; key: RequestKeyLike; index: number; output: string | Uint8Array }[],
  ): Promise<Sent & { skipped: SkippedAnswer[] }> {
    const answers = items.map((a) => ({
      requestId: a.requestId,
      key: a.key,
      index: a.index,
      output: toBytes(a.output),
    }));
    const sent = await this.execute(this.contract.answerBatch, [answers]);
    return { ...sent, skipped: this.skippedIn(sent.receipt) };
  }

  /** The entries a mined `answerBatch` left out, from its `AnswerSkipped` events. */
  skippedIn(receipt: TransactionReceipt): SkippedAnswer[] {
    const skipped: SkippedAnswer[] = [];
    for (const log of receipt.logs) {
      if (!sameAddress(log.address, this.address)) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name !== "AnswerSkipped") continue;
      skipped.push({
        requestId: parsed.args.requestId,
        index: Number(parsed.args.index),
        error: decodeReason(parsed.args.reason),
      });
    }
    return skipped;
  }

  /**
   * The requests of the range that `host` may still answer: for every listed modeler whose current host it
   * is, opted in when the request was made, not evicted, not answered yet by that modeler, and whose
   * deadline is later than the latest block (so an answer in the next block is in time). Most urgent first.
   */
  async openRequestsFor(host: string, range: LogRange): Promise<OpenRequest[]> {
    const now = await this.now();
    const made = (await this.requestsMade(range)).filter((r) => r.deadline > now);
    const lists = new Map<string, Promise<ModelerList>>();
    const open: OpenRequest[] = [];
    for (const r of made) {
      const listKey = `${r.key.challengeId}/${r.key.listId}`;
      if (!lists.has(listKey)) lists.set(listKey, this.list(r.key.challengeId, r.key.listId));
      const mine = (await lists.get(listKey)!).members.filter(
        (m) => sameAddress(m.host, host) && canAnswer(m, r.createdAt),
      );
      if (mine.length === 0) continue;
      const { status, answered } = await this.requestState(r.requestId);
      if (status !== RequestStatus.Open && status !== RequestStatus.Answered) continue;
      for (const m of mine) {
        if (!answered.includes(m.index)) open.push({ ...r, index: m.index, modeler: m.modeler });
      }
    }
    return open.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
  }

  /** The challenges in which a `HostChanged` or `ModelerRegistered` event of the range names `host`. */
  async challengesNaming(host: string, range: LogRange): Promise<bigint[]> {
    const [moved, registered] = await Promise.all([
      this.scan(this.contract.filters.HostChanged(undefined, undefined, host), range),
      this.scan(this.contract.filters.ModelerRegistered(undefined, undefined, host), range),
    ]);
    return [...new Set([...moved, ...registered].map((e) => e.args.challengeId))];
  }
}
