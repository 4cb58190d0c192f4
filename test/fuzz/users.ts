/**
 * The users' actions: requests (approved or through permits, with inputs the model accepts or rejects) and
 * refunds of what nobody answered in time.
 */
import { ethers } from "ethers";
import * as time from "../../sdk/time";
import { encodeText } from "../../sdk/text";
import { signPermit } from "../fixtures";
import type { RequestKey } from "../model/reference";
import type { Dice, FuzzState, Planned, Planner, RejectedInput, Scope } from "./driver";
import {
  allRequests,
  anyone,
  challengeIds,
  epochOfRequest,
  expiredUnanswered,
  keyText,
  pickChallenge,
  T,
} from "./pools";
import type { World } from "./world";

const FEE = 10n ** 18n;
/** The input of the example model: a wallet address, as text. */
const INPUT = encodeText("0x5a52e96bacdabb82fd05763e25335261b270efcb");
/** Inputs the model rejects: not a wallet address. The contract takes any bytes. */
const REJECTED_INPUTS = ["hello", "0x5a52e96b", "", "0xZZ52e96bacdabb82fd05763e25335261b270efcbZZ"].map(encodeText);

/**
 * A request by a user on `challengeId` (drawn when not given), mined at `at` when given: the fee the user
 * accepts, the way it approves (an allowance, a fresh, replayed or expired permit) and its input are drawn.
 */
export function requestCall(
  d: Dice,
  s: FuzzState,
  w: World,
  at: bigint,
  options: { challengeId?: bigint; at?: bigint } = {},
): Planned {
  const m = s.model;
  const user = d.chance(75) ? d.pick(w.users) : w.permitUser;
  const active = challengeIds(m).filter((c) => m.activeListIdAt(c, time.epochOf(T(m), at)) !== 0n);
  const challengeId = options.challengeId ?? (active.length && d.chance(85) ? d.pick(active) : pickChallenge(d, m, 10));
  const fee = m.challenge(challengeId)?.[2] ?? FEE;
  const maxFee = d.weighted([
    [60, fee],
    [30, fee * 2n],
    [5, fee - 1n],
    [5, 0n],
  ] as const);
  const permitKind =
    user === w.permitUser
      ? d.weighted([
          [50, "fresh"],
          [20, "none"],
          [15, "replayed"],
          [15, "expired"],
        ] as const)
      : d.weighted([
          [90, "none"],
          [10, "replayed"],
        ] as const);
  const fate = d.weighted([
    [80, undefined],
    [13, "errorAnswer"],
    [7, "unanswered"],
  ] as const) as RejectedInput | undefined;
  const input = fate ? d.pick(REJECTED_INPUTS) : INPUT;
  const scope: Scope = {
    accounts: [user.address],
    requests: [m.requestCount + 1n],
    epochs: [{ challengeId, epoch: time.epochOf(T(m), at) }],
    challenges: [challengeId],
  };
  const inputText = fate ? `rejected input, ${fate === "errorAnswer" ? "answered with an error" : "unanswered"}` : "";
  const detail = `request(${user.address.slice(0, 8)}, c${challengeId}, maxFee ${maxFee}, permit ${permitKind}${
    inputText ? `, ${inputText}` : ""
  })`;
  const onMade = (expected: unknown) => {
    if (!fate) return;
    s.rejected.set(expected as bigint, fate);
    s.stats.rejectedInputs++;
  };
  const note = fate ? "rejected input" : undefined;
  const common = { detail, scope, note, at: options.at };
  if (permitKind === "none") {
    return {
      action: "request",
      ...common,
      send: (o) => w.market.connect(user).request(challengeId, maxFee, input, o),
      apply: () => m.request(user.address, challengeId, maxFee),
      onSuccess: onMade,
    };
  }
  const replay = s.lastPermit;
  if (permitKind === "replayed" && replay) {
    return {
      action: "requestWithPermit",
      ...common,
      send: (o) =>
        w.market
          .connect(user)
          .requestWithPermit(challengeId, maxFee, input, replay.permit.deadline, replay.v, replay.r, replay.s, o),
      // A permit signed by another owner never verifies for this caller.
      apply: () =>
        m.request(user.address, challengeId, maxFee, replay.owner === user.address ? replay.permit : undefined),
      onSuccess: onMade,
    };
  }
  const when = options.at ?? at;
  const deadline = permitKind === "expired" ? when - 1n : when + 3_600n;
  const permit = { value: maxFee, deadline, nonce: m.nonces(user.address) };
  let signature: { v: number; r: string; s: string } = { v: 0, r: ethers.ZeroHash, s: ethers.ZeroHash };
  return {
    action: "requestWithPermit",
    ...common,
    send: async (o) => {
      const { v, r, s: sigS } = await signPermit(w.token, user, w.marketAddress, maxFee, deadline);
      signature = { v, r, s: sigS };
      return w.market
        .connect(user)
        .requestWithPermit(challengeId, maxFee, input, deadline, signature.v, signature.r, signature.s, o);
    },
    apply: () => m.request(user.address, challengeId, maxFee, permit),
    onSuccess: (expected) => {
      s.lastPermit = { owner: user.address, permit, ...signature };
      onMade(expected);
    },
  };
}

export const request: Planner = (d, s, w, at) => requestCall(d, s, w, at);

export const refund: Planner = (d, s, w, at) => {
  const m = s.model;
  const all = allRequests(m);
  const variant = d.weighted([
    [60, expiredUnanswered(m, at)],
    [10, all.filter(({ r }) => !r.refunded && r.answered === 0 && time.deadline(T(m), r.createdAt) >= at)],
    [10, all.filter(({ r }) => r.answered !== 0)],
    [10, all.filter(({ r }) => r.refunded)],
    [10, all],
  ] as const);
  const chosen = variant.length ? d.pick(variant) : all.length ? d.pick(all) : undefined;
  let id = chosen?.id ?? 1n;
  let key: RequestKey = chosen
    ? { ...chosen.r.key }
    : { requester: w.users[0].address, challengeId: 1n, listId: 1n, fee: FEE };
  if (d.chance(6)) key = { ...key, fee: key.fee + 1n };
  else if (d.chance(4)) id = d.pick([0n, m.requestCount + 1n]);
  const caller = anyone(d, w);
  return refundCall(s, w, caller, id, key, "refund");
};

/** A refund of request `id` with `key`, sent by `caller`. */
export function refundCall(s: FuzzState, w: World, caller: ethers.Signer, id: bigint, key: RequestKey, action: string) {
  const m = s.model;
  const r = m.requestOf(id);
  return {
    action,
    detail: `refund(${id}, ${keyText(key)})`,
    scope: {
      accounts: [key.requester],
      requests: [id],
      epochs: r ? [{ challengeId: r.key.challengeId, epoch: epochOfRequest(m, r.createdAt) }] : [],
    },
    send: (o: { gasLimit: number }) => w.market.connect(caller).refund(id, key, o),
    apply: () => m.refund(id, key),
    note: s.rejected.has(id) ? "rejected input" : undefined,
    onSuccess: () => {
      if (s.rejected.has(id)) s.stats.rejectedRefunded++;
    },
  } satisfies Planned;
}
