import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider, Network, Wallet, toBeHex, type Provider } from "ethers";
import { activeFixture, requestOf, DATES, FEE } from "../fixtures";
import { HostAgent, type HostAgentOptions, type ServedModeler } from "../../daemons/host/agent";
import { hostConfig } from "../../daemons/host/config";
import { readOnly, type Model } from "../../daemons/host/model";
import { rpcRetry } from "../../daemons/common/act";
import { ConfigError } from "../../daemons/common/config";
import * as creditScore from "../../models/credit-score";
import { slowModel } from "../../models/slow";
import { ChainClock } from "../../scripts/demo/clock";
import { encodeText, decodeText } from "../../sdk/text";
import { RequestStatus } from "../../sdk/market";
import type { InferenceMarket } from "../../typechain-types";
import { FAST_RETRY, beforeNextSend, captureLog, deploymentFile } from "./helpers";

/** A wallet with 99 ether and 9 transactions: the credit score gives it 750 (see models.test.ts). */
const WALLET = "0x0000000000000000000000000000000000abcdef";
const SCORE = "750";
const REJECTED = "not a wallet";
const INVALID = `error: invalid-input: input is not a wallet address: "${REJECTED}"`;

/** activeFixture where hosts[0] serves modelers 0 and 1 of the list; WALLET is set up for the model. */
async function hostFixture() {
  const f = await loadFixture(activeFixture);
  await f.market.connect(f.modelers[1]).setHost(1, f.hosts[0].address);
  await network.provider.send("hardhat_setBalance", [WALLET, toBeHex(99n * 10n ** 18n)]);
  await network.provider.send("hardhat_setNonce", [WALLET, toBeHex(9)]);
  const marketAddress = await f.market.getAddress();
  const served = (i: number, challengeId = 1n): ServedModeler => ({ challengeId, modeler: f.listed[i].address });
  const agentWith = (options: Partial<HostAgentOptions> = {}) => {
    const capture = captureLog("host");
    const agent = new HostAgent({
      signer: f.hosts[0],
      market: marketAddress,
      model: creditScore,
      log: capture.log,
      retry: FAST_RETRY,
      modelers: [served(0), served(1)],
      ...options,
    });
    return { agent, ...capture };
  };
  const ask = async (user = 0, input = WALLET) =>
    requestOf(f.market, await f.market.connect(f.users[user]).request(1, FEE, encodeText(input)));
  return { ...f, marketAddress, served, agentWith, ask };
}

/** Every answer on chain as `requestId/modeler = output`, in order. */
async function answers(market: InferenceMarket) {
  const events = await market.queryFilter(market.filters.RequestAnswered());
  return events.map((e) => `${e.args.requestId}/${e.args.modeler}=${decodeText(e.args.output)}`);
}

/** Each answer's block time, by `requestId/modeler`. */
async function answerTimes(market: InferenceMarket) {
  const events = await market.queryFilter(market.filters.RequestAnswered());
  const times = new Map<string, bigint>();
  for (const e of events) times.set(`${e.args.requestId}/${e.args.modeler}`, BigInt((await e.getBlock()).timestamp));
  return times;
}

/** `model` with the `requestId/input` of each preprocess call recorded. */
/** The credit score, with `change` landing on chain while the model runs on the first request it sees. */
function runningFirst(change: () => Promise<void>): Model {
  let done = false;
  return {
    ...creditScore,
    preprocess: async (input, ctx) => {
      if (!done) {
        done = true;
        await change();
      }
      return creditScore.preprocess(input, ctx);
    },
  };
}

function counting(model: Model) {
  const calls: string[] = [];
  const wrapped: Model = {
    ...model,
    preprocess: (input, ctx) => (calls.push(`${ctx.requestId}/${input}`), model.preprocess(input, ctx)),
  };
  return { model: wrapped, calls };
}

