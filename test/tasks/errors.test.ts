import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { activeFixture, FEE } from "../fixtures";
import { hardhat, run, type Ran } from "../e2e/harness";
import { action, stackTracesWanted } from "../../tasks/lib/cli";
import { chosenNetwork, networkProblem, publicNetworks } from "../../tasks/lib/networks";

const SEPOLIA = { SEPOLIA_RPC_URL: "http://127.0.0.1:1", DEPLOYER_KEY: `0x${"11".repeat(32)}` };
const NO_CONTRACT = "0x0000000000000000000000000000000000000001";

/** The lines a failed command printed on stderr, blank ones left out. */
const stderrLines = (r: Ran): string[] => r.stderr.split("\n").filter((l) => l.trim() !== "");

describe("tasks/lib/networks", () => {
  describe("publicNetworks", () => {
    it("has sepolia only when .env sets its RPC and the deployer's key, signing with every key set", () => {
      expect(publicNetworks({ SEPOLIA_RPC_URL: SEPOLIA.SEPOLIA_RPC_URL })).to.deep.equal({});
      expect(publicNetworks({ ...SEPOLIA, HOST_KEY: " 0xab ", USER_KEY: SEPOLIA.DEPLOYER_KEY })).to.deep.equal({
        sepolia: { url: SEPOLIA.SEPOLIA_RPC_URL, chainId: 11_155_111, accounts: [SEPOLIA.DEPLOYER_KEY, "0xab"] },
      });
    });
  });

  describe("chosenNetwork", () => {
    it("reads --network anywhere on Hardhat's command line, else HARDHAT_NETWORK, else the default", () => {
      expect(chosenNetwork(["status", "--network", "localhost"], { HARDHAT_NETWORK: "x" }, "hardhat")).to.equal(
        "localhost",
      );
      expect(chosenNetwork(["status"], { HARDHAT_NETWORK: "localhsot" }, "hardhat")).to.equal("localhsot");
      expect(chosenNetwork([], { HARDHAT_NETWORK: "" }, "hardhat")).to.equal("hardhat");
    });
  });

  describe("networkProblem", () => {
    it("names the networks that exist, and what sepolia needs while it does not", () => {
      expect(networkProblem("localhsot", ["hardhat", "localhost"], {})).to.equal(
        "network localhsot does not exist; the networks are hardhat and localhost " +
          "(sepolia needs SEPOLIA_RPC_URL and DEPLOYER_KEY in .env)",
      );
      expect(networkProblem("localhsot", ["hardhat", "localhost", "sepolia"], SEPOLIA)).to.equal(
        "network localhsot does not exist; the networks are hardhat, localhost and sepolia",
      );
      expect(networkProblem("localhost", ["hardhat", "localhost"], {})).to.equal(undefined);
    });

    it("names the .env variables sepolia needs, and which are not set", () => {
      const needs = "network sepolia needs SEPOLIA_RPC_URL and DEPLOYER_KEY in .env (see .env.example)";
      expect(networkProblem("sepolia", ["hardhat", "localhost"], {})).to.equal(
        `${needs}: SEPOLIA_RPC_URL and DEPLOYER_KEY are not set`,
      );
      expect(networkProblem("sepolia", ["hardhat", "localhost"], { SEPOLIA_RPC_URL: "http://x" })).to.equal(
        `${needs}: DEPLOYER_KEY is not set`,
      );
    });
  });
});

describe("tasks/lib/cli", () => {
  describe("stackTracesWanted", () => {
    it("follows --show-stack-traces anywhere and HARDHAT_SHOW_STACK_TRACES=true, as Hardhat does", () => {
      expect(stackTracesWanted(["node", "hardhat", "status", "--show-stack-traces"], {})).to.equal(true);
      expect(stackTracesWanted(["node", "hardhat"], { HARDHAT_SHOW_STACK_TRACES: "true" })).to.equal(true);
      expect(stackTracesWanted(["node", "hardhat", "status"], {})).to.equal(false);
    });
  });

  describe("action", () => {
    it("shows the amounts of a decoded failure in the connected token's units beside the base units", async () => {
      const { market } = await loadFixture(activeFixture);
      const run = action(async (ctx) => {
        await ctx.market.contract.request.staticCall(1, FEE / 2n, "0x01");
        return { data: null, lines: [] };
      });
      await expect(run({ market: await market.getAddress(), from: "8", json: false }, hre)).to.be.rejectedWith(
        `MarketFeeAboveMax(fee=1.0 tUSD (${FEE}), maxFee=0.5 tUSD (${FEE / 2n}))`,
      );
    });
  });
});

describe("npx hardhat: a failed command prints one line and exits 1", () => {
  it("names the networks that exist for a wrong --network", async () => {
    const typo = await hardhat(["--network", "localhsot", "status"], {});
    expect([typo.code, typo.stderr]).to.deep.equal([
      1,
      "Error: network localhsot does not exist; the networks are hardhat and localhost " +
        "(sepolia needs SEPOLIA_RPC_URL and DEPLOYER_KEY in .env)",
    ]);
    const configured = await hardhat(["status", "--network", "localhsot"], SEPOLIA);
    expect([configured.code, configured.stderr]).to.deep.equal([
      1,
      "Error: network localhsot does not exist; the networks are hardhat, localhost and sepolia",
    ]);
  });

  it("leaves a script's own --network alone when it loads Hardhat as a library", async () => {
    const script = "require('hardhat'); console.log('loaded')";
    const r = await run(
      "script",
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "-e", script, "--", "--network", "x"],
      {},
    );
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, "loaded", ""]);
  });

  it("names the .env variables of --network sepolia when they are not set", async () => {
    const r = await hardhat(["--network", "sepolia", "status"], {});
    expect([r.code, r.stderr]).to.deep.equal([
      1,
      "Error: network sepolia needs SEPOLIA_RPC_URL and DEPLOYER_KEY in .env (see .env.example): " +
        "SEPOLIA_RPC_URL and DEPLOYER_KEY are not set",
    ]);
  });

  it("names a missing task argument, without the stack Hardhat prints on CI", async () => {
    const r = await hardhat(["request", "--challenge", "1"], { CI: "true" });
    expect([r.code, stderrLines(r)]).to.deep.equal([
      1,
      ["Error HH306: The '--input' parameter of task 'request' expects a value, but none was passed."],
    ]);
  });

  it("prints a task's failure as its message on CI", async () => {
    const r = await hardhat(["--network", "hardhat", "status", "--market", NO_CONTRACT], { CI: "true" });
    expect([r.code, stderrLines(r)]).to.deep.equal([
      1,
      [
        `Error in plugin market: no contract at ${NO_CONTRACT} on hardhat: deploy first (npm run deploy -- --network hardhat)`,
      ],
    ]);
  });

  it("prints the stacks with --show-stack-traces, a task's with the error that made it fail", async () => {
    const missing = await hardhat(["request", "--challenge", "1", "--show-stack-traces"], {});
    expect(missing.stderr).to.match(/HardhatError: HH306: .*\n {4}at /);
    const failed = await hardhat(
      ["--network", "hardhat", "status", "--market", NO_CONTRACT, "--show-stack-traces"],
      {},
    );
    expect(failed.stderr).to.match(/HardhatPluginError: no contract at .*\n {4}at /);
    expect(failed.stderr).to.match(/Caused by: Error: no contract at .*\n {8}at connect /);
  });
});
