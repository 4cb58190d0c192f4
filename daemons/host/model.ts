import { resolve } from "node:path";
import { dataLength, type BytesLike, type Provider } from "ethers";
import { ERROR_CODES, errorOutput, isErrorOutput, parseErrorOutput, type ErrorCode } from "../../sdk/text";
import { ConfigError } from "../common/config";

/** The chain reads a model may make: no signer, no sending. */
export type ReadProvider = Pick<
  Provider,
  | "getBalance"
  | "getTransactionCount"
  | "getCode"
  | "getStorage"
  | "call"
  | "getBlock"
  | "getBlockNumber"
  | "getLogs"
  | "getNetwork"
>;

/** What the host agent gives a model besides the request's input. */
export interface ModelContext {
  /** Read-only chain access. */
  provider: ReadProvider;
  /** The block of the request: reading features at it makes every host's answer the same, and auditable. */
  blockTag: number;
  requestId: bigint;
  challengeId: bigint;
  /**
   * Waits on the agent's clock: real time in the daemon, simulated chain time in the demo. It rejects (an
   * AbortError) once the agent stops waiting for this request, for instance when its time budget is spent.
   */
  sleep(ms: number): Promise<void>;
  /** Aborted once the agent stops waiting for this request: a model may stop its work then. */
  signal?: AbortSignal;
}

/**
 * What a model's `preprocess` throws for an input it refuses (for the credit score: text that is not a
 * wallet address). The agent answers it with the error output `error: invalid-input: <message>`; any other
 * throw is a failure of the model (`error: model-failed: …`).
 */
export class InputRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputRejected";
  }
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

/** How the agent runs an RPC read: with its retry policy (common/act's rpcRetry). */
export type ReadRetry = <T>(what: string, read: () => Promise<T>) => Promise<T>;

/** Reads of account state at a fixed block made by models, kept for the rest of a pass (see `readOnly`). */
export type SharedReads = Map<string, Promise<unknown>>;

/**
 * Wraps a provider so a model can only read, each read retried as the agent's own are: an RPC hiccup is not a
 * failure of the model, and must not turn an answer into `error: model-failed: …`. With `shared`, the account
 * reads at a given block number (balance, nonce, code, storage) are made once for all the models that share
 * it: the state at a block is the same for every request of it, and a pass reads its requests from blocks it
 * has checked, so within one pass a read made for one request is the answer for the next. A read that fails
 * is forgotten, for the next to try again.
 */
export function readOnly(
  provider: Provider,
  retry: ReadRetry = (_what, read) => read(),
  shared?: SharedReads,
): ReadProvider {
  const retried =
    <A extends unknown[], R>(what: string, read: (...args: A) => Promise<R>) =>
    (...args: A) =>
      retry(what, () => read.apply(provider, args));
  const atBlock = <A extends unknown[], R>(what: string, read: (...args: A) => Promise<R>) => {
    const once = retried(what, read);
    if (!shared) return once;
    return (...args: A): Promise<R> => {
      if (typeof args[args.length - 1] !== "number") return once(...args);
      const key = `${what}:${args.map((a) => String(a).toLowerCase()).join(":")}`;
      let kept = shared.get(key) as Promise<R> | undefined;
      if (!kept) {
        kept = once(...args);
        shared.set(key, kept);
        kept.catch(() => shared.delete(key));
      }
      return kept;
    };
  };
  return {
    getBalance: atBlock("model.getBalance", provider.getBalance),
    getTransactionCount: atBlock("model.getTransactionCount", provider.getTransactionCount),
    getCode: atBlock("model.getCode", provider.getCode),
    getStorage: atBlock("model.getStorage", provider.getStorage),
    call: retried("model.call", provider.call),
    getBlock: retried("model.getBlock", provider.getBlock),
    getBlockNumber: retried("model.getBlockNumber", provider.getBlockNumber),
    getLogs: retried("model.getLogs", provider.getLogs),
    getNetwork: retried("model.getNetwork", provider.getNetwork),
  };
}

