import type { BigNumberish, Signature } from "ethers";
import { signPermit } from "./permit";
import { startOf } from "./time";
import { canAnswer, MarketReads, toBytes, type TimedAnswer } from "./market-reads";
import {
  RequestStatus,
  type ListMember,
  type MadeRequest,
  type ModelerList,
  type RequestKeyLike,
  type Sent,
  type WaitMode,
  type WaitResult,
} from "./types";

/** Lifetime of a permit signed for a request: it is used in the same transaction. */
const PERMIT_LIFETIME = 3_600n;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What decides, before paying, whether a request by `requester` would be taken and could be answered. */
export interface RequestReadiness {
  paused: boolean;
  /** The requester's balance of the fee token. */
  balance: bigint;
  /** Undefined when no challenge has the id. */
  challenge?: {
    fee: bigint;
    /** The list serving now; `listId` 0 when none serves yet. */
    list: ModelerList;
    /** When none serves yet but one is promoted: the time the first one starts serving. */
    servesFrom?: bigint;
    /** The serving list's members that could answer a request made now (`canAnswer`). */
    answerable: ListMember[];
  };
}

/** A request as it stands, with its answers. */
export interface RequestReport {
  request: MadeRequest;
  status: RequestStatus;
  /** Modelers of its list that could answer it (`expectedAnswers`). */
  expected: number;
  answers: TimedAnswer[];
}

export interface TimedWaitResult extends WaitResult {
  answers: TimedAnswer[];
}

export interface WaitOptions {
  mode?: WaitMode;
  pollMs?: number;
  /** Told of each answer once, in order, as the polls find it (and of any the last poll finds). */
  onAnswer?: (answer: TimedAnswer) => void;
  /** Told after each poll that did not end the wait: the chain's time and the answers so far. */
  onPoll?: (now: bigint, answered: number) => void;
  /** Ends the wait at the next poll, with what came so far. */
  signal?: AbortSignal;
}

/** The user's part of the market client: checking, paying for and following a request, and refunds. */
export class MarketUsers extends MarketReads {
  /** The facts a request of `challengeId` by `requester` depends on, read now without sending anything. */
  async readiness(challengeId: BigNumberish, requester: string): Promise<RequestReadiness> {
    const { contract: token } = await this.token();
    const [paused, balance, count] = await Promise.all([
      this.contract.paused(),
      token.balanceOf(requester),
      this.contract.challengeCount(),
    ]);
    const id = BigInt(challengeId);
    if (id === 0n || id > count) return { paused, balance };
    const now = await this.now();
    const [{ fee, listCount }, list] = await Promise.all([this.contract.challenge(id), this.activeList(id, now)]);
    let servesFrom: bigint | undefined;
    if (list.listId === 0n && listCount > 0n) {
      // Lists activate in id order, so the first one promoted is the first to serve.
      const [activationEpoch] = await this.contract.list(id, 1);
      servesFrom = startOf(await this.timeConfig(), activationEpoch);
    }
    const answerable = list.members.filter((m) => canAnswer(m, now));
    return { paused, balance, challenge: { fee, list, servesFrom, answerable } };
  }

  /**
   * Pays for one inference of `challengeId`. `input` is text (encoded as UTF-8) or raw bytes. `maxFee`
   * defaults to the current fee. Approves `maxFee` first (only the fee with `exactApproval`, so none is left
   * once the request is made) if the allowance does not cover the fee, and restores the allowance it had if
   * the request then fails. With `permit` it signs an EIP-2612 permit of `maxFee` instead.
   */
  async request(
    challengeId: BigNumberish,
    input: string | Uint8Array,
    options: { maxFee?: bigint; permit?: boolean; exactApproval?: boolean } = {},
  ): Promise<MadeRequest> {
    const { fee } = await this.contract.challenge(challengeId);
    const maxFee = options.maxFee ?? fee;
    const data = toBytes(input);
    let sent: Sent;
    if (options.permit) {
      const deadline = (await this.now()) + PERMIT_LIFETIME;
      const { v, r, s } = await this.signPermit(maxFee, deadline);
      sent = await this.execute(this.contract.requestWithPermit, [challengeId, maxFee, data, deadline, v, r, s]);
    } else {
      const { contract: token } = await this.token();
      const allowance = await token.allowance(await this.signer.getAddress(), this.address);
      // A fee above maxFee is refused by the request's own check below; approving would only waste gas.
      const approving = fee <= maxFee && allowance < fee;
      if (approving) await this.execute(token.approve, [this.address, options.exactApproval ? fee : maxFee]);
      try {
        sent = await this.execute(this.contract.request, [challengeId, maxFee, data]);
      } catch (err) {
        // An approve must not outlive the request it was for.
        if (approving) await this.execute(token.approve, [this.address, allowance]);
        throw err;
      }
    }
    const made = await this.parseRequests(sent.receipt.logs);
    if (made.length !== 1) throw new Error(`transaction ${sent.txHash} made no request`);
    return made[0];
  }

