import { resolve } from "node:path";
import type { Provider } from "ethers";
import { ConfigError } from "../common/config";

/** The chain reads a model may make: no signer, no sending. */
export type ReadProvider = Pick<
  Provider,
  "getBalance" | "getTransactionCount" | "getCode" | "getStorage" | "call" | "getBlock" | "getBlockNumber" | "getLogs" | "getNetwork"
>;

/** What the host agent gives a model besides the request's input. */
export interface ModelContext {
  /** Read-only chain access. */
  provider: ReadProvider;
  /** The block of the request: reading features at it makes every host's answer the same, and auditable. */
  blockTag: number;
  requestId: bigint;
  challengeId: bigint;
  /** Waits on the agent's clock: real time in the daemon, simulated chain time in the demo. */
  sleep(ms: number): Promise<void>;
}

/**
 * A model, as the modeler supplies it: the agent fetches requests, calls the three steps and answers.
 * Inputs and outputs are UTF-8 text by convention (sdk/text).
 */
export interface Model<Features = unknown, Prediction = unknown> {
  preprocess(input: string, ctx: ModelContext): Features | Promise<Features>;
  predict(features: Features): Prediction | Promise<Prediction>;
  postprocess(prediction: Prediction): string | Promise<string>;
}

/** Wraps a provider so a model can only read. */
export function readOnly(provider: Provider): ReadProvider {
  return {
    getBalance: provider.getBalance.bind(provider),
    getTransactionCount: provider.getTransactionCount.bind(provider),
    getCode: provider.getCode.bind(provider),
    getStorage: provider.getStorage.bind(provider),
    call: provider.call.bind(provider),
    getBlock: provider.getBlock.bind(provider),
    getBlockNumber: provider.getBlockNumber.bind(provider),
    getLogs: provider.getLogs.bind(provider),
    getNetwork: provider.getNetwork.bind(provider),
  };
}

/** Runs the three steps of `model` on one input. */
export async function infer(model: Model, input: string, ctx: ModelContext): Promise<string> {
  const output = await model.postprocess(await model.predict(await model.preprocess(input, ctx)));
  if (typeof output !== "string") throw new Error(`postprocess returned ${typeof output}, not text`);
  return output;
}

function isModel(value: unknown): value is Model {
  if (value === null || typeof value !== "object") return false;
  const m = value as Record<string, unknown>;
  return ["preprocess", "predict", "postprocess"].every((k) => typeof m[k] === "function");
}

/**
 * Loads a model module by path (relative to the working directory): one that exports `preprocess`,
 * `predict` and `postprocess`, or a default export holding them.
 */
export function loadModel(path: string): Model {
  const file = resolve(path);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (err) {
    throw new ConfigError(`cannot load model ${file}: ${(err as Error).message}`);
  }
  const candidate = isModel(mod) ? mod : mod.default;
  if (!isModel(candidate)) throw new ConfigError(`model ${file} must export preprocess, predict and postprocess functions`);
  return candidate;
}
