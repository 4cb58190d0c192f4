/*
 * sdk/indexer.ts against a real node and indexer (test/indexer/harness.ts) after the story of
 * test/indexer/scenario.ts: every query's answer equals what the contract's views and the SDK's log scans say
 * at the head, and the story's ledger.
 */
import { expect } from "chai";
import {
  FEE_KINDS,
  IndexerClient,
  IndexerError,
  RequestStatus,
  combine,
  type IndexedRequest,
  type IndexedStatus,
} from "../../sdk";
import { freePort, liveChildren } from "../e2e/harness";
import { indexedStory, type IndexedStory } from "../indexer/harness";
import { FEES, HOST, MODELERS, USERS } from "../indexer/scenario";

const STATUS: Record<IndexedStatus, RequestStatus> = {
  open: RequestStatus.Open,
  answered: RequestStatus.Answered,
  expired: RequestStatus.Expired,
  refunded: RequestStatus.Refunded,
};

describe("indexer: sdk/indexer", function () {
  let s: IndexedStory;
  let client: IndexerClient;

  before(async function () {
    this.timeout(300_000);
    s = await indexedStory();
    client = new IndexerClient(s.indexer.url);
  });

  after(async function () {
    this.timeout(60_000);
    await s?.stop();
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    if (s) console.log(`      indexer: ${s.timings.join(", ")}`);
  });

  const made = () => [...s.story.ledger.requests.values()];
  const [c1, c2] = [() => s.story.ledger.challenges[0], () => s.story.ledger.challenges[1]];

  /** A request as the chain says it: its RequestMade, requestState and RequestAnswered logs. */
  async function expectAsChain(r: IndexedRequest) {
    const m = made().find((x) => x.requestId === r.requestId)!;
    expect(r, `request ${r.requestId}`).to.deep.include({
      key: m.key,
      input: m.input,
      createdAt: m.createdAt,
      deadline: m.deadline,
      blockNumber: m.blockNumber,
      txHash: m.txHash,
    });
    expect(STATUS[r.status], `request ${r.requestId} status`).to.equal(
      (await s.market.requestState(r.requestId)).status,
    );
    const answers = await s.market.answersOf(r.requestId, m.blockNumber);
    expect(r.answers.map((a) => [a.modeler, a.output, a.delay, a.settledFee, a.txHash])).to.deep.equal(
      answers.map((a) => [a.modeler, a.text, a.answeredAt - m.createdAt, a.settledFee, a.txHash]),
    );
    expect(r.answerCount).to.equal(answers.length);
  }

  describe("requestsBy", () => {
    it("gives each user's requests newest first, with their answers, as the chain says; pages join up", async () => {
      for (const user of USERS) {
        const all = await client.requestsBy(user.address, { now: s.headTime });
        expect(all.next).to.equal(null);
        const mine = made().filter((r) => r.key.requester === user.address);
        expect(all.requests.map((r) => r.requestId)).to.deep.equal(mine.map((r) => r.requestId).reverse());
        for (const r of all.requests) await expectAsChain(r);

        const paged: IndexedRequest[] = [];
        let after: string | null = null;
        do {
          const page = await client.requestsBy(user.address.toLowerCase(), { limit: 2, after, now: s.headTime });
          expect(page.requests.length).to.be.at.most(2);
          paged.push(...page.requests);
          after = page.next;
        } while (after !== null);
        expect(paged).to.deep.equal(all.requests);
      }
    });

    it("decides expired against `now`, by default the last indexed block's time", async () => {
      const r9 = s.story.ledger.requests.get("r9")!;
      const status = async (now?: bigint) =>
        (await client.requestsBy(r9.key.requester, { limit: 1, now })).requests[0].status;
      expect([await status(), await status(r9.deadline), await status(r9.deadline + 1n)]).to.deep.equal([
        "open",
        "open",
        "expired",
      ]);
      expect((await client.requestsBy(MODELERS[0].address)).requests).to.deep.equal([]);
    });
  });

  describe("request", () => {
    it("gives one request with its answers in the order made, which sdk combine reads; undefined when unknown", async () => {
      for (const m of made()) {
        const r = (await client.request(m.requestId))!;
        await expectAsChain(r);
        const page = await client.requestsBy(m.key.requester, { now: s.headTime });
        expect(r).to.deep.equal(page.requests.find((x) => x.requestId === m.requestId));
      }
      const r1 = (await client.request(s.story.ledger.requests.get("r1")!.requestId))!;
      expect(r1.answers.map((a) => a.output)).to.deep.equal(["710", "711", "712"]);
      const r5 = (await client.request(s.story.ledger.requests.get("r5")!.requestId))!;
      expect([
        r5.answers[0].isError,
        combine(
          "majority",
          r5.answers.map((a) => a.output),
        ),
      ]).to.deep.equal([true, undefined]);
      expect(await client.request(10_000n)).to.equal(undefined);
    });
  });

  describe("modelerEpochs", () => {
    it("gives points as `pointsOf`, claimable as `claimableReward`, the eviction base as `epochFigures`", async () => {
      const { evictionThresholdBps } = await s.market.settings();
      let seen = 0;
      for (const challengeId of s.story.ledger.challenges) {
        for (const m of MODELERS) {
          const epochs = await client.modelerEpochs(challengeId, m.address);
          for (const e of epochs) {
            const where = `${challengeId}/${m.address}/${e.epoch}`;
            const f = await s.market.contract.epochFigures(challengeId, e.epoch);
            expect(e.points, where).to.equal(await s.market.contract.pointsOf(challengeId, m.address, e.epoch));
            expect(e.claimable, where).to.equal(
              await s.market.contract.claimableReward(challengeId, m.address, e.epoch),
            );
            expect([e.answeredRequests, e.totalPoints, e.pool, e.finalized], where).to.deep.equal([
              f.answeredRequests,
              f.points,
              f.pool,
              f.finalized,
            ]);
            expect(e.thresholdBps).to.equal(BigInt(evictionThresholdBps));
            expect(e.threshold * 10_000n >= e.answeredRequests * e.thresholdBps).to.equal(true);
            seen++;
          }
          expect(epochs.map((e) => e.epoch)).to.deep.equal([...epochs.map((e) => e.epoch)].sort());
        }
      }
      expect(seen).to.be.greaterThan(4);
    });

    it("charts the evicted modeler: E1 under the threshold and marked, E2 listed with no points", async () => {
      const { e0 } = s.story.ledger;
      const epochs = await client.modelerEpochs(c1(), MODELERS[2].address);
      const byEpoch = new Map(epochs.map((e) => [e.epoch, e]));
      const e1 = byEpoch.get(e0 + 1n)!;
      expect([e1.points, e1.answeredRequests, e1.evicted, e1.points < e1.threshold]).to.deep.equal([
        1n,
        3n,
        true,
        true,
      ]);
      expect(byEpoch.get(e0 + 2n)).to.deep.include({ listed: true, points: 0n, evicted: false, claimable: 0n });
      const claimed = s.story.ledger.rewardClaims[0];
      const m0 = await client.modelerEpochs(claimed.challengeId, claimed.modeler);
      expect(m0.find((e) => e.epoch === claimed.epochs[0])).to.deep.include({
        claimed: true,
        claimable: 0n,
        reward: claimed.amount,
      });
    });
  });

  describe("challengeHistory", () => {
    it("gives the challenge as `challenge`, its fee history, lists as `list` and epochs as `epochFigures`", async () => {
      for (const challengeId of s.story.ledger.challenges) {
        const h = (await client.challengeHistory(challengeId))!;
        const onChain = await s.market.contract.challenge(challengeId);
        expect([h.id, h.creator, h.admin, h.fee, h.listCount]).to.deep.equal([
          challengeId,
          onChain.creator,
          onChain.admin,
          onChain.fee,
          onChain.listCount,
        ]);
        expect(h.fees.at(-1)!.newFee).to.equal(onChain.fee);
        expect(h.admins.at(-1)!.newAdmin).to.equal(onChain.admin);
        expect(h.lists.map((l) => [l.listId, l.members, l.leaderboardHash])).to.deep.equal(
          s.story.ledger.lists.filter((l) => l.challengeId === challengeId).map((l) => [l.listId, l.members, l.hash]),
        );
        for (const l of h.lists) {
          const [activationEpoch, members] = await s.market.contract.list(challengeId, l.listId);
          expect([l.activationEpoch, l.members]).to.deep.equal([activationEpoch, [...members]]);
        }
        for (const e of h.epochs) {
          const f = await s.market.contract.epochFigures(challengeId, e.epoch);
          expect(e, `epoch ${e.epoch}`).to.deep.include({
            listId: f.listId,
            settledFees: f.settledFees,
            answeredRequests: f.answeredRequests,
            points: f.points,
            pool: f.pool,
            creatorShare: f.creatorShare,
            adminShare: f.adminShare,
            platformShare: f.platformShare,
            rewardDust: f.rewardDust,
            finalized: f.finalized,
          });
        }
        for (const m of h.modelers) {
          const info = await s.market.contract.modelerInfo(challengeId, m.modeler);
          expect([m.host, m.optedInAt, m.evicted]).to.deep.equal([info.host, info.optedInAt, info.evicted]);
        }
      }
      const h1 = (await client.challengeHistory(c1()))!;
      expect(h1.fees.map((f) => [f.oldFee, f.newFee])).to.deep.equal([
        [null, FEES.first],
        [FEES.first, FEES.changed],
      ]);
      expect(await client.challengeHistory(99n)).to.equal(undefined);
    });
  });

  describe("feeShares", () => {
    it("gives each epoch's shares claimable as `claimableFees`, with the story's claims", async () => {
      for (const challengeId of s.story.ledger.challenges) {
        const epochs = await client.feeShares(challengeId);
        expect(epochs.length).to.be.greaterThan(0);
        for (const e of epochs) {
          for (const [i, kind] of FEE_KINDS.entries()) {
            const share = e.shares[kind];
            expect(share.claimable, `${challengeId}/${e.epoch} ${kind}`).to.equal(
              await s.market.contract.claimableFees(challengeId, i, e.epoch),
            );
            const claims = s.story.ledger.feeClaims.filter(
              (c) => c.challengeId === challengeId && c.epoch === e.epoch && c.kind === kind,
            );
            expect(share.claims.map((c) => c.amount)).to.deep.equal(claims.map((c) => c.amount));
            expect(share.claimed).to.equal(claims.length > 0);
            if (share.claimed) expect(share.claims[0].amount).to.equal(share.amount);
          }
        }
      }
    });
  });

  describe("expiredUnrefunded", () => {
    it("gives the requests that `requestState` calls expired, of one challenge or all, at any `now`", async () => {
      const expired = async (now: bigint) => {
        const ids = [];
        for (const m of made()) {
          const { status, deadline } = await s.market.requestState(m.requestId);
          // requestState reads the head's time: later, an open request expires past its deadline.
          if (status === RequestStatus.Expired || (status === RequestStatus.Open && deadline < now)) ids.push(m);
        }
        return ids.sort((a, b) => Number(a.deadline - b.deadline)).map((r) => r.requestId);
      };
      const r7 = s.story.ledger.requests.get("r7")!;
      const atHead = (await client.expiredUnrefunded(undefined, s.headTime)).found;
      expect(atHead.map((r) => r.requestId)).to.deep.equal(await expired(s.headTime));
      expect(atHead.map((r) => [r.requestId, r.status, r.key])).to.deep.equal([[r7.requestId, "expired", r7.key]]);
      expect((await client.expiredUnrefunded(c1(), s.headTime)).found).to.deep.equal([]);
      const later = s.story.ledger.requests.get("r9")!.deadline + 1n;
      expect((await client.expiredUnrefunded(undefined, later)).found.map((r) => r.requestId)).to.deep.equal(
        await expired(later),
      );
      expect((await client.expiredUnrefunded(c2(), later)).found.map((r) => r.requestId)).to.deep.equal([r7.requestId]);
    });
  });

  describe("openRequestsFor", () => {
    it("gives what the SDK's log scan `openRequestsFor` gives for the host at the head, and the block it covers", async () => {
      const pairs = s.story.ledger.challenges.flatMap((challengeId) =>
        MODELERS.map((m) => ({ challengeId, modeler: m.address })),
      );
      const now = s.headTime;
      const { found: indexed, indexedBlock } = await client.openRequestsFor(pairs, 0n, { now, host: HOST.address });
      const scanned = await s.market.openRequestsFor(HOST.address, { fromBlock: s.deployment.startBlock });
      const key = (r: { requestId: bigint; index: number; modeler: string }) => [r.requestId, r.index, r.modeler];
      expect(indexed.map(key)).to.deep.equal(scanned.map(key));
      expect(indexed.length).to.be.greaterThan(0);
      expect(indexed[0]).to.deep.include({ key: scanned[0].key, createdAt: scanned[0].createdAt });
      expect(indexedBlock).to.equal(await s.node.provider.getBlockNumber());
      // Only the modelers whose current host it is.
      const elsewhere = await client.openRequestsFor(pairs, 0n, { now, host: MODELERS[0].address });
      expect(elsewhere).to.deep.equal({ found: [], indexedBlock });
    });

    it("without `now`, every request since `since` that the modeler has not answered; only the pairs asked", async () => {
      const r1 = s.story.ledger.requests.get("r1")!;
      const m1 = MODELERS[1].address;
      const open = (await client.openRequestsFor([{ challengeId: c1(), modeler: m1 }], r1.createdAt)).found;
      expect(open.length).to.be.greaterThan(0);
      for (const r of open) {
        expect([r.modeler, r.key.challengeId, r.createdAt >= r1.createdAt]).to.deep.equal([m1, c1(), true]);
        const { answered } = await s.market.requestState(r.requestId);
        expect(answered).to.not.include(r.index);
        expect(r.status).to.not.equal("refunded");
      }
      // r2 was answered by m0 only: open to m1; r1 was answered by m1.
      const ids = open.map((r) => r.requestId);
      expect(ids).to.include(s.story.ledger.requests.get("r2")!.requestId);
      expect(ids).to.not.include(r1.requestId);
      expect((await client.openRequestsFor([], 0n)).found).to.deep.equal([]);
    });
  });

  describe("IndexerClient", () => {
    it("pages a list through Ponder's cursors as one read", async () => {
      const q = { field: "answers", select: "requestId modeler", orderBy: "blockNumber" };
      const whole = await client.transport.collect({ a: q });
      const paged = await client.transport.collect({ a: { ...q, limit: 2 } });
      expect(paged.items.a).to.deep.equal(whole.items.a);
      expect(whole.items.a.length).to.be.greaterThan(4);
    });

    it("sends a read again, once, when its connection closes under it", async () => {
      let calls = 0;
      const closing = (failures: number) =>
        new IndexerClient(s.indexer.url, {
          fetch: (input, init) =>
            ++calls <= failures
              ? Promise.reject(new TypeError("fetch failed", { cause: new Error("other side closed") }))
              : fetch(input, init),
        });
      const id = s.story.ledger.requests.get("r1")!.requestId;
      expect((await closing(1).request(id))?.requestId).to.equal(id);
      expect(calls).to.equal(2);
      calls = 0;
      const twice = (await closing(2)
        .request(id)
        .catch((e) => e)) as IndexerError;
      expect([twice.kind, calls]).to.deep.equal(["unreachable", 2]);
    });

    it("says in one line that an indexer is unreachable, answers an error, or is too slow", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const down = await new IndexerClient(url).request(1n).catch((e) => e);
      expect(down).to.be.instanceOf(IndexerError);
      expect([down.kind, down.message]).to.deep.equal([
        "unreachable",
        `cannot reach the indexer at ${url}: ECONNREFUSED`,
      ]);
      const bad = (await client.transport.query("{ nope }").catch((e) => e)) as IndexerError;
      expect(bad.kind).to.equal("error");
      expect(bad.message).to.match(new RegExp(`^the indexer at ${s.indexer.url} answered an error: .*nope`));
      const stalled = new IndexerClient(url, {
        timeoutMs: 50,
        fetch: (_input, init) =>
          new Promise((_resolve, reject) =>
            init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
          ),
      });
      const slow = await stalled.request(1n).catch((e) => e);
      expect(slow.message).to.equal(`cannot reach the indexer at ${url}: no answer within 50 ms`);
      const html = new IndexerClient(url, { fetch: async () => new Response("<html>", { status: 404 }) });
      expect((await html.request(1n).catch((e) => e)).message).to.equal(
        `the indexer at ${url} answered HTTP 404: is it an indexer?`,
      );
    });
  });
});
