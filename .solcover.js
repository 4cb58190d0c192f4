// `hardhat coverage` settings. Mocks are test-only and not measured; json-summary writes
// coverage/coverage-summary.json, which scripts/check-coverage.ts gates on.
// The fuzz suite's 200 random sequences take about six minutes once instrumented: a coverage run takes 20
// unless FUZZ_RUNS is set.
process.env.FUZZ_RUNS ??= "20";

module.exports = {
  skipFiles: ["mocks/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
};
