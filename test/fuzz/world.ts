import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Interface, type InterfaceAbi } from "ethers";
import {
  InferenceMarket__factory,
  TestToken__factory,
  type InferenceMarket,
  type TestToken,
} from "../../typechain-types";
import { deployFixture, DATES, FEE } from "../fixtures";
import { MarketModel, ROLES, MAX_UINT256 } from "../model/reference";

/** The deployed market and token, the people who use them, and the model of the same state. */
export interface World {
  market: InferenceMarket;
  token: TestToken;
  marketAddress: string;
  tokenAddress: string;
  /** Decodes the custom errors of the market and of the token. */
  errors: Interface;
  admin: HardhatEthersSigner;
  treasuries: [HardhatEthersSigner, HardhatEthersSigner];
  manager: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  pauser: HardhatEthersSigner;
  creator: HardhatEthersSigner;
  challengeAdmins: [HardhatEthersSigner, HardhatEthersSigner];
  stranger: HardhatEthersSigner;
  /** Approved the market for everything, 1000 FEE each. */
  users: HardhatEthersSigner[];
  /** Approves only through permits, 3 FEE: runs out of allowance and of money. */
  permitUser: HardhatEthersSigner;
  modelers: HardhatEthersSigner[];
  hosts: HardhatEthersSigner[];
  /** Every account whose token balance can move, the market first. */
  holders: string[];
  signerOf(address: string): HardhatEthersSigner;
  /** The model of the chain state at the fixture's snapshot; clone it for each run. */
  model: MarketModel;
}

/** What both sides do to reach the starting state, mined at explicit times so the model keeps the clock. */
type SetupStep = { at?: bigint; chain: () => Promise<unknown>; model: (m: MarketModel) => unknown };

/**
 * Challenge 1 (fee 1 FEE) and challenge 2 (fee 1 FEE + 7: every split rounds) both serve from E1 with
 * lists promoted on Monday 2026-11-23 23:59; modeler 7 hosts itself, the other registered modelers share three
 * hosts. Two listed modelers opt in late, on either side of the judging rule: modeler 8 registers for
 * challenge 1 at E1's first second (E1 judges it), modeler 10 for challenge 2 one second later (E1 does not);
 * modeler 11, listed for challenge 2, never registers. Three requests follow in the next seconds of E1.
 */
export async function fuzzWorldFixture(): Promise<World> {
  const f = await loadFixture(deployFixture);
  const signers = await ethers.getSigners();
  const [permitUser, treasury2, admin2] = signers.slice(37, 40);
  const hosts = f.hosts.slice(0, 3);
  const modelers = f.modelers;
  const market = f.market;
  const token = f.token;
  const marketAddress = await market.getAddress();
  const latest = await ethers.provider.getBlock("latest");

  const model = new MarketModel(
    marketAddress,
    f.admin.address,
    f.treasury.address,
    undefined,
    BigInt(latest!.timestamp),
  );
  model.grantRole(ROLES.manager, f.manager.address);
  model.grantRole(ROLES.keeper, f.keeper.address);
  model.grantRole(ROLES.pauser, f.pauser.address);
  for (const u of f.users) {
    model.mint(u.address, 1_000n * FEE);
    model.approve(u.address, MAX_UINT256);
  }

  const hostOf = (i: number) => (i === 7 ? modelers[7].address : hosts[i % 3].address);
  const keeperList = (c: bigint, ids: number[]): SetupStep => ({
    chain: () =>
      market.connect(f.keeper).promote(
        c,
        ids.map((i) => modelers[i].address),
        ethers.id(`fuzz-${c}`),
      ),
    model: (m) =>
      m.promote(
        f.keeper.address,
        c,
        ids.map((i) => modelers[i].address),
      ),
  });
  const register = (i: number, c: bigint, at?: bigint): SetupStep => ({
    at,
    chain: () => market.connect(modelers[i]).register(c, hostOf(i)),
    model: (m) => m.register(modelers[i].address, c, hostOf(i)),
  });
  const steps: SetupStep[] = [
    { chain: () => token.mint(permitUser.address, 3n * FEE), model: (m) => m.mint(permitUser.address, 3n * FEE) },
    ...([FEE, FEE + 7n] as const).map((fee) => ({
      chain: () => market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, fee, "fuzz"),
      model: (m: MarketModel) => m.createChallenge(f.manager.address, f.creator.address, f.challengeAdmin.address, fee),
    })),
    ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => register(i, 1n)),
    ...[3, 4, 5, 6, 7, 9].map((i) => register(i, 2n)),
    { at: DATES.e0Window, ...keeperList(1n, [0, 1, 2, 3, 4, 5, 6, 7, 8]) },
    keeperList(2n, [9, 3, 10, 4, 5, 6, 11, 7]),
  ];
  steps.push(register(8, 1n, DATES.e1Start), register(10, 2n));
  // Three requests open from the first seconds of E1, so that hosts have work from the first action.
  for (const [u, c] of [
    [0, 1n],
    [1, 2n],
    [2, 1n],
  ] as const) {
    const fee = c === 1n ? FEE : FEE + 7n;
    steps.push({
      chain: () => market.connect(f.users[u]).request(c, fee, "0x"),
      model: (m) => m.request(f.users[u].address, c, fee),
    });
  }
  for (const step of steps) {
    const at = step.at ?? model.now + 1n;
    const result = model.exec(at, () => step.model(model));
    if (result instanceof Error) throw result;
    await network.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
    await step.chain();
  }

  const byAddress = new Map(signers.map((s) => [s.address.toLowerCase(), s]));
  const abis = [InferenceMarket__factory.abi, TestToken__factory.abi] as InterfaceAbi[];
  const errorFragments = abis.flatMap((abi) => new Interface(abi).fragments.filter((x) => x.type === "error"));
  const users = f.users;
  return {
    market,
    token,
    marketAddress,
    tokenAddress: await token.getAddress(),
    errors: new Interface(errorFragments),
    admin: f.admin,
    treasuries: [f.treasury, treasury2],
    manager: f.manager,
    keeper: f.keeper,
    pauser: f.pauser,
    creator: f.creator,
    challengeAdmins: [f.challengeAdmin, admin2],
    stranger: f.stranger,
    users,
    permitUser,
    modelers,
    hosts,
    holders: [
      marketAddress,
      ...[...users, permitUser, ...modelers, f.creator, f.challengeAdmin, admin2, f.treasury, treasury2].map(
        (s) => s.address,
      ),
    ],
    signerOf(address: string) {
      const s = byAddress.get(address.toLowerCase());
      if (!s) throw new Error(`no signer for ${address}`);
      return s;
    },
    model,
  };
}
