/**
 * The keeper daemon: promotes each challenge's Top-10 once per epoch inside the promotion window, evicts
 * under-serving modelers and refunds expired requests. `npm run keeper -- --help` lists the flags.
 */
import "dotenv/config";
import { ConfigError, startFailure } from "./common/config";
import { checkDeployment, connect } from "./common/connect";
import { IndexedHistory } from "./common/indexer";
import { DEFAULT_RETRY } from "./common/retry";
import { runDaemon } from "./common/run";
import { monitoring } from "./common/serve";
import { sendThrough } from "./common/send-through";
import { Transactor } from "./common/transactor";
import { InferenceMarket__factory } from "../typechain-types";
import { KEEPER_USAGE, keeperConfig } from "./keeper/config";
import { keeperDaemon } from "./keeper/daemon";
import { Keeper } from "./keeper/keeper";

async function main(): Promise<number> {
  let config;
  try {
    config = keeperConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(startFailure("keeper", err, process.env));
    return 2;
  }
  if (config === "help") {
    console.log(KEEPER_USAGE);
    return 0;
  }
  const { provider, signer } = connect(config.rpc, config.deployment, config.key, config.rpcConcurrency);
  const { log, close } = await monitoring("keeper", config, provider, signer.address);
  const history = config.indexerUrl ? new IndexedHistory(config.indexerUrl, config.deployment.market, log) : undefined;
  const transactor = new Transactor(signer, provider, config.tx, log, DEFAULT_RETRY);
  const keeper = new Keeper({
    signer,
    market: config.deployment.market,
    leaderboards: config.leaderboards,
    log,
    fromBlock: config.deployment.startBlock,
    lookbackBlocks: config.lookbackBlocks,
    logRange: config.logRange,
    history,
    confirmations: config.tx.confirmations,
    send: sendThrough(transactor, InferenceMarket__factory.createInterface(), config.txWaitMs),
  });
  const code = await runDaemon(
    keeperDaemon(keeper, {
      log,
      once: config.once,
      pollMs: config.pollMs,
      checkDeployment: async () => {
        await checkDeployment(provider, config.deployment);
        await history?.check();
      },
    }),
  );
  transactor.stop();
  await close();
  provider.destroy();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(startFailure("keeper", err, process.env));
    process.exit(1);
  },
);
