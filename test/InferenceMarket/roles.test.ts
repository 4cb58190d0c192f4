import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { activeFixture, challengeFixture, requestOf, DATES, E1, FEE, TIME, Status, signPermit } from "../fixtures";

const E0 = E1 - 1n;
const E2 = E1 + 1n;
const INPUT = ethers.hexlify(ethers.toUtf8Bytes("0x5a52e96bacdabb82fd05763e25335261b270efcb"));
const OUTPUT = ethers.hexlify(ethers.toUtf8Bytes("score:712"));
const LEADERBOARD = ethers.id("leaderboard-roles");

enum FeeRecipient {
  Creator,
  Admin,
  Platform,
}

const WHO = ["admin", "manager", "keeper", "pauser", "creator", "challengeAdmin", "modeler", "stranger"] as const;
type Who = (typeof WHO)[number];
const ROLE_NAMES = ["DEFAULT_ADMIN_ROLE", "CHALLENGE_MANAGER_ROLE", "KEEPER_ROLE", "PAUSER_ROLE"] as const;
type RoleName = (typeof ROLE_NAMES)[number];

/**
 * Challenge 1 with five registered modelers and no list, the clock inside E0's promotion window
 * (Monday 2026-11-23 23:59), so that a promotion by the keeper would succeed.
 */
async function rolesFixture() {
  const f = await challengeFixture();
  await time.increaseTo(DATES.e0Window);
  const signers = await ethers.getSigners();
  const callers: Record<Who, HardhatEthersSigner> = {
    admin: f.admin,
    manager: f.manager,
    keeper: f.keeper,
    pauser: f.pauser,
    creator: f.creator,
    challengeAdmin: f.challengeAdmin,
    modeler: f.modelers[0],
    stranger: f.stranger,
  };
  const target = signers[38]; // a fresh address used as new treasury, new admin, new role holder
  const roles = {} as Record<RoleName, string>;
  for (const r of ROLE_NAMES) roles[r] = await f.market[r]();
  return { ...f, callers, target, roles };
}
type RolesFixture = Awaited<ReturnType<typeof rolesFixture>>;

/** Everything a privileged call may change: pause flag, treasury, challenges, challenge 1, every role holding. */
async function stateOf(f: RolesFixture) {
  const { market } = f;
  const accounts = [...WHO.map((w) => f.callers[w].address), f.target.address];
  const c = await market.challenge(1);
  const holdings: Record<string, boolean> = {};
  await Promise.all(
    ROLE_NAMES.flatMap((r) =>
      accounts.map(async (a) => {
        holdings[`${r}:${a}`] = await market.hasRole(f.roles[r], a);
      }),
    ),
  );
  const [, list] = await market.list(1, 1);
  return {
    paused: await market.paused(),
    treasury: await market.treasury(),
    challengeCount: await market.challengeCount(),
    challenge1: {
      creator: c.creator,
      admin: c.admin,
      fee: c.fee,
      listCount: c.listCount,
      latest: c.latestActivationEpoch,
    },
    list1: [...list],
    holdings,
    marketBalance: await f.token.balanceOf(await market.getAddress()),
  };
}
type State = Awaited<ReturnType<typeof stateOf>>;

interface Row {
  fn: string;
  allowed: Who;
  /** The role checked, or undefined when the check is the challenge's admin (MarketNotChallengeAdmin). */
  role?: RoleName;
  setup?: (f: RolesFixture) => Promise<unknown>;
  call: (f: RolesFixture, s: HardhatEthersSigner) => Promise<ContractTransactionResponse>;
  events: (f: RolesFixture, tx: ContractTransactionResponse, s: HardhatEthersSigner) => Promise<void>;
  change: (expected: State, f: RolesFixture) => void;
}

const listed = (f: RolesFixture) => f.modelers.slice(0, 5).map((m) => m.address);

