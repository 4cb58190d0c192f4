// `hardhat coverage` settings. Mocks are test-only and not measured; json-summary writes
// coverage/coverage-summary.json, which scripts/check-coverage.ts gates on.
module.exports = {
  skipFiles: ["mocks/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
  // Instrumented, a fuzz sequence takes about 12 s against the suite's budget of 5 s a sequence, so the
  // fuzz suite would time out; the end-to-end tests, the README's commands, the indexer, the real-node and
  // real-CLI tests, the scripts' tests and the daemons' attack scenarios (hundreds of requests through real
  // agents) run other processes or replay what the contract tests already cover. The contract tests cover
  // every line and branch without them.
  mocha: {
    grep: "InferenceMarket fuzz|^e2e:|^README:|^indexer:|^tasks: node|^npx hardhat:|^scripts/|^daemons: attacks",
    invert: true,
  },
};
