import { ethers, ignition } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import LocalMarketModule from "../../ignition/modules/LocalMarket";
import {
  InferenceMarket__factory,
  TestToken__factory,
  type InferenceMarket,
  type TestToken,
} from "../../typechain-types";
import type { IInferenceMarket } from "../../typechain-types/contracts/InferenceMarket";
import { DEFAULT_TIME, claimsOpenAt, finalAt, startOf, utc, windowStart } from "../../sdk/time";

export const FEE = 10n ** 18n;
const T = DEFAULT_TIME;
/** The in-process network starts on Friday 2026-11-20, in epoch 2968; lists promoted now serve from 2969. */
export const FIRST_EPOCH = utc("2026-11-26T00:00:00Z") / T.epochLength;

export type Key = IInferenceMarket.RequestKeyStruct;
export interface Req {
  id: bigint;
  key: Key;
}

/** Gas of a mined transaction. */
export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

/**
 * A live market: one challenge whose list of `listSize` registered modelers serves from FIRST_EPOCH, five users
 * holding tokens with the market approved, and helpers that act at the chain's current time.
 */
export async function world(listSize: number) {
  const signers = await ethers.getSigners();
  const [admin, creator, challengeAdmin, treasury] = signers;
  const users = signers.slice(4, 9);
  const modelers = signers.slice(9, 9 + listSize);
  const hosts = signers.slice(20, 20 + listSize);
  const spare = signers[39];

  const deployed = await ignition.deploy(LocalMarketModule, {
    parameters: { LocalMarket: { admin: admin.address, treasury: treasury.address } },
  });
  const market: InferenceMarket = InferenceMarket__factory.connect(await deployed.market.getAddress(), admin);
  const token: TestToken = TestToken__factory.connect(await deployed.token.getAddress(), admin);
  for (const role of [market.CHALLENGE_MANAGER_ROLE(), market.KEEPER_ROLE(), market.PAUSER_ROLE()]) {
    await market.grantRole(await role, admin.address);
  }
  await market.createChallenge(creator.address, challengeAdmin.address, FEE, "wallet credit score");
  // Every payee already holds tokens, as in a live market: transfers to them are not first writes.
  for (const s of [...users, ...modelers, creator, challengeAdmin, treasury])
    await token.mint(s.address, 1_000_000n * FEE);
  for (const u of users) await token.connect(u).approve(await market.getAddress(), ethers.MaxUint256);
  for (let i = 0; i < listSize; i++) await market.connect(modelers[i]).register(1, hosts[i].address);
  await time.increaseTo(windowStart(T, FIRST_EPOCH - 1n));
  await market.promote(
    1,
    modelers.map((m) => m.address),
    ethers.id("leaderboard"),
  );
  await time.increaseTo(startOf(T, FIRST_EPOCH));

  let nextUser = 0;
  const w = {
    market,
    token,
    admin,
    creator,
    treasury,
    users,
    modelers,
    hosts,
    spare,
    /** The epoch of the chain's latest block. */
    async epoch(): Promise<bigint> {
      return BigInt(await time.latest()) / T.epochLength;
    },
    async request(user?: Signer): Promise<Req & { gas: bigint }> {
      const from = (user ?? users[nextUser++ % users.length]) as HardhatEthersSigner;
      const receipt = await (await market.connect(from).request(1, FEE, "0x01")).wait();
      if (!receipt) throw new Error("no receipt");
      for (const log of receipt.logs) {
        const parsed = market.interface.parseLog(log);
        if (parsed?.name !== "RequestMade") continue;
        const { requestId, challengeId, requester, listId, fee } = parsed.args;
        return { id: requestId, key: { requester, challengeId, listId, fee }, gas: receipt.gasUsed };
      }
      throw new Error("no RequestMade event");
    },
    answer(index: number, r: Req): Promise<bigint> {
      return gasOf(market.connect(hosts[index]).answer(r.id, r.key, index, "0x02"));
    },
    /** `requests` requests, each answered by the first `answerers` listed modelers. */
    async activity(requests: number, answerers: number): Promise<void> {
      for (let i = 0; i < requests; i++) {
        const r = await w.request();
        for (let m = 0; m < answerers; m++) await w.answer(m, r);
      }
    },
    /** Moves to the next epoch's start. */
    async nextEpoch(): Promise<void> {
      await time.increaseTo(startOf(T, (await w.epoch()) + 1n));
    },
    /** Moves to when claims of `epoch` are open and the keeper has finalized it, as it does every week. */
    async claimable(epoch: bigint): Promise<void> {
      const opens = claimsOpenAt(T, epoch);
      if (BigInt(await time.latest()) < opens) await time.increaseTo(opens);
      const f = await market.epochFigures(1, epoch);
      if (!f.finalized && BigInt(await time.latest()) >= finalAt(T, epoch)) await market.finalize(1, epoch);
    },
    claim(modeler: number, epochs: bigint[]): Promise<bigint> {
      return gasOf(market.claimRewards(1, modelers[modeler].address, epochs));
    },
  };
  return w;
}

export type World = Awaited<ReturnType<typeof world>>;
