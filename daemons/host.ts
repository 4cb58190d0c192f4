/**
 * The host agent daemon: answers the requests open to the modelers it serves (`--modelers`, per challenge)
 * that name this host, with the model given by `--model`, within the SLA: the model's output, or an error
 * output when the model rejects the input, fails or runs out of time. `npm run host -- --help` lists the flags.
 */
import "dotenv/config";
import { ConfigError, startFailure } from "./common/config";
import { checkDeployment, connect } from "./common/connect";
import { IndexedHistory } from "./common/indexer";
import { DEFAULT_RETRY } from "./common/retry";
import { Transactor } from "./common/transactor";
import { runDaemon } from "./common/run";
import { monitoring } from "./common/serve";
import { HostAgent } from "./host/agent";
import { HOST_USAGE, hostConfig } from "./host/config";

async function main(): Promise<number> {
  let config;
  try {
    config = hostConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(startFailure("host", err, process.env));
    return 2;
  }
  if (config === "help") {
    console.log(HOST_USAGE);
    return 0;
  }
  const { provider, signer } = connect(config.rpc, config.deployment, config.key, config.rpcConcurrency);
  const { log, close } = await monitoring("host", config, provider, signer.address);
  const history = config.indexerUrl ? new IndexedHistory(config.indexerUrl, config.deployment.market, log) : undefined;
  const transactor = new Transactor(signer, provider, config.tx, log, DEFAULT_RETRY);
  const agent = new HostAgent({
    signer,
    market: config.deployment.market,
    model: config.model,
    log,
    modelers: config.modelers,
    fromBlock: config.deployment.startBlock,
    logRange: config.logRange,
    batchSize: config.batchSize,
    modelBatches: config.modelBatches,
    marginS: config.marginS,
    modelTimeoutS: config.modelTimeoutS,
    maxPerPass: config.maxPerPass,
    maxInputBytes: config.maxInputBytes,
    waitMined: config.once,
    history,
    transactor,
    confirmations: config.tx.confirmations,
  });
  const modelers = config.modelers.map((m) => `${m.challengeId}:${m.modeler}`);
  log.info(
    {
      action: "start",
      status: "config",
      host: signer.address,
      model: config.modelPath,
      modelers,
      modelTimeoutS: config.modelTimeoutS,
      batchSize: config.batchSize,
      modelBatches: config.modelBatches,
      maxPerPass: config.maxPerPass,
      maxInputBytes: config.maxInputBytes,
      rpcConcurrency: config.rpcConcurrency,
      indexer: config.indexerUrl,
    },
    "host agent",
  );
  const code = await runDaemon({
    log,
    once: config.once,
    pollMs: config.pollMs,
    init: async () => {
      await checkDeployment(provider, config.deployment);
      await history?.check();
    },
    tick: (signal) => agent.tick(signal),
    summary: (r) => ({
      now: r.now,
      answered: r.answered,
      errors: r.errors.length,
      transactions: r.transactions,
      skipped: r.skipped.length,
    }),
  });
  transactor.stop();
  await close();
  provider.destroy();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(startFailure("host", err, process.env));
    process.exit(1);
  },
);
