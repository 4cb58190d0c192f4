import { Interface, id, isHexString, type ErrorDescription, type ParamType } from "ethers";
import { ERC20Permit__factory, InferenceMarket__factory } from "../typechain-types";
import { isoOf } from "./time";

/*
 * Every custom error a market call can revert with: the market's own (its ABI includes the errors of
 * Epochs, Payouts, AccessControl, Pausable and SafeERC20) and those of an OpenZeppelin ERC-20 with
 * permit, which bubble up through SafeERC20 when a transfer or permit fails.
 */
const market = InferenceMarket__factory.createInterface();
const token = ERC20Permit__factory.createInterface();
const seen = new Set<string>();
const fragments = [...market.fragments, ...token.fragments].filter((f) => {
  if (f.type !== "error") return false;
  const key = f.format("sighash");
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
});
const ERRORS = new Interface(fragments);

const ROLES = new Map<string, string>(
  [
    ["DEFAULT_ADMIN_ROLE", `0x${"0".repeat(64)}`],
    ...["CHALLENGE_MANAGER_ROLE", "KEEPER_ROLE", "PAUSER_ROLE"].map((r) => [r, id(r)]),
  ].map(([name, hash]) => [hash, name]),
);

const PANICS: Record<string, string> = {
  "1": "assertion failed",
  "17": "arithmetic overflow or underflow",
  "18": "division by zero",
  "50": "array index out of bounds",
};

/** Error arguments that are block times: printed as ISO UTC with the raw seconds. */
const TIME_ARG = /^(deadline|timestamp|windowStart|windowEnd|epochEnd|\w+At)$/;

/** A call that reverted, with its custom error decoded; the SDK's sending methods throw it. */
export class RevertError extends Error {
  constructor(
    message: string,
    /** The custom error's name (or "Error"/"Panic"), when the revert data was decoded. */
    readonly errorName: string | undefined,
    /** The raw revert data, so the error can be decoded again. */
    readonly data: string | undefined,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = "RevertError";
  }
}

/** The revert data carried somewhere in an ethers, Hardhat or JSON-RPC error, if any. */
export function revertData(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || err === null || typeof err !== "object") return undefined;
  const e = err as Record<string, unknown>;
  if (typeof e.data === "string" && isHexString(e.data) && e.data.length >= 10) return e.data;
  for (const key of ["data", "error", "info", "cause", "revert"]) {
    const found = revertData(e[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The decoded custom error of a revert, if its data matches a known error. */
function parseRevert(err: unknown): ErrorDescription | undefined {
  const data = revertData(err);
  return data ? (ERRORS.parseError(data) ?? undefined) : undefined;
}

function formatArg(param: ParamType, value: unknown): string {
  // A batch's skipped entries carry their own custom errors (MarketBatchAnsweredNothing).
  if (param.type === "bytes[]" && Array.isArray(value)) {
    return `${param.name}=[${value.map((v) => decodeError({ data: String(v) })).join(", ")}]`;
  }
  if (typeof value === "bigint" && TIME_ARG.test(param.name) && value > 0n && value < 2n ** 40n) {
    return `${param.name}=${isoOf(value)} (${value})`;
  }
  if (typeof value === "string" && ROLES.has(value)) return `${param.name}=${ROLES.get(value)}`;
  return `${param.name}=${String(value)}`;
}

/**
 * A readable message for any error of a contract call (estimateGas, staticCall or send): the custom
 * error with its named arguments, times in ISO UTC, roles by name, e.g.
 * `MarketDeadlinePassed(requestId=5, deadline=2026-12-03T00:09:59Z (1796256599), timestamp=…)`.
 */
export function decodeError(err: unknown): string {
  if (err instanceof RevertError) return err.message;
  const parsed = parseRevert(err);
  if (parsed?.name === "Error") return `reverted: ${String(parsed.args[0])}`;
  if (parsed?.name === "Panic") {
    const code = String(parsed.args[0]);
    return `Panic(${PANICS[code] ?? `code ${code}`})`;
  }
  if (parsed) {
    return `${parsed.name}(${parsed.fragment.inputs.map((p, i) => formatArg(p, parsed.args[i])).join(", ")})`;
  }
  const data = revertData(err);
  if (data) return `reverted with unknown error data ${data}`;
  if (err instanceof Error) {
    const short = (err as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : err.message.split("\n")[0];
  }
  return String(err);
}

/** Whether `err` is a revert with the custom error `name`, e.g. `isCustomError(e, "MarketAlreadyPromoted")`. */
export function isCustomError(err: unknown, name: string): boolean {
  if (err instanceof RevertError && err.errorName !== undefined) return err.errorName === name;
  return parseRevert(err)?.name === name;
}

/** Each entry's encoded custom error, when `err` is a batch's MarketBatchAnsweredNothing; else undefined. */
export function batchReasons(err: unknown): string[] | undefined {
  const parsed = parseRevert(err);
  if (parsed?.name !== "MarketBatchAnsweredNothing") return undefined;
  return [...(parsed.args[0] as string[])].map(String);
}

/** The ABI-encoded custom error `data` (as a batch reports a skipped entry) as a RevertError. */
export function decodeReason(data: string): RevertError {
  return toRevertError({ data }) as RevertError;
}

/** `err` as a RevertError when it carries revert data; otherwise unchanged (network errors stay retryable). */
export function toRevertError(err: unknown): unknown {
  if (err instanceof RevertError) return err;
  const data = revertData(err);
  if (!data) return err;
  return new RevertError(decodeError(err), parseRevert(err)?.name, data, { cause: err });
}
