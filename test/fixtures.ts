import { ignition, ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import LocalMarketModule from "../ignition/modules/LocalMarket";
import { InferenceMarket__factory, TestToken__factory, type InferenceMarket } from "../typechain-types";
import type { IInferenceMarket } from "../typechain-types/contracts/InferenceMarket";
import { DEFAULT_TIME, utc } from "../sdk/time";

export const FEE = 10n ** 18n;
export const TIME = DEFAULT_TIME;

/**
 * The calendar the tests run on (the in-process network starts on Friday 2026-11-20):
 * epoch E0 is Thu 2026-11-19 .. Wed 2026-11-25, E1 Thu 2026-11-26 .. Wed 2026-12-02, E2 from Thu 2026-12-03.
 */
export const DATES = {
  e0Window: utc("2026-11-23T23:59:00Z"), // Monday: first promotion, list 1 serves from E1
  e1Start: utc("2026-11-26T00:00:00Z"), // Thursday
  e1Window: utc("2026-11-30T23:59:00Z"), // Monday
  e1Last: utc("2026-12-02T23:59:59Z"), // Wednesday, last second of E1
  e2Start: utc("2026-12-03T00:00:00Z"), // Thursday
  e1ClaimsOpen: utc("2026-12-04T00:00:00Z"), // end of the Thursday after E1
  e2Window: utc("2026-12-07T23:59:00Z"),
  e3Start: utc("2026-12-10T00:00:00Z"),
};
export const E1 = DATES.e1Start / TIME.epochLength;

export type RequestKey = IInferenceMarket.RequestKeyStruct;

export async function deployFixture() {
  const signers = await ethers.getSigners();
  const [admin, treasury, manager, keeper, pauser, creator, challengeAdmin, stranger] = signers;
  const users = signers.slice(8, 13);
  const modelers = signers.slice(13, 25);
  const hosts = signers.slice(25, 37);

  const deployed = await ignition.deploy(LocalMarketModule, {
    parameters: { LocalMarket: { admin: admin.address, treasury: treasury.address } },
  });
  const market = InferenceMarket__factory.connect(await deployed.market.getAddress(), admin);
  const token = TestToken__factory.connect(await deployed.token.getAddress(), admin);

  await market.grantRole(await market.CHALLENGE_MANAGER_ROLE(), manager.address);
  await market.grantRole(await market.KEEPER_ROLE(), keeper.address);
  await market.grantRole(await market.PAUSER_ROLE(), pauser.address);
  for (const user of users) {
    await token.mint(user.address, 1_000n * FEE);
    await token.connect(user).approve(await market.getAddress(), ethers.MaxUint256);
  }
  return {
    market,
    token,
    admin,
    treasury,
    manager,
    keeper,
    pauser,
    creator,
    challengeAdmin,
    stranger,
    users,
    modelers,
    hosts,
  };
}

/*
 * Each fixture builds on its parent through loadFixture, so it always starts from the parent's snapshot
 * (in 2026-11-20) whatever time earlier tests left the chain at: the calendar below stays reachable.
 */

/** A challenge (id 1, fee FEE) whose first five modelers registered with their hosts; no list yet. */
export async function challengeFixture() {
  const f = await loadFixture(deployFixture);
  await f.market
    .connect(f.manager)
    .createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "wallet credit score");
  for (let i = 0; i < 5; i++) await f.market.connect(f.modelers[i]).register(1, f.hosts[i].address);
  return { ...f, challengeId: 1n };
}

/** The challenge's list of five promoted on Monday 2026-11-23 23:59 and serving from Thursday 2026-11-26. */
export async function activeFixture() {
  const f = await loadFixture(challengeFixture);
  await time.increaseTo(DATES.e0Window);
  const listed = f.modelers.slice(0, 5);
  await f.market.connect(f.keeper).promote(
    1,
    listed.map((m) => m.address),
    ethers.id("leaderboard-e0"),
  );
  await time.increaseTo(DATES.e1Start);
  return { ...f, listed, listId: 1n };
}

/** Reads the key and id of the request that `tx` made. */
export async function requestOf(
  market: InferenceMarket,
  tx: ContractTransactionResponse,
): Promise<{ id: bigint; key: RequestKey; createdAt: bigint; deadline: bigint }> {
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  for (const log of receipt.logs) {
    const parsed = market.interface.parseLog(log);
    if (parsed?.name !== "RequestMade") continue;
    const { requestId, challengeId, requester, listId, fee, deadline } = parsed.args;
    const key = { requester, challengeId, listId, fee };
    return { id: requestId, key, deadline, createdAt: deadline - TIME.sla };
  }
  throw new Error("no RequestMade event");
}

/**
 * Mines the transactions that `sends` make, in the order they are sent, in one block (at `at` when given):
 * what a front-run looks like. Automine is off meanwhile; each send should pass its own gasLimit, since
 * estimates are made against the block before. Returns the mined receipts in the order sent.
 */
export async function inOneBlock(sends: (() => Promise<ContractTransactionResponse>)[], at?: bigint) {
  const txs: ContractTransactionResponse[] = [];
  await network.provider.send("evm_setAutomine", [false]);
  try {
    for (const send of sends) txs.push(await send());
    await network.provider.send("evm_mine", at === undefined ? [] : [Number(at)]);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  const receipts = [];
  for (const tx of txs) {
    const receipt = await tx.provider.getTransactionReceipt(tx.hash);
    if (!receipt) throw new Error(`transaction ${tx.hash} was not mined`);
    receipts.push(receipt);
  }
  return receipts;
}

export { RequestStatus as Status } from "../sdk/market";
export { signPermit } from "../sdk/permit";
