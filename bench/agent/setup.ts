import { MaxUint256, NonceManager, ZeroHash, parseUnits, toUtf8Bytes, type HDNodeWallet } from "ethers";
import { Market, activationEpoch, epochOf, readDeployment, startOf, windowStart, type Deployment } from "../../sdk";
import { TestToken__factory } from "../../typechain-types";
import { account, run, type DeploySpot, type Node } from "../../test/e2e/harness";

export const FEE = parseUnits("1", 18);

export interface Cast {
  deployer: HDNodeWallet;
  keeper: HDNodeWallet;
  host: HDNodeWallet;
  modelers: HDNodeWallet[];
  users: HDNodeWallet[];
}

/** The accounts of a bench: deployer 0, keeper 1, host 2, modelers from 3, users after them. */
export function cast(modelers: number, users: number): Cast {
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => account(from + i));
  return {
    deployer: account(0),
    keeper: account(1),
    host: account(2),
    modelers: range(3, modelers),
    users: range(3 + modelers, users),
  };
}

export interface Market1 {
  deployment: Deployment;
  market: Market;
  challengeId: bigint;
  /** Gas of one request, measured, with room to spare. */
  requestGas: bigint;
}

/**
 * Deploys with the deploy script, creates challenge 1, registers every modeler with the host, promotes them
 * in the first window and moves to the list's activation; funds and approves the users. Runs on automine.
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
  const { challengeId } = await market.createChallenge(c.deployer.address, c.deployer.address, FEE, "bench");
  await Promise.all(c.modelers.map((m) => as(m).register(challengeId, c.host.address)));

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
  await as(c.keeper).promote(
    challengeId,
    c.modelers.map((m) => m.address),
    ZeroHash,
  );
  await node.mineAt(startOf(time, activationEpoch(time, epoch)));

  const probe = Market.connect(deployment.market, c.users[0].connect(node.provider));
  const gas = await probe.contract.request.estimateGas(challengeId, FEE, toUtf8Bytes(c.users[0].address));
  return { deployment, market, challengeId, requestGas: (gas * 3n) / 2n };
}
