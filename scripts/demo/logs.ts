import { createLogger, type Logger } from "../../daemons/common/logger";

export type LogLine = Record<string, unknown> & { level: number; action?: string; status?: string; msg?: string };

/** pino's level numbers. */
export const WARN = 40;
export const ERROR = 50;

/**
 * A daemon logger at warn level whose lines are kept in memory instead of printed: the demo's output
 * stays readable, and the report reads the refusals and failures from them.
 */
export function keptLogger(daemon: string): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger(daemon, "warn", { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

/** A host's answers that the contract refused because they came after the deadline. */
export function lateRefusals(lines: readonly LogLine[]): { requestId: bigint; modeler: string; error: string }[] {
  return lines
    .filter((l) => l.action === "answer" && l.status === "reverted" && String(l.error).startsWith("MarketDeadlinePassed("))
    .map((l) => ({ requestId: BigInt(l.requestId as string), modeler: String(l.modeler), error: String(l.error) }));
}

/** A host's batches that reached the chain after a deadline and reverted there, before it answered one by one. */
export function lateBatches(lines: readonly LogLine[]): number {
  return lines.filter((l) => l.action === "answerBatch" && l.status === "reverted" && String(l.error).startsWith("MarketDeadlinePassed(")).length;
}
