import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { formatEther, type Provider } from "ethers";
import type { CommonConfig } from "./config";
import { Health } from "./health";
import { createLogger, type Logger } from "./logger";
import { Metrics, meteredLogger, type DaemonName } from "./metrics";

export interface MetricsServer {
  /** The server's base URL, with the port it bound (the one asked for, or the system's pick for port 0). */
  url: string;
  close: () => Promise<void>;
}

interface Reply {
  code: number;
  type: string;
  body: string;
}

const text = (code: number, body: string): Reply => ({ code, type: "text/plain; charset=utf-8", body: `${body}\n` });

async function reply(method: string | undefined, url: string | undefined, metrics: Metrics, health: Health) {
  if (method !== "GET" && method !== "HEAD") return text(405, "method not allowed");
  const path = (url ?? "/").split("?")[0];
  if (path === "/healthz") {
    const status = await health.check();
    return status.ok ? text(200, "ok") : text(503, status.reason);
  }
  if (path === "/metrics") {
    return { code: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics() };
  }
  return text(404, "not found: GET /metrics or /healthz");
}

/** Serves `GET /metrics` (Prometheus text) and `GET /healthz` (200 "ok", or 503 and the reason in one line). */
export async function serveMetrics(
  metrics: Metrics,
  health: Health,
  { port, host }: { port: number; host: string },
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    reply(req.method, req.url, metrics, health)
      .catch((err: unknown) => text(500, err instanceof Error ? err.message : String(err)))
      .then(({ code, type, body }) => {
        res.writeHead(code, { "content-type": type });
        res.end(req.method === "HEAD" ? undefined : body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold the close until it times out.
        server.closeAllConnections();
      }),
  };
}

/**
 * A daemon's logger and, with METRICS_PORT, its metrics: the logger's lines are counted, and /metrics and
 * /healthz are served until `close`. A port that cannot be bound fails the start-up.
 */
export async function monitoring(
  daemon: DaemonName,
  config: CommonConfig,
  provider: Provider,
  address: string,
): Promise<{ log: Logger; close: () => Promise<void> }> {
  if (!config.metrics) return { log: createLogger(daemon, config.logLevel), close: async () => {} };
  const { port, host, minBalance } = config.metrics;
  const health = new Health({ provider, address, minBalance });
  const metrics = new Metrics(daemon, health);
  const log = meteredLogger(daemon, config.logLevel, metrics);
  const server = await serveMetrics(metrics, health, { port, host });
  log.info(
    { action: "metrics", status: "ready", url: server.url, minBalanceEth: formatEther(minBalance) },
    "serving /metrics and /healthz",
  );
  return { log, close: server.close };
}
