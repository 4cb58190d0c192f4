import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, E1, TIME } from "../fixtures";
import { runTask } from "./run";

describe("tasks: time", () => {
  it("moves the chain to the next window, epoch end, final time and claims, in order", async () => {
    const { market } = await loadFixture(activeFixture);
    const address = await market.getAddress();
    const to = async (moment: string) => (await runTask("time", { market: address, to: moment })).result;
    expect(BigInt(await time.latest())).to.equal(DATES.e1Start);
    expect((await to("window")).to).to.equal(DATES.e1Window);
    expect(BigInt(await time.latest())).to.equal(DATES.e1Window);
    const end = await to("epoch-end");
    expect([end.to, end.epoch]).to.deep.equal([DATES.e2Start, E1 + 1n]);
    // In E2's first seconds, E1's final time and claims are the next ones.
    expect((await to("final")).to).to.equal(DATES.e2Start + TIME.sla);
    expect((await to("claims")).to).to.equal(DATES.e1ClaimsOpen);
    // Past them, the next window is E2's and the next claims are E2's.
    expect((await to("window")).to).to.equal(DATES.e2Window);
    expect((await to("claims")).to).to.equal(DATES.e3Start + TIME.claimDelay);
  });

  it("moves to a UTC date and says so", async () => {
    const { market } = await loadFixture(activeFixture);
    const { out } = await runTask("time", { market: await market.getAddress(), to: "2026-12-03T00:10:00Z" });
    expect(out).to.equal(`time: 2026-11-26T00:00:00Z -> 2026-12-03T00:10:00Z (epoch ${E1 + 1n})`);
    expect(BigInt(await time.latest())).to.equal(DATES.e2Start + TIME.sla);
  });

  it("refuses a moment already past, and a value it does not know, moving nothing", async () => {
    const { market } = await loadFixture(activeFixture);
    const address = await market.getAddress();
    const before = await time.latest();
    await expect(runTask("time", { market: address, to: "2026-11-25T00:00:00Z" })).to.be.rejectedWith(
      "the chain is already at 2026-11-26T00:00:00Z, past 2026-11-25T00:00:00Z",
    );
    await expect(runTask("time", { market: address, to: "tomorrow" })).to.be.rejectedWith(
      '--to must be window, epoch-end, final, claims or an ISO date such as 2026-12-03T00:10:00Z, got "tomorrow"',
    );
    expect(await time.latest()).to.equal(before);
  });
});
