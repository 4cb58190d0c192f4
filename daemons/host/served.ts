import { getAddress, isAddress } from "ethers";
import { ConfigError } from "../common/config";

/** A modeler that the host's operator chose to serve, in one challenge. */
export interface ServedModeler {
  challengeId: bigint;
  modeler: string;
}

/** `challengeId/modeler` in lower case. */
export const servedKey = (challengeId: bigint, modeler: string) => `${challengeId}/${modeler.toLowerCase()}`;

/** The modelers list checked: non-empty, positive challenge ids, addresses; repeats dropped. */
export function checkServed(modelers: readonly ServedModeler[] | undefined): ServedModeler[] {
  if (!modelers || modelers.length === 0) {
    throw new ConfigError(
      "no modelers to serve: give the modelers this host answers for, per challenge (--modelers 1:0xabc…,2:0xdef…, or MODELERS); " +
        "a modeler naming this host does not make it work for it",
    );
  }
  const seen = new Map<string, ServedModeler>();
  for (const m of modelers) {
    if (typeof m.challengeId !== "bigint" || m.challengeId <= 0n)
      throw new ConfigError(`modelers: challenge id ${String(m.challengeId)} is not a positive whole number`);
    if (!isAddress(m.modeler)) throw new ConfigError(`modelers: "${m.modeler}" is not an address`);
    seen.set(servedKey(m.challengeId, m.modeler), { challengeId: m.challengeId, modeler: getAddress(m.modeler) });
  }
  return [...seen.values()];
}
