/**
 * The modelers' actions: registering (also late, during an epoch its list serves, down to the epoch's first
 * second and the one after), naming another host, and claiming rewards.
 */
import * as time from "../../sdk/time";
import { MAX_EPOCH, ZERO_ADDRESS } from "../model/reference";
import { nextTime, type Dice, type FuzzState, type Planned, type Planner } from "./driver";
import { anyone, hostCandidates, isRegistered, modelersOf, pickChallenge, T, unregisteredServing } from "./pools";
import { requestCall } from "./users";
import type { World } from "./world";

/**
 * Counts a registration that lands while the modeler's list serves: a late one, judged on that epoch only if
 * it lands on the epoch's first second.
 */
function lateness(s: FuzzState, challengeId: bigint, modeler: string): string | undefined {
  const m = s.model;
  const epoch = time.epochOf(T(m), m.now);
  const serving = m.list(challengeId, m.activeListIdAt(challengeId, epoch))[1];
  if (!serving.some((x) => x.toLowerCase() === modeler.toLowerCase())) return undefined;
  const second = m.now - time.startOf(T(m), epoch);
  return second === 0n ? "late, at the epoch's first second" : second === 1n ? "late, one second after" : "late";
}

function registerCall(d: Dice, s: FuzzState, w: World, challengeId: bigint, modeler: string, at?: bigint): Planned {
  const m = s.model;
  const host = d.weighted([
    [80, d.pick(w.hosts).address],
    [12, modeler],
    [8, ZERO_ADDRESS],
  ] as const);
  const signer = w.signerOf(modeler);
  let note: string | undefined;
  return {
    action: "register",
    at,
    detail: `register(c${challengeId}, host ${host.slice(0, 8)}) by ${modeler.slice(0, 8)}`,
    scope: { modelers: [{ challengeId, modeler }] },
    send: (o) => w.market.connect(signer).register(challengeId, host, o),
    apply: () => {
      m.register(modeler, challengeId, host);
      note = lateness(s, challengeId, modeler);
    },
    note: () => note,
    onSuccess: () => {
      const late = s.stats.lateRegistrations;
      if (note === "late, at the epoch's first second") late.firstSecond++;
      else if (note === "late, one second after") late.secondAfter++;
      else if (note) late.later++;
    },
  };
}

export const register: Planner = (d, s, w) => {
  const m = s.model;
  const challengeId = pickChallenge(d, m, 5);
  const unregistered = modelersOf(w).filter((x) => !isRegistered(m, challengeId, x));
  // Mostly a modeler of the challenge's latest list, which opts in once promoted, as the protocol expects.
  const latest = m.list(challengeId, m.challenge(challengeId)?.[3] ?? 0n)[1];
  const newlyListed = unregistered.filter((x) => latest.includes(x));
  const pool = d.weighted([
    [50, newlyListed],
    [35, unregistered],
    [15, modelersOf(w)],
  ] as const);
  const modeler = pool.length ? d.pick(pool) : d.pick(modelersOf(w));
  return registerCall(d, s, w, challengeId, modeler);
};

/**
 * A listed modeler that had not opted in registers during an epoch its list serves: at the next epoch's first
 * second (judged on that epoch), one second after it (not judged; a request made at the first second is not
 * open to it), or now.
 */
export const lateRegister: Planner = (d, s, w) => {
  const m = s.model;
  const next = nextTime(s);
  // The first epoch start at or after the next transaction's time.
  const boundary = time.endOf(T(m), time.epochOf(T(m), next - 1n));
  const when = d.weighted([
    [35, "firstSecond"],
    [35, "secondAfter"],
    [30, "now"],
  ] as const);
  const at = when === "firstSecond" ? boundary : when === "secondAfter" ? boundary + 1n : next;
  const candidates = unregisteredServing(m, at);
  const { challengeId, modeler } = candidates.length
    ? d.pick(candidates)
    : { challengeId: pickChallenge(d, m, 5), modeler: d.pick(modelersOf(w)) };
  // Half the time a request on the same challenge lands at the epoch's first second, just before.
  if (when === "secondAfter" && d.chance(50)) {
    return [
      requestCall(d, s, w, boundary, { challengeId, at: boundary }),
      registerCall(d, s, w, challengeId, modeler, at),
    ];
  }
  return registerCall(d, s, w, challengeId, modeler, at);
};

