import { formatUnits } from "ethers";
import { isoOf } from "../../sdk/time";
import type { DemoResult } from "./scenario";

type Cell = string | number | bigint;

/** A plain-text table: a header, a rule, the rows; numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i].length)));
  const numeric = headers.map(
    (_, i) =>
      rows.length > 0 && rows.every((row) => typeof row[i] !== "string" || /^-?[\d.,]+( \w+)?$/.test(row[i] as string)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...text.map(line)].join("\n");
}

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** The report printed after the run; returns it as text. */
export function report(r: DemoResult): string {
  const a = r.audit;
  const amount = (x: bigint) => formatUnits(x, r.token.decimals);
  const unit = `(${r.token.symbol})`;
  const out: string[] = [];
  const section = (title: string, body: string) => out.push(`\n${title}\n${body}`);

  section(
    `Timeline (UTC; market ${r.market}, challenge ${r.challengeId})`,
    table(
      ["when", "what"],
      r.timeline.map((t) => [isoOf(t.at).replace("T", " ").replace("Z", ""), t.what]),
    ),
  );

  section(
    `Modelers, epoch ${a.epoch}: ${a.requests} requests, pool ${amount(a.pool)} ${r.token.symbol} shared by ${a.totalPoints} points`,
    table(
      [
        "modeler",
        "address",
        "lists",
        "host",
        "answered in time",
        "results",
        "invalid input",
        "timeout",
        "missed",
        "points on chain",
        `payout ${unit}`,
        "evicted",
      ],
      a.modelers.map((m) => [
        m.name,
        short(m.address),
        m.lists.join(",") || "-",
        m.kind ?? "-",
        m.answered,
        m.results,
        m.invalidInput,
        m.timeouts + (m.failed > 0 ? ` (+${m.failed} failed)` : ""),
        m.missed,
        m.pointsOnChain,
        amount(m.paid),
        m.evicted ? "yes" : "no",
      ]),
    ) +
      '\nanswered in time = results + error answers ("error: invalid-input: …", "error: timeout: …"), each earning its point;' +
      "\nmissed = requests its host left unanswered for lack of time",
  );

  section(
    `Fees (settled ${amount(a.settled)} ${r.token.symbol}, split ${r.settings.creatorBps}/${r.settings.adminBps}/${r.settings.platformBps} bps; reward dust ${a.dust} units)`,
    table(
      ["recipient", "address", `split ${unit}`, "dust (units)", `paid ${unit}`],
      a.fees.map((f) => [f.kind, short(f.recipient), amount(f.split), f.dust, amount(f.paid)]),
    ),
  );

  section(
    "Users",
    table(
      ["user", "requests", `paid ${unit}`, `refunded ${unit}`],
      a.users.map((u) => [short(u.address), u.requests, amount(u.paid), amount(u.refunded)]),
    ),
  );

  section(
    "Refunds",
    table(
      ["refunds", `amount ${unit}`, "by the keeper's sweep"],
      [[a.refunds.count, amount(a.refunds.amount), a.refunds.byKeeper]],
    ),
  );

  const m = a.money;
  section(
    "Conservation",
    table(
      ["", `amount ${unit}`],
      [
        ["paid in by users", amount(m.paidIn)],
        ["paid out: rewards", amount(m.rewards)],
        ["paid out: fees", amount(m.fees)],
        ["paid out: refunds", amount(m.refunds)],
        ["still owed: escrow", amount(m.escrow)],
        ["still owed: unclaimed", amount(m.unclaimed)],
        ["paid out + still owed", amount(m.rewards + m.fees + m.refunds + m.owed)],
        ["market's token balance", amount(m.balance)],
      ],
    ),
  );

  section(
    "Checks",
    table(
      ["", "check", "detail"],
      a.checks.map((c) => [c.ok ? "ok" : "FAIL", c.name, c.detail]),
    ),
  );
  const failed = a.checks.filter((c) => !c.ok).length;
  out.push(
    `\n${failed === 0 ? `All ${a.checks.length} checks passed.` : `${failed} of ${a.checks.length} checks FAILED.`}`,
  );
  return out.join("\n");
}
