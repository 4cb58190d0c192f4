// The settings of .env (RPC_URL, INDEXER_URL, DEPLOYMENT, NETWORK), as the tasks and daemons read them.
import "dotenv/config";
import type { IncomingMessage, ServerResponse } from "node:http";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { appConfig } from "./config-file";

/**
 * Serves /config.json from the deployment file and the environment of the dev or preview server, read at each
 * request: a build made once serves whatever deployment the server is started for. A build also writes
 * dist/config.json when it finds a deployment, for a static host (replace the file to point the build elsewhere).
 */
function configJson(): Plugin {
  const serve = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.url?.split("?")[0] !== "/config.json") return next();
    try {
      res.setHeader("content-type", "application/json");
      res.setHeader("cache-control", "no-store");
      res.end(JSON.stringify(appConfig()));
    } catch (err) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: (err as Error).message }));
    }
  };
  return {
    name: "config-json",
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
    generateBundle() {
      try {
        this.emitFile({ type: "asset", fileName: "config.json", source: `${JSON.stringify(appConfig(), null, 2)}\n` });
      } catch (err) {
        this.warn(`no config.json in the build: ${(err as Error).message}`);
      }
    },
  };
}

export default defineConfig({
  root: __dirname,
  plugins: [react(), configJson()],
  preview: { host: "127.0.0.1" },
  server: { host: "127.0.0.1" },
});
