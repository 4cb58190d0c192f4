/*
 * The README, run as written: every command of its fenced shell blocks in "Running it on a local chain",
 * in order, each through bash as a newcomer pastes it, against a fresh `hardhat node` process. Each command
 * must exit 0 and print what the README says it prints (the table below). The node is the test's own, on a
 * free port, mining a block a second as `npx hardhat node` does (the README's line for it is that node);
 * commands whose comment says "keeps running" run in the background until the end, when Ctrl-C (SIGINT to
 * their process group) must stop each daemon cleanly. The deployment goes to a temporary file (DEPLOYMENT),
 * so a developer's deployments/localhost.json is never touched.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DeploySpot, Node, Proc, ROOT, childEnv, run, stopAll, type Env } from "./e2e/harness";

/** One command of the README and what its comment says about it. */
interface Command {
  line: string;
  background: boolean;
}

const SECTION = "## Running it on a local chain";

/** The shell commands of the section's fenced `sh` blocks, in order, without their comments. */
function readmeCommands(readme: string): Command[] {
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf("\n## ", start + SECTION.length + 2);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: Command[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1].split("\n")) {
      // A comment starts at " #" outside the command's words; no command here has a # of its own.
      const hash = raw.search(/\s#\s/);
      const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
      const comment = hash < 0 ? "" : raw.slice(hash);
      if (line !== "") commands.push({ line, background: /keeps running/.test(comment) });
    }
  }
  return commands;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const KEEPER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const HOST = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const FIRST = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const USER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";

/**
 * What the commands print, as the README says it, in the order they run: each entry checks the first
 * command after the previous entry's whose line it matches. Every entry must be used, so the table cannot
 * drift from the README unnoticed. Fees: 2 tUSD a request, 85% to two modelers, 5% to each party.
 */
const PRINTS: [RegExp, RegExp[]][] = [
  [
    /^npm run deploy/,
    [/market\s+0x[0-9a-fA-F]{40}/, /token\s+0x[0-9a-fA-F]{40}/, new RegExp(`role\\s+KEEPER_ROLE -> ${KEEPER}`)],
  ],
  [/challenge:create/, [/challenge 1 created: fee 1.5 tUSD/]],
  [/challenge:fee/, [/fee 1.5 tUSD -> 2.0 tUSD for later requests/]],
  [/status/, [/epoch 2968/, /promotion window from 2026-11-23T23:59:00Z/, /its claims open/]],
  [/roles$/, [new RegExp(`KEEPER_ROLE\\s+${KEEPER}`)]],
  [/roles --grant/, [new RegExp(`granted PAUSER_ROLE to ${KEEPER}`)]],
  [/roles --revoke/, [new RegExp(`revoked PAUSER_ROLE from ${KEEPER}`)]],
  [/time --to window/, [/-> 2026-11-23T23:59:00Z/]],
  [/promote/, [/list 1 promoted, serving from epoch 2969 \(2026-11-26T00:00:00Z\)/, /leaderboard hash 0x/]],
  [/register/, [new RegExp(`registered on challenge 1 with host ${HOST}`)]],
  [/register/, [new RegExp(`registered on challenge 1 with host ${HOST}`)]],
  [/time --to epoch-end/, [/-> 2026-11-26T00:00:00Z/]],
  [/faucet/, [new RegExp(`minted 100.0 tUSD to ${USER}`)]],
  [/request/, [/^request 1 on challenge 1 /m, new RegExp(`answer from ${FIRST} after \\d+ s: \\d+`), /majority: \d+/]],
  [/answers --request 1/, [/status: answered/, /majority: \d+/]],
  [/time --to epoch-end/, [/-> 2026-12-03T00:00:00Z/]],
  [/time --to claims/, [/-> 2026-12-04T00:00:00Z/]],
  [/claim --challenge 1 --modeler/, [new RegExp(`${FIRST}: paid 0.85 tUSD`)]],
  [/claim --challenge 1 --from 4/, [/paid 0.85 tUSD/]],
  [/claim:fees/, [/creator: paid 0.1 tUSD/, /admin: paid 0.1 tUSD/, /platform: paid 0.1 tUSD/]],
];

describe("README: the local chain, run as written", function () {
  this.timeout(15 * 60_000);

  it("runs every command of the section in order, each printing what the README says", async () => {
    const commands = readmeCommands(readFileSync(join(ROOT, "README.md"), "utf8"));
    expect(commands.length).to.be.greaterThan(10);
    const spot = new DeploySpot();
    const node = await Node.start();
    const env: Env = { RPC_URL: node.url, DEPLOYMENT: spot.file, ...spot.env() };
    const background: Proc[] = [];
    let served = 0;
    try {
      for (const { line, background: keepsRunning } of commands) {
        if (line.startsWith("npx hardhat node")) continue;
        if (keepsRunning) {
          background.push(new Proc(line, "bash", ["-c", line], childEnv(env)));
          continue;
        }
        const ran = await run(line, "bash", ["-c", line], env, 5 * 60_000);
        const said = `${ran.stdout}\n${ran.stderr}`;
        expect(ran.code, `${line}\n${said}`).to.equal(0);
        const next = PRINTS[served];
        if (next?.[0].test(line)) {
          for (const p of next[1]) expect(said, `${line} should print ${p}\n${said}`).to.match(p);
          served += 1;
        }
        const late = background.find((p) => p.exit);
        if (late) throw new Error(`${late.name} stopped early\n${late.output()}`);
      }
      expect(served, `the README no longer runs ${PRINTS[served]?.[0]}`).to.equal(PRINTS.length);
      // Ctrl-C, as in a terminal: SIGINT to the foreground process group. Each daemon stops cleanly.
      for (const p of background) {
        p.signal("SIGINT");
        await p.exited;
        expect(p.logsOf("shutdown", "stopped"), `${p.name}\n${p.output()}`).to.have.length(1);
      }
    } finally {
      // npm's children outlive it by a moment when the group is signalled: give them time before SIGKILL.
      for (const p of background) for (let i = 0; i < 100 && p.groupAlive(); i++) await pause(100);
      await stopAll();
      await node.stop();
      spot.remove();
    }
  });
});
