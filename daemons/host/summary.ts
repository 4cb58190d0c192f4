import type { Logger } from "../common/logger";
import type { HostReport } from "./send";

/**
 * What the agent did since its last summary, logged at info every `everyMs` (`action: "summary"`): a pass
 * every 2 s is too many lines to read, but a quiet log must still show the agent alive and what it did.
 */
export class Summary {
  private passes = 0;
  private failedPasses = 0;
  private answered = 0;
  private errors = 0;
  /** Requests found with less than the margin left; a request skipped pass after pass counts once. */
  private readonly skipped = new Set<string>();
  /** Answers given up because the deadline passed before they could be sent. */
  private readonly late = new Set<string>();
  private since: number;

  constructor(
    private readonly log: Logger,
    private readonly everyMs: number,
  ) {
    this.since = Date.now();
  }

  /** `id` (`requestId/index`) was skipped for having less than the margin left. */
  tooClose(id: string) {
    this.skipped.add(id);
  }

  /** Counts a pass; its answers still in flight are counted once `mined` resolves. */
  passed(report: HostReport, mined: Promise<void>) {
    this.passes++;
    this.errors += report.errors.length;
    for (const { id } of report.skipped) if (!this.skipped.has(id)) this.late.add(id);
    // The daemon does not wait for receipts: a batch's answers join its pass's report when it is mined.
    const counted = report.answered.length;
    this.answered += counted;
    void mined.then(() => (this.answered += report.answered.length - counted));
  }

  failed() {
    this.passes++;
    this.failedPasses++;
  }

  /** Logs the summary once `everyMs` have passed since the last one, and starts a new one. */
  logIfDue() {
    const now = Date.now();
    if (now - this.since < this.everyMs) return;
    this.log.info(
      {
        action: "summary",
        passes: this.passes,
        failedPasses: this.failedPasses,
        answered: this.answered,
        errors: this.errors,
        skipped: this.skipped.size,
        late: this.late.size,
      },
      `since the last summary: answered ${this.answered}, error outputs ${this.errors}, ` +
        `skipped near the deadline ${this.skipped.size}, late ${this.late.size}, ` +
        `failed passes ${this.failedPasses} of ${this.passes}`,
    );
    this.since = now;
    this.passes = this.failedPasses = this.answered = this.errors = 0;
    this.skipped.clear();
    this.late.clear();
  }
}
