import type { BigNumberish, ContractRunner } from "ethers";
import type { InferenceMarket } from "../typechain-types";
import { connectMarket } from "./abi";
import { MarketKeeper } from "./market-keeper";
import { claimsOpenAt, epochOf, inWindow } from "./time";
import { FEE_KINDS, type Claimable, type FeeKind, type SendCall, type Sent } from "./types";

export * from "./types";
export { canAnswer, type TimedAnswer } from "./market-reads";
export type { RequestReadiness, RequestReport, TimedWaitResult, WaitOptions } from "./market-users";

/*
 * The client is written role by role, each file building on the one before: reads and plumbing
 * (market-reads.ts), users (market-users.ts), hosts (market-hosts.ts), the keeper (market-keeper.ts), and
 * here the operator, modelers, claims and the status view.
 */

/**
 * A typed client of one InferenceMarket. Reads work with a provider; sending methods need a signer. Every
 * sending method first runs the call with `staticCall`, so a rejected call throws a RevertError naming the
 * custom error before any gas is spent, then sends and waits for the receipt. The check runs on the latest
 * block, so a call that becomes valid only at a later time (a window opening, a deadline passing) is refused
 * until a block of that time exists.
 */
export class Market extends MarketKeeper {
  private constructor(contract: InferenceMarket, runner: ContractRunner, send?: SendCall) {
    super(contract, runner, send);
  }

  /** `send`: what sends each checked call and waits for it, in place of the runner's own send. */
  static connect(address: string, runner: ContractRunner, options: { send?: SendCall } = {}): Market {
    return new Market(connectMarket(address, runner), runner, options.send);
  }

  // ------------------------------------------------------------------ operator, admins and modelers

  /** Creates a challenge (CHALLENGE_MANAGER_ROLE) and returns its id. */
  async createChallenge(
    creator: string,
    admin: string,
    fee: bigint,
    metadata: string,
  ): Promise<Sent & { challengeId: bigint }> {
    const sent = await this.execute(this.contract.createChallenge, [creator, admin, fee, metadata]);
    const [event] = this.eventsOf(sent, "ChallengeCreated");
    return { ...sent, challengeId: event.challengeId as bigint };
  }

  /** Sets the fee of the challenge's later requests (its admin only). */
  setFee(challengeId: BigNumberish, fee: bigint): Promise<Sent> {
    return this.execute(this.contract.setFee, [challengeId, fee]);
  }

  /** Stops new requests and promotions (PAUSER_ROLE); claims, answers and refunds go on. */
  pause(): Promise<Sent> {
    return this.execute(this.contract.pause, []);
  }

  /** Takes requests and promotions again (PAUSER_ROLE). */
  unpause(): Promise<Sent> {
    return this.execute(this.contract.unpause, []);
  }

  /** Opts the signer in as a modeler of the challenge, answered for by `host`. */
  register(challengeId: BigNumberish, host: string): Promise<Sent> {
    return this.execute(this.contract.register, [challengeId, host]);
  }

  /** Changes the signer's host for the challenge. */
  setHost(challengeId: BigNumberish, host: string): Promise<Sent> {
    return this.execute(this.contract.setHost, [challengeId, host]);
  }

  // ------------------------------------------------------------------ claims

  /** What `who` (a modeler's address, or a fee share) can claim for each of `epochs`, and whether claims are open. */
  async claimable(challengeId: BigNumberish, who: string | FeeKind, epochs: readonly bigint[]): Promise<Claimable[]> {
    const c = await this.timeConfig();
    const now = await this.now();
    const kind = FEE_KINDS.indexOf(who as FeeKind);
    return Promise.all(
      epochs.map(async (epoch) => {
        const amount =
          kind >= 0
            ? await this.contract.claimableFees(challengeId, kind, epoch)
            : await this.contract.claimableReward(challengeId, who, epoch);
        const opensAt = claimsOpenAt(c, epoch);
        return { epoch, amount, claimsOpenAt: opensAt, open: now >= opensAt };
      }),
    );
  }

  /** Pays `modeler` its rewards for `epochs`; anyone may send it. */
  async claimRewards(
    challengeId: BigNumberish,
    modeler: string,
    epochs: readonly bigint[],
  ): Promise<Sent & { amount: bigint }> {
    const sent = await this.execute(this.contract.claimRewards, [challengeId, modeler, [...epochs]]);
    const [event] = this.eventsOf(sent, "RewardsClaimed");
    return { ...sent, amount: event.amount as bigint };
  }

  /**
   * Stores a finished epoch's totals (its points and the rewards' dust) once its final time has passed.
   * Anyone may send it; the first claim of an epoch does it too.
   */
  finalize(challengeId: BigNumberish, epoch: BigNumberish): Promise<Sent> {
    return this.execute(this.contract.finalize, [challengeId, epoch]);
  }

  /** Pays a fee share (creator, admin or platform) for `epochs`; anyone may send it. */
  async claimFees(
    challengeId: BigNumberish,
    kind: FeeKind,
    epochs: readonly bigint[],
  ): Promise<Sent & { amount: bigint }> {
    const sent = await this.execute(this.contract.claimFees, [challengeId, FEE_KINDS.indexOf(kind), [...epochs]]);
    const amount = this.eventsOf(sent, "FeesClaimed").reduce((sum, e) => sum + (e.amount as bigint), 0n);
    return { ...sent, amount };
  }

  // ------------------------------------------------------------------ status

  /** A challenge at a glance: the clock, the current epoch's times, its parties, serving and pending lists, figures. */
  async status(challengeId: BigNumberish) {
    const c = await this.timeConfig();
    const now = await this.now();
    const epoch = epochOf(c, now);
    const [challenge, activeList, figures, paused, judgements] = await Promise.all([
      this.contract.challenge(challengeId),
      this.activeList(challengeId, now),
      this.contract.epochFigures(challengeId, epoch),
      this.contract.paused(),
      this.judgements(challengeId, epoch),
    ]);
    const pendingList =
      challenge.listCount > activeList.listId ? await this.list(challengeId, challenge.listCount) : undefined;
    return {
      challengeId: BigInt(challengeId),
      now,
      epoch,
      times: await this.epochTimes(epoch),
      inWindow: inWindow(c, now),
      paused,
      creator: challenge.creator,
      admin: challenge.admin,
      fee: challenge.fee,
      activeList,
      pendingList,
      /** This epoch's standing of each serving modeler against the eviction rule, so far. */
      judgements,
      figures: {
        answeredRequests: figures.answeredRequests,
        points: figures.points,
        settledFees: figures.settledFees,
        pool: figures.pool,
        finalized: figures.finalized,
      },
    };
  }
}
