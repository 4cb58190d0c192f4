import { ethers, ignition } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import InferenceMarketModule from "../../ignition/modules/InferenceMarket";
import { InferenceMarket__factory, type InferenceMarket } from "../../typechain-types";
import { DATES, FEE, type deployFixture } from "../fixtures";

/** Shared by the adversarial tests: markets on hostile tokens, and the money rules they are checked against. */

export const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
export const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));

/** IInferenceMarket.FeeRecipient. */
export enum Kind {
  Creator,
  Admin,
  Platform,
}

const BPS = 10_000n;
const SHARE_BPS = 500n;
/** One fee share (creator, admin or platform) of an epoch's settled fees, floored. */
export const feeShare = (settled: bigint) => (settled * SHARE_BPS) / BPS;
/** The modelers' pool: the settled fees minus the three floored shares. */
export const poolOf = (settled: bigint) => settled - 3n * feeShare(settled);
/** A modeler's reward: pool * points / totalPoints, floored (the dust goes to the platform's share). */
export const rewardOf = (pool: bigint, points: bigint, total: bigint) => (pool * points) / total;

type Accounts = Awaited<ReturnType<typeof deployFixture>>;

/** What the adversarial tests need of a mintable test token. */
export interface Mintable {
  getAddress(): Promise<string>;
  mint(to: string, amount: bigint): Promise<unknown>;
  connect(runner: Signer): { approve(spender: string, amount: bigint): Promise<unknown> };
}

/**
 * The market deployed through its Ignition module (production settings) on `token`, with deployFixture's
 * accounts in their roles; challenge 1 (fee FEE) with the first five modelers registered with their hosts and
 * listed on Monday 2026-11-23 23:59; users[0..4] funded with 1000 FEE and approved. The clock is left at
 * Thursday 2026-11-26 00:00 (E1), when the list serves.
 */
export async function activeMarketOn(f: Accounts, token: Mintable): Promise<InferenceMarket> {
  const tokenAddress = await token.getAddress();
  const deployed = await ignition.deploy(InferenceMarketModule, {
    parameters: { InferenceMarket: { token: tokenAddress, admin: f.admin.address, treasury: f.treasury.address } },
  });
  const market = InferenceMarket__factory.connect(await deployed.market.getAddress(), f.admin);
  const marketAddress = await market.getAddress();
  await market.grantRole(await market.CHALLENGE_MANAGER_ROLE(), f.manager.address);
  await market.grantRole(await market.KEEPER_ROLE(), f.keeper.address);
  await market.grantRole(await market.PAUSER_ROLE(), f.pauser.address);
  await market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "hostile token");
  for (let i = 0; i < 5; i++) await market.connect(f.modelers[i]).register(1, f.hosts[i].address);
  for (const user of f.users) {
    await token.mint(user.address, 1_000n * FEE);
    await token.connect(user).approve(marketAddress, ethers.MaxUint256);
  }
  await time.increaseTo(DATES.e0Window);
  await market.connect(f.keeper).promote(
    1,
    f.modelers.slice(0, 5).map((m) => m.address),
    ethers.id("hostile"),
  );
  await time.increaseTo(DATES.e1Start);
  return market;
}
