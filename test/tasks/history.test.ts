/*
 * `npx hardhat --network localhost history …` as a user types it, against a real node and indexer
 * (test/indexer/harness.ts) after the story of test/indexer/scenario.ts. Its figures must be the chain's.
 */
import { expect } from "chai";
import { RequestStatus, combine, formatAmount, isoOf } from "../../sdk";
import { freePort, hardhat, liveChildren, type Ran } from "../e2e/harness";
import { indexedStory, type IndexedStory } from "../indexer/harness";
import { indexerUrl } from "../../tasks/history";
import { MODELERS, USERS } from "../indexer/scenario";

const STATUS: Record<string, RequestStatus> = {
  open: RequestStatus.Open,
  answered: RequestStatus.Answered,
  expired: RequestStatus.Expired,
  refunded: RequestStatus.Refunded,
};

/** Columns of a printed table row. */
const cells = (line: string) => line.trim().split(/ {2,}/);

describe("indexer: tasks history", function () {
  let s: IndexedStory;
  let symbol: { symbol: string; decimals: number };
  /** Each command's run, by name: they run in parallel, each a Hardhat process (~5 s). */
  const runs: Record<string, Ran> = {};

  before(async function () {
    this.timeout(300_000);
    s = await indexedStory();
    const token = await s.market.token();
    symbol = { symbol: token.symbol, decimals: token.decimals };
    const [c1] = s.story.ledger.challenges;
    const env = { RPC_URL: s.node.url, DEPLOYMENT: s.spot.file, INDEXER_URL: s.indexer.url };
    const dead = `http://127.0.0.1:${await freePort()}`;
    const commands: Record<string, [string[], Record<string, string>?]> = {
      requester: [["--requester", USERS[1].address]],
      requesterJson: [["--requester", USERS[0].address, "--json"]],
      modeler: [["--modeler", MODELERS[2].address, "--challenge", String(c1)]],
      modelerJson: [["--modeler", MODELERS[0].address, "--json"]],
      challenge: [["--challenge", String(c1)]],
      challengeJson: [["--challenge", String(c1), "--json"]],
      // --indexer wins over INDEXER_URL.
      unreachable: [["--challenge", String(c1), "--indexer", dead]],
      both: [["--requester", USERS[0].address, "--modeler", MODELERS[0].address]],
      none: [[]],
      unknown: [["--challenge", "99"]],
    };
    const t0 = Date.now();
    await Promise.all(
      Object.entries(commands).map(async ([name, [args, extra]]) => {
        runs[name] = await hardhat(["--network", "localhost", "history", ...args], { ...env, ...extra });
      }),
    );
    s.timings.push(`${Object.keys(commands).length} history commands in parallel ${Date.now() - t0} ms`);
  });

  after(async function () {
    this.timeout(60_000);
    await s?.stop();
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    if (s) console.log(`      indexer: ${s.timings.join(", ")}`);
  });

  const ok = (name: string) => {
    const r = runs[name];
    expect(r.code, `${name}: ${r.stdout}\n${r.stderr}`).to.equal(0);
    return r.stdout.split("\n");
  };
  /** A failed command's one line. */
  const failure = (name: string) => {
    const r = runs[name];
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    expect([r.code, lines.length], r.stderr).to.deep.equal([1, 1]);
    return lines[0];
  };
  const amount = (units: bigint) => formatAmount(units, symbol);

  it("--requester: each request as the chain says it, newest first, with its majority answer", async () => {
    const lines = ok("requester");
    const made = [...s.story.ledger.requests.values()].filter((r) => r.key.requester === USERS[1].address).reverse();
    expect(lines[0]).to.equal(`${made.length} requests by ${USERS[1].address} (indexer ${s.indexer.url})`);
    expect(cells(lines[1])).to.deep.equal(["id", "challenge", "made", "fee", "status", "answers", "majority"]);
    const rows = lines.slice(2).map(cells);
    expect(rows.map((r) => r[0])).to.deep.equal(made.map((r) => String(r.requestId)));
    for (const [i, m] of made.entries()) {
      const answers = await s.market.answersOf(m.requestId, m.blockNumber);
      const { status } = await s.market.requestState(m.requestId);
      expect(STATUS[rows[i][4]], `request ${m.requestId}`).to.equal(status);
      expect(rows[i]).to.deep.equal([
        String(m.requestId),
        String(m.key.challengeId),
        isoOf(m.createdAt),
        amount(m.key.fee),
        rows[i][4],
        String(answers.length),
        combine(
          "majority",
          answers.map((a) => a.text),
        ) ?? "-",
      ]);
    }
  });

  it("--requester --json: the SDK's requests with their answers, error answers left out of the majority", async () => {
    const data = JSON.parse(ok("requesterJson").join("\n"));
    const r5 = s.story.ledger.requests.get("r5")!;
    expect(data.requester).to.equal(USERS[0].address);
    const [answer] = await s.market.answersOf(r5.requestId, r5.blockNumber);
    const row = data.requests.find((r: { requestId: string }) => r.requestId === String(r5.requestId));
    expect(row).to.deep.include({ status: "answered", majority: null, createdAt: String(r5.createdAt) });
    expect(row.answers[0]).to.deep.include({
      modeler: answer.modeler,
      output: answer.text,
      isError: true,
      delay: String(answer.answeredAt - r5.createdAt),
    });
  });

  it("--modeler --challenge: points as `pointsOf`, answered requests and claimable as the contract's", async () => {
    const lines = ok("modeler");
    const [c1] = s.story.ledger.challenges;
    const m2 = MODELERS[2].address;
    expect(lines[0]).to.match(new RegExp(`^${m2}: \\d+ epochs in challenge ${c1} \\(indexer `));
    expect(cells(lines[1])).to.deep.equal([
      "challenge",
      "epoch",
      "points",
      "answered requests",
      "claimable",
      "claimed",
    ]);
    const rows = lines.slice(2).map(cells);
    expect(rows.length).to.be.greaterThan(0);
    for (const [challenge, epoch, points, answered, claimable, claimed] of rows) {
      const f = await s.market.contract.epochFigures(challenge, epoch);
      expect([challenge, points.replace(" (evicted)", ""), answered, claimable, claimed]).to.deep.equal([
        String(c1),
        String(await s.market.contract.pointsOf(challenge, m2, epoch)),
        String(f.answeredRequests),
        amount(await s.market.contract.claimableReward(challenge, m2, epoch)),
        claimed,
      ]);
    }
    expect(rows.find((r) => r[1] === String(s.story.ledger.e0 + 1n))![2]).to.equal("1 (evicted)");
  });

  it("--modeler --json: its epochs in every challenge it is in, as the contract's", async () => {
    const data = JSON.parse(ok("modelerJson").join("\n"));
    const m0 = MODELERS[0].address;
    expect(new Set(data.epochs.map((e: { challengeId: string }) => e.challengeId))).to.deep.equal(
      new Set(s.story.ledger.challenges.map(String)),
    );
    for (const e of data.epochs as { challengeId: string; epoch: string; points: string; claimable: string }[]) {
      expect([e.points, e.claimable]).to.deep.equal([
        String(await s.market.contract.pointsOf(e.challengeId, m0, e.epoch)),
        String(await s.market.contract.claimableReward(e.challengeId, m0, e.epoch)),
      ]);
    }
  });

  it("--challenge: its epochs as `epochFigures`, and its lists", async () => {
    const lines = ok("challenge");
    const [c1] = s.story.ledger.challenges;
    const onChain = await s.market.contract.challenge(c1);
    expect(lines[0]).to.match(new RegExp(`^challenge ${c1} "wallet credit score": fee ${amount(onChain.fee)}, `));
    const epochsAt = lines.indexOf("epochs:");
    const listsAt = lines.indexOf("lists:");
    const epochs = lines.slice(epochsAt + 2, listsAt).map(cells);
    expect(epochs.length).to.be.greaterThan(0);
    for (const [epoch, settled, answered, pool, creator, admin, platform, finalized] of epochs) {
      const f = await s.market.contract.epochFigures(c1, epoch);
      expect([settled, answered, pool, creator, admin, platform, finalized]).to.deep.equal([
        amount(f.settledFees),
        String(f.answeredRequests),
        amount(f.pool),
        amount(f.creatorShare),
        amount(f.adminShare),
        amount(f.platformShare),
        f.finalized ? "yes" : "no",
      ]);
    }
    const lists = lines.slice(listsAt + 2).map(cells);
    expect(lists).to.deep.equal(
      await Promise.all(
        s.story.ledger.lists
          .filter((l) => l.challengeId === c1)
          .map(async (l) => {
            const [activationEpoch] = await s.market.contract.list(c1, l.listId);
            return [String(l.listId), String(activationEpoch), l.hash, l.members.join(" ")];
          }),
      ),
    );
  });

  it("--challenge --json: the SDK's challengeHistory", async () => {
    const data = JSON.parse(ok("challengeJson").join("\n"));
    const [c1] = s.story.ledger.challenges;
    expect(data.id).to.equal(String(c1));
    expect(data.fees.map((f: { newFee: string }) => f.newFee).at(-1)).to.equal(
      String((await s.market.contract.challenge(c1)).fee),
    );
    expect(data.lists).to.have.length(s.story.ledger.lists.filter((l) => l.challengeId === c1).length);
  });

  it("takes the indexer from --indexer, else INDEXER_URL, else the default", () => {
    const fallback = "http://127.0.0.1:42069";
    expect(indexerUrl(" http://a:1 ", { INDEXER_URL: "http://b:2" }, fallback)).to.equal("http://a:1");
    expect(indexerUrl(undefined, { INDEXER_URL: "http://b:2" }, fallback)).to.equal("http://b:2");
    expect(indexerUrl("", { INDEXER_URL: " " }, fallback)).to.equal(fallback);
  });

  it("fails in one line: an unreachable indexer (naming it and `npm run indexer`), a wrong choice of view", () => {
    const dead = failure("unreachable");
    expect(dead).to.match(
      /^Error in plugin market: cannot reach the indexer at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
    expect(dead).to.include("`npm run indexer`");
    expect(failure("both")).to.equal(
      "Error in plugin market: history shows one view: --requester or --modeler, not both",
    );
    expect(failure("none")).to.equal(
      "Error in plugin market: history needs --requester 0x…, --modeler 0x… or --challenge N",
    );
    expect(failure("unknown")).to.equal(`Error in plugin market: the indexer at ${s.indexer.url} has no challenge 99`);
  });
});