  private async signPermit(value: bigint, deadline: bigint): Promise<Signature> {
    const { contract: token } = await this.token();
    return signPermit(token, this.signer, this.address, value, deadline);
  }

  /**
   * Polls until the request is done for the caller's purpose, then returns its answers:
   * - `"all"` (default): every expected modeler answered, or the deadline passed;
   * - `{ first: k }`: k answers, or every expected modeler answered, or the deadline passed;
   * - `"deadline"`: the deadline passed, whatever came before.
   * The deadline counts as passed once a block later than it exists. When no modeler can answer (none was
   * opted in when the request was made), every mode waits for the deadline, after which it can be refunded.
   */
  async waitForAnswers(request: MadeRequest, options: WaitOptions = {}): Promise<TimedWaitResult> {
    const mode = options.mode ?? "all";
    const expected = await this.expectedAnswers(request);
    const enough =
      mode === "deadline" || expected === 0
        ? Infinity
        : Math.min(expected, typeof mode === "object" ? mode.first : expected);
    let told = 0;
    const tell = (answers: TimedAnswer[]) => {
      for (const a of answers.slice(told)) options.onAnswer?.(a);
      told = Math.max(told, answers.length);
    };
    for (;;) {
      // The time first: the answers counted are then never fewer than there were at that time.
      const now = await this.now();
      const { status, answered } = await this.requestState(request.requestId);
      const done =
        status === RequestStatus.Refunded ||
        answered.length >= enough ||
        now > request.deadline ||
        options.signal?.aborted === true;
      if (done) {
        const answers = await this.answersOf(request.requestId, request.blockNumber);
        tell(answers);
        return { status: (await this.requestState(request.requestId)).status, answers, expected };
      }
      // The answers' events are read only when the request's mask shows one not told yet.
      if (options.onAnswer && answered.length > told)
        tell(await this.answersOf(request.requestId, request.blockNumber));
      options.onPoll?.(now, answered.length);
      await sleep(options.pollMs ?? 1_000);
    }
  }

  /** Returns the fee of a request nobody answered in time to its requester. Anyone may send it. */
  refund(requestId: BigNumberish, key: RequestKeyLike): Promise<Sent> {
    return this.execute(this.contract.refund, [requestId, key]);
  }

  /**
   * A request by id as it stands, with its answers. A refunded request keeps no state, so its `RequestMade`
   * event is searched for from `fromBlock` (e.g. the deployment's start block) to the head.
   */
  async requestReport(requestId: BigNumberish, fromBlock = 0): Promise<RequestReport> {
    const { status } = await this.requestState(requestId);
    if (status === RequestStatus.None) throw new Error(`request ${requestId} does not exist`);
    let request: MadeRequest;
    if (status === RequestStatus.Refunded) {
      [request] = await this.parseRequests(
        await this.scan(this.contract.filters.RequestMade(requestId), { fromBlock }),
      );
      if (!request) throw new Error(`no RequestMade event for request ${requestId} from block ${fromBlock}`);
    } else {
      request = await this.findRequest(requestId, fromBlock);
    }
    const [answers, expected] = await Promise.all([
      this.answersOf(requestId, request.blockNumber),
      this.expectedAnswers(request),
    ]);
    return { request, status, expected, answers };
  }
}
