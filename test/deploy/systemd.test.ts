import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const DAEMONS = ["keeper", "host"] as const;
const unitPath = (daemon: string) => `deploy/${daemon}.service`;

/** A unit file's `Key=value` settings by section. */
function parseUnit(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = sections[header[1]] = {};
      continue;
    }
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (!setting || !section) throw new Error(`not a setting: ${line}`);
    section[setting[1]] = setting[2];
  }
  return sections;
}

describe("deploy/*.service", () => {
  for (const daemon of DAEMONS) {
    it(`${daemon}: runs what \`npm run ${daemon}\` runs, stops it with one SIGTERM, restarts it on failure`, () => {
      const unit = parseUnit(readFileSync(unitPath(daemon), "utf8"));
      expect(unit.Service).to.include({
        Type: "simple",
        User: `inference-${daemon}`,
        WorkingDirectory: "/opt/inference-market",
        EnvironmentFile: `/etc/inference-market/${daemon}.env`,
        KillMode: "mixed",
        KillSignal: "SIGTERM",
        Restart: "on-failure",
        RestartPreventExitStatus: "2",
        NoNewPrivileges: "yes",
        ProtectSystem: "strict",
      });
      expect(Number(unit.Service.TimeoutStopSec)).to.be.at.least(60);
      expect(Number(unit.Service.RestartSec)).to.be.at.least(1);
      expect(unit.Unit).to.include.keys("StartLimitIntervalSec", "StartLimitBurst");
      // The npm script compiles, then runs the entry; the unit runs the same entry without npm (compiled at install).
      const script: string = JSON.parse(readFileSync("package.json", "utf8")).scripts[daemon];
      const [compile, run] = script.split(" && ");
      expect(compile).to.equal("hardhat compile --quiet");
      expect(unit.Service.ExecStart).to.equal(`node node_modules/.bin/${run}`);
      expect(existsSync(run.split(" ").at(-1)!)).to.equal(true);
    });
  }

  it("systemd-analyze verify accepts both units without a warning", function () {
    const hasNode = ["/usr/local/bin/node", "/usr/bin/node", "/bin/node"].some((p) => existsSync(p));
    // systemd resolves `node` on its own fixed path; without systemd-analyze or such a node there is nothing to run.
    if (spawnSync("systemd-analyze", ["--version"]).error || !hasNode) this.skip();
    const verify = spawnSync("systemd-analyze", ["verify", ...DAEMONS.map(unitPath)], { encoding: "utf8" });
    expect([verify.status, `${verify.stdout}${verify.stderr}`]).to.deep.equal([0, ""]);
  });
});