describe("daemons/host", () => {
  // The tests of time budgets run the agent on the simulated chain clock of the demo.
  let clock: ChainClock | undefined;
  const chainClock = () => (clock = new ChainClock(network.provider));
  afterEach(() => {
    clock?.dispose();
    clock = undefined;
  });

  describe("answering", () => {
    it("answers one open request for each of its modelers in one batch", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const { agent, of } = agentWith();
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([`${r.id}/0`, `${r.id}/1`]);
      expect(report.errors).to.deep.equal([]);
      expect(report.transactions).to.equal(1);
      expect(await answers(market)).to.deep.equal([
        `${r.id}/${listed[0].address}=${SCORE}`,
        `${r.id}/${listed[1].address}=${SCORE}`,
      ]);
      expect((await market.requestState(r.id)).answeredMask).to.equal(0b11n);
      const [batch] = of("answerBatch", "sent");
      expect(batch).to.include({ size: 2, landed: 2, skipped: 0 });
      expect(
        of("answer", "sent").map((l) => [l.requestId, l.challengeId, l.modeler, l.index, l.output, l.txHash]),
      ).to.deep.equal([
        [r.id.toString(), "1", listed[0].address, 0, SCORE, batch.txHash],
        [r.id.toString(), "1", listed[1].address, 1, SCORE, batch.txHash],
      ]);
    });

    it("sends a single answer with answer(), not a batch", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const { agent, of } = agentWith({ modelers: [served(1)] });
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/1`]);
      expect(of("answerBatch")).to.deep.equal([]);
      expect(of("answer", "sent").length).to.equal(1);
      expect(await answers(market)).to.deep.equal([`${r.id}/${listed[1].address}=${SCORE}`]);
    });

    it("splits many due answers into batches of at most batchSize, the most urgent together", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const rs = [await ask(0), await ask(1), await ask(2)];
      const { agent, of } = agentWith({ batchSize: 4 });
      const report = await agent.tick();
      // The batches are sent at once (SENDS_IN_FLIGHT): either may be mined first.
      expect(report.answered).to.have.members(rs.flatMap((r) => [`${r.id}/0`, `${r.id}/1`]));
      expect(report.transactions).to.equal(2);
      const batches = of("answerBatch", "sent");
      expect(batches.map((b) => [b.size, b.requestIds])).to.have.deep.members([
        [4, [rs[0].id, rs[0].id, rs[1].id, rs[1].id].map(String)],
        [2, [rs[2].id, rs[2].id].map(String)],
      ]);
      expect(batches[0].txHash).to.not.equal(batches[1].txHash);
      expect((await answers(market)).length).to.equal(6);
    });

    it("answers nothing for a modeler that moved to another host", async () => {
      const { market, modelers, hosts, agentWith, ask } = await loadFixture(hostFixture);
      await market.connect(modelers[1]).setHost(1, hosts[1].address);
      const r = await ask();
      expect((await agentWith().agent.tick()).answered).to.deep.equal([`${r.id}/0`]);
    });
  });

  describe("error answers", () => {
    it("answers an input the model rejects with `error: invalid-input: …`, in time and once; the fee settles", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const bad = await ask(0, REJECTED);
      const good = await ask(1);
      const { agent, of } = agentWith({ modelers: [served(0)] });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([`${bad.id}/0`, `${good.id}/0`]);
      expect(report.errors).to.deep.equal([{ id: `${bad.id}/0`, code: "invalid-input" }]);
      expect(report.transactions).to.equal(1);
      const m0 = listed[0].address;
      expect(await answers(market)).to.deep.equal([`${bad.id}/${m0}=${INVALID}`, `${good.id}/${m0}=${SCORE}`]);
      expect((await answerTimes(market)).get(`${bad.id}/${m0}`)! <= bad.deadline).to.equal(true);
      const state = await market.requestState(bad.id);
      expect([state.status, state.answeredMask]).to.deep.equal([BigInt(RequestStatus.Answered), 1n]);

      expect(await agent.tick()).to.deep.include({ answered: [], errors: [], transactions: 0 });
      expect(of("model").map((l) => [l.status, l.requestId, l.modeler, l.index, l.detail, l.level])).to.deep.equal([
        ["invalid-input", bad.id.toString(), m0, 0, `input is not a wallet address: "${REJECTED}"`, 30],
      ]);
    });

    it("answers `error: model-failed: …` when the model throws or returns no text", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const model: Model = {
        preprocess: (input, ctx) => {
          if (input === "boom") throw new Error("the feature store\nis down");
          return input === "number" || input === "fake" ? input : creditScore.preprocess(input, ctx);
        },
        predict: (f) => (typeof f === "string" ? f : creditScore.predict(f as creditScore.Features)),
        postprocess: (p) =>
          p === "number"
            ? (42 as unknown as string)
            : p === "fake"
              ? "error: nope"
              : creditScore.postprocess(p as number),
      };
      const rs = [await ask(0, "boom"), await ask(1, "number"), await ask(2, "fake"), await ask(3)];
      const { agent, of } = agentWith({ model, modelers: [served(0)] });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal(rs.map((r) => `${r.id}/0`));
      expect(report.errors.map((e) => e.code)).to.deep.equal(["model-failed", "model-failed", "model-failed"]);
      const m0 = listed[0].address;
      expect(await answers(market)).to.deep.equal([
        `${rs[0].id}/${m0}=error: model-failed: the feature store is down`,
        `${rs[1].id}/${m0}=error: model-failed: postprocess returned number, not text`,
        `${rs[2].id}/${m0}=error: model-failed: the model's output begins with "error: " but has no known code: error: nope`,
        `${rs[3].id}/${m0}=${SCORE}`,
      ]);
      expect(of("model", "model-failed").map((l) => l.level)).to.deep.equal([40, 40, 40]);
      expect((await agent.tick()).answered).to.deep.equal([]);
    });

    it("answers `error: timeout: …` once the model runs past --model-timeout-s, on the agent's clock, in time", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const { agent, of } = agentWith({
        model: slowModel(601_000),
        sleep: chainClock().sleep,
        modelers: [served(0)],
        modelTimeoutS: 60,
      });
      const t0 = BigInt(await time.latest());
      const report = await agent.tick();
      expect(report).to.deep.include({
        answered: [`${r.id}/0`],
        errors: [{ id: `${r.id}/0`, code: "timeout" }],
        transactions: 1,
      });
      expect(await answers(market)).to.deep.equal([
        `${r.id}/${listed[0].address}=error: timeout: the model gave no result within 60 s`,
      ]);
      // 60 s of chain time passed on the agent's clock, not the model's 601: the answer is in time.
      const at = (await answerTimes(market)).get(`${r.id}/${listed[0].address}`)!;
      expect(at >= t0 + 60n && at <= t0 + 62n && at <= r.deadline).to.equal(true);
      expect(of("model", "timeout").map((l) => [l.requestId, l.level])).to.deep.equal([[r.id.toString(), 40]]);
    });

    it("gives the model the time left before the deadline less the margin, when that is shorter", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      await time.increaseTo(r.deadline - 100n);
      const { agent } = agentWith({
        model: slowModel(601_000),
        sleep: chainClock().sleep,
        modelers: [served(0)],
        modelTimeoutS: 600,
        marginS: 10,
      });
      await agent.tick();
      expect(await answers(market)).to.deep.equal([
        `${r.id}/${listed[0].address}=error: timeout: the model gave no result within 90 s`,
      ]);
      const at = (await answerTimes(market)).get(`${r.id}/${listed[0].address}`)!;
      expect(at >= r.deadline - 10n && at <= r.deadline).to.equal(true);
    });

    it("sends each answer by the end of its own budget: a timeout does not wait for the slower model's result", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const a = await ask(0);
      await time.increase(300);
      const b = await ask(1);
      const t0 = BigInt(await time.latest());
      const { agent, of } = agentWith({
        model: slowModel(400_000),
        sleep: chainClock().sleep,
        modelers: [served(0)],
        modelTimeoutS: 600,
      });
      const report = await agent.tick();
      // a has 600 - 301 - 10 = 289 s of budget, less than the model's 400: its timeout goes alone, in time.
      expect(report).to.deep.include({ answered: [`${a.id}/0`, `${b.id}/0`], transactions: 2 });
      const m0 = listed[0].address;
      expect(await answers(market)).to.deep.equal([
        `${a.id}/${m0}=error: timeout: the model gave no result within ${a.deadline - 10n - t0} s`,
        `${b.id}/${m0}=${SCORE}`,
      ]);
      const times = await answerTimes(market);
      expect(times.get(`${a.id}/${m0}`)! >= t0 + 289n && times.get(`${a.id}/${m0}`)! <= a.deadline - 5n).to.equal(true);
      expect(times.get(`${b.id}/${m0}`)! >= t0 + 400n && times.get(`${b.id}/${m0}`)! <= b.deadline).to.equal(true);
      expect(of("answer", "sent").map((l) => l.requestId)).to.deep.equal([a.id, b.id].map(String));
    });

    it("answers the model's result when it finishes within its budget", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const t0 = BigInt(await time.latest());
      await agentWith({ model: slowModel(30_000), sleep: chainClock().sleep, modelers: [served(0)] }).agent.tick();
      expect(await answers(market)).to.deep.equal([`${r.id}/${listed[0].address}=${SCORE}`]);
      const at = (await answerTimes(market)).get(`${r.id}/${listed[0].address}`)!;
      expect(at >= t0 + 30n && at <= t0 + 32n).to.equal(true);
    });
  });

  describe("bounded work", () => {
    it("takes up at most maxPerPass requests a pass, most urgent first; the next pass takes the rest", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const rs = [await ask(0), await ask(1), await ask(2)];
      const { agent, of } = agentWith({ maxPerPass: 2 });
      const first = await agent.tick();
      expect(first.answered).to.deep.equal(rs.slice(0, 2).flatMap((r) => [`${r.id}/0`, `${r.id}/1`]));
      expect(of("tick", "deferred").map((l) => [l.taken, l.later, l.maxPerPass])).to.deep.equal([[2, 1, 2]]);
      expect((await market.requestState(rs[2].id)).answeredMask).to.equal(0n);
      expect((await agent.tick()).answered).to.deep.equal([`${rs[2].id}/0`, `${rs[2].id}/1`]);
      expect(of("tick", "deferred")).to.have.length(1);
      expect(await agent.tick()).to.deep.include({ answered: [], transactions: 0 });
    });

    it("answers an input over maxInputBytes with `error: invalid-input: …` without running the model; the fee settles", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const long = await ask(0, WALLET);
      const short = await ask(1, REJECTED);
      const { model, calls } = counting(creditScore);
      const { agent, of } = agentWith({ model, maxInputBytes: 41 });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([`${long.id}/0`, `${long.id}/1`, `${short.id}/0`, `${short.id}/1`]);
      expect(report.transactions).to.equal(1);
      expect(calls).to.deep.equal([`${short.id}/${REJECTED}`]);
      const tooLong = "error: invalid-input: input of 42 bytes is over the host's limit of 41";
      expect(await answers(market)).to.deep.equal([
        `${long.id}/${listed[0].address}=${tooLong}`,
        `${long.id}/${listed[1].address}=${tooLong}`,
        `${short.id}/${listed[0].address}=${INVALID}`,
        `${short.id}/${listed[1].address}=${INVALID}`,
      ]);
      expect((await market.requestState(long.id)).status).to.equal(BigInt(RequestStatus.Answered));
      expect(
        of("model")
          .filter((l) => l.requestId === long.id.toString())
          .map((l) => [l.status, l.index, l.detail]),
      ).to.deep.equal([
        ["invalid-input", 0, "input of 42 bytes is over the host's limit of 41"],
        ["invalid-input", 1, "input of 42 bytes is over the host's limit of 41"],
      ]);
    });

    it("runs the model once per request, whichever modelers it answers for", async () => {
      const { agentWith, ask } = await loadFixture(hostFixture);
      const rs = [await ask(0), await ask(1)];
      const { model, calls } = counting(creditScore);
      const report = await agentWith({ model }).agent.tick();
      expect(report.answered).to.have.length(4);
      expect(calls).to.deep.equal(rs.map((r) => `${r.id}/${WALLET}`));
    });

    it("retries a model's read that meets an RPC fault: the answer is the model's, not `model-failed`", async () => {
      let faults = 2;
      const provider = {
        getBalance: async (address: string) => {
          if (faults-- > 0) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
          return address === WALLET ? 5n : 0n;
        },
      } as unknown as Provider;
      const { log, of } = captureLog("host");
      expect(await readOnly(provider, rpcRetry(log, FAST_RETRY)).getBalance(WALLET, 1)).to.equal(5n);
      expect(of("rpc", "retrying").map((l) => [l.what, l.kind])).to.deep.equal([
        ["model.getBalance", "ECONNRESET"],
        ["model.getBalance", "ECONNRESET"],
      ]);
    });

    it("shares the models' account reads at one block within a pass; a failed one is read again", async () => {
      const reads: string[] = [];
      let fail = 1;
      const provider = {
        getBalance: async (address: string, blockTag: unknown) => {
          reads.push(`balance ${address} ${String(blockTag)}`);
          if (blockTag === 3 && fail-- > 0) throw new Error("execution aborted (timeout = 10s)");
          return 7n;
        },
        getCode: async (address: string, blockTag: unknown) => {
          reads.push(`code ${address} ${String(blockTag)}`);
          return "0x";
        },
      } as unknown as Provider;
      const pass = new Map();
      const models = [readOnly(provider, undefined, pass), readOnly(provider, undefined, pass)];
      const other = "0x00000000000000000000000000000000000000aa";
      // The same read at the same block, from two models, at once and later, the address in either case: one read.
      await Promise.all([
        models[0].getBalance(WALLET, 1),
        models[1].getBalance(WALLET.toUpperCase().replace("0X", "0x"), 1),
      ]);
      await models[1].getBalance(WALLET, 1);
      // Another block, another address, another kind of read, or no fixed block: each read on its own.
      await models[0].getBalance(WALLET, 2);
      await models[0].getBalance(other, 1);
      await models[0].getCode(WALLET, 1);
      await models[0].getBalance(WALLET, "latest");
      await models[1].getBalance(WALLET, "latest");
      await expect(models[0].getBalance(WALLET, 3)).to.be.rejectedWith("execution aborted");
      expect(await models[1].getBalance(WALLET, 3)).to.equal(7n);
      // Without a pass's map, nothing is shared.
      await readOnly(provider).getBalance(WALLET, 1);
      expect(reads).to.deep.equal([
        `balance ${WALLET} 1`,
        `balance ${WALLET} 2`,
        `balance ${other} 1`,
        `code ${WALLET} 1`,
        `balance ${WALLET} latest`,
        `balance ${WALLET} latest`,
        `balance ${WALLET} 3`,
        `balance ${WALLET} 3`,
        `balance ${WALLET} 1`,
      ]);
    });
  });

  describe("deadlines", () => {
    it("skips a request with less than the margin left, and logs it once", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      await time.increaseTo(r.deadline - 5n);
      const { agent, of } = agentWith({ marginS: 10 });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([]);
      expect(report.skipped).to.deep.equal([
        { id: `${r.id}/0`, reason: "only 5 s left, margin 10 s" },
        { id: `${r.id}/1`, reason: "only 5 s left, margin 10 s" },
      ]);
      await agent.tick();
      expect(of("answer", "skipped").map((l) => [l.requestId, l.index, l.deadline])).to.deep.equal([
        [r.id.toString(), 0, r.deadline.toString()],
        [r.id.toString(), 1, r.deadline.toString()],
      ]);
      expect((await market.requestState(r.id)).answeredMask).to.equal(0n);
    });

    it("answers with exactly the margin left: no time for the model, a timeout answer without running it", async () => {
      const { market, listed, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      await time.increaseTo(r.deadline - 10n);
      const { model, calls } = counting(creditScore);
      expect((await agentWith({ marginS: 10, model }).agent.tick()).answered).to.deep.equal([`${r.id}/0`, `${r.id}/1`]);
      expect(calls).to.deep.equal([]);
      const timeout = "error: timeout: no time left for the model before the deadline";
      expect(await answers(market)).to.deep.equal([
        `${r.id}/${listed[0].address}=${timeout}`,
        `${r.id}/${listed[1].address}=${timeout}`,
      ]);
    });
  });

  describe("the modelers it serves", () => {
    it("ignores a modeler that names this host but is not on its list for that challenge, and says so once", async () => {
      const { market, listed, served, agentWith, ask } = await loadFixture(hostFixture);
      // listed[1] names hosts[0] in challenge 1; its operator serves it in challenge 2 only.
      const { agent, of } = agentWith({ modelers: [served(0), served(1, 2n)] });
      const rs = [await ask(0), await ask(1)];
      expect((await agent.tick()).answered).to.deep.equal([`${rs[0].id}/0`, `${rs[1].id}/0`]);
      const r3 = await ask(2);
      expect((await agent.tick()).answered).to.deep.equal([`${r3.id}/0`]);
      expect(of("modeler", "ignored").map((l) => [l.challengeId, l.modeler, l.level, l.msg])).to.deep.equal([
        [
          "1",
          listed[1].address,
          40,
          `modeler ${listed[1].address} names this host in challenge 1 but is not served (not in --modelers)`,
        ],
      ]);
      expect((await answers(market)).filter((a) => a.includes(listed[1].address))).to.deep.equal([]);
    });

    it("refuses to start without the list of modelers it serves", async () => {
      const { hosts, marketAddress } = await loadFixture(hostFixture);
      const base = { signer: hosts[0], market: marketAddress, model: creditScore, log: captureLog().log };
      for (const modelers of [undefined, []]) {
        expect(() => new HostAgent({ ...base, modelers } as HostAgentOptions)).to.throw(
          ConfigError,
          "no modelers to serve",
        );
      }
      expect(() => new HostAgent({ ...base, modelers: [{ challengeId: 0n, modeler: hosts[1].address }] })).to.throw(
        ConfigError,
        "challenge id 0",
      );
      expect(() => new HostAgent({ ...base, modelers: [{ challengeId: 1n, modeler: "0x12" }] })).to.throw(
        ConfigError,
        '"0x12" is not an address',
      );
    });

    it("config: --modelers (or MODELERS) is required, as challengeId:address pairs; --model-timeout-s", async () => {
      const { listed } = await loadFixture(hostFixture);
      const deployment = deploymentFile(listed[0].address);
      const env = { HOST_KEY: `0x${"11".repeat(32)}`, DEPLOYMENT: deployment };
      const [a, b] = [listed[0].address, listed[1].address];
      const config = hostConfig(
        [
          "--model",
          "models/credit-score.ts",
          "--modelers",
          `1:${a.toLowerCase()}, 2:${a},1:${b}`,
          "--model-timeout-s",
          "30",
        ],
        env,
      );
      if (config === "help") throw new Error("help");
      expect([config.modelers, config.modelTimeoutS]).to.deep.equal([
        [
          { challengeId: 1n, modeler: a },
          { challengeId: 2n, modeler: a },
          { challengeId: 1n, modeler: b },
        ],
        30,
      ]);
      const fromEnv = hostConfig(["--model", "models/credit-score.ts"], { ...env, MODELERS: `3:${b}` });
      if (fromEnv === "help") throw new Error("help");
      expect([fromEnv.modelers, fromEnv.modelTimeoutS]).to.deep.equal([[{ challengeId: 3n, modeler: b }], 60]);

      const cases: [string[], string][] = [
        [[], "no modelers to serve: give the modelers this host answers for, per challenge"],
        [["--modelers", a], `--modelers: "${a}" is not <challengeId>:<address>`],
        [["--modelers", "1:0x12"], '--modelers: "0x12" is not an address'],
        [["--modelers", `0:${a}`], "challenge id 0 is not a positive whole number"],
        [["--modelers", `1:${a}`, "--model-timeout-s", "0"], "--model-timeout-s must be between 1 and 86400, got 0"],
      ];
      for (const [argv, message] of cases) {
        expect(() => hostConfig(["--model", "models/credit-score.ts", ...argv], env), message).to.throw(
          ConfigError,
          message,
        );
      }
    });

    it("config: --max-per-pass (MAX_PER_PASS), --max-input-bytes (MAX_INPUT_BYTES) and --model-batches (MODEL_BATCHES), flags over environment", async () => {
      const { listed, agentWith } = await loadFixture(hostFixture);
      const deployment = deploymentFile(listed[0].address);
      const env = { HOST_KEY: `0x${"11".repeat(32)}`, DEPLOYMENT: deployment, MODELERS: `1:${listed[0].address}` };
      const argv = ["--model", "models/credit-score.ts"];
      const limits = (config: ReturnType<typeof hostConfig>) => {
        if (config === "help") throw new Error("help");
        return [config.maxPerPass, config.maxInputBytes, config.modelBatches];
      };
      expect(limits(hostConfig(argv, env))).to.deep.equal([200, 16_384, 4]);
      const fromEnv = { ...env, MAX_PER_PASS: "50", MAX_INPUT_BYTES: "1024", MODEL_BATCHES: "2" };
      expect(limits(hostConfig(argv, fromEnv))).to.deep.equal([50, 1024, 2]);
      const flags = ["--max-per-pass", "7", "--max-input-bytes", "64", "--model-batches", "1"];
      expect(limits(hostConfig([...argv, ...flags], fromEnv))).to.deep.equal([7, 64, 1]);
      const cases: [string[], string][] = [
        [["--max-per-pass", "0"], "--max-per-pass must be between 1 and 100000, got 0"],
        [["--max-per-pass", "1e3"], '--max-per-pass must be a whole number, got "1e3"'],
        [["--max-input-bytes", "0"], "--max-input-bytes must be between 1 and 16777216, got 0"],
        [["--max-input-bytes", "99999999"], "--max-input-bytes must be between 1 and 16777216, got 99999999"],
        [["--model-batches", "0"], "--model-batches must be between 1 and 64, got 0"],
      ];
      for (const [extra, message] of cases)
        expect(() => hostConfig([...argv, ...extra], env), message).to.throw(ConfigError, message);
      expect(() => agentWith({ maxInputBytes: 0.5 })).to.throw(
        ConfigError,
        "maxInputBytes must be a positive whole number",
      );
      expect(() => agentWith({ modelBatches: 0 })).to.throw(
        ConfigError,
        "modelBatches must be a positive whole number",
      );
    });
  });

  describe("a host no modeler names", () => {
    it("warns at start, naming the host, each served modeler's host and the fix; not again within the hour", async () => {
      const { modelers, hosts, served, agentWith } = await loadFixture(hostFixture);
      // listed[2] names hosts[2]; modelers[6] never registered.
      const unregistered = { challengeId: 1n, modeler: modelers[6].address };
      const { agent, of } = agentWith({ modelers: [served(2), unregistered] });
      await agent.tick();
      await agent.tick();
      const warned = of("modeler", "unnamed");
      expect(warned.map((l) => [l.level, l.host, l.modelers])).to.deep.equal([
        [
          40,
          hosts[0].address,
          [`1:${modelers[2].address} names ${hosts[2].address}`, `1:${modelers[6].address} is not registered`],
        ],
      ]);
      expect(warned[0].msg).to.equal(
        `no modeler in --modelers names this host ${hosts[0].address}: it answers nothing. Each modeler signs ` +
          `\`npx hardhat register --challenge <id> --host ${hosts[0].address}\`, or \`npx hardhat host:set ` +
          `--challenge <id> --host ${hosts[0].address}\` once registered; or --modelers lists the wrong modelers`,
      );
    });

    it("repeats the warning at every check while no served modeler names it, and stops once one does", async () => {
      const { market, modelers, hosts, served, agentWith } = await loadFixture(hostFixture);
      const { agent, of } = agentWith({ modelers: [served(2)], namedCheckMs: 0 });
      await agent.tick();
      await agent.tick();
      expect(of("modeler", "unnamed").length).to.equal(2);
      await market.connect(modelers[2]).setHost(1, hosts[0].address);
      await agent.tick();
      expect(of("modeler", "unnamed").length).to.equal(2);
    });

    it("says nothing when a served modeler names it", async () => {
      const { agentWith } = await loadFixture(hostFixture);
      const { agent, of } = agentWith({ namedCheckMs: 0 });
      await agent.tick();
      expect(of("modeler", "unnamed")).to.deep.equal([]);
    });
  });

  describe("summary", () => {
    const counts = (l: Record<string, unknown>) => [l.passes, l.failedPasses, l.answered, l.errors, l.skipped, l.late];

    it("logs at info, when due, what the passes since the last summary did", async () => {
      const { served, agentWith, ask } = await loadFixture(hostFixture);
      const { agent, of } = agentWith({ summaryMs: 0, modelers: [served(0)] });
      await ask(0);
      await ask(1, REJECTED);
      await agent.tick();
      const [summary] = of("summary");
      expect([summary.level, ...counts(summary)]).to.deep.equal([30, 1, 0, 2, 1, 0, 0]);
      expect(summary.msg).to.equal(
        "since the last summary: answered 2, error outputs 1, skipped near the deadline 0, late 0, failed passes 0 of 1",
      );
    });

    it("logs nothing before the interval, then counts every pass but a request skipped pass after pass once", async () => {
      const { agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      await time.increaseTo(r.deadline - 5n);
      const { agent, of } = agentWith({ summaryMs: 300 });
      await agent.tick();
      await agent.tick();
      expect(of("summary")).to.deep.equal([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await agent.tick();
      expect(of("summary").map(counts)).to.deep.equal([[3, 0, 0, 0, 2, 0]]);
    });

    it("counts an answer given up when the deadline passed while the model ran as late", async () => {
      const { served, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const model = runningFirst(() => time.increaseTo(r.deadline + 1n));
      const { agent, of } = agentWith({ summaryMs: 0, model, modelers: [served(0)] });
      expect((await agent.tick()).answered).to.deep.equal([]);
      expect(of("summary").map(counts)).to.deep.equal([[1, 0, 0, 0, 0, 1]]);
    });

    it("counts the answers mined after their pass returned, in a later summary", async () => {
      const { agentWith, ask } = await loadFixture(hostFixture);
      await ask();
      const { agent, of } = agentWith({ summaryMs: 0, waitMined: false });
      await agent.tick();
      await agent.tick();
      expect(of("answer", "sent").length).to.equal(2);
      expect(of("summary").reduce((sum, l) => sum + Number(l.answered), 0)).to.equal(2);
    });

    it("counts a failed pass", async () => {
      const { marketAddress } = await loadFixture(hostFixture);
      const net = Network.from(31337);
      const down = new JsonRpcProvider("http://127.0.0.1:9", net, { staticNetwork: net });
      const { log, of } = captureLog("host");
      const agent = new HostAgent({
        signer: Wallet.createRandom(down),
        market: marketAddress,
        model: creditScore,
        log,
        retry: FAST_RETRY,
        modelers: [{ challengeId: 1n, modeler: marketAddress }],
        summaryMs: 0,
      });
      await expect(agent.tick()).to.be.rejectedWith("ECONNREFUSED");
      expect(of("summary").map(counts)).to.deep.equal([[1, 1, 0, 0, 0, 0]]);
      down.destroy();
    });
  });

  describe("partial batches", () => {
    it("leaves out, before sending, an entry the contract would skip: the batch never pays for it", async () => {
      const { market, modelers, hosts, listed, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      // While the model runs, listed[1] moves to another host.
      const model = runningFirst(async () => {
        await (await market.connect(modelers[1]).setHost(1, hosts[1].address)).wait();
      });
      const { agent, of } = agentWith({ model });
      const report = await agent.tick();
      expect(report.answered).to.deep.equal([`${r.id}/0`]);
      expect(await answers(market)).to.deep.equal([`${r.id}/${listed[0].address}=${SCORE}`]);
      expect(await market.queryFilter(market.filters.AnswerSkipped())).to.deep.equal([]);
      expect(of("answerBatch")).to.deep.equal([]);
      const [left] = of("answer", "left-out");
      expect(left).to.include({ requestId: r.id.toString(), index: 1, stage: "pre-flight", retry: true });
      expect(String(left.error)).to.match(/^MarketNotHost\(modeler=0x[0-9a-fA-F]{40}, caller=0x[0-9a-fA-F]{40}\)$/);
      await agent.tick();
      expect(of("answer", "left-out").length).to.equal(1);
    });

    it("sends nothing when every entry of a batch is invalid (MarketBatchAnsweredNothing)", async () => {
      const { market, modelers, hosts, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const model = runningFirst(async () => {
        for (const m of [modelers[0], modelers[1]]) await (await market.connect(m).setHost(1, hosts[1].address)).wait();
      });
      const { agent, of } = agentWith({ model });
      const blocks = await ethers.provider.getBlockNumber();
      const report = await agent.tick();
      expect(report).to.deep.include({ answered: [], transactions: 0 });
      // Only the two setHost transactions were mined.
      expect(await ethers.provider.getBlockNumber()).to.equal(blocks + 2);
      expect(of("answer", "left-out").map((l) => [l.requestId, l.index, String(l.error).split("(")[0]])).to.deep.equal([
        [r.id.toString(), 0, "MarketNotHost"],
        [r.id.toString(), 1, "MarketNotHost"],
      ]);
    });

    it("after a setHost lands between building and mining, logs the skipped entry once and re-sends it once valid again", async () => {
      const { market, modelers, hosts, listed, served, marketAddress, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const frontRun = () =>
        market
          .connect(modelers[1])
          .setHost(1, hosts[1].address)
          .then((tx) => tx.wait());
      const signer = beforeNextSend(hosts[0], frontRun);
      const { model, calls } = counting(creditScore);
      const { log, of } = captureLog("host");
      const agent = new HostAgent({
        signer,
        market: marketAddress,
        model,
        log,
        retry: FAST_RETRY,
        modelers: [served(0), served(1)],
      });

      const first = await agent.tick();
      expect(first).to.deep.include({ answered: [`${r.id}/0`], transactions: 1 });
      const skipped = await market.queryFilter(market.filters.AnswerSkipped());
      expect(skipped.map((e) => [e.args.requestId, e.args.index])).to.deep.equal([[r.id, 1n]]);
      const [line] = of("answer", "skipped");
      expect(line).to.include({
        requestId: r.id.toString(),
        index: 1,
        stage: "mined",
        retry: true,
        txHash: skipped[0].transactionHash,
      });
      expect(String(line.error)).to.equal(`MarketNotHost(modeler=${listed[1].address}, caller=${hosts[0].address})`);
      expect(of("answerBatch", "sent")[0]).to.include({ size: 2, landed: 1, skipped: 1 });

      // Not open to this host while listed[1] names another one.
      expect((await agent.tick()).answered).to.deep.equal([]);
      // Back to this host: the HostChanged event makes the agent look again, and the kept output is sent.
      await market.connect(modelers[1]).setHost(1, hosts[0].address);
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/1`]);
      expect(await answers(market)).to.deep.equal([
        `${r.id}/${listed[0].address}=${SCORE}`,
        `${r.id}/${listed[1].address}=${SCORE}`,
      ]);
      // One model run answered both modelers, and the re-send did not run it again.
      expect(calls).to.deep.equal([`${r.id}/${WALLET}`]);
      expect(of("answer", "skipped").length).to.equal(1);
      expect(of("relook").map((l) => [l.challengeId, l.requests])).to.deep.equal([["1", 1]]);
    });

    it("checks before sending only what is in doubt: requests made before its first scan, and answers it sent before", async () => {
      const { market, modelers, hosts, agentWith, ask } = await loadFixture(hostFixture);
      const before = await ask(0);
      const checks: string[] = [];
      const estimates: string[] = [];
      const send = network.provider.send.bind(network.provider);
      const selectors = [
        market.interface.getFunction("answer").selector,
        market.interface.getFunction("answerBatch").selector,
      ];
      network.provider.send = async (method: string, params?: unknown[]) => {
        const data = (params?.[0] as { data?: string } | undefined)?.data ?? "";
        if (method === "eth_call" && selectors.some((x) => data.startsWith(x))) checks.push(data.slice(0, 10));
        if (method === "eth_estimateGas") estimates.push(data.slice(0, 10));
        return send(method, params);
      };
      try {
        // After the first scan, a modeler moves away while the model runs for the next request.
        let armed = false;
        const model: Model = {
          ...creditScore,
          preprocess: async (input, ctx) => {
            if (armed) {
              armed = false;
              await (await market.connect(modelers[1]).setHost(1, hosts[1].address)).wait();
            }
            return creditScore.preprocess(input, ctx);
          },
        };
        const { agent, of } = agentWith({ model });
        expect((await agent.tick()).answered).to.deep.equal([`${before.id}/0`, `${before.id}/1`]);
        expect(checks).to.deep.equal([selectors[1]]);

        armed = true;
        const fresh = await ask(1);
        expect((await agent.tick()).answered).to.deep.equal([`${fresh.id}/0`]);
        // Sent unchecked: the contract skipped the moved modeler's entry.
        expect(checks).to.have.length(1);
        expect(of("answer", "skipped").map((l) => [l.requestId, l.index, l.stage])).to.deep.equal([
          [String(fresh.id), 1, "mined"],
        ]);

        // Sent before, so in doubt: checked before it is sent again.
        await market.connect(modelers[1]).setHost(1, hosts[0].address);
        expect((await agent.tick()).answered).to.deep.equal([`${fresh.id}/1`]);
        expect(checks).to.deep.equal([selectors[1], selectors[0]]);
        expect(estimates).to.deep.equal([]);
      } finally {
        network.provider.send = send;
      }
    });

    it("records an entry skipped as already answered as done, and never sends it again", async () => {
      const { market, hosts, listed, served, marketAddress, ask } = await loadFixture(hostFixture);
      const r = await ask();
      // Another instance of this host answers for listed[1] first.
      const other = () =>
        market
          .connect(hosts[0])
          .answer(r.id, r.key, 1, encodeText("777"))
          .then((tx) => tx.wait());
      const { log, of } = captureLog("host");
      const agent = new HostAgent({
        signer: beforeNextSend(hosts[0], other),
        market: marketAddress,
        model: creditScore,
        log,
        retry: FAST_RETRY,
        modelers: [served(0), served(1)],
      });
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/0`]);
      expect((await agent.tick()).answered).to.deep.equal([]);
      expect(await answers(market)).to.deep.equal([
        `${r.id}/${listed[1].address}=777`,
        `${r.id}/${listed[0].address}=${SCORE}`,
      ]);
      const already = of("answer", "already");
      expect(already.map((l) => [l.index, l.stage])).to.deep.equal([[1, "mined"]]);
      expect(String(already[0].reason)).to.match(/^MarketAlreadyAnswered\(requestId=\d+, modeler=0x[0-9a-fA-F]{40}\)$/);
    });
  });

  describe("looking again", () => {
    it("answers a request found with nothing to do once a HostChanged names this host", async () => {
      const { market, modelers, hosts, agentWith, ask } = await loadFixture(hostFixture);
      await market.connect(modelers[1]).setHost(1, hosts[1].address);
      const r = await ask();
      const { agent, of } = agentWith();
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/0`]);
      expect((await agent.tick()).answered).to.deep.equal([]);
      await market.connect(modelers[1]).setHost(1, hosts[0].address);
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/1`]);
      expect(of("relook").map((l) => [l.challengeId, l.requests])).to.deep.equal([["1", 1]]);
    });

    it("reads the challenge's finished requests again when a ModelerRegistered names this host", async () => {
      const { market, modelers, hosts, served, agentWith, ask } = await loadFixture(hostFixture);
      const r = await ask();
      const { model, calls } = counting(creditScore);
      const { agent, of } = agentWith({ model, modelers: [served(0)] });
      expect((await agent.tick()).answered).to.deep.equal([`${r.id}/0`]);
      // The second pass finds nothing left to do for it.
      expect((await agent.tick()).answered).to.deep.equal([]);
      expect(of("relook")).to.deep.equal([]);
      await market.connect(modelers[6]).register(1, hosts[0].address);
      expect((await agent.tick()).answered).to.deep.equal([]);
      expect(of("relook").map((l) => [l.challengeId, l.requests])).to.deep.equal([["1", 1]]);
      expect(await agent.tick()).to.deep.include({ answered: [], transactions: 0 });
      expect(calls.length).to.equal(1);
    });
  });

  describe("restarts and concurrency", () => {
    it("a new instance finds every still-open request of the last SLA window and answers none twice", async () => {
      const { market, listed, hosts, agentWith, ask } = await loadFixture(hostFixture);
      await time.setNextBlockTimestamp(DATES.e1Start + 100n);
      const stale = await ask(0);
      await time.increaseTo(stale.deadline + 1n);
      const r1 = await ask(1);
      const bad = await ask(4, REJECTED);
      expect((await agentWith().agent.tick()).answered).to.deep.equal([
        `${r1.id}/0`,
        `${r1.id}/1`,
        `${bad.id}/0`,
        `${bad.id}/1`,
      ]);

      // The previous instance sent one answer of r2 and stopped; r3 arrives while nothing runs.
      const r2 = await ask(2);
      await market.connect(hosts[0]).answer(r2.id, r2.key, 0, encodeText(SCORE));
      const r3 = await ask(3);

      const restarted = agentWith();
      expect((await restarted.agent.tick()).answered).to.deep.equal([`${r2.id}/1`, `${r3.id}/0`, `${r3.id}/1`]);
      expect((await restarted.agent.tick()).answered).to.deep.equal([]);
      expect((await agentWith().agent.tick()).answered).to.deep.equal([]);

      const [m0, m1] = [listed[0].address, listed[1].address];
      expect(await answers(market)).to.deep.equal([
        `${r1.id}/${m0}=${SCORE}`,
        `${r1.id}/${m1}=${SCORE}`,
        `${bad.id}/${m0}=${INVALID}`,
        `${bad.id}/${m1}=${INVALID}`,
        `${r2.id}/${m0}=${SCORE}`,
        `${r2.id}/${m1}=${SCORE}`,
        `${r3.id}/${m0}=${SCORE}`,
        `${r3.id}/${m1}=${SCORE}`,
      ]);
      expect((await market.requestState(stale.id)).status).to.equal(BigInt(RequestStatus.Expired));
    });

    it("reads the state of no request made after its first scan; a former host's answer is found done by the pre-flight", async () => {
      const { market, modelers, hosts, agentWith, ask } = await loadFixture(hostFixture);
      const r1 = await ask(0);
      const { agent, of } = agentWith();
      const selector = market.interface.getFunction("requestState").selector;
      const reads: string[] = [];
      const send = network.provider.send.bind(network.provider);
      network.provider.send = async (method: string, params?: unknown[]) => {
        const data = (params?.[0] as { data?: string } | undefined)?.data;
        if (method === "eth_call" && data?.startsWith(selector)) reads.push(data);
        return send(method, params);
      };
      try {
        expect((await agent.tick()).answered).to.deep.equal([`${r1.id}/0`, `${r1.id}/1`]);
        // r1 was made before the instance's first scan: an earlier instance may have answered it.
        expect(reads).to.have.length(1);

        // Modeler 0's former host answers r2, then the modeler names this host again.
        await market.connect(modelers[0]).setHost(1, hosts[1].address);
        const r2 = await ask(1);
        await market.connect(hosts[1]).answer(r2.id, r2.key, 0, encodeText("1"));
        await market.connect(modelers[0]).setHost(1, hosts[0].address);
        expect((await agent.tick()).answered).to.deep.equal([`${r2.id}/1`]);
        expect(reads).to.have.length(1);
        expect(of("answer", "already").map((l) => [l.requestId, l.index, l.stage])).to.deep.equal([
          [String(r2.id), 0, "pre-flight"],
        ]);
      } finally {
        network.provider.send = send;
      }
    });

    it("reads only the blocks after the last one read while it keeps its hash; the whole window again after a reorganisation", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      await ask(0);
      const r1Block = await ethers.provider.getBlockNumber();
      const { agent } = agentWith();
      const topic = market.interface.getEvent("RequestMade").topicHash;
      const ranges: [number, number][] = [];
      const send = network.provider.send.bind(network.provider);
      network.provider.send = async (method: string, params?: unknown[]) => {
        const filter = params?.[0] as { topics?: string[]; fromBlock?: string; toBlock?: string } | undefined;
        if (method === "eth_getLogs" && filter?.topics?.[0] === topic)
          ranges.push([Number(filter.fromBlock), Number(filter.toBlock)]);
        return send(method, params);
      };
      try {
        await agent.tick();
        const first = ranges[0];
        expect(first[0]).to.be.at.most(r1Block);
        const snapshot = await network.provider.send("evm_snapshot");
        await ask(1);
        const head = await ethers.provider.getBlockNumber();
        await agent.tick();
        expect(ranges[1]).to.deep.equal([first[1] + 1, head]);

        // Another chain from the snapshot on: the last block read has another hash, so the window is read again.
        await network.provider.send("evm_revert", [snapshot]);
        await ask(2);
        await ask(3);
        const reorganised = await ethers.provider.getBlockNumber();
        await agent.tick();
        expect(ranges[2]).to.deep.equal([first[0], reorganised]);
        expect(ranges).to.have.length(3);
      } finally {
        network.provider.send = send;
      }
    });

    it("two instances of the same host racing answer each request once", async () => {
      const { market, agentWith, ask } = await loadFixture(hostFixture);
      const rs = [await ask(0), await ask(1)];
      const a = agentWith();
      const b = agentWith();
      const [ra, rb] = await Promise.all([a.agent.tick(), b.agent.tick()]);
      expect([...ra.answered, ...rb.answered].sort()).to.deep.equal(
        rs.flatMap((r) => [`${r.id}/0`, `${r.id}/1`]).sort(),
      );
      expect((await answers(market)).length).to.equal(4);
      for (const r of rs) expect((await market.requestState(r.id)).answeredMask).to.equal(0b11n);
      for (const l of [...a.of("answer", "already"), ...b.of("answer", "already")]) {
        expect(l.reason).to.match(/^MarketAlreadyAnswered\(requestId=\d+, modeler=0x[0-9a-fA-F]{40}\)$/);
      }
    });
  });

  it("leaves a request past its deadline alone", async () => {
    const { agentWith, ask } = await loadFixture(hostFixture);
    const r = await ask();
    await time.increaseTo(r.deadline + 1n);
    const blocks = await ethers.provider.getBlockNumber();
    const report = await agentWith().agent.tick();
    expect(report).to.deep.include({ answered: [], transactions: 0, skipped: [] });
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
  });
});
