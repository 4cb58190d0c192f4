import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { toBeHex } from "ethers";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import * as creditScore from "../../models/credit-score";
import { slowModel, DEFAULT_DELAY_MS } from "../../models/slow";
import {
  InputRejected,
  MAX_ERROR_DETAIL,
  answerFor,
  errorOutcome,
  infer,
  loadModel,
  readOnly,
  type Model,
  type ModelContext,
} from "../../daemons/host/model";
import { ConfigError, startFailure } from "../../daemons/common/config";
import { deployFixture } from "../fixtures";

const FRESH = "0x00000000000000000000000000000000000c0ffe";
const WALLET = "0x0000000000000000000000000000000000abcdef";

async function ctxAt(blockTag?: number, sleep: (ms: number) => Promise<void> = async () => {}): Promise<ModelContext> {
  return {
    provider: readOnly(ethers.provider),
    blockTag: blockTag ?? (await ethers.provider.getBlockNumber()),
    requestId: 1n,
    challengeId: 1n,
    sleep,
  };
}

/** A wallet with exactly 99 ether and 9 transactions sent, so log10(1 + x) gives 2 and 1. */
async function walletFixture() {
  const f = await loadFixture(deployFixture);
  await network.provider.send("hardhat_setBalance", [WALLET, toBeHex(99n * 10n ** 18n)]);
  await network.provider.send("hardhat_setNonce", [WALLET, toBeHex(9)]);
  await network.provider.send("evm_mine", []);
  return f;
}

