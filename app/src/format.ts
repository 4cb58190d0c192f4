import { parseUnits } from "ethers";
import { formatAmount } from "../../sdk/errors";
import { isoOf } from "../../sdk/time";
import { useSession } from "./wallet/session";

/** An address as people scan it: 0x1234…abcd. */
export const shortAddress = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** A time in UTC (ISO) and in the reader's own time zone. */
export function timeTexts(t: bigint): { utc: string; local: string } {
  const local = new Date(Number(t) * 1000).toLocaleString(undefined, {
    // dateStyle and timeStyle cannot be combined with timeZoneName: the fields one by one.
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
  return { utc: isoOf(t).replace("T", " ").replace("Z", " UTC"), local };
}

/** A span of seconds as "2 d 03:04:05", or "now" once it is over. */
export function duration(seconds: bigint): string {
  if (seconds <= 0n) return "now";
  const d = seconds / 86_400n;
  const pad = (n: bigint) => n.toString().padStart(2, "0");
  const hms = `${pad((seconds % 86_400n) / 3_600n)}:${pad((seconds % 3_600n) / 60n)}:${pad(seconds % 60n)}`;
  return d > 0n ? `${d} d ${hms}` : hms;
}

/** Amounts of the fee token in its units, or in base units until its symbol and decimals are read. */
export function useAmount(): (units: bigint) => string {
  const { token } = useSession();
  return (units) => (token ? formatAmount(units, token) : `${units} units`);
}

/** `text` tokens in base units, or undefined when it is not a number of tokens. */
export function tokenUnits(text: string, decimals: number): bigint | undefined {
  try {
    return parseUnits(text.trim(), decimals);
  } catch {
    return undefined;
  }
}
