import { ZeroAddress } from "ethers";
import type { Market } from "../../sdk/market";
import type { Logger } from "../common/logger";
import type { ServedModeler } from "./served";

/**
 * Warns when no modeler this host serves names it as its host: the agent would run and answer nothing,
 * which looks like a quiet week. The warning gives each modeler's host and the fix.
 */
export async function checkNamed(
  market: Market,
  host: string,
  modelers: readonly ServedModeler[],
  log: Logger,
): Promise<void> {
  const hosts = await Promise.all(
    modelers.map(async (m) => (await market.contract.modelerInfo(m.challengeId, m.modeler)).host),
  );
  if (hosts.some((h) => h.toLowerCase() === host.toLowerCase())) return;
  log.warn(
    {
      action: "modeler",
      status: "unnamed",
      host,
      modelers: modelers.map(
        (m, i) =>
          `${m.challengeId}:${m.modeler} ${hosts[i] === ZeroAddress ? "is not registered" : `names ${hosts[i]}`}`,
      ),
    },
    `no modeler in --modelers names this host ${host}: it answers nothing. Each modeler signs ` +
      `\`npx hardhat register --challenge <id> --host ${host}\`, or \`npx hardhat host:set --challenge <id> ` +
      `--host ${host}\` once registered; or --modelers lists the wrong modelers`,
  );
}