describe("models", () => {
  describe("credit-score", () => {
    it("reads the features of a wallet at the request's block", async () => {
      await loadFixture(walletFixture);
      const f = await creditScore.preprocess(WALLET, await ctxAt());
      expect(f).to.deep.equal({ logBalance: 2, logTxCount: 1, isContract: 0 });
    });

    it("scores 300 + 550 * sigmoid(-1 + 0.8*2 + 0.9*1) = 750 for that wallet", async () => {
      await loadFixture(walletFixture);
      expect(creditScore.predict({ logBalance: 2, logTxCount: 1, isContract: 0 })).to.equal(1 / (1 + Math.exp(-1.5)));
      expect(await infer(creditScore, WALLET, await ctxAt())).to.equal("750");
    });

    it("scores an empty address 448 (sigmoid(-1)) and a contract 370", async () => {
      const { market } = await loadFixture(walletFixture);
      expect(await infer(creditScore, FRESH, await ctxAt())).to.equal("448");
      // A contract has nonce 1 and code: z = -1 + 0.9*log10(2) - 1.2 = -1.929, 550*sigmoid(z) = 69.8.
      expect(await infer(creditScore, await market.getAddress(), await ctxAt())).to.equal("370");
    });

    it("reads features as of the request's block, not the latest", async () => {
      await loadFixture(walletFixture);
      const before = await ethers.provider.getBlockNumber();
      const [funder] = await ethers.getSigners();
      await funder.sendTransaction({ to: WALLET, value: 900n * 10n ** 18n });
      expect(await infer(creditScore, WALLET, await ctxAt(before))).to.equal("750");
      // 999 ether now: z = -1 + 0.8*3 + 0.9*1 = 2.3.
      expect(await infer(creditScore, WALLET, await ctxAt())).to.equal("800");
    });

    it("is deterministic and stays within 300..850 at the extremes", async () => {
      await loadFixture(walletFixture);
      const ctx = await ctxAt();
      const runs = await Promise.all([1, 2, 3].map(() => infer(creditScore, WALLET, ctx)));
      expect(runs).to.deep.equal(["750", "750", "750"]);
      expect(
        creditScore.postprocess(creditScore.predict({ logBalance: 1e6, logTxCount: 1e6, isContract: 0 })),
      ).to.equal("850");
      expect(creditScore.postprocess(creditScore.predict({ logBalance: 0, logTxCount: 0, isContract: 1e6 }))).to.equal(
        "300",
      );
      expect(creditScore.postprocess(0.5)).to.equal("575");
    });

    it("accepts any letter case and surrounding spaces, and refuses input that is not an address", async () => {
      await loadFixture(walletFixture);
      const ctx = await ctxAt();
      expect(await infer(creditScore, `  ${WALLET.toUpperCase().replace("0X", "0x")} `, ctx)).to.equal("750");
      for (const bad of ["", "hello", "0x1234", `${WALLET}00`, "not a wallet"]) {
        await expect(creditScore.preprocess(bad, ctx)).to.be.rejectedWith(
          InputRejected,
          "input is not a wallet address",
        );
      }
    });

    it("is answered `error: invalid-input: …` for an input that is not a wallet address", async () => {
      await loadFixture(walletFixture);
      expect(await answerFor(creditScore, "not a wallet", await ctxAt())).to.deep.equal({
        output: 'error: invalid-input: input is not a wallet address: "not a wallet"',
        error: { code: "invalid-input", detail: 'input is not a wallet address: "not a wallet"' },
      });
      expect(await answerFor(creditScore, WALLET, await ctxAt())).to.deep.equal({ output: "750" });
    });
  });

  describe("answerFor", () => {
    const ctx = { sleep: async () => {} } as unknown as ModelContext;
    const model = (over: Partial<Model>): Model => ({
      preprocess: (x) => x,
      predict: (x) => x,
      postprocess: (x) => String(x),
      ...over,
    });

    it("gives model-failed for any other throw, at any step, and for an output that is not text", async () => {
      const cases: [Partial<Model>, string][] = [
        [
          {
            preprocess: () => {
              throw new TypeError("x is undefined");
            },
          },
          "error: model-failed: x is undefined",
        ],
        [{ predict: () => Promise.reject(new Error("out of memory")) }, "error: model-failed: out of memory"],
        [
          {
            postprocess: () => {
              throw "a string";
            },
          },
          "error: model-failed: a string",
        ],
        [
          { postprocess: () => undefined as unknown as string },
          "error: model-failed: postprocess returned undefined, not text",
        ],
      ];
      for (const [over, output] of cases) expect((await answerFor(model(over), "in", ctx)).output).to.equal(output);
    });

    it("keeps a model's own error output with a known code, and refuses one that would only look like it", async () => {
      const own = await answerFor(model({ postprocess: () => "error: invalid-input: too short" }), "in", ctx);
      expect(own).to.deep.equal({
        output: "error: invalid-input: too short",
        error: { code: "invalid-input", detail: "too short" },
      });
      const fake = await answerFor(model({ postprocess: () => "error: 42" }), "in", ctx);
      expect(fake.error?.code).to.equal("model-failed");
    });

    it("keeps an error output on one line and at most MAX_ERROR_DETAIL characters of detail", () => {
      const long = errorOutcome("model-failed", `line one\n${"x".repeat(500)}`);
      expect(long.error!.detail).to.have.length(MAX_ERROR_DETAIL);
      expect(long.output).to.equal(`error: model-failed: ${long.error!.detail}`);
      expect(long.output).to.not.include("\n");
      expect(errorOutcome("timeout", "  ").output).to.equal("error: timeout: no detail");
    });
  });

  describe("slow", () => {
    it("waits its delay on the agent's clock, then answers as the credit score", async () => {
      await loadFixture(walletFixture);
      const waits: number[] = [];
      const ctx = await ctxAt(undefined, async (ms) => void waits.push(ms));
      expect(await infer(slowModel(1_234), WALLET, ctx)).to.equal("750");
      expect(waits).to.deep.equal([1_234]);
    });

    it("stops when its wait on the agent's clock is aborted: the agent stopped waiting for it", async () => {
      await loadFixture(walletFixture);
      const stop = new AbortController();
      const ctx = await ctxAt(
        undefined,
        () =>
          new Promise((_, reject) =>
            stop.signal.addEventListener("abort", () =>
              reject(Object.assign(new Error("aborted"), { name: "AbortError" })),
            ),
          ),
      );
      const run = slowModel(60_000).preprocess(WALLET, ctx);
      stop.abort();
      await expect(run).to.be.rejectedWith("aborted");
    });

    it("defaults to 660000 ms, past the 600 s SLA", async () => {
      expect(DEFAULT_DELAY_MS).to.equal(660_000);
      const t0 = await time.latest();
      const ctx = await ctxAt(undefined, (ms) => time.increase(ms / 1000).then(() => undefined));
      await slowModel(DEFAULT_DELAY_MS).preprocess(FRESH, ctx);
      expect(await time.latest()).to.equal(t0 + 660);
    });
  });

  describe("loadModel", () => {
    it("loads a module exporting the three steps, named or as default", () => {
      const named = loadModel("models/credit-score.ts");
      expect(named.predict).to.equal(creditScore.predict);
      const slow = loadModel("models/slow.ts");
      expect(slow.postprocess).to.equal(creditScore.postprocess);
    });

    it("refuses a module without the three steps", () => {
      expect(() => loadModel("sdk/text.ts")).to.throw(ConfigError, "must export preprocess, predict and postprocess");
    });

    /** What `loadModel(path)` throws, which must be a ConfigError. */
    function refusal(path: string): ConfigError {
      try {
        loadModel(path);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return err as ConfigError;
      }
      throw new Error(`${path} loaded`);
    }

    // Modules that fail to load: one needs a package that is not installed, one does not compile.
    let dir: string;
    let needsPackage: string;
    let broken: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "model-"));
      needsPackage = join(dir, "needs-package.js");
      writeFileSync(needsPackage, 'require("no-such-package-for-a-model");\n');
      broken = join(dir, "broken.ts");
      writeFileSync(broken, "export const x = ;\n");
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("names the path it tried for a missing module, in one line", () => {
      expect(refusal("models/none.ts").message).to.equal(
        `cannot load model ${resolve("models/none.ts")}: no such file`,
      );
    });

    it("says in one line why a module fails to load, and keeps the full error as the cause", () => {
      const err = refusal(needsPackage);
      expect(err.message).to.equal(
        `cannot load model ${needsPackage}: Cannot find module 'no-such-package-for-a-model'`,
      );
      expect((err.cause as Error).message).to.contain("Require stack");
      expect(refusal(broken).message).to.equal(
        `cannot load model ${broken}: ${relative(process.cwd(), broken)}(1,18): error TS1109: Expression expected.`,
      );
    });

    it("is one line when the host cannot start, and in full with its cause at LOG_LEVEL=debug", () => {
      const err = refusal(needsPackage);
      expect(startFailure("host", err, { LOG_LEVEL: "info" })).to.equal(
        `host: cannot load model ${needsPackage}: Cannot find module 'no-such-package-for-a-model' (see --help)`,
      );
      expect(startFailure("host", err, { LOG_LEVEL: "debug" }))
        .to.contain("    at loadModel")
        .and.to.contain("[cause]: Error: Cannot find module");
      expect(startFailure("host", new Error("unexpected\n    at somewhere"), {})).to.equal("host: unexpected");
    });
  });
});
