/**
 * The credit score, slow on purpose: preprocessing first waits SLOW_MODEL_DELAY_MS milliseconds on the
 * agent's clock (default 660000, eleven minutes: past the ten-minute SLA). The agent stops waiting when the
 * request's time budget is spent and answers `error: timeout: …` in time instead. For tests and the demo.
 */
import type { Model, ModelContext } from "../daemons/host/model";
import * as creditScore from "./credit-score";

export const DEFAULT_DELAY_MS = 660_000;

function delayFromEnv(): number {
  const text = process.env.SLOW_MODEL_DELAY_MS;
  if (text === undefined || text === "") return DEFAULT_DELAY_MS;
  if (!/^\d+$/.test(text)) throw new Error(`SLOW_MODEL_DELAY_MS must be a whole number of milliseconds, got "${text}"`);
  return Number(text);
}

/** The credit score delayed by `delayMs`. */
export function slowModel(delayMs: number): Model<creditScore.Features, number> {
  return {
    async preprocess(input: string, ctx: ModelContext) {
      await ctx.sleep(delayMs);
      return creditScore.preprocess(input, ctx);
    },
    predict: creditScore.predict,
    postprocess: creditScore.postprocess,
  };
}

export default slowModel(delayFromEnv());
