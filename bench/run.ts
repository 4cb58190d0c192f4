import { stopAll } from "../test/e2e/harness";

/** Runs a benchmark: exits with what `main` returns, or with 1 once every child process it started is stopped. */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    async (err: unknown) => {
      console.error(err);
      await stopAll();
      process.exit(1);
    },
  );
}
