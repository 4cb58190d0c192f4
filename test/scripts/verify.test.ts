/*
 * Contract verification as docs/DEPLOYING.md describes it, checked without a network: the `verify` task is
 * installed and answers `--help`, hardhat.config.ts gives hardhat-verify an Etherscan key from the environment
 * and turns Sourcify on, and the guide's recipe for the market's constructor arguments (read from Ignition's
 * journal into a module for `--constructor-args`) yields exactly the arguments the deployment sent.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import hre, { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import { deploy as ignitionDeploy, type DeploymentParameters } from "@nomicfoundation/ignition-core";
import { Etherscan } from "@nomicfoundation/hardhat-verify/etherscan";
import { builtinChains } from "@nomicfoundation/hardhat-verify/internal/chain-config";
import { encodeArguments, resolveConstructorArguments } from "@nomicfoundation/hardhat-verify/internal/utilities";
import LocalMarketModule from "../../ignition/modules/LocalMarket";
import { InferenceMarket__factory } from "../../typechain-types";
import { childEnv, hardhat, ROOT, run } from "../e2e/harness";

const GUIDE = readFileSync(join(ROOT, "docs", "DEPLOYING.md"), "utf8");
const SEPOLIA = 11_155_111;

/** The guide's fenced blocks of one language, in order. */
function fencedBlocks(lang: string): string[] {
  return [...GUIDE.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm"))].map((m) => m[1]);
}

/** The one fenced block of `lang` that contains `marker`. */
function guideBlock(lang: string, marker: string): string {
  const found = fencedBlocks(lang).filter((b) => b.includes(marker));
  if (found.length !== 1)
    throw new Error(`docs/DEPLOYING.md has ${found.length} \`\`\`${lang} blocks with "${marker}"`);
  return found[0];
}

describe("scripts/verify: contract verification (docs/DEPLOYING.md)", () => {
  describe("the verify task", () => {
    it("`npx hardhat verify --help` exits 0 and prints the verify usage", async () => {
      const r = await hardhat(["verify", "--help"], {});
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(
        /Usage: hardhat \[GLOBAL OPTIONS\] verify .*\[address\] \[\.\.\.constructorArgsParams\]/,
      );
      expect(r.stdout).to.include("--constructor-args");
      expect(r.stdout).to.include("verify: Verifies a contract on Etherscan or Sourcify");
    });

    it("`npx hardhat ignition verify --help` exits 0: Ignition verifies a deployment from its journal", async () => {
      const r = await hardhat(["ignition", "verify", "--help"], {});
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/Usage: hardhat \[GLOBAL OPTIONS\] ignition verify .*deploymentId/);
    });
  });

  describe("the configuration", () => {
    it("resolves Etherscan with the environment's ETHERSCAN_API_KEY and Sourcify enabled", async () => {
      expect(hre.config.etherscan).to.deep.equal({
        apiKey: process.env.ETHERSCAN_API_KEY ?? "",
        customChains: [],
        enabled: true,
      });
      expect(hre.config.sourcify).to.deep.include({ enabled: true });
      expect(hre.config.sourcify.apiUrl).to.match(/^https:\/\//);
      expect(hre.config.blockscout.enabled).to.equal(false);
      // What `verify` will run, in order: both services, no "Sourcify is disabled" notice.
      const subtasks: { label: string }[] = await hre.run("verify:get-verification-subtasks");
      expect(subtasks.map((s) => s.label)).to.deep.equal(["Etherscan", "Sourcify"]);
    });

    it("reads the key from the environment (.env or the shell) and sends it to Etherscan's API v2 for Sepolia", async () => {
      const script =
        "const { config } = require('hardhat');" +
        "console.log(JSON.stringify({ etherscan: config.etherscan, sourcify: config.sourcify }));";
      const r = await run("config", process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
        ETHERSCAN_API_KEY: "key-from-env",
      });
      expect(r.code, r.stderr).to.equal(0);
      const resolved = JSON.parse(r.stdout.trim().split("\n").pop()!);
      expect(resolved.etherscan).to.deep.equal({ apiKey: "key-from-env", customChains: [], enabled: true });
      expect(resolved.sourcify.enabled).to.equal(true);

      const sepolia = builtinChains.find((c) => c.chainId === SEPOLIA)!;
      expect(sepolia.network).to.equal("sepolia");
      const etherscan = Etherscan.fromChainConfig(resolved.etherscan.apiKey, sepolia);
      expect([etherscan.apiKey, etherscan.apiUrl, etherscan.chainId]).to.deep.equal([
        "key-from-env",
        "https://api.etherscan.io/v2/api",
        SEPOLIA,
      ]);
      // An empty key (as in a copied .env.example) fails on Etherscan only; Sourcify needs none.
      expect(() => Etherscan.fromChainConfig("", sepolia)).to.throw(/API key/i);
    });
  });

  describe("the market's constructor arguments", () => {
    /**
     * The deploy script's `hre.ignition.deploy` keeps no journal on the in-process network, so the module is
     * deployed through ignition-core (what that call runs) with a journal in a scratch copy of the layout the
     * guide's commands expect: ignition/deployments/chain-11155111 and deployments/.
     */
    async function journalFixture() {
      const root = mkdtempSync(join(tmpdir(), "verify-"));
      scratch.push(root);
      mkdirSync(join(root, "deployments"));
      const deploymentDir = join(root, "ignition", "deployments", `chain-${SEPOLIA}`);
      const parameters = JSON.parse(guideBlock("json", '"epochLength": 3600')) as DeploymentParameters;
      const result = await ignitionDeploy({
        provider: hre.network.provider,
        deploymentDir,
        artifactResolver: new HardhatArtifactResolver(hre),
        ignitionModule: LocalMarketModule,
        deploymentParameters: parameters,
        accounts: (await hre.network.provider.request({ method: "eth_accounts" })) as string[],
      });
      if (result.type !== "SUCCESSFUL_DEPLOYMENT") throw new Error(`deployment failed: ${JSON.stringify(result)}`);
      const market = result.contracts["LocalMarket#InferenceMarket"].address;
      const txHash = readFileSync(join(deploymentDir, "journal.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((m) => m.type === "TRANSACTION_SEND" && m.futureId === "LocalMarket#InferenceMarket").transaction.hash;
      return { root, market, txHash, parameters };
    }

    const scratch: string[] = [];
    after(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

    it("the guide's hour-long parameter file deploys a market with those settings", async () => {
      const { market, parameters } = await loadFixture(journalFixture);
      const s = await InferenceMarket__factory.connect(market, ethers.provider).settings();
      const wanted = parameters.LocalMarket as Record<string, number>;
      for (const [name, value] of Object.entries(wanted)) {
        expect(Number(s[name as keyof typeof s]), name).to.equal(value);
      }
      expect(wanted.epochLength).to.equal(3600);
    });

    it("the guide's command writes the module that `verify --constructor-args` encodes to the deployment's arguments", async () => {
      const { root, market, txHash } = await loadFixture(journalFixture);
      const command = guideBlock("sh", "journal.jsonl").trim();
      execFileSync("bash", ["-c", command], { cwd: root, env: childEnv(), stdio: "pipe" });

      const argsFile = join(root, "deployments", "sepolia.market-args.js");
      const args = await resolveConstructorArguments([], argsFile);
      const artifact = await hre.artifacts.readArtifact("InferenceMarket");
      const encoded = await encodeArguments(artifact.abi, artifact.sourceName, artifact.contractName, args);
      const tx = (await ethers.provider.getTransaction(txHash))!;
      expect(tx.data).to.equal(artifact.bytecode + encoded);

      const m = InferenceMarket__factory.connect(market, ethers.provider);
      expect(ethers.getAddress(args[0])).to.equal(await m.token());
      expect(ethers.getAddress(args[2])).to.equal(await m.treasury());

      // Positional arguments reach the task as strings, which cannot carry the settings struct.
      const positional = [args[0], args[1], args[2], JSON.stringify(args[3])];
      await expect(encodeArguments(artifact.abi, artifact.sourceName, artifact.contractName, positional)).to.be
        .rejected;
    });
  });
});
