import { MaxUint256, NonceManager, ZeroHash, parseUnits, toUtf8Bytes, type HDNodeWallet } from "ethers";
import { Market, activationEpoch, epochOf, readDeployment, startOf, windowStart, type Deployment } from "../../sdk";
import { TestToken__factory } from "../../typechain-types";
import { account, run, type DeploySpot, type Node } from "../../test/e2e/harness";

export const FEE = parseUnits("1", 18);

/** A host and the modelers that name it, alone on one challenge. */
export interface Team {
  host: HDNodeWallet;
  modelers: HDNodeWallet[];
}

export interface Cast extends Team {
  deployer: HDNodeWallet;
  keeper: HDNodeWallet;
  users: HDNodeWallet[];
  /** A second team with a challenge of its own, answered side by side with the first. */
  rival?: Team;
}

/**
 * The accounts of a bench: deployer 0, keeper 1, host 2, modelers from 3, then the rival team's host and
 * modelers when there is one, users after them.
 */
export function cast(modelers: number, users: number, rival = false): Cast {
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => account(from + i));
  const second = 3 + modelers;
  const usersFrom = rival ? second + 1 + modelers : second;
  return {
    deployer: account(0),
    keeper: account(1),
    host: account(2),
    modelers: range(3, modelers),
    rival: rival ? { host: account(second), modelers: range(second + 1, modelers) } : undefined,
    users: range(usersFrom, users),
  };
}

export interface Market1 {
  deployment: Deployment;
  market: Market;
  challengeId: bigint;
  /** The rival team's challenge, when the cast has one. */
  rivalChallengeId?: bigint;
  /** Gas of one request, measured, with room to spare. */
  requestGas: bigint;
}

/**
 * Deploys with the deploy script, creates challenge 1 (and 2 for the rival team), registers every modeler with
 * its team's host, promotes each team in the first window and moves to the lists' activation; funds and
 * approves the users. Runs on automine.
 */
export async function prepare(node: Node, spot: DeploySpot, c: Cast): Promise<Market1> {
  const deployed = await run("npm run deploy", "npm", ["run", "--silent", "deploy", "--", "--network", "localhost"], {
    RPC_URL: node.url,
    KEEPER_ADDRESS: c.keeper.address,
    ...spot.env(),
  });
  if (deployed.code !== 0) throw new Error(`deploy failed\n${deployed.stdout}\n${deployed.stderr}`);
  const deployment = readDeployment(spot.file);
  // One signer per account: ethers caches nonce reads for 250 ms, a NonceManager counts them itself.
  const signers = new Map<string, NonceManager>();
  const signer = (w: HDNodeWallet) => {
    if (!signers.has(w.address)) signers.set(w.address, new NonceManager(w.connect(node.provider)));
    return signers.get(w.address)!;
  };
  const as = (w: HDNodeWallet) => Market.connect(deployment.market, signer(w));
  const market = as(c.deployer);
  const teams = [c, ...(c.rival ? [c.rival] : [])];
  const challengeIds: bigint[] = [];
  for (const team of teams) {
    const { challengeId } = await market.createChallenge(c.deployer.address, c.deployer.address, FEE, "bench");
    await Promise.all(team.modelers.map((m) => as(m).register(challengeId, team.host.address)));
    challengeIds.push(challengeId);
  }
  const [challengeId, rivalChallengeId] = challengeIds;

  const token = TestToken__factory.connect(deployment.token, signer(c.deployer));
  for (const u of c.users) await (await token.mint(u.address, 10_000n * FEE)).wait();
  await Promise.all(
    c.users.map(async (u) =>
      (await TestToken__factory.connect(deployment.token, signer(u)).approve(deployment.market, MaxUint256)).wait(),
    ),
  );

  const time = await market.timeConfig();
  const epoch = epochOf(time, await node.latestTimestamp());
  await node.mineAt(windowStart(time, epoch));
  for (const [i, team] of teams.entries())
    await as(c.keeper).promote(
      challengeIds[i],
      team.modelers.map((m) => m.address),
      ZeroHash,
    );
  await node.mineAt(startOf(time, activationEpoch(time, epoch)));

  const probe = Market.connect(deployment.market, c.users[0].connect(node.provider));
  const gas = await probe.contract.request.estimateGas(challengeId, FEE, toUtf8Bytes(c.users[0].address));
  return { deployment, market, challengeId, rivalChallengeId, requestGas: (gas * 3n) / 2n };
}
