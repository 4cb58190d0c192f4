import { takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { world, type World } from "./world";

/**
 * The three hot paths, each measured the same way: a request by the same user, the second listed modeler's
 * answer after the first's (the list's only modeler answers alone when the list has one), and that modeler's
 * first claim of the epoch once the keeper finalized it.
 */
async function hotPaths(w: World, listSize: number): Promise<Record<string, bigint>> {
  const snapshot = await takeSnapshot();
  const epoch = await w.epoch();
  const r = await w.request(w.users[0]);
  await w.answer(0, r);
  const answerer = listSize > 1 ? 1 : 0;
  const additional = listSize > 1 ? await w.answer(1, r) : undefined;
  await w.claimable(epoch);
  const claim = await w.claim(answerer, [epoch]);
  await snapshot.restore();
  return {
    "request.approve": r.gas,
    ...(additional ? { "answer.additional": additional } : {}),
    "claim.1epoch": claim,
  };
}

type Progress = (step: string) => void;

/** `growth.<path>.<case>` for 1, 100 and 1,000 earlier requests, lists of 1, 2 and 10, and 1 and 50 earlier epochs. */
export async function growth(progress: Progress): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const record = (label: string, paths: Record<string, bigint>) => {
    for (const [path, gas] of Object.entries(paths)) out[`growth.${path}.${label}`] = Number(gas);
  };

  let snapshot = await takeSnapshot();
  let w = await world(10);
  let made = 0;
  for (const n of [1, 100, 1_000]) {
    for (; made < n; made++) {
      if (made % 100 === 0) progress(`earlier requests: ${made}/${n}`);
      const r = await w.request();
      await w.answer(0, r);
    }
    record(`requests${n}`, await hotPaths(w, 10));
  }
  await snapshot.restore();

  for (const size of [1, 2, 10]) {
    progress(`list of ${size}`);
    snapshot = await takeSnapshot();
    w = await world(size);
    await w.activity(1, size);
    record(`modelers${size}`, await hotPaths(w, size));
    await snapshot.restore();
  }

  snapshot = await takeSnapshot();
  w = await world(10);
  let lived = 0;
  for (const n of [1, 50]) {
    for (; lived < n; lived++) {
      if (lived % 10 === 0) progress(`earlier epochs: ${lived}/${n}`);
      await w.activity(1, 2);
      await w.nextEpoch();
    }
    record(`epochs${n}`, await hotPaths(w, 10));
  }
  await snapshot.restore();
  return out;
}
