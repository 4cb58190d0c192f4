import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { challengeFixture, DATES, E1, FEE } from "../fixtures";

/*
 * Every privileged function against every kind of account, generated from one table: each row names the
 * function and its guard (a role, or the challenge's admin); each actor the roles it holds. A call is allowed
 * exactly when the actor passes the guard; then it emits its event and changes only what the row says.
 * Otherwise it reverts with AccessControlUnauthorizedAccount(account, role) or MarketNotChallengeAdmin(1, account)
 * and changes nothing. grantRole and revokeRole are checked for each role: every role's admin is DEFAULT_ADMIN_ROLE.
 */

const ROLES = ["DEFAULT_ADMIN_ROLE", "CHALLENGE_MANAGER_ROLE", "KEEPER_ROLE", "PAUSER_ROLE"] as const;
type Role = (typeof ROLES)[number];

/** The accounts and the roles each holds in the fixture. */
const ACTORS = {
  admin: ["DEFAULT_ADMIN_ROLE"],
  manager: ["CHALLENGE_MANAGER_ROLE"],
  keeper: ["KEEPER_ROLE"],
  pauser: ["PAUSER_ROLE"],
  challengeAdmin: [],
  creator: [],
  modeler: [],
  host: [],
  stranger: [],
} as const satisfies Record<string, readonly Role[]>;
type Actor = keyof typeof ACTORS;
const ACTOR_NAMES = Object.keys(ACTORS) as Actor[];

/**
 * Challenge 1 (creator, challengeAdmin, fee FEE) whose modeler 0 registered with host 0; no list yet. The clock is
 * in E0's promotion window (Monday 2026-11-23 23:59), so the keeper's promotion would succeed.
 */
async function accessFixture() {
  const f = await loadFixture(challengeFixture);
  await time.increaseTo(DATES.e0Window);
  const signers: Record<Actor, HardhatEthersSigner> = {
    admin: f.admin,
    manager: f.manager,
    keeper: f.keeper,
    pauser: f.pauser,
    challengeAdmin: f.challengeAdmin,
    creator: f.creator,
    modeler: f.modelers[0],
    host: f.hosts[0],
    stranger: f.stranger,
  };
  const roles = {} as Record<Role, string>;
  for (const r of ROLES) roles[r] = await f.market[r]();
  const target = (await ethers.getSigners())[38]; // new treasury, new challenge admin, new role holder
  return { ...f, signers, roles, target };
}
type Fixture = Awaited<ReturnType<typeof accessFixture>>;

/** Everything a privileged call can change, and the market's balance, which none of them may touch. */
async function stateOf(f: Fixture) {
  const { market } = f;
  const accounts = [...ACTOR_NAMES.map((a) => f.signers[a].address), f.target.address];
  const holdings = await Promise.all(ROLES.flatMap((r) => accounts.map((a) => market.hasRole(f.roles[r], a))));
  const c = await market.challenge(1);
  return {
    paused: await market.paused(),
    treasury: await market.treasury(),
    challengeCount: await market.challengeCount(),
    challenge: { admin: c.admin, fee: c.fee, listCount: c.listCount, latest: c.latestActivationEpoch },
    list: [...(await market.list(1, 1))[1]],
    holdings: Object.fromEntries(
      ROLES.flatMap((r, i) => accounts.map((a, j) => [`${r}:${a}`, holdings[i * accounts.length + j]])),
    ),
    marketBalance: await f.token.balanceOf(await market.getAddress()),
  };
}
type State = Awaited<ReturnType<typeof stateOf>>;

interface Row {
  fn: string;
  /** The role checked, or "challengeAdmin" for the challenge's admin. */
  guard: Role | "challengeAdmin";
  /** What must hold before the call, done by the accounts entitled to it. */
  setup?: (f: Fixture) => Promise<unknown>;
  call: (f: Fixture, caller: HardhatEthersSigner) => Promise<ContractTransactionResponse>;
  emitted: (f: Fixture, tx: ContractTransactionResponse, caller: HardhatEthersSigner) => Promise<void>;
  /** Applies the call's effect to the state read before it. */
  change: (s: State, f: Fixture) => void;
}

const LEADERBOARD = ethers.id("leaderboard-access");
const listed = (f: Fixture) => f.modelers.slice(0, 5).map((m) => m.address);
/** The account holding `role` in the fixture. */
const holderOf = (f: Fixture, role: Role) =>
  f.signers[ACTOR_NAMES.find((a) => (ACTORS[a] as readonly Role[]).includes(role))!];

