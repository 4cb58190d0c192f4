import type { Wallet } from "ethers";
import { getAddress, isAddress } from "ethers";
import {
  COMMON_FLAGS,
  ConfigError,
  commonConfig,
  commonUsage,
  integer,
  parseFlags,
  privateKey,
  setting,
  type CommonConfig,
  type Env,
} from "../common/config";
import { DEFAULT_MAX_PER_PASS, DEFAULT_MODEL_BATCHES, DEFAULT_MODEL_TIMEOUT_S, MAX_BATCH } from "./agent";
import { checkServed, type ServedModeler } from "./served";
import { DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_BYTES_LIMIT, loadModel, type Model } from "./model";

export const HOST_FLAGS = {
  ...COMMON_FLAGS,
  model: { type: "string" },
  modelers: { type: "string" },
  "batch-size": { type: "string" },
  "model-batches": { type: "string" },
  "margin-s": { type: "string" },
  "model-timeout-s": { type: "string" },
  "max-per-pass": { type: "string" },
  "max-input-bytes": { type: "string" },
} as const;

export const HOST_USAGE = `Usage: npm run host -- --model <path> --modelers <challenge:modeler,...> [flags]
The key comes from env HOST_KEY (the address modelers name as their host).
${commonUsage(2_000)}
  --model <path>            module exporting preprocess, predict, postprocess  env MODEL
  --modelers <c:a,...>      the modelers this host serves, per challenge, e.g.  env MODELERS     required
                            1:0xabc…,1:0xdef…,2:0xabc…; any other modeler naming this host is ignored
  --batch-size <n>          answers per transaction, 1 to ${MAX_BATCH}        env BATCH_SIZE   default 10
  --model-batches <n>       batches whose models run at once,     env MODEL_BATCHES  default ${DEFAULT_MODEL_BATCHES}
                            most urgent first (1: one after another, for a model that needs the whole machine)
  --margin-s <s>            skip requests with fewer seconds left  env ANSWER_MARGIN_S  default 10
  --model-timeout-s <s>     longest model run per request; a run   env MODEL_TIMEOUT_S  default ${DEFAULT_MODEL_TIMEOUT_S}
                            past it (or past the deadline less the margin) is answered "error: timeout: …"
  --max-per-pass <n>        requests taken up per pass, most urgent env MAX_PER_PASS     default ${DEFAULT_MAX_PER_PASS}
                            first; the others wait for the next pass
  --max-input-bytes <n>     longest input given to the model; a    env MAX_INPUT_BYTES  default ${DEFAULT_MAX_INPUT_BYTES}
                            longer one is answered "error: invalid-input: …" without running it`;

export interface HostConfig extends CommonConfig {
  key: Wallet;
  modelPath: string;
  model: Model;
  modelers: ServedModeler[];
  batchSize: number;
  modelBatches: number;
  marginS: number;
  modelTimeoutS: number;
  maxPerPass: number;
  maxInputBytes: number;
}

/**
 * The `--modelers` list: comma-separated `challengeId:address` pairs, e.g. `1:0xabc…,2:0xabc…`. Required:
 * a host serves only the modelers its operator chose.
 */
export function servedList(text: string | undefined): ServedModeler[] {
  if (text === undefined) return checkServed([]);
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const pairs = items.map((item) => {
    const m = /^(\d+):(.+)$/.exec(item);
    if (!m)
      throw new ConfigError(
        `--modelers: "${item}" is not <challengeId>:<address>, e.g. 1:0x70997970C51812dc3A010C7d01b50e0d17dc79C8`,
      );
    const address = m[2].trim();
    if (!isAddress(address)) throw new ConfigError(`--modelers: "${address}" is not an address`);
    return { challengeId: BigInt(m[1]), modeler: getAddress(address) };
  });
  return checkServed(pairs);
}

/** The host agent's settings from flags and environment, checked once; the model module is loaded here too. */
export function hostConfig(argv: string[], env: Env): HostConfig | "help" {
  const values = parseFlags(argv, HOST_FLAGS);
  if (values.help) return "help";
  const common = commonConfig(values, env, 2_000);
  const key = privateKey(env, "HOST_KEY");
  const modelPath = setting(values, "model", env, "MODEL");
  if (modelPath === undefined)
    throw new ConfigError("no model: give --model <path> (or MODEL), e.g. models/credit-score.ts");
  const model = loadModel(modelPath);
  const batchSize = integer(setting(values, "batch-size", env, "BATCH_SIZE"), "--batch-size", 10, 1, MAX_BATCH);
  const modelBatches = integer(
    setting(values, "model-batches", env, "MODEL_BATCHES"),
    "--model-batches",
    DEFAULT_MODEL_BATCHES,
    1,
    64,
  );
  const marginS = integer(setting(values, "margin-s", env, "ANSWER_MARGIN_S"), "--margin-s", 10, 0, 86_400);
  const modelTimeoutS = integer(
    setting(values, "model-timeout-s", env, "MODEL_TIMEOUT_S"),
    "--model-timeout-s",
    DEFAULT_MODEL_TIMEOUT_S,
    1,
    86_400,
  );
  const maxPerPass = integer(
    setting(values, "max-per-pass", env, "MAX_PER_PASS"),
    "--max-per-pass",
    DEFAULT_MAX_PER_PASS,
    1,
    100_000,
  );
  const maxInputBytes = integer(
    setting(values, "max-input-bytes", env, "MAX_INPUT_BYTES"),
    "--max-input-bytes",
    DEFAULT_MAX_INPUT_BYTES,
    1,
    MAX_INPUT_BYTES_LIMIT,
  );
  const modelers = servedList(setting(values, "modelers", env, "MODELERS"));
  return {
    ...common,
    key,
    modelPath,
    model,
    modelers,
    batchSize,
    modelBatches,
    marginS,
    modelTimeoutS,
    maxPerPass,
    maxInputBytes,
  };
}
