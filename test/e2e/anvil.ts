/*
 * The daemons' tests on two independent nodes: `hardhat node` and anvil (Foundry's node, from the
 * `@foundry-rs/anvil` package). Each gets the market from the deploy script, as an operator deploys it, and a
 * challenge whose list is active, so a test body runs the same on both (`for (const kind of NODE_KINDS)`).
 */
import { expect } from "chai";
import { JsonRpcProvider, MaxUint256, Network, NonceManager, id, parseUnits, type HDNodeWallet } from "ethers";
import { Market, readDeployment, startOf, windowStart, epochOf, type Deployment } from "../../sdk";
import { TestToken__factory } from "../../typechain-types";
import { DeploySpot, Node, account, run, type NodeKind } from "./harness";

export const NODE_KINDS: readonly NodeKind[] = ["hardhat", "anvil"];

export const DEPLOYER = account(0);
/** Holds KEEPER_ROLE: the deploy script grants it to account #1 on a local chain. */
export const KEEPER = account(1);
export const HOST = account(2);
export const FEE = parseUnits("1", 18);

/** A node that mines only when a transaction arrives (no interval): the tests choose the other blocks. */
export function startNode(kind: NodeKind): Promise<Node> {
  return kind === "anvil" ? Node.startAnvil() : Node.start(90_000, { MINE_INTERVAL_MS: "0" });
}

/** A challenge of the market, with the modelers of its active list. */
export interface Listed {
  challengeId: bigint;
  modelers: readonly HDNodeWallet[];
}

/** A node with the market deployed by the deploy script, and accounts that act on it through the SDK. */
export class Chain {
  /** Reads without the provider's cache of 250 ms: a test that mines reads each block as it is. */
  readonly provider: JsonRpcProvider;
  private readonly signers = new Map<string, NonceManager>();

  private constructor(
    readonly node: Node,
    readonly spot: DeploySpot,
    readonly deployment: Deployment,
  ) {
    const network = Network.from(31337);
    this.provider = new JsonRpcProvider(node.url, network, { staticNetwork: network, cacheTimeout: -1 });
  }

  /** Starts a node of `kind` and deploys the market with the deploy script; a failure stops the node. */
  static async start(kind: NodeKind): Promise<Chain> {
    const node = await startNode(kind);
    const spot = new DeploySpot();
    try {
      const deployed = await run(
        "npm run deploy",
        "npm",
        ["run", "--silent", "deploy", "--", "--network", "localhost"],
        { RPC_URL: node.url, KEEPER_ADDRESS: KEEPER.address, ...spot.env() },
      );
      expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).to.equal(0);
      return new Chain(node, spot, readDeployment(spot.file));
    } catch (err) {
      await node.stop();
      spot.remove();
      throw err;
    }
  }

  /** One signer per account: a NonceManager counts nonces that ethers would otherwise read again too soon. */
  signer(w: HDNodeWallet): NonceManager {
    if (!this.signers.has(w.address)) this.signers.set(w.address, new NonceManager(w.connect(this.provider)));
    return this.signers.get(w.address)!;
  }

  as(w: HDNodeWallet): Market {
    return Market.connect(this.deployment.market, this.signer(w));
  }

  /**
   * Challenges, each with its modelers registered (with `host`, or with themselves when `host` is undefined),
   * promoted by the keeper in this week's window and active from the next week's first second, where the
   * chain is left. The users get tokens and approve the market once, so a request is one transaction.
   */
  async listed(
    challenges: readonly { modelers: readonly HDNodeWallet[]; host?: HDNodeWallet }[],
    users: readonly HDNodeWallet[],
  ): Promise<Listed[]> {
    const operator = this.as(DEPLOYER);
    const time = await operator.timeConfig();
    const made: Listed[] = [];
    for (const [i, c] of challenges.entries()) {
      const { challengeId } = await operator.createChallenge(DEPLOYER.address, DEPLOYER.address, FEE, `c${i + 1}`);
      for (const m of c.modelers) await this.as(m).register(challengeId, (c.host ?? m).address);
      made.push({ challengeId, modelers: c.modelers });
    }
    const token = TestToken__factory.connect(this.deployment.token, this.signer(DEPLOYER));
    for (const u of users) {
      await (await token.mint(u.address, 100n * FEE)).wait();
      await (await token.connect(this.signer(u)).approve(this.deployment.market, MaxUint256)).wait();
    }
    const epoch = epochOf(time, await this.now());
    await this.node.mineAt(windowStart(time, epoch));
    for (const { challengeId, modelers } of made)
      await this.as(KEEPER).promote(
        challengeId,
        modelers.map((m) => m.address),
        id(`leaderboard ${challengeId}`),
      );
    await this.node.mineAt(startOf(time, epoch + 1n));
    return made;
  }

  /** The latest block's time. */
  async now(): Promise<bigint> {
    return BigInt((await this.provider.getBlock("latest"))!.timestamp);
  }

  /** Mines one block at `timestamp`, with base fee `baseFee` when given. */
  async mine(timestamp: bigint, baseFee?: bigint): Promise<void> {
    if (baseFee !== undefined) await this.node.setNextBlockBaseFee(baseFee);
    await this.node.mineAt(timestamp);
  }

  async stop(): Promise<void> {
    this.provider.destroy();
    try {
      await this.node.stop();
    } finally {
      this.spot.remove();
    }
  }
}
