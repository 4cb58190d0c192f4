import { expect } from "chai";
import { join } from "node:path";
import { ROOT, run, type Env, type Ran } from "../e2e/harness";

/** `npm run calendar -- <args>` without npm: the same script, one node process. */
function calendar(args: string[], env: Env = {}): Promise<Ran> {
  const script = join(ROOT, "scripts", "calendar.ts");
  return run("calendar", process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], env);
}

const DATE_FORMAT = "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), e.g. 2026-12-03T00:00:00Z";

describe("scripts/calendar", () => {
  it("prints the epochs from a UTC date or a day", async () => {
    const r = await calendar(["2026-12-03", "2"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain("2026-12-03T00:00:00Z is in epoch 2970");
    expect(r.stdout).to.contain("'2971'").and.not.contain("'2972'");
    expect((await calendar(["2026-12-03T00:00:00Z", "1"])).stdout).to.contain("is in epoch 2970");
  });

  it("refuses what is not a date in one line naming the expected format, and exits 1", async () => {
    // 2026-02-30 would roll over to March; a time without Z would be local.
    for (const arg of ["garbage", "2026-02-30", "2026-12-03T00:00:00"]) {
      const r = await calendar([arg]);
      expect([r.code, r.stderr, r.stdout]).to.deep.equal([1, `calendar: "${arg}" is not a date: ${DATE_FORMAT}`, ""]);
    }
  });

  it("refuses a number of epochs outside 1..520 and extra arguments, in one line", async () => {
    const zero = await calendar(["2026-12-03", "0"]);
    expect([zero.code, zero.stderr]).to.deep.equal([
      1,
      'calendar: "0" is not a number of epochs: expected a whole number from 1 to 520',
    ]);
    const extra = await calendar(["2026-12-03", "1", "x"]);
    expect([extra.code, extra.stderr]).to.deep.equal([
      1,
      "calendar: expected at most a date and a number of epochs (usage: npm run calendar [-- <date> [<epochs>]])",
    ]);
  });

  it("adds the stack at LOG_LEVEL=debug", async () => {
    const r = await calendar(["garbage"], { LOG_LEVEL: "debug" });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^Error: "garbage" is not a date: .*\n {4}at dateArg /);
  });
});
