/*
 * The indexer's start refused: a wrong deployment file, an unreachable node, a bad DATABASE_URL. Each is found
 * by indexer/target.ts before Ponder does anything with it, and ends the start with one line on stderr and exit
 * code 1 (Ponder's own checks would come later, with a multi-line log and exit code 75). The starts run a few
 * at a time, against one real node with the market deployed, so only the input in question is wrong.
 */
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeDeployment, type Deployment } from "../../sdk";
import { DeploySpot, Node, freePort, liveChildren, type Env, type Ran } from "../e2e/harness";
import { deployedNode, runIndexer } from "./harness";
import { KEEPER } from "./scenario";

/** A refused start is prompt: Ponder's build (a few seconds on a small machine) and one check, no retries. */
const PROMPT_MS = 30_000;

interface Case {
  what: string;
  env: () => Env;
  /** The line expected, built once the node and the dead port are known. */
  line: () => RegExp;
}

describe("indexer: bad input ends the start with one line and exit code 1", function () {
  let node: Node;
  let spot: DeploySpot;
  let deployment: Deployment;
  let deadPort: number;
  const results = new Map<string, Ran>();
  const file = (name: string) => join(spot.dir, name);

  const cases: Case[] = [
    {
      what: "a missing deployment file",
      env: () => ({ DEPLOYMENT: file("missing.json"), RPC_URL: node.url }),
      line: () => /^indexer: no deployment file \S+missing\.json: run `npm run deploy/,
    },
    {
      what: "a deployment file that is not JSON",
      env: () => ({ DEPLOYMENT: file("broken.json"), RPC_URL: node.url }),
      line: () => /^indexer: the deployment \S+broken\.json is not JSON: /,
    },
    {
      what: "a deployment on another chain",
      env: () => ({ DEPLOYMENT: file("mainnet.json"), RPC_URL: node.url }),
      line: () =>
        /^indexer: the node at http:\/\/127\.0\.0\.1:\d+ serves chain 31337, but the deployment is on chain 1$/,
    },
    {
      what: "a deployment whose address holds no market",
      env: () => ({ DEPLOYMENT: file("nomarket.json"), RPC_URL: node.url }),
      line: () =>
        new RegExp(
          `^indexer: no market ${KEEPER.address} from block \\d+ on the node at http://127\\.0\\.0\\.1:\\d+: `,
        ),
    },
    {
      what: "an unreachable RPC_URL",
      env: () => ({ DEPLOYMENT: spot.file, RPC_URL: `http://127.0.0.1:${deadPort}` }),
      line: () => new RegExp(`^indexer: cannot reach the node at RPC_URL http://127\\.0\\.0\\.1:${deadPort}: `),
    },
    {
      what: "a DATABASE_URL that is not postgresql://",
      env: () => ({ DEPLOYMENT: spot.file, RPC_URL: node.url, DATABASE_URL: "mysql://user:secret@127.0.0.1/db" }),
      line: () => /^indexer: DATABASE_URL must be a postgresql:\/\/ URL, got mysql:\/\/user:\*\*\*@127\.0\.0\.1\/db$/,
    },
    {
      what: "a DATABASE_URL whose port refuses connections",
      env: () => ({
        DEPLOYMENT: spot.file,
        RPC_URL: node.url,
        DATABASE_URL: `postgresql://user:secret@127.0.0.1:${deadPort}/db`,
      }),
      line: () =>
        new RegExp(
          `^indexer: cannot use DATABASE_URL postgresql://user:\\*\\*\\*@127\\.0\\.0\\.1:${deadPort}/db: .*ECONNREFUSED`,
        ),
    },
  ];

  before(async function () {
    this.timeout(240_000);
    ({ spot, node, deployment } = await deployedNode());
    writeFileSync(file("broken.json"), '{ "network": "localhost", "chainId": 31337,');
    writeDeployment({ ...deployment, network: "mainnet", chainId: 1 }, file("mainnet.json"));
    writeDeployment({ ...deployment, market: KEEPER.address }, file("nomarket.json"));
    // Nobody listens there: the port was free a moment ago, and nothing in this run takes it.
    deadPort = await freePort();

    // Three starts at a time: each is mostly Ponder's build, CPU-bound on a small machine.
    const queue = [...cases];
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let c = queue.shift(); c; c = queue.shift()) results.set(c.what, await runIndexer(c.env(), 90_000));
      }),
    );
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await node?.stop();
    } finally {
      spot?.remove();
    }
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
    console.log(`      indexer: refused starts took ${[...results.values()].map((r) => r.ms).join(", ")} ms`);
  });

  for (const c of cases) {
    it(`${c.what}: one clear line on stderr, exit code 1, promptly`, () => {
      const ran = results.get(c.what)!;
      const where = `${c.what}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
      expect({ code: ran.code, signal: ran.signal }, where).to.deep.equal({ code: 1, signal: null });
      const lines = ran.stderr.split("\n").filter((l) => l.trim() !== "");
      expect(lines, where).to.have.length(1);
      expect(lines[0], where).to.match(c.line());
      expect(ran.stderr, "a password never reaches the log").to.not.include("secret");
      expect(ran.ms, where).to.be.below(PROMPT_MS);
    });
  }
});
