import { hexlify, toUtf8Bytes, toUtf8String, type BytesLike } from "ethers";

/*
 * By convention a request's input and an answer's output are UTF-8 text: an input such as a wallet
 * address "0xabc…" is the text of the address (42 bytes), not its 20 raw bytes; an output such as a
 * score is "712".
 */

/** The bytes of `text`, as hex for the contract. */
export function encodeText(text: string): string {
  return hexlify(toUtf8Bytes(text));
}

/** The text of `bytes`; bytes that are not UTF-8 come back as their hex so nothing is lost. */
export function decodeText(bytes: BytesLike): string {
  try {
    return toUtf8String(bytes);
  } catch {
    return hexlify(bytes);
  }
}

/*
 * An answer that carries no result says why, as UTF-8 text `error: <code>: <detail>`, for example
 * `error: invalid-input: not a wallet address`. It is an answer like any other on chain (the request is
 * served, the modeler earns its point, the fee settles); readers and the combiners tell it apart by its prefix,
 * so a model's own output must never begin with `error: `.
 */
export const ERROR_OUTPUT_PREFIX = "error: ";

/** Why a host answered without a result. */
export const ERROR_CODES = {
  /** The model refused the input (preprocess threw an InputRejected). */
  invalidInput: "invalid-input",
  /** The model threw, or returned something that is not text. */
  modelFailed: "model-failed",
  /** The model ran past the time the agent gave it to answer before the deadline. */
  timeout: "timeout",
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The output text of an error answer, on one line. */
export function errorOutput(code: ErrorCode, detail: string): string {
  return `${ERROR_OUTPUT_PREFIX}${code}: ${detail.replace(/\s+/g, " ").trim()}`;
}

/** The code and detail of an error answer's text, or undefined for a result. */
export function parseErrorOutput(text: string): { code: string; detail: string } | undefined {
  if (!text.startsWith(ERROR_OUTPUT_PREFIX)) return undefined;
  const rest = text.slice(ERROR_OUTPUT_PREFIX.length);
  const colon = rest.indexOf(":");
  return colon < 0
    ? { code: rest.trim(), detail: "" }
    : { code: rest.slice(0, colon).trim(), detail: rest.slice(colon + 1).trim() };
}

/** Whether an output text is an error answer. */
export function isErrorOutput(text: string): boolean {
  return text.startsWith(ERROR_OUTPUT_PREFIX);
}
