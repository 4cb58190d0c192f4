import { ErrorFragment, Interface, formatUnits, id, isHexString, type ErrorDescription, type ParamType } from "ethers";
import { ERC20Permit__factory } from "../typechain-types";
import { marketInterface } from "./abi";
import { isoOf } from "./time";

/*
 * Every custom error a market call can revert with: the market's own (its ABI includes the errors of
 * Epochs, Payouts, AccessControl, Pausable and SafeERC20) and those of an OpenZeppelin ERC-20 with
 * permit, which bubble up through SafeERC20 when a transfer or permit fails.
 */
const market = marketInterface();
const token = ERC20Permit__factory.createInterface();
const seen = new Set<string>();
const fragments = [...market.fragments, ...token.fragments].filter(ErrorFragment.isFragment).filter((f) => {
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

/**
 * Which error arguments are amounts of the fee token, by name: a uint named fee, amount, balance, allowance
 * or needed, or ending in one of them (maxFee); and expected/received in an error about the fee
 * (MarketFeeNotReceived). The ERC-20 errors that bubble up are the fee token's own, so they count too.
 */
const AMOUNT_ARG = /^(fee|amount|balance|allowance|needed)$|[a-z0-9](Fee|Amount|Balance|Allowance|Needed)$/;
const FEE_ERROR_ARG = /^(expected|received)$/;

function isAmount(error: string, param: ParamType): boolean {
  if (!param.type.startsWith("uint")) return false;
  return AMOUNT_ARG.test(param.name) || (error.includes("Fee") && FEE_ERROR_ARG.test(param.name));
}

/** The arguments decodeError shows in token units, as "Error.argument". */
export const AMOUNT_ARGS: readonly string[] = fragments.flatMap((f) =>
  f.inputs.filter((p) => isAmount(f.name, p)).map((p) => `${f.name}.${p.name}`),
);

/** The fee token, for showing amounts: "2.0 tUSD". */
export interface TokenUnits {
  symbol: string;
  decimals: number;
}

export interface DecodeOptions {
  /** With it, amounts read "2.0 tUSD (2000000000000000000)"; without it, base units only. */
  token?: TokenUnits;
}

/** An amount of `token` for people: "1.5 tUSD". */
export function formatAmount(units: bigint, token: TokenUnits): string {
  return `${formatUnits(units, token.decimals)} ${token.symbol}`;
}

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

function formatArg(error: string, param: ParamType, value: unknown, options: DecodeOptions): string {
  // A batch's skipped entries carry their own custom errors (MarketBatchAnsweredNothing).
  if (param.type === "bytes[]" && Array.isArray(value)) {
    return `${param.name}=[${value.map((v) => decodeError({ data: String(v) }, options)).join(", ")}]`;
  }
  if (typeof value === "bigint" && options.token && isAmount(error, param)) {
    return `${param.name}=${formatAmount(value, options.token)} (${value})`;
  }
  if (typeof value === "bigint" && TIME_ARG.test(param.name) && value > 0n && value < 2n ** 40n) {
    return `${param.name}=${isoOf(value)} (${value})`;
  }
  if (typeof value === "string" && ROLES.has(value)) return `${param.name}=${ROLES.get(value)}`;
  return `${param.name}=${String(value)}`;
}

/**
 * A readable message for any error of a contract call (estimateGas, staticCall or send): the custom
 * error with its named arguments, times in ISO UTC, roles by name, amounts in the token's units when
 * `options.token` is given, e.g.
 * `MarketDeadlinePassed(requestId=5, deadline=2026-12-03T00:09:59Z (1796256599), timestamp=…)`.
 */
export function decodeError(err: unknown, options: DecodeOptions = {}): string {
  // A RevertError's message was decoded without the token: its data says it again with amounts.
  if (err instanceof RevertError)
    return options.token && err.data ? decodeError({ data: err.data }, options) : err.message;
  const parsed = parseRevert(err);
  if (parsed?.name === "Error") return `reverted: ${String(parsed.args[0])}`;
  if (parsed?.name === "Panic") {
    const code = String(parsed.args[0]);
    return `Panic(${PANICS[code] ?? `code ${code}`})`;
  }
  if (parsed) {
    const args = parsed.fragment.inputs.map((p, i) => formatArg(parsed.name, p, parsed.args[i], options));
    return `${parsed.name}(${args.join(", ")})`;
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