const ROWS: Row[] = [
  {
    fn: "createChallenge",
    allowed: "manager",
    role: "CHALLENGE_MANAGER_ROLE",
    call: (f, s) => f.market.connect(s).createChallenge(f.creator.address, f.challengeAdmin.address, 2n * FEE, "two"),
    events: async (f, tx) =>
      expect(tx)
        .to.emit(f.market, "ChallengeCreated")
        .withArgs(2n, f.creator.address, f.challengeAdmin.address, 2n * FEE, "two"),
    change: (e) => {
      e.challengeCount = 2n;
    },
  },
  {
    fn: "promote",
    allowed: "keeper",
    role: "KEEPER_ROLE",
    call: (f, s) => f.market.connect(s).promote(1, listed(f), LEADERBOARD),
    events: async (f, tx) =>
      expect(tx).to.emit(f.market, "ListPromoted").withArgs(1n, 1n, E0, E1, LEADERBOARD, listed(f)),
    change: (e, f) => {
      e.challenge1.listCount = 1n;
      e.challenge1.latest = E1;
      e.list1 = listed(f);
    },
  },
  {
    fn: "pause",
    allowed: "pauser",
    role: "PAUSER_ROLE",
    call: (f, s) => f.market.connect(s).pause(),
    events: async (f, tx, s) => expect(tx).to.emit(f.market, "Paused").withArgs(s.address),
    change: (e) => {
      e.paused = true;
    },
  },
  {
    fn: "unpause",
    allowed: "pauser",
    role: "PAUSER_ROLE",
    setup: (f) => f.market.connect(f.pauser).pause(),
    call: (f, s) => f.market.connect(s).unpause(),
    events: async (f, tx, s) => expect(tx).to.emit(f.market, "Unpaused").withArgs(s.address),
    change: (e) => {
      e.paused = false;
    },
  },
  {
    fn: "setTreasury",
    allowed: "admin",
    role: "DEFAULT_ADMIN_ROLE",
    call: (f, s) => f.market.connect(s).setTreasury(f.target.address),
    events: async (f, tx) =>
      expect(tx).to.emit(f.market, "TreasuryChanged").withArgs(f.treasury.address, f.target.address),
    change: (e, f) => {
      e.treasury = f.target.address;
    },
  },
  {
    fn: "grantRole",
    allowed: "admin",
    role: "DEFAULT_ADMIN_ROLE",
    call: (f, s) => f.market.connect(s).grantRole(f.roles.KEEPER_ROLE, f.target.address),
    events: async (f, tx, s) =>
      expect(tx).to.emit(f.market, "RoleGranted").withArgs(f.roles.KEEPER_ROLE, f.target.address, s.address),
    change: (e, f) => {
      e.holdings[`KEEPER_ROLE:${f.target.address}`] = true;
    },
  },
  {
    fn: "revokeRole",
    allowed: "admin",
    role: "DEFAULT_ADMIN_ROLE",
    call: (f, s) => f.market.connect(s).revokeRole(f.roles.PAUSER_ROLE, f.pauser.address),
    events: async (f, tx, s) =>
      expect(tx).to.emit(f.market, "RoleRevoked").withArgs(f.roles.PAUSER_ROLE, f.pauser.address, s.address),
    change: (e, f) => {
      e.holdings[`PAUSER_ROLE:${f.pauser.address}`] = false;
    },
  },
  {
    fn: "setFee",
    allowed: "challengeAdmin",
    call: (f, s) => f.market.connect(s).setFee(1, 2n * FEE),
    events: async (f, tx) =>
      expect(tx)
        .to.emit(f.market, "ChallengeFeeChanged")
        .withArgs(1n, FEE, 2n * FEE),
    change: (e) => {
      e.challenge1.fee = 2n * FEE;
    },
  },
  {
    fn: "setChallengeAdmin",
    allowed: "challengeAdmin",
    call: (f, s) => f.market.connect(s).setChallengeAdmin(1, f.target.address),
    events: async (f, tx) =>
      expect(tx).to.emit(f.market, "ChallengeAdminChanged").withArgs(1n, f.challengeAdmin.address, f.target.address),
    change: (e, f) => {
      e.challenge1.admin = f.target.address;
    },
  },
];

