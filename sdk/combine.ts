import { isErrorOutput } from "./text";

/**
 * Ways to combine the answers of one request into one result. Answers are given in the order they were
 * made (block, then log index), earliest first. Error answers (sdk/text's `error: ` convention) carry no
 * result: every method leaves them out.
 */

export type CombineMethod = "first" | "majority" | "median";
export const COMBINE_METHODS: readonly CombineMethod[] = ["first", "majority", "median"];

/** The answers that carry a result, in their order. */
export function results(outputs: readonly string[]): string[] {
  return outputs.filter((o) => !isErrorOutput(o));
}

/** The earliest answer. */
export function first(outputs: readonly string[]): string | undefined {
  return results(outputs)[0];
}

/** The most frequent answer; among equally frequent ones, the one given earliest. */
export function majority(outputs: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const o of results(outputs)) counts.set(o, (counts.get(o) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  // A Map iterates in insertion order, which is the order of first appearance: a strict `>` keeps the earliest.
  for (const [o, n] of counts) {
    if (n > bestCount) [best, bestCount] = [o, n];
  }
  return best;
}

/**
 * The median of the answers that are numbers (others are ignored). With an even count it is the mean of
 * the two middle values, so two answers 700 and 720 give 710: no answer is favoured over the other.
 */
export function median(outputs: readonly string[]): number | undefined {
  const values = results(outputs)
    .filter((o) => o.trim() !== "")
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** Applies `method` and returns the result as text (undefined when no answer qualifies). */
export function combine(method: CombineMethod, outputs: readonly string[]): string | undefined {
  if (method === "first") return first(outputs);
  if (method === "majority") return majority(outputs);
  const m = median(outputs);
  return m === undefined ? undefined : String(m);
}
