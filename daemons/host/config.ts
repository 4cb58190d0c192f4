import type { Wallet } from "ethers";
import { COMMON_FLAGS, ConfigError, addressList, commonConfig, commonUsage, integer, parseFlags, privateKey, setting, type CommonConfig, type Env } from "../common/config";
import { MAX_BATCH } from "./agent";
import { loadModel, type Model } from "./model";

export const HOST_FLAGS = {
  ...COMMON_FLAGS,
  model: { type: "string" },
  modelers: { type: "string" },
  "batch-size": { type: "string" },
  "margin-s": { type: "string" },
} as const;

export const HOST_USAGE = `Usage: npm run host -- --model <path> [flags]
The key comes from env HOST_KEY (the address modelers name as their host).
${commonUsage(2_000)}
  --model <path>            module exporting preprocess, predict, postprocess  env MODEL
  --modelers <a,b,...>      answer only for these modelers         env MODELERS     default all naming this host
  --batch-size <n>          answers per transaction, 1 to ${MAX_BATCH}        env BATCH_SIZE   default 10
  --margin-s <s>            skip requests with fewer seconds left  env ANSWER_MARGIN_S  default 10`;

export interface HostConfig extends CommonConfig {
  key: Wallet;
  modelPath: string;
  model: Model;
  modelers?: string[];
  batchSize: number;
  marginS: number;
}

/** The host agent's settings from flags and environment, checked once; the model module is loaded here too. */
export function hostConfig(argv: string[], env: Env): HostConfig | "help" {
  const values = parseFlags(argv, HOST_FLAGS);
  if (values.help) return "help";
  const common = commonConfig(values, env, 2_000);
  const key = privateKey(env, "HOST_KEY");
  const modelPath = setting(values, "model", env, "MODEL");
  if (modelPath === undefined) throw new ConfigError("no model: give --model <path> (or MODEL), e.g. models/credit-score.ts");
  return {
    ...common,
    key,
    modelPath,
    model: loadModel(modelPath),
    modelers: addressList(setting(values, "modelers", env, "MODELERS"), "--modelers"),
    batchSize: integer(setting(values, "batch-size", env, "BATCH_SIZE"), "--batch-size", 10, 1, MAX_BATCH),
    marginS: integer(setting(values, "margin-s", env, "ANSWER_MARGIN_S"), "--margin-s", 10, 0, 86_400),
  };
}
