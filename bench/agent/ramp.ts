import type { JsonRpcProvider } from "ethers";
import { sendLoad } from "./load";
import { FEE, type Cast, type Market1 } from "./setup";

/** One step of a ramp as sent: its requests went out between the blocks `fromBlock` and `toBlock`. */
export interface SentStep {
  challengeId: bigint;
  rate: number;
  fromBlock: number;
  toBlock: number;
  sent: number;
  /** Wall-clock seconds the sends took: above the step's length when the load generator fell behind. */
  sendSeconds: number;
}

/**
 * Sends `rate` requests a second to `challengeId` for `seconds`, from every user in turn. The block numbers
 * taken at the step's start and end let its figures be read from the chain's events afterwards.
 */
export async function sendStep(
  provider: JsonRpcProvider,
  m: Market1,
  c: Cast,
  challengeId: bigint,
  rate: number,
  seconds: number,
): Promise<SentStep> {
  const fromBlock = await provider.getBlockNumber();
  const load = await sendLoad({
    provider,
    market: m.deployment.market,
    challengeId,
    fee: FEE,
    users: c.users,
    requests: rate * seconds,
    durationMs: seconds * 1_000,
    inputs: [
      c.deployer.address,
      c.host.address,
      m.deployment.market,
      m.deployment.token,
      ...c.users.map((u) => u.address),
    ],
    gasLimit: m.requestGas,
  });
  return {
    challengeId,
    rate,
    fromBlock,
    toBlock: await provider.getBlockNumber(),
    sent: load.hashes.length,
    sendSeconds: load.sentMs / 1_000,
  };
}
