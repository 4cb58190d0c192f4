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

/**
 * The requests a host left unanswered for lack of time, from its log: those it found with less than its
 * margin left, those whose deadline passed while its model ran, and entries the contract would have refused
 * as late.
 */
export function missed(lines: readonly LogLine[]): { requestId: bigint; modeler: string; reason: string }[] {
  return lines
    .filter(
      (l) =>
        l.action === "answer" &&
        (l.status === "skipped" || l.status === "left-out") &&
        (l.reason !== undefined || String(l.error).startsWith("MarketDeadlinePassed(")),
    )
    .map((l) => ({
      requestId: BigInt(l.requestId as string),
      modeler: String(l.modeler),
      reason: String(l.reason ?? l.error),
    }));
}
