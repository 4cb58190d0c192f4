// `hardhat coverage` settings. Mocks are test-only and not measured; json-summary writes
// coverage/coverage-summary.json, which scripts/check-coverage.ts gates on.
module.exports = {
  skipFiles: ["mocks/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
  // Only the contract suites run instrumented: they cover every line and branch of contracts/ on their own
  // (the gate checks it). The SDK, CLI, daemon, script, indexer, end-to-end and README suites drive the same
  // contract paths through other code or other processes, and would only double the run. The fuzz suite is
  // left out too: instrumented, a sequence takes about 12 s against its budget of 5 s.
  mocha: {
    grep: "^(InferenceMarket(?! fuzz)|adversarial|Epochs|Payouts|regressions)",
  },
};