/** `modeler` names `host` for `challengeId`; the fuzzer remembers the former host, to send answers through it. */
export function setHostCall(
  s: FuzzState,
  w: World,
  challengeId: bigint,
  modeler: string,
  host: string,
  aim?: string,
): Planned {
  const m = s.model;
  const current = m.modelerInfo(challengeId, modeler)[0];
  const signer = w.signerOf(modeler);
  const historyKey = `${challengeId}/${modeler.toLowerCase()}`;
  return {
    action: aim ? `setHost ${aim}` : "setHost",
    detail: `setHost(c${challengeId}, ${host.slice(0, 8)}) by ${modeler.slice(0, 8)}${aim ? ` [${aim}]` : ""}`,
    scope: { modelers: [{ challengeId, modeler }] },
    send: (o) => w.market.connect(signer).setHost(challengeId, host, o),
    apply: () => m.setHost(modeler, challengeId, host),
    onSuccess: () => s.formerHosts.set(historyKey, [...(s.formerHosts.get(historyKey) ?? []), current]),
  };
}

export const setHost: Planner = (d, s, w) => {
  const m = s.model;
  const challengeId = pickChallenge(d, m, 3);
  const registered = modelersOf(w).filter((x) => isRegistered(m, challengeId, x));
  const modeler = registered.length && d.chance(85) ? d.pick(registered) : d.pick(modelersOf(w));
  const current = m.modelerInfo(challengeId, modeler)[0];
  const others = hostCandidates(w).filter((h) => h.toLowerCase() !== current.toLowerCase());
  const host = d.weighted([
    [85, d.pick(others)],
    [10, modeler],
    [5, ZERO_ADDRESS],
  ] as const);
  return setHostCall(s, w, challengeId, modeler, host);
};

export const claimRewards: Planner = (d, s, w, at) => {
  const m = s.model;
  const open = (e: bigint) => time.claimsOpenAt(T(m), e) <= at;
  const entries = m.pointEntries();
  const variant = d.weighted([
    [62, "valid"],
    [10, "early"],
    [10, "twice"],
    [6, "nothing"],
    [4, "empty"],
    [4, "outOfRange"],
    [4, "repeated"],
  ] as const);
  const pool = entries.filter((x) =>
    variant === "early" ? !open(x.epoch) : variant === "twice" ? x.claimed : !x.claimed && open(x.epoch),
  );
  const chosen = pool.length ? d.pick(pool) : entries.length ? d.pick(entries) : undefined;
  const challengeId = chosen?.challengeId ?? pickChallenge(d, m, 0);
  let modeler = chosen?.modeler ?? d.pick(modelersOf(w));
  let epochs = chosen ? [chosen.epoch] : [time.epochOf(T(m), at) - 1n];
  if (variant === "valid" && chosen) {
    const more = entries.filter(
      (x) =>
        x.challengeId === challengeId &&
        x.modeler === modeler &&
        x.epoch !== chosen.epoch &&
        !x.claimed &&
        open(x.epoch),
    );
    epochs = [
      ...epochs,
      ...d
        .shuffle(more)
        .slice(0, 2)
        .map((x) => x.epoch),
    ];
  }
  if (variant === "nothing") modeler = d.pick(modelersOf(w));
  if (variant === "empty") epochs = [];
  if (variant === "outOfRange") epochs = [...epochs, MAX_EPOCH + 1n];
  if (variant === "repeated") epochs = [...epochs, epochs[0]];
  const caller = d.chance(50) ? w.signerOf(modeler) : anyone(d, w);
  return {
    action: "claimRewards",
    detail: `claimRewards(c${challengeId}, ${modeler.slice(0, 8)}, [${epochs.join(", ")}]) [${variant}]`,
    scope: {
      accounts: [modeler],
      epochs: epochs.filter((e) => e <= MAX_EPOCH).map((epoch) => ({ challengeId, epoch })),
    },
    send: (o) => w.market.connect(caller).claimRewards(challengeId, modeler, epochs, o),
    apply: () => m.claimRewards(challengeId, modeler, epochs),
  };
};
