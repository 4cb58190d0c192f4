import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { drain, stepArbitrary } from "./actions";
import { Stats, startState, verify } from "./driver";
import { fuzzWorldFixture } from "./world";

/*
 * Model-based fuzzing: random sequences of actions run against the deployed market and against the reference
 * model (test/model/reference.ts) side by side. After every action the outcome (success, or the exact custom
 * error) and the views it may have touched, every balance and the solvency rule must agree; after every
 * sequence everything is claimed and refunded and the market must be empty. Each sequence starts from the
 * same chain snapshot, in the first seconds of epoch E1 (Thu 2026-11-26), with two challenges serving.
 *
 * Besides the ordinary traffic, the actions reach the rules of eviction and of batches: inputs the model
 * rejects (answered by honest hosts with an error output, or by nobody and refunded), listed modelers that
 * register during an epoch (at its first second, one second after, or later), batches that mix valid and
 * invalid entries or hold only invalid ones, and batches built before a setHost or an eviction of one of
 * their modelers lands and sent after it. A batch's events must say entry by entry what the model did.
 *
 * FUZZ_RUNS raises the number of sequences; FUZZ_SEED runs other ones. A failure prints the FUZZ_SEED, FUZZ_PATH
 * and FUZZ_REPLAY that replay its shrunk counterexample.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_126);
const PATH = process.env.FUZZ_PATH;
/** The commands' own replay path, which fast-check prints in the counterexample; needed with FUZZ_PATH. */
const REPLAY = process.env.FUZZ_REPLAY;
const MAX_ACTIONS = 50;

describe(`InferenceMarket fuzz: ${RUNS} sequences of up to ${MAX_ACTIONS} actions, seed ${SEED}`, () => {
  it("keeps the chain equal to the reference model, solvent, and empty once everything is paid", async function () {
    this.timeout(RUNS * 5_000);
    const stats = new Stats();
    const started = Date.now();
    const start = await loadFixture(fuzzWorldFixture);
    await verify(start, startState(start.model, stats), {}, true);

    const details = await fc.check(
      fc.asyncProperty(
        fc.commands([stepArbitrary], { maxCommands: MAX_ACTIONS, size: "max", replayPath: REPLAY }),
        async (commands) => {
          const world = await loadFixture(fuzzWorldFixture);
          const state = startState(world.model, stats);
          stats.sequences++;
          await fc.asyncModelRun(() => ({ model: state, real: world }), commands);
          await drain(world, state);
        },
      ),
      { numRuns: RUNS, seed: SEED, path: PATH },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const replays = stats.sequences - details.numRuns;
    const shrinking = details.failed ? `; the counts include ${replays} sequences replayed while shrinking` : "";
    console.log(`      ${details.numRuns} sequences generated, ${seconds} s${shrinking}`);
    console.log(`      ${stats.report().replace(/\n/g, "\n      ")}`);
    if (details.failed) {
      const commandsPath = /replayPath="([^"]*)"/.exec(String(details.counterexample?.[0]))?.[1];
      const replay = `FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath} FUZZ_REPLAY='${commandsPath}'`;
      console.log(`      replay with: ${replay} npx hardhat test test/fuzz/market.fuzz.test.ts`);
      throw new Error(`${replay}\n${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`);
    }
  });
});