const TABLE: Row[] = [
  {
    fn: "createChallenge",
    guard: "CHALLENGE_MANAGER_ROLE",
    call: (f, s) => f.market.connect(s).createChallenge(f.creator.address, f.target.address, 2n * FEE, "second"),
    emitted: (f, tx) =>
      expect(tx)
        .to.emit(f.market, "ChallengeCreated")
        .withArgs(2n, f.creator.address, f.target.address, 2n * FEE, "second"),
    change: (s) => {
      s.challengeCount = 2n;
    },
  },
  {
    fn: "setFee",
    guard: "challengeAdmin",
    call: (f, s) => f.market.connect(s).setFee(1, 2n * FEE),
    emitted: (f, tx) =>
      expect(tx)
        .to.emit(f.market, "ChallengeFeeChanged")
        .withArgs(1n, FEE, 2n * FEE),
    change: (s) => {
      s.challenge.fee = 2n * FEE;
    },
  },
  {
    fn: "setChallengeAdmin",
    guard: "challengeAdmin",
    call: (f, s) => f.market.connect(s).setChallengeAdmin(1, f.target.address),
    emitted: (f, tx, s) =>
      expect(tx).to.emit(f.market, "ChallengeAdminChanged").withArgs(1n, s.address, f.target.address),
    change: (s, f) => {
      s.challenge.admin = f.target.address;
    },
  },
  {
    fn: "setTreasury",
    guard: "DEFAULT_ADMIN_ROLE",
    call: (f, s) => f.market.connect(s).setTreasury(f.target.address),
    emitted: (f, tx) => expect(tx).to.emit(f.market, "TreasuryChanged").withArgs(f.treasury.address, f.target.address),
    change: (s, f) => {
      s.treasury = f.target.address;
    },
  },
  {
    fn: "pause",
    guard: "PAUSER_ROLE",
    call: (f, s) => f.market.connect(s).pause(),
    emitted: (f, tx, s) => expect(tx).to.emit(f.market, "Paused").withArgs(s.address),
    change: (s) => {
      s.paused = true;
    },
  },
  {
    fn: "unpause",
    guard: "PAUSER_ROLE",
    setup: (f) => f.market.connect(f.pauser).pause(),
    call: (f, s) => f.market.connect(s).unpause(),
    emitted: (f, tx, s) => expect(tx).to.emit(f.market, "Unpaused").withArgs(s.address),
    change: (s) => {
      s.paused = false;
    },
  },
  {
    fn: "promote",
    guard: "KEEPER_ROLE",
    call: (f, s) => f.market.connect(s).promote(1, listed(f), LEADERBOARD),
    emitted: (f, tx) =>
      expect(tx)
        .to.emit(f.market, "ListPromoted")
        .withArgs(1n, 1n, E1 - 1n, E1, LEADERBOARD, listed(f)),
    change: (s, f) => {
      s.challenge.listCount = 1n;
      s.challenge.latest = E1;
      s.list = listed(f);
    },
  },
  ...ROLES.map((role): Row => ({
    fn: `grantRole(${role})`,
    guard: "DEFAULT_ADMIN_ROLE",
    call: (f, s) => f.market.connect(s).grantRole(f.roles[role], f.target.address),
    emitted: (f, tx, s) =>
      expect(tx).to.emit(f.market, "RoleGranted").withArgs(f.roles[role], f.target.address, s.address),
    change: (s, f) => {
      s.holdings[`${role}:${f.target.address}`] = true;
    },
  })),
  ...ROLES.map((role): Row => ({
    fn: `revokeRole(${role})`,
    guard: "DEFAULT_ADMIN_ROLE",
    call: (f, s) => f.market.connect(s).revokeRole(f.roles[role], holderOf(f, role).address),
    emitted: (f, tx, s) =>
      expect(tx).to.emit(f.market, "RoleRevoked").withArgs(f.roles[role], holderOf(f, role).address, s.address),
    change: (s, f) => {
      s.holdings[`${role}:${holderOf(f, role).address}`] = false;
    },
  })),
];

const passes = (actor: Actor, guard: Row["guard"]) =>
  guard === "challengeAdmin" ? actor === "challengeAdmin" : (ACTORS[actor] as readonly Role[]).includes(guard);