describe("InferenceMarket roles", () => {
  it("the fixture's accounts hold exactly the roles the table assumes", async () => {
    const f = await loadFixture(rolesFixture);
    const s = await stateOf(f);
    const holders: Record<RoleName, Who> = {
      DEFAULT_ADMIN_ROLE: "admin",
      CHALLENGE_MANAGER_ROLE: "manager",
      KEEPER_ROLE: "keeper",
      PAUSER_ROLE: "pauser",
    };
    for (const r of ROLE_NAMES) {
      for (const w of WHO) expect(s.holdings[`${r}:${f.callers[w].address}`], `${r} ${w}`).to.equal(holders[r] === w);
      expect(s.holdings[`${r}:${f.target.address}`]).to.equal(false);
    }
    expect(s.challenge1.admin).to.equal(f.challengeAdmin.address);
    expect(s.challenge1.creator).to.equal(f.creator.address);
    // Every role is administered by DEFAULT_ADMIN_ROLE.
    for (const r of ROLE_NAMES) expect(await f.market.getRoleAdmin(f.roles[r])).to.equal(f.roles.DEFAULT_ADMIN_ROLE);
  });

  for (const row of ROWS) {
    describe(`${row.fn} (only ${row.allowed}${row.role ? `, ${row.role}` : ", the challenge's admin"})`, () => {
      for (const who of WHO) {
        if (who === row.allowed) {
          it(`succeeds for ${who}, emits its event and changes only what it should`, async () => {
            const f = await loadFixture(rolesFixture);
            if (row.setup) await row.setup(f);
            const before = await stateOf(f);
            const s = f.callers[who];
            const tx = await row.call(f, s);
            await row.events(f, tx, s);
            const expected = structuredClone(before);
            row.change(expected, f);
            expect(expected).to.not.deep.equal(before);
            expect(await stateOf(f)).to.deep.equal(expected);
          });
        } else {
          it(`reverts for ${who} and changes nothing`, async () => {
            const f = await loadFixture(rolesFixture);
            if (row.setup) await row.setup(f);
            const before = await stateOf(f);
            const s = f.callers[who];
            if (row.role) {
              await expect(row.call(f, s))
                .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
                .withArgs(s.address, f.roles[row.role]);
            } else {
              await expect(row.call(f, s))
                .to.be.revertedWithCustomError(f.market, "MarketNotChallengeAdmin")
                .withArgs(1n, s.address);
            }
            expect(await stateOf(f)).to.deep.equal(before);
          });
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Pausing

type Made = Awaited<ReturnType<typeof requestOf>>;

/**
 * List 1 serving in E1; users[0..2] made requests 1..3 on Thursday 2026-11-26 just after 00:00; then the pauser
 * paused the market. A fresh funded account (no allowance) is ready for permits.
 */
async function pausedFixture() {
  const f = await activeFixture();
  const rs: Made[] = [];
  for (let i = 0; i < 3; i++)
    rs.push(await requestOf(f.market, await f.market.connect(f.users[i]).request(1, FEE, INPUT)));
  await f.market.connect(f.pauser).pause();
  const fresh = (await ethers.getSigners())[37];
  await f.token.mint(fresh.address, 10n * FEE);
  return { ...f, rs, fresh };
}
type PausedFixture = Awaited<ReturnType<typeof pausedFixture>>;

/** What a rejected request or promotion must leave untouched. */
async function requestSnapshot(f: PausedFixture, accounts: string[]) {
  const { market, token } = f;
  const marketAddress = await market.getAddress();
  const balances = await Promise.all([marketAddress, ...accounts].map((a) => token.balanceOf(a)));
  const allowances = await Promise.all(accounts.map((a) => token.allowance(a, marketAddress)));
  const nonces = await Promise.all(accounts.map((a) => token.nonces(a)));
  const figures = await Promise.all([E1, E2].map(async (e) => [...(await market.epochFigures(1, e))]));
  const c = await market.challenge(1);
  return {
    balances,
    allowances,
    nonces,
    figures,
    count: await market.requestCount(),
    next: [...(await market.requestState((await market.requestCount()) + 1n))],
    challenge: [...c],
    lists: [[...(await market.list(1, 1))[1]], [...(await market.list(1, 2))[1]]],
    paused: await market.paused(),
  };
}

describe("InferenceMarket pausing", () => {
  describe("pause / unpause", () => {
    it("pause emits Paused(pauser) and unpause emits Unpaused(pauser)", async () => {
      const { market, pauser } = await loadFixture(activeFixture);
      expect(await market.paused()).to.equal(false);
      await expect(market.connect(pauser).pause()).to.emit(market, "Paused").withArgs(pauser.address);
      expect(await market.paused()).to.equal(true);
      await expect(market.connect(pauser).unpause()).to.emit(market, "Unpaused").withArgs(pauser.address);
      expect(await market.paused()).to.equal(false);
    });

    it("pause when paused reverts with EnforcedPause; the market stays paused", async () => {
      const { market, pauser } = await loadFixture(pausedFixture);
      await expect(market.connect(pauser).pause()).to.be.revertedWithCustomError(market, "EnforcedPause");
      expect(await market.paused()).to.equal(true);
    });

    it("unpause when not paused reverts with ExpectedPause; the market stays unpaused", async () => {
      const { market, pauser } = await loadFixture(activeFixture);
      await expect(market.connect(pauser).unpause()).to.be.revertedWithCustomError(market, "ExpectedPause");
      expect(await market.paused()).to.equal(false);
    });
  });

  describe("while paused: new requests and promotions stop", () => {
    it("request reverts with EnforcedPause and nothing changes", async () => {
      const f = await loadFixture(pausedFixture);
      const user = f.users[3];
      const before = await requestSnapshot(f, [user.address]);
      await expect(f.market.connect(user).request(1, FEE, INPUT)).to.be.revertedWithCustomError(
        f.market,
        "EnforcedPause",
      );
      expect(await requestSnapshot(f, [user.address])).to.deep.equal(before);
      expect(before.count).to.equal(3n);
    });

    it("requestWithPermit reverts with EnforcedPause; the permit is not consumed and nothing changes", async () => {
      const f = await loadFixture(pausedFixture);
      const marketAddress = await f.market.getAddress();
      const deadline = BigInt(await time.latest()) + 3_600n;
      const sig = await signPermit(f.token, f.fresh, marketAddress, FEE, deadline);
      const before = await requestSnapshot(f, [f.fresh.address]);
      await expect(
        f.market.connect(f.fresh).requestWithPermit(1, FEE, INPUT, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(f.market, "EnforcedPause");
      const after = await requestSnapshot(f, [f.fresh.address]);
      expect(after).to.deep.equal(before);
      expect(after.allowances).to.deep.equal([0n]);
      expect(after.nonces).to.deep.equal([0n]);
    });

    it("promote reverts with EnforcedPause inside the window (Monday 2026-11-30 23:59) and nothing changes", async () => {
      const f = await loadFixture(pausedFixture);
      await time.setNextBlockTimestamp(DATES.e1Window);
      const before = await requestSnapshot(f, []);
      await expect(
        f.market.connect(f.keeper).promote(
          1,
          f.modelers.slice(1, 6).map((m) => m.address),
          LEADERBOARD,
        ),
      ).to.be.revertedWithCustomError(f.market, "EnforcedPause");
      expect(await requestSnapshot(f, [])).to.deep.equal(before);
      expect((await f.market.challenge(1)).listCount).to.equal(1n);
    });
  });

  describe("while paused: everything else goes on", () => {
    async function stillPaused(f: PausedFixture) {
      expect(await f.market.paused()).to.equal(true);
    }

    it("answer: a host answers, earns the point and settles the fee", async () => {
      const f = await loadFixture(pausedFixture);
      const [r] = f.rs;
      await expect(f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT))
        .to.emit(f.market, "RequestAnswered")
        .withArgs(r.id, 1n, f.modelers[0].address, E1, FEE, OUTPUT);
      expect((await f.market.requestState(r.id)).status).to.equal(BigInt(Status.Answered));
      expect(await f.market.pointsOf(1, f.modelers[0].address, E1)).to.equal(1n);
      expect((await f.market.epochFigures(1, E1)).settledFees).to.equal(FEE);
      await stillPaused(f);
    });

    it("answerBatch: a host answers two requests at once", async () => {
      const f = await loadFixture(pausedFixture);
      const batch = f.rs.slice(0, 2).map((r) => ({ requestId: r.id, key: r.key, index: 1n, output: OUTPUT }));
      const tx = await f.market.connect(f.hosts[1]).answerBatch(batch);
      for (const r of f.rs.slice(0, 2)) {
        await expect(tx)
          .to.emit(f.market, "RequestAnswered")
          .withArgs(r.id, 1n, f.modelers[1].address, E1, FEE, OUTPUT);
      }
      expect(await f.market.pointsOf(1, f.modelers[1].address, E1)).to.equal(2n);
      expect((await f.market.epochFigures(1, E1)).settledFees).to.equal(2n * FEE);
      await stillPaused(f);
    });

    it("refund: anyone returns an expired request's fee to its requester", async () => {
      const f = await loadFixture(pausedFixture);
      const r = f.rs[2];
      await time.setNextBlockTimestamp(r.deadline + 1n);
      const tx = await f.market.connect(f.stranger).refund(r.id, r.key);
      await expect(tx).to.emit(f.market, "RequestRefunded").withArgs(r.id, 1n, f.users[2].address, FEE);
      await expect(tx).to.changeTokenBalances(f.token, [f.users[2], f.market, f.stranger], [FEE, -FEE, 0n]);
      expect((await f.market.requestState(r.id)).status).to.equal(BigInt(Status.Refunded));
      await stillPaused(f);
    });

    it("claimRewards and claimFees: the epoch's money is paid out", async () => {
      const f = await loadFixture(pausedFixture);
      const [r] = f.rs;
      await f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT);
      const [pool, creatorShare, adminShare, platformShare] = [
        (FEE * 8_500n) / 10_000n,
        (FEE * 500n) / 10_000n,
        (FEE * 500n) / 10_000n,
        (FEE * 500n) / 10_000n,
      ];
      await time.setNextBlockTimestamp(DATES.e1ClaimsOpen);
      expect(await f.market.pointsOf(1, f.modelers[0].address, E1)).to.equal(1n);
      const tx = await f.market.connect(f.stranger).claimRewards(1, f.modelers[0].address, [E1]);
      await expect(tx).to.emit(f.market, "RewardsClaimed").withArgs(1n, f.modelers[0].address, [E1], pool);
      await expect(tx).to.changeTokenBalances(f.token, [f.modelers[0], f.market], [pool, -pool]);
      const kinds: [FeeRecipient, HardhatEthersSigner, bigint][] = [
        [FeeRecipient.Creator, f.creator, creatorShare],
        [FeeRecipient.Admin, f.challengeAdmin, adminShare],
        [FeeRecipient.Platform, f.treasury, platformShare],
      ];
      for (const [kind, recipient, share] of kinds) {
        const t = await f.market.connect(f.stranger).claimFees(1, kind, [E1]);
        await expect(t).to.emit(f.market, "FeesClaimed").withArgs(1n, recipient.address, E1, kind, share);
        await expect(t).to.changeTokenBalances(f.token, [recipient, f.market], [share, -share]);
      }
      await stillPaused(f);
    });

    it("evict: an idle listed modeler is evicted once E1 is final", async () => {
      const f = await loadFixture(pausedFixture);
      const [r] = f.rs;
      await f.market.connect(f.hosts[0]).answer(r.id, r.key, 0, OUTPUT);
      await time.setNextBlockTimestamp(DATES.e2Start + TIME.sla);
      // Of E1's three requests only r was answered: the eviction base is 1.
      await expect(f.market.connect(f.stranger).evict(1, E1, 1, 4))
        .to.emit(f.market, "ModelerEvicted")
        .withArgs(1n, f.modelers[4].address, E1, 0n, 1n);
      expect((await f.market.modelerInfo(1, f.modelers[4].address)).evicted).to.equal(true);
      await stillPaused(f);
    });

    it("register: a new modeler opts in", async () => {
      const f = await loadFixture(pausedFixture);
      const t = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(f.market.connect(f.modelers[5]).register(1, f.hosts[5].address))
        .to.emit(f.market, "ModelerRegistered")
        .withArgs(1n, f.modelers[5].address, f.hosts[5].address, t);
      const info = await f.market.modelerInfo(1, f.modelers[5].address);
      expect([info.host, info.optedInAt, info.evicted]).to.deep.equal([f.hosts[5].address, t, false]);
      await stillPaused(f);
    });

    it("setHost: a modeler moves to a new host", async () => {
      const f = await loadFixture(pausedFixture);
      await expect(f.market.connect(f.modelers[0]).setHost(1, f.hosts[6].address))
        .to.emit(f.market, "HostChanged")
        .withArgs(1n, f.modelers[0].address, f.hosts[6].address);
      expect((await f.market.modelerInfo(1, f.modelers[0].address)).host).to.equal(f.hosts[6].address);
      await stillPaused(f);
    });

    it("setFee: the challenge's admin changes the fee", async () => {
      const f = await loadFixture(pausedFixture);
      await expect(f.market.connect(f.challengeAdmin).setFee(1, 3n * FEE))
        .to.emit(f.market, "ChallengeFeeChanged")
        .withArgs(1n, FEE, 3n * FEE);
      expect((await f.market.challenge(1)).fee).to.equal(3n * FEE);
      await stillPaused(f);
    });

    it("createChallenge: the manager creates a challenge", async () => {
      const f = await loadFixture(pausedFixture);
      await expect(f.market.connect(f.manager).createChallenge(f.creator.address, f.challengeAdmin.address, FEE, "p"))
        .to.emit(f.market, "ChallengeCreated")
        .withArgs(2n, f.creator.address, f.challengeAdmin.address, FEE, "p");
      expect(await f.market.challengeCount()).to.equal(2n);
      await stillPaused(f);
    });
  });

  describe("unpause restores requests and promotions", () => {
    it("request and requestWithPermit work again after unpause", async () => {
      const f = await loadFixture(pausedFixture);
      await expect(f.market.connect(f.pauser).unpause()).to.emit(f.market, "Unpaused").withArgs(f.pauser.address);
      const tx = await f.market.connect(f.users[3]).request(1, FEE, INPUT);
      await expect(tx).to.changeTokenBalances(f.token, [f.users[3], f.market], [-FEE, FEE]);
      const r = await requestOf(f.market, tx);
      expect(r.id).to.equal(4n);
      expect((await f.market.requestState(4)).status).to.equal(BigInt(Status.Open));

      const marketAddress = await f.market.getAddress();
      const deadline = BigInt(await time.latest()) + 3_600n;
      const sig = await signPermit(f.token, f.fresh, marketAddress, FEE, deadline);
      const t = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(t);
      await expect(f.market.connect(f.fresh).requestWithPermit(1, FEE, INPUT, deadline, sig.v, sig.r, sig.s))
        .to.emit(f.market, "RequestMade")
        .withArgs(5n, 1n, f.fresh.address, 1n, FEE, t + TIME.sla, INPUT);
      expect(await f.market.requestCount()).to.equal(5n);
      expect(await f.token.nonces(f.fresh.address)).to.equal(1n);
    });

    it("promote works again after unpause, inside the window", async () => {
      const f = await loadFixture(pausedFixture);
      await f.market.connect(f.pauser).unpause();
      const next = f.modelers.slice(1, 6).map((m) => m.address);
      await time.setNextBlockTimestamp(DATES.e1Window);
      await expect(f.market.connect(f.keeper).promote(1, next, LEADERBOARD))
        .to.emit(f.market, "ListPromoted")
        .withArgs(1n, 2n, E1, E2, LEADERBOARD, next);
      expect((await f.market.challenge(1)).listCount).to.equal(2n);
    });
  });
});
