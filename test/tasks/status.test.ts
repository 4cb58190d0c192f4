import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, DATES, E1, FEE } from "../fixtures";
import { deploymentPath, isoOf, writeDeployment } from "../../sdk";
import { rmSync } from "node:fs";
import { runTask } from "./run";

/** E1 at 00:00:04 with one request answered by the modelers at positions 0 and 1 (at :01), and one open request (:04). */
async function busyFixture() {
  const f = await loadFixture(activeFixture);
  const key = { requester: f.users[0].address, challengeId: 1, listId: 1, fee: FEE };
  const at = (second: bigint) => time.setNextBlockTimestamp(DATES.e1Start + second);
  await at(1n);
  await f.market.connect(f.users[0]).request(1, FEE, "0x01");
  await at(2n);
  await f.market.connect(f.hosts[0]).answer(1, key, 0, "0x02");
  await at(3n);
  await f.market.connect(f.hosts[1]).answer(1, key, 1, "0x02");
  await at(4n);
  await f.market.connect(f.users[1]).request(1, FEE, "0x01");
  return f;
}

describe("tasks: status", () => {
  it("shows the clock, the epoch's times, the active list, the open requests and the epoch's figures", async () => {
    const { market, users, listed, hosts, creator, challengeAdmin } = await loadFixture(busyFixture);
    const optedIn = await Promise.all(
      listed.map(async (m) => isoOf((await market.modelerInfo(1, m.address)).optedInAt)),
    );
    const { out } = await runTask("status", { market: await market.getAddress(), challenge: "1" });
    const lines = out.split("\n");
    expect(lines.slice(1, 4)).to.deep.equal([
      `now 2026-11-26T00:00:04Z, epoch ${E1}: 2026-11-26T00:00:00Z .. 2026-12-03T00:00:00Z`,
      "  promotion window from 2026-11-30T23:59:00Z",
      `  epoch ${E1} final (eviction opens) 2026-12-03T00:10:00Z, its claims open 2026-12-04T00:00:00Z`,
    ]);
    const rest = lines.slice(5).map((l) => l.replace(/ +/g, " ").trimEnd());
    expect(rest).to.deep.equal(
      [
        `challenge 1: fee 1.0 tUSD, creator ${creator.address}, admin ${challengeAdmin.address}`,
        `  active list 1 (from epoch ${E1}, 2026-11-26T00:00:00Z)`,
        " # modeler host opted in",
        ...listed.map((m, i) => ` ${i} ${m.address} ${hosts[i].address} ${optedIn[i]}`),
        `  epoch ${E1}: 1 answered requests, 2 answers in time, settled 1.0 tUSD, pool 0.85 tUSD`,
        "  eviction so far: 1 answers keep a modeler listed (50% of 1 answered requests)",
        " # modeler answers standing",
        ...listed.map(
          (m, i) => ` ${i} ${m.address} ${i < 2 ? 1 : 0} of 1 ${i < 2 ? "meets the threshold" : "below the threshold"}`,
        ),
        "  open requests",
        " id requester made deadline answered by",
        ` 1 ${users[0].address} 2026-11-26T00:00:01Z 2026-11-26T00:10:01Z 0,1`,
        ` 2 ${users[1].address} 2026-11-26T00:00:04Z 2026-11-26T00:10:04Z -`,
        `  nothing to claim for epoch ${E1 - 1n} (claims open 2026-11-27T00:00:00Z)`,
      ].map((l) => l.replace(/ +/g, " ").trimEnd()),
    );
  });

  it("shows a pending list and the claimable amounts of the finished epoch", async () => {
    const { market, modelers, keeper } = await loadFixture(busyFixture);
    await time.increaseTo(DATES.e1Window);
    await market.connect(keeper).promote(1, [modelers[9].address], ethers.ZeroHash);
    const before = (await runTask("status", { market: await market.getAddress(), challenge: "1" })).out;
    expect(before).to.include(`  active list 1 (from epoch ${E1}, 2026-11-26T00:00:00Z)`);
    expect(before).to.include(`  pending list 2 (from epoch ${E1 + 1n}, 2026-12-03T00:00:00Z)`);
    expect(before).to.include(`    0  ${modelers[9].address}  -     not yet`);
    expect(before).to.include("  promotion window from 2026-11-30T23:59:00Z (open)");

    // On Friday list 2 serves, and the modelers of list 1 can claim for E1.
    await time.increaseTo(DATES.e1ClaimsOpen);
    const { result, out } = await runTask("status", { market: await market.getAddress(), challenge: "1" });
    expect(out).to.include(`  active list 2 (from epoch ${E1 + 1n}, 2026-12-03T00:00:00Z)`);
    expect(out).to.not.include("pending list");
    const claims = out
      .slice(out.indexOf("  claimable for epoch"))
      .split("\n")
      .map((l) => l.replace(/ +/g, " "));
    expect(claims).to.deep.equal([
      ` claimable for epoch ${E1} (claims opened 2026-12-04T00:00:00Z)`,
      " who amount",
      ` ${modelers[0].address} 0.425 tUSD`,
      ` ${modelers[1].address} 0.425 tUSD`,
      " creator 0.05 tUSD",
      " admin 0.05 tUSD",
      " platform 0.05 tUSD",
    ]);
    expect(result.challenges[0].claimable.owed.find((o: { who: string }) => o.who === "platform").amount).to.equal(
      FEE / 20n,
    );
  });

  it("reads the network's deployment file, covers every challenge and prints JSON", async () => {
    const { market, token } = await loadFixture(busyFixture);
    const path = writeDeployment({
      network: "hardhat",
      chainId: 31337,
      market: await market.getAddress(),
      token: await token.getAddress(),
      startBlock: 0,
      deployedAt: "2026-11-20T00:00:00Z",
    });
    try {
      const { out } = await runTask("status", { json: true });
      const data = JSON.parse(out);
      expect(data.market).to.equal(await market.getAddress());
      expect(data.epoch).to.equal(E1.toString());
      expect(data.times.claimsOpenAt).to.equal(DATES.e1ClaimsOpen.toString());
      expect(data.challenges.map((c: { challengeId: string }) => c.challengeId)).to.deep.equal(["1"]);
      expect(data.challenges[0].openRequests.map((r: { answered: number[] }) => r.answered)).to.deep.equal([
        [0, 1],
        [],
      ]);
    } finally {
      rmSync(path);
    }
    expect(deploymentPath("hardhat")).to.equal(path);
  });

  it("fails without a deployment file, saying how to make one", async () => {
    await expect(runTask("status", {})).to.be.rejectedWith(
      /^no deployment file .*deployments\/hardhat\.json: run `npm run deploy -- --network <name>` first$/,
    );
  });
});