describe("adversarial: privileged functions × accounts", () => {
  it("the fixture's accounts hold exactly the roles of the table, and every role is administered by the admin", async () => {
    const f = await loadFixture(accessFixture);
    for (const role of ROLES) {
      expect(await f.market.getRoleAdmin(f.roles[role])).to.equal(f.roles.DEFAULT_ADMIN_ROLE);
      for (const actor of ACTOR_NAMES) {
        expect(await f.market.hasRole(f.roles[role], f.signers[actor].address), `${actor} ${role}`).to.equal(
          passes(actor, role),
        );
      }
    }
    expect((await f.market.challenge(1)).admin).to.equal(f.challengeAdmin.address);
    expect((await f.market.modelerInfo(1, f.modelers[0].address)).host).to.equal(f.hosts[0].address);
  });

  for (const row of TABLE) {
    describe(`${row.fn} (${row.guard === "challengeAdmin" ? "the challenge's admin" : row.guard})`, () => {
      for (const actor of ACTOR_NAMES) {
        const allowed = passes(actor, row.guard);
        it(`${actor}: ${allowed ? "allowed" : "refused"}`, async () => {
          const f = await loadFixture(accessFixture);
          if (row.setup) await row.setup(f);
          const caller = f.signers[actor];
          const before = await stateOf(f);
          const expected = structuredClone(before);
          if (allowed) {
            const tx = await row.call(f, caller);
            await row.emitted(f, tx, caller);
            row.change(expected, f);
            expect(expected).to.not.deep.equal(before);
          } else if (row.guard === "challengeAdmin") {
            await expect(row.call(f, caller))
              .to.be.revertedWithCustomError(f.market, "MarketNotChallengeAdmin")
              .withArgs(1n, caller.address);
          } else {
            await expect(row.call(f, caller))
              .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
              .withArgs(caller.address, f.roles[row.guard]);
          }
          expect(await stateOf(f)).to.deep.equal(expected);
        });
      }
    });
  }

  describe("power ends where the table says", () => {
    it("a challenge's admin has no power over another challenge, and that challenge's admin none over it", async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.manager).createChallenge(f.creator.address, f.stranger.address, FEE, "second");
      await expect(f.market.connect(f.challengeAdmin).setFee(2, 2n * FEE))
        .to.be.revertedWithCustomError(f.market, "MarketNotChallengeAdmin")
        .withArgs(2n, f.challengeAdmin.address);
      await expect(f.market.connect(f.stranger).setChallengeAdmin(1, f.stranger.address))
        .to.be.revertedWithCustomError(f.market, "MarketNotChallengeAdmin")
        .withArgs(1n, f.stranger.address);
      expect((await f.market.challenge(1)).admin).to.equal(f.challengeAdmin.address);
      expect((await f.market.challenge(2)).fee).to.equal(FEE);
    });

    it("a replaced challenge admin and a revoked keeper lose their power at once", async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.challengeAdmin).setChallengeAdmin(1, f.target.address);
      await expect(f.market.connect(f.challengeAdmin).setFee(1, 2n * FEE))
        .to.be.revertedWithCustomError(f.market, "MarketNotChallengeAdmin")
        .withArgs(1n, f.challengeAdmin.address);
      await f.market.connect(f.admin).revokeRole(f.roles.KEEPER_ROLE, f.keeper.address);
      await expect(f.market.connect(f.keeper).promote(1, listed(f), LEADERBOARD))
        .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
        .withArgs(f.keeper.address, f.roles.KEEPER_ROLE);
      expect((await f.market.challenge(1)).fee).to.equal(FEE);
      expect((await f.market.challenge(1)).listCount).to.equal(0n);
    });

    it("nobody renounces a role for someone else; a holder may renounce its own", async () => {
      const f = await loadFixture(accessFixture);
      for (const actor of ACTOR_NAMES.filter((a) => a !== "pauser")) {
        await expect(
          f.market.connect(f.signers[actor]).renounceRole(f.roles.PAUSER_ROLE, f.pauser.address),
        ).to.be.revertedWithCustomError(f.market, "AccessControlBadConfirmation");
      }
      expect(await f.market.hasRole(f.roles.PAUSER_ROLE, f.pauser.address)).to.equal(true);
      await expect(f.market.connect(f.pauser).renounceRole(f.roles.PAUSER_ROLE, f.pauser.address))
        .to.emit(f.market, "RoleRevoked")
        .withArgs(f.roles.PAUSER_ROLE, f.pauser.address, f.pauser.address);
      expect(await f.market.hasRole(f.roles.PAUSER_ROLE, f.pauser.address)).to.equal(false);
    });
  });
});
