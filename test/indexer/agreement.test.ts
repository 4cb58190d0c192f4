/*
 * The indexer against the contract: a real `hardhat node`, the deploy script, a story played through the SDK
 * (scenario.ts), and the indexer as a process, started after the story's prologue so it both backfills and
 * follows live blocks. Once it has indexed the head, every figure it serves over GraphQL must equal the
 * contract's views at that block, for every challenge, list, modeler, request, epoch and fee share.
 * The indexer writes to PGlite, or to PostgreSQL at INDEXER_TEST_DATABASE_URL when that is set.
 */
import { expect } from "chai";
import { FEE_KINDS, Market, RequestStatus, reward, type Deployment, type FeeKind } from "../../sdk";
import { roleHolders, ROLE_NAMES } from "../../sdk/roles";
import { DeploySpot, Node, liveChildren } from "../e2e/harness";
import { Indexer, deployedNode } from "./harness";
import { EPOCH_FIELDS, low, type AnswerRow, type Big, type EpochRow, type ListRow, type RequestRow } from "./rows";
import { ADMIN, CREATOR, DEPLOYER, FEES, HOST, MODELERS, NEW_ADMIN, NEW_TREASURY, Story } from "./scenario";

describe("indexer: agreement with the contract's views", function () {
  let node: Node;
  let spot: DeploySpot;
  let deployment: Deployment;
  let story: Story;
  let indexer: Indexer;
  /** The market read at the indexed head: nothing is mined after the story (MINE_INTERVAL_MS=0). */
  let market: Market;
  let headTime: bigint;
  let lists: ListRow[];
  const timings: string[] = [];

  before(async function () {
    this.timeout(300_000);
    ({ spot, node, deployment } = await deployedNode());
    market = Market.connect(deployment.market, node.provider);
    story = new Story(node, deployment);
    await story.prologue();

    const backfilled = await node.provider.getBlockNumber();
    const databaseUrl = process.env.INDEXER_TEST_DATABASE_URL?.trim() || undefined;
    indexer = await Indexer.start({ deployment: spot.file, rpcUrl: node.url, databaseUrl });
    timings.push(
      `${databaseUrl ? "PostgreSQL" : "PGlite"}, start-up to /ready ${indexer.readyMs} ms ` +
        `(blocks ${deployment.startBlock}..${backfilled})`,
    );

    let t0 = Date.now();
    await story.play();
    const head = await node.provider.getBlockNumber();
    timings.push(`story ${Date.now() - t0} ms (to block ${head})`);
    t0 = Date.now();
    await indexer.waitForBlock(head);
    timings.push(`head indexed ${Date.now() - t0} ms after the story's last block`);
    headTime = await node.latestTimestamp();
    lists = await indexer.all<ListRow>(
      "lists",
      "challengeId listId epoch activationEpoch leaderboardHash members",
      ', orderBy: "blockNumber"',
    );
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await indexer?.stop();
      await node?.stop();
    } finally {
      spot?.remove();
    }
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    console.log(`      indexer: ${timings.join(", ")}`);
  });

  const membersOf = (challengeId: Big, listId: Big) =>
    lists.find((l) => l.challengeId === challengeId && l.listId === listId)?.members ?? [];

  it("market: settings, treasury, pause state and role holders", async () => {
    const { markets } = await indexer.query<{ markets: { items: Record<string, unknown>[] } }>(
      "{ markets { items { address token treasury paused epochLength sla creatorBps adminBps platformBps } } }",
    );
    const settings = await market.settings();
    expect(markets.items).to.deep.equal([
      {
        address: low(deployment.market),
        token: low(deployment.token),
        treasury: low(await market.contract.treasury()),
        paused: await market.contract.paused(),
        epochLength: String(settings.epochLength),
        sla: String(settings.sla),
        creatorBps: String(settings.creatorBps),
        adminBps: String(settings.adminBps),
        platformBps: String(settings.platformBps),
      },
    ]);
    expect(markets.items[0].treasury).to.equal(low(NEW_TREASURY.address));

    const roles = await indexer.all<{ name: string; account: string; holds: boolean }>("roles", "name account holds");
    const holders = await roleHolders(market.contract, { fromBlock: deployment.startBlock });
    for (const name of ROLE_NAMES) {
      const indexed = roles.filter((r) => r.name === name && r.holds).map((r) => r.account);
      expect(indexed.sort(), name).to.deep.equal(holders[name].map(low).sort());
    }
  });

  it("challenges: parties, fee and lists as `challenge`, with their fee and admin histories", async () => {
    const rows = await indexer.all<{ id: Big; creator: string; admin: string; fee: Big; listCount: Big }>(
      "challenges",
      "id creator admin fee listCount",
    );
    expect(rows.map((c) => BigInt(c.id))).to.deep.equal(story.ledger.challenges);
    expect(BigInt(rows.length)).to.equal(await market.contract.challengeCount());
    for (const c of rows) {
      const onChain = await market.contract.challenge(c.id);
      expect(c, `challenge ${c.id}`).to.deep.equal({
        id: c.id,
        creator: low(onChain.creator),
        admin: low(onChain.admin),
        fee: String(onChain.fee),
        listCount: String(onChain.listCount),
      });
    }
    const [c1, c2] = story.ledger.challenges.map(String);
    const fees = await indexer.all<{ challengeId: Big; oldFee: Big | null; newFee: Big }>(
      "feeChanges",
      "challengeId oldFee newFee",
      ', orderBy: "blockNumber"',
    );
    expect(fees.filter((f) => f.challengeId === c1)).to.deep.equal([
      { challengeId: c1, oldFee: null, newFee: String(FEES.first) },
      { challengeId: c1, oldFee: String(FEES.first), newFee: String(FEES.changed) },
    ]);
    const admins = await indexer.all<{ challengeId: Big; previousAdmin: string | null; newAdmin: string }>(
      "adminChanges",
      "challengeId previousAdmin newAdmin",
      ', orderBy: "blockNumber"',
    );
    expect(admins).to.deep.equal([
      { challengeId: c1, previousAdmin: null, newAdmin: low(ADMIN.address) },
      { challengeId: c2, previousAdmin: null, newAdmin: low(DEPLOYER.address) },
      { challengeId: c2, previousAdmin: low(DEPLOYER.address), newAdmin: low(NEW_ADMIN.address) },
    ]);
  });

  it("lists and modelers: members as `list`, host, opt-in and eviction as `modelerInfo`, host history", async () => {
    expect(lists.map((l) => [l.challengeId, l.listId, l.members, l.leaderboardHash])).to.deep.equal(
      story.ledger.lists.map((l) => [String(l.challengeId), String(l.listId), l.members.map(low), l.hash]),
    );
    for (const l of lists) {
      const [activationEpoch, members] = await market.contract.list(l.challengeId, l.listId);
      expect([l.activationEpoch, l.members], `list ${l.challengeId}/${l.listId}`).to.deep.equal([
        String(activationEpoch),
        members.map(low),
      ]);
    }
    const modelers = await indexer.all<{
      challengeId: Big;
      modeler: string;
      host: string;
      optedInAt: Big;
      evicted: boolean;
      registered: boolean;
    }>("modelers", "challengeId modeler host optedInAt evicted registered");
    // Every listed modeler has a row, and only they and registered ones do.
    const listed = new Set(lists.flatMap((l) => l.members.map((m) => `${l.challengeId}/${m}`)));
    expect(new Set(modelers.map((m) => `${m.challengeId}/${m.modeler}`))).to.deep.equal(listed);
    for (const m of modelers) {
      const info = await market.contract.modelerInfo(m.challengeId, m.modeler);
      expect([m.host, m.optedInAt, m.evicted], `modeler ${m.challengeId}/${m.modeler}`).to.deep.equal([
        low(info.host),
        String(info.optedInAt),
        info.evicted,
      ]);
      expect(m.registered).to.equal(info.host !== "0x0000000000000000000000000000000000000000");
    }
    const hosts = await indexer.all<{ host: string; registration: boolean }>(
      "hostChanges",
      "host registration",
      `, where: { challengeId: "${story.ledger.challenges[0]}", modeler: "${low(MODELERS[2].address)}" }, orderBy: "blockNumber"`,
    );
    expect(hosts).to.deep.equal([
      { host: low(MODELERS[2].address), registration: true },
      { host: low(HOST.address), registration: false },
    ]);
  });

  it("requests: each as `requestState` (expired: open past its deadline), with its key and input as made", async () => {
    const rows = await indexer.all<RequestRow>(
      "requests",
      "id challengeId requester listId fee epoch input inputText createdAt deadline status answerCount settled refunded txHash",
      ', orderBy: "id"',
    );
    const answers = await indexer.all<AnswerRow>("answers", "requestId modeler");
    expect(BigInt(rows.length)).to.equal(await market.contract.requestCount());
    const made = [...story.ledger.requests.values()];
    expect(rows.map((r) => BigInt(r.id))).to.deep.equal(made.map((r) => r.requestId));
    const seen = new Set<RequestStatus>();
    for (const [i, r] of rows.entries()) {
      const m = made[i];
      expect(r, `request ${r.id}`).to.deep.include({
        challengeId: String(m.key.challengeId),
        requester: low(m.key.requester),
        listId: String(m.key.listId),
        fee: String(m.key.fee),
        input: m.input,
        createdAt: String(m.createdAt),
        deadline: String(m.deadline),
        txHash: m.txHash,
      });
      const mine = answers.filter((a) => a.requestId === r.id);
      expect(r.answerCount).to.equal(mine.length);
      expect(r.settled).to.equal(mine.length > 0);
      expect(r.refunded).to.equal(r.status === "refunded");

      const state = await market.requestState(r.id);
      const status =
        r.status === "refunded"
          ? RequestStatus.Refunded
          : r.status === "answered"
            ? RequestStatus.Answered
            : headTime > BigInt(r.deadline)
              ? RequestStatus.Expired
              : RequestStatus.Open;
      seen.add(status);
      expect(status, `request ${r.id} status`).to.equal(state.status);
      if (status === RequestStatus.Refunded) continue;
      expect([r.createdAt, r.deadline]).to.deep.equal([String(state.createdAt), String(state.deadline)]);
      const members = membersOf(r.challengeId, r.listId);
      const positions = mine.map((a) => members.indexOf(a.modeler)).sort((a, b) => a - b);
      expect(positions, `request ${r.id} answered positions`).to.deep.equal(state.answered);
    }
    // The story reaches every status a request can have.
    expect([...seen].sort()).to.deep.equal([
      RequestStatus.Open,
      RequestStatus.Answered,
      RequestStatus.Expired,
      RequestStatus.Refunded,
    ]);
    expect(rows.find((r) => r.id === String(story.ledger.refunded[0]))?.status).to.equal("refunded");
    expect(rows.find((r) => r.id === String(story.ledger.requests.get("r1")!.requestId))?.inputText).to.equal(
      "0x1111111111111111111111111111111111111111",
    );
  });

  it("answers: every RequestAnswered with its output, settled fee, block and delay; the skipped batch entry", async () => {
    const rows = await indexer.all<AnswerRow>(
      "answers",
      "requestId modeler challengeId epoch output outputText isError settledFee delay blockNumber timestamp txHash",
    );
    const expected = [];
    for (const r of story.ledger.requests.values()) {
      for (const a of await market.answersOf(r.requestId, r.blockNumber)) {
        expected.push({
          requestId: String(a.requestId),
          modeler: low(a.modeler),
          challengeId: String(r.key.challengeId),
          epoch: String(a.epoch),
          output: a.output,
          outputText: a.text,
          isError: a.text.startsWith("error: "),
          settledFee: String(a.settledFee),
          delay: String(a.answeredAt - r.createdAt),
          blockNumber: String(a.blockNumber),
          timestamp: String(a.answeredAt),
          txHash: a.txHash,
        });
      }
    }
    const key = (a: { requestId: Big; modeler: string }) => `${a.requestId.padStart(8, "0")}/${a.modeler}`;
    expect(rows.sort((a, b) => key(a).localeCompare(key(b)))).to.deep.equal(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(rows.filter((a) => a.isError)).to.have.length(1);

    const skipped = await indexer.all<{ requestId: Big; index: Big; error: string; message: string }>(
      "skippedAnswers",
      "requestId index error message",
    );
    const r3 = story.ledger.requests.get("r3")!;
    expect(skipped).to.deep.equal([
      {
        requestId: String(r3.requestId),
        index: "5",
        error: "MarketNotListed",
        message: `MarketNotListed(challengeId=${r3.key.challengeId}, listId=${r3.key.listId}, index=5)`,
      },
    ]);
  });

  it("epoch figures: each challenge's epoch as `epochFigures`, each fee share as `claimableFees`", async () => {
    const rows = await indexer.all<EpochRow>("challengeEpochs", EPOCH_FIELDS);
    const { e0 } = story.ledger;
    const [c1, c2] = story.ledger.challenges;
    // The epochs of the story's requests, and c2's empty E0 that was finalized.
    expect(rows.map((r) => `${r.challengeId}/${r.epoch}`).sort()).to.deep.equal(
      [`${c1}/${e0 + 1n}`, `${c1}/${e0 + 2n}`, `${c2}/${e0}`, `${c2}/${e0 + 1n}`].sort(),
    );
    for (const r of rows) {
      const f = await market.contract.epochFigures(r.challengeId, r.epoch);
      const where = `epoch ${r.challengeId}/${r.epoch}`;
      expect(r, where).to.deep.include({
        settledFees: String(f.settledFees),
        answeredRequests: String(f.answeredRequests),
        points: String(f.points),
        pool: String(f.pool),
        creatorShare: String(f.creatorShare),
        adminShare: String(f.adminShare),
        platformShare: String(f.platformShare),
        rewardDust: String(f.rewardDust),
        listId: String(f.listId),
        finalized: f.finalized,
      });
      const shares: Record<FeeKind, Big> = { creator: r.creatorShare, admin: r.adminShare, platform: r.platformShare };
      const claimed: Record<FeeKind, boolean> = {
        creator: r.creatorClaimed,
        admin: r.adminClaimed,
        platform: r.platformClaimed,
      };
      for (const [i, kind] of FEE_KINDS.entries()) {
        const claimable = claimed[kind] ? "0" : shares[kind];
        expect(claimable, `${where} ${kind}`).to.equal(
          String(await market.contract.claimableFees(r.challengeId, i, r.epoch)),
        );
      }
    }
    const e1 = rows.find((r) => r.challengeId === String(c1) && r.epoch === String(e0 + 1n))!;
    expect([e1.requests, e1.refunds, e1.answeredRequests, e1.finalized]).to.deep.equal(["4", "1", "3", true]);
    expect(BigInt(e1.rewardDust), "the story's fees leave reward dust").to.be.greaterThan(0n);
    expect(rows.filter((r) => !r.finalized).map((r) => r.epoch)).to.deep.equal([String(e0 + 2n)]);
  });

  it("modelers' epochs: points as `pointsOf`, claimable as `claimableReward`, every modeler with points indexed", async () => {
    const rows = await indexer.all<{
      challengeId: Big;
      modeler: string;
      epoch: Big;
      points: Big;
      reward: Big | null;
      claimable: Big | null;
      claimed: boolean;
    }>("modelerEpochs", "challengeId modeler epoch points reward claimable claimed");
    const epochs = await indexer.all<EpochRow>("challengeEpochs", EPOCH_FIELDS);
    for (const e of epochs) {
      const members = new Set(lists.filter((l) => l.challengeId === e.challengeId).flatMap((l) => l.members));
      for (const modeler of members) {
        const where = `modeler ${e.challengeId}/${modeler}/${e.epoch}`;
        const row = rows.find((r) => r.challengeId === e.challengeId && r.modeler === modeler && r.epoch === e.epoch);
        const points = await market.contract.pointsOf(e.challengeId, modeler, e.epoch);
        expect(row?.points ?? "0", where).to.equal(String(points));
        if (!row) continue;
        // Before finalization the reward moves with every answer; the contract sums it at each call, as a
        // reader of the index does from the epoch's figures.
        const claimable = e.finalized
          ? BigInt(row.claimable!)
          : row.claimed
            ? 0n
            : reward(BigInt(e.pool), BigInt(row.points), BigInt(e.points));
        expect(claimable, where).to.equal(await market.contract.claimableReward(e.challengeId, modeler, e.epoch));
        if (e.finalized) expect(row.reward, where).to.not.equal(null);
      }
    }
    expect(rows.filter((r) => r.claimed).map((r) => [r.challengeId, r.modeler])).to.deep.equal(
      story.ledger.rewardClaims.map((c) => [String(c.challengeId), low(c.modeler)]),
    );
  });

  it("claims, refunds and evictions as the story made them", async () => {
    const rewards = await indexer.all<{ challengeId: Big; modeler: string; epochs: Big[]; amount: Big }>(
      "rewardClaims",
      "challengeId modeler epochs amount",
      ', orderBy: "blockNumber"',
    );
    expect(rewards).to.deep.equal(
      story.ledger.rewardClaims.map((c) => ({
        challengeId: String(c.challengeId),
        modeler: low(c.modeler),
        epochs: c.epochs.map(String),
        amount: String(c.amount),
      })),
    );
    const fees = await indexer.all<{ challengeId: Big; kind: FeeKind; epoch: Big; recipient: string; amount: Big }>(
      "feeClaims",
      "challengeId kind epoch recipient amount",
      ', orderBy: "blockNumber"',
    );
    const [c1] = story.ledger.challenges;
    const recipient = (c: bigint, kind: FeeKind) =>
      kind === "platform"
        ? DEPLOYER.address
        : kind === "admin"
          ? c === c1
            ? ADMIN.address
            : NEW_ADMIN.address
          : CREATOR.address;
    expect(fees).to.deep.equal(
      story.ledger.feeClaims.map((c) => ({
        challengeId: String(c.challengeId),
        kind: c.kind,
        epoch: String(c.epoch),
        recipient: low(recipient(c.challengeId, c.kind)),
        amount: String(c.amount),
      })),
    );
    const refunds = await indexer.all<{ requestId: Big; fee: Big }>("refunds", "requestId fee");
    expect(refunds).to.deep.equal(
      story.ledger.refunded.map((id) => ({
        requestId: String(id),
        fee: String([...story.ledger.requests.values()].find((r) => r.requestId === id)!.key.fee),
      })),
    );
    const evictions = await indexer.all<{ challengeId: Big; modeler: string; epoch: Big; points: Big }>(
      "evictions",
      "challengeId modeler epoch points",
    );
    expect(evictions).to.deep.equal(
      story.ledger.evicted.map((e) => ({
        challengeId: String(e.challengeId),
        modeler: low(e.modeler),
        epoch: String(e.epoch),
        points: "1",
      })),
    );
  });
});
