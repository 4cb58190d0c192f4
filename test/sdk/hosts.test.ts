import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, E1, TIME } from "../fixtures";
import { Market, type MadeRequest } from "../../sdk";

async function sdkFixture() {
  const f = await loadFixture(activeFixture);
  const address = await f.market.getAddress();
  const as = (signer: Parameters<typeof Market.connect>[1]) => Market.connect(address, signer);
  const fromBlock = (await ethers.provider.getBlockNumber()) + 1;
  return { ...f, as, fromBlock };
}

const ids = (requests: readonly MadeRequest[]) => requests.map((r) => r.requestId);
const openIds = (open: readonly { requestId: bigint; index: number }[]) => open.map((o) => [o.requestId, o.index]);

describe("sdk/market hosts and keeper scans", () => {
  describe("requestsMade", () => {
    it("scans a block range in spans of at most maxRange blocks and keeps the order", async () => {
      const { as, users, fromBlock } = await loadFixture(sdkFixture);
      for (let i = 0; i < 5; i++) await as(users[i]).request(1, `in-${i}`);
      const market = as(users[0]);
      const spans: [unknown, unknown][] = [];
      const queryFilter = market.contract.queryFilter.bind(market.contract);
      market.contract.queryFilter = ((filter: never, from: number, to: number) => {
        spans.push([from, to]);
        return queryFilter(filter, from, to);
      }) as typeof market.contract.queryFilter;

      const all = await market.requestsMade({ fromBlock, toBlock: fromBlock + 4, maxRange: 2 });
      expect(ids(all)).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
      expect(all.map((r) => r.key.requester)).to.deep.equal(users.map((u) => u.address));
      expect(spans).to.deep.equal([
        [fromBlock, fromBlock + 1],
        [fromBlock + 2, fromBlock + 3],
        [fromBlock + 4, fromBlock + 4],
      ]);
      expect(
        ids(await market.requestsMade({ fromBlock: fromBlock + 1, toBlock: fromBlock + 3, maxRange: 1 })),
      ).to.deep.equal([2n, 3n, 4n]);
      expect(await market.requestsMade({ fromBlock, maxRange: 1000 })).to.deep.equal(all);
    });

    it("filters by challenge and requester", async () => {
      const { as, users, fromBlock } = await loadFixture(sdkFixture);
      for (const i of [0, 1, 0]) await as(users[i]).request(1, "x");
      const market = as(users[0]);
      expect(ids(await market.requestsMade({ fromBlock, requester: users[0].address }))).to.deep.equal([1n, 3n]);
      expect(await market.requestsMade({ fromBlock, challengeId: 2 })).to.deep.equal([]);
      await expect(market.requestsMade({ fromBlock, maxRange: 0 })).to.be.rejectedWith(
        "maxRange must be at least 1, got 0",
      );
    });
  });

  describe("openRequestsFor", () => {
    it("lists what a host may still answer for each of its modelers, and follows a host change", async () => {
      const { as, users, hosts, modelers, fromBlock } = await loadFixture(sdkFixture);
      const a = await as(users[0]).request(1, "a");
      const b = await as(users[1]).request(1, "b");
      expect(openIds(await as(hosts[0]).openRequestsFor(hosts[0].address, { fromBlock }))).to.deep.equal([
        [1n, 0],
        [2n, 0],
      ]);

      await as(hosts[0]).answer(a.requestId, a.key, 0, "done");
      const open = await as(hosts[0]).openRequestsFor(hosts[0].address, { fromBlock });
      expect(openIds(open)).to.deep.equal([[2n, 0]]);
      expect(open[0]).to.deep.equal({ ...b, index: 0, modeler: modelers[0].address });

      // Modelers 0 and 1 move to host 5: the old host sees nothing, the new one answers for both.
      await as(modelers[0]).setHost(1, hosts[5].address);
      await as(modelers[1]).setHost(1, hosts[5].address);
      expect(await as(hosts[0]).openRequestsFor(hosts[0].address, { fromBlock })).to.deep.equal([]);
      expect(openIds(await as(hosts[5]).openRequestsFor(hosts[5].address, { fromBlock }))).to.deep.equal([
        [1n, 1],
        [2n, 0],
        [2n, 1],
      ]);
      await as(hosts[5]).answer(b.requestId, b.key, 1, "ok");
      expect(openIds(await as(hosts[5]).openRequestsFor(hosts[5].address, { fromBlock }))).to.deep.equal([
        [1n, 1],
        [2n, 0],
      ]);
    });

    it("drops a request once an answer in the next block would be late", async () => {
      const { as, users, hosts, fromBlock } = await loadFixture(sdkFixture);
      const a = await as(users[0]).request(1, "a");
      await time.increaseTo(a.deadline - 1n);
      expect(openIds(await as(hosts[2]).openRequestsFor(hosts[2].address, { fromBlock }))).to.deep.equal([[1n, 2]]);
      await mine(1);
      expect(await as(hosts[2]).openRequestsFor(hosts[2].address, { fromBlock })).to.deep.equal([]);
    });

    it("skips a modeler that opted in after the request", async () => {
      const { as, users, hosts, modelers, keeper, market, fromBlock } = await loadFixture(sdkFixture);
      await time.increaseTo(DATES.e1Window);
      await market.connect(keeper).promote(1, [modelers[5].address], ethers.ZeroHash);
      await time.increaseTo(DATES.e2Start);
      const r = await as(users[0]).request(1, "a");
      await as(modelers[5]).register(1, hosts[5].address);
      expect(r.key.listId).to.equal(2n);
      expect(await as(hosts[5]).openRequestsFor(hosts[5].address, { fromBlock })).to.deep.equal([]);
    });

    it("skips an evicted modeler", async () => {
      const { as, users, hosts, stranger, fromBlock } = await loadFixture(sdkFixture);
      const r = await as(users[0]).request(1, "a");
      for (const i of [0, 1, 3, 4]) await as(hosts[i]).answer(r.requestId, r.key, i, "ok");
      await time.increaseTo(DATES.e2Start + TIME.sla);
      await as(stranger).evict(1, E1, 1, 2);
      const next = await as(users[0]).request(1, "b");
      expect(await as(hosts[2]).openRequestsFor(hosts[2].address, { fromBlock })).to.deep.equal([]);
      expect(openIds(await as(hosts[0]).openRequestsFor(hosts[0].address, { fromBlock }))).to.deep.equal([
        [next.requestId, 0],
      ]);
    });
  });

  describe("expiredUnrefunded", () => {
    it("finds the requests past their deadline with no answer and no refund", async () => {
      const { as, users, hosts, stranger, fromBlock } = await loadFixture(sdkFixture);
      const a = await as(users[0]).request(1, "a");
      const b = await as(users[1]).request(1, "b");
      const c = await as(users[2]).request(1, "c");
      await as(hosts[3]).answer(b.requestId, b.key, 3, "ok");
      expect(await as(stranger).expiredUnrefunded({ fromBlock })).to.deep.equal([]);
      await time.increaseTo(c.deadline + 1n);
      expect(await as(stranger).expiredUnrefunded({ fromBlock })).to.deep.equal([a, c]);
      await as(stranger).refund(a.requestId, a.key);
      expect(ids(await as(stranger).expiredUnrefunded({ fromBlock, challengeId: 1 }))).to.deep.equal([3n]);
    });
  });
});
