import type { BigNumberish } from "ethers";
import { judge } from "./eviction";
import { MarketHosts } from "./market-hosts";
import { startOf } from "./time";
import {
  RequestStatus,
  type EvictionCandidate,
  type Judgement,
  type LogRange,
  type MadeRequest,
  type Sent,
} from "./types";

/** The keeper's part of the market client: promotion, eviction and the refund sweep (anyone may do the last two). */
export class MarketKeeper extends MarketHosts {
  /** Promotes the challenge's list for this epoch (KEEPER_ROLE, inside the window) and returns its id. */
  async promote(
    challengeId: BigNumberish,
    modelers: readonly string[],
    leaderboardHash: string,
  ): Promise<Sent & { listId: bigint }> {
    const sent = await this.execute(this.contract.promote, [challengeId, [...modelers], leaderboardHash]);
    const [event] = this.eventsOf(sent, "ListPromoted");
    return { ...sent, listId: event.listId as bigint };
  }

  /**
   * Each member of the list that served `epoch` against the eviction rule: its points against the threshold
   * share of the epoch's answered requests, and whether the epoch judges it. Empty when no list served.
   * Before the epoch is final the figures are still moving.
   */
  async judgements(challengeId: BigNumberish, epoch: bigint): Promise<Judgement[]> {
    const c = await this.timeConfig();
    const { evictionThresholdBps } = await this.settings();
    const served = await this.activeList(challengeId, startOf(c, epoch));
    if (served.listId === 0n) return [];
    const { answeredRequests } = await this.contract.epochFigures(challengeId, epoch);
    const figures = { answeredRequests, thresholdBps: evictionThresholdBps, epochStart: startOf(c, epoch) };
    return Promise.all(
      served.members.map(async (m) => {
        const points = await this.contract.pointsOf(challengeId, m.modeler, epoch);
        return judge(m, served.listId, { ...figures, points });
      }),
    );
  }

  /** The members `evict` would take for `epoch` once it is final: judged and under the threshold. */
  async evictionCandidates(challengeId: BigNumberish, epoch: bigint): Promise<EvictionCandidate[]> {
    return (await this.judgements(challengeId, epoch)).filter((j) => j.below);
  }

  /** Evicts the modeler at `index` of `listId`, the list that served `epoch`. Anyone may send it. */
  evict(challengeId: BigNumberish, epoch: BigNumberish, listId: BigNumberish, index: number): Promise<Sent> {
    return this.execute(this.contract.evict, [challengeId, epoch, listId, index]);
  }

  /** The requests of the range that nobody answered in time and nobody refunded yet: the keeper's refund sweep. */
  async expiredUnrefunded(options: LogRange & { challengeId?: BigNumberish }): Promise<MadeRequest[]> {
    const now = await this.now();
    const expired: MadeRequest[] = [];
    for (const r of await this.requestsMade(options)) {
      if (r.deadline >= now) continue;
      if ((await this.requestState(r.requestId)).status === RequestStatus.Expired) expired.push(r);
    }
    return expired;
  }
}
