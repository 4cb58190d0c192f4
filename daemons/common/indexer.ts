import { getAddress } from "ethers";
import { IndexerClient } from "../../sdk/indexer";
import { decodeError } from "../../sdk/errors";
import { sameAddress } from "../../sdk/market-reads";
import { ConfigError } from "./config";
import type { Logger } from "./logger";

/**
 * The daemons' optional history source (`INDEXER_URL`). A scan asks the indexer for what it holds up to its
 * last block and reads the chain's logs only after that block, so an index that lags costs a longer log scan
 * and never a missed request. When the indexer does not answer, the scan reads the logs as it does without
 * one: an indexer is a speed-up, never a dependency. Each change between the two is logged once.
 */
export class IndexedHistory {
  readonly client: IndexerClient;
  private answering = true;

  constructor(
    url: string,
    private readonly market: string,
    private readonly log: Logger,
  ) {
    this.client = new IndexerClient(url);
  }

  /**
   * At start: an indexer of another market is a configuration error (its history is not this market's); one
   * that does not answer yet is logged, and the scans read the logs until it does.
   */
  async check(): Promise<void> {
    const status = await this.read("status", (c) => c.status());
    if (status === undefined) return;
    if (status.market !== "" && !sameAddress(status.market, this.market))
      throw new ConfigError(
        `the indexer at ${this.client.url} indexes the market ${getAddress(status.market)}, not the deployment's ${this.market}`,
      );
    this.log.info({ action: "indexer", status: "ready", url: this.client.url }, "reading history from the indexer");
  }

  /** `query`'s answer, or undefined when the indexer fails it: the caller then scans the chain's logs. */
  async read<T>(query: string, run: (client: IndexerClient) => Promise<T>): Promise<T | undefined> {
    try {
      const answer = await run(this.client);
      if (!this.answering) {
        this.answering = true;
        this.log.info({ action: "indexer", status: "recovered", query }, "the indexer answers again");
      }
      return answer;
    } catch (err) {
      if (this.answering) {
        this.answering = false;
        this.log.warn(
          { action: "indexer", status: "failed", query, url: this.client.url, error: decodeError(err) },
          "the indexer does not answer: reading the chain's logs until it does",
        );
      }
      return undefined;
    }
  }
}