/** Runs the three steps of `model` on one input; throws what the model throws, or when the output is not text. */
export async function infer(model: Model, input: string, ctx: ModelContext): Promise<string> {
  const output = await model.postprocess(await model.predict(await model.preprocess(input, ctx)));
  if (typeof output !== "string") throw new Error(`postprocess returned ${typeof output}, not text`);
  return output;
}

/** The default of MAX_INPUT_BYTES: the longest input the agent gives its model. */
export const DEFAULT_MAX_INPUT_BYTES = 16_384;
/** The highest MAX_INPUT_BYTES accepted: far above what a block's calldata can carry. */
export const MAX_INPUT_BYTES_LIMIT = 16 * 1024 * 1024;

/**
 * The error answer of an input longer than `maxBytes`, or undefined for one the model may read. Anyone can
 * pay for a request with a huge input; the model never sees it, and the request still gets its answer.
 */
export function inputTooLong(input: BytesLike, maxBytes: number): Outcome | undefined {
  const bytes = dataLength(input);
  if (bytes <= maxBytes) return undefined;
  return errorOutcome(ERROR_CODES.invalidInput, `input of ${bytes} bytes is over the host's limit of ${maxBytes}`);
}

/** The longest detail an error output carries: the answer is stored on chain. */
export const MAX_ERROR_DETAIL = 200;

/** What the agent answers for one request: the model's output, or an error output saying why there is none. */
export interface Outcome {
  output: string;
  /** Set for an error output. */
  error?: { code: ErrorCode; detail: string };
}

/** The error output of `code` with `detail` cut to MAX_ERROR_DETAIL characters, as an Outcome. */
export function errorOutcome(code: ErrorCode, detail: string): Outcome {
  const oneLine = detail.replace(/\s+/g, " ").trim() || "no detail";
  const short = oneLine.length > MAX_ERROR_DETAIL ? `${oneLine.slice(0, MAX_ERROR_DETAIL - 1)}…` : oneLine;
  return { output: errorOutput(code, short), error: { code, detail: short } };
}

const KNOWN_CODES = new Set<string>(Object.values(ERROR_CODES));

/**
 * Runs `model` on one input and never throws: an InputRejected from the model gives `invalid-input`, any
 * other throw or an output that is not text gives `model-failed`. A model may answer an error output of its
 * own with a known code; any other output beginning with `error: ` would read as one, so it is a failure too.
 */
export async function answerFor(model: Model, input: string, ctx: ModelContext): Promise<Outcome> {
  let output: string;
  try {
    output = await infer(model, input, ctx);
  } catch (err) {
    if (err instanceof InputRejected) return errorOutcome(ERROR_CODES.invalidInput, err.message);
    return errorOutcome(ERROR_CODES.modelFailed, err instanceof Error ? err.message : String(err));
  }
  if (!isErrorOutput(output)) return { output };
  const own = parseErrorOutput(output)!;
  if (KNOWN_CODES.has(own.code)) return { output, error: { code: own.code as ErrorCode, detail: own.detail } };
  return errorOutcome(
    ERROR_CODES.modelFailed,
    `the model's output begins with "error: " but has no known code: ${output}`,
  );
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
  try {
    require.resolve(file);
  } catch {
    throw new ConfigError(`cannot load model ${file}: no such file`);
  }
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (err) {
    // Node's message goes on with the require stack, and ts-node's opens with a header before the
    // compiler's diagnostics: the first line of what explains the failure is enough.
    const text =
      err instanceof Error ? ((err as { diagnosticText?: string }).diagnosticText ?? err.message) : String(err);
    throw new ConfigError(`cannot load model ${file}: ${text.split("\n")[0]}`, { cause: err });
  }
  const candidate = isModel(mod) ? mod : mod.default;
  if (!isModel(candidate))
    throw new ConfigError(`model ${file} must export preprocess, predict and postprocess functions`);
  return candidate;
}
