import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Agent } from "undici";
import { tempDir } from "./helpers";

/** Whether the openssl command is there to make a test certificate; the https tests are skipped without it. */
export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate for 127.0.0.1, made for this run only. */
function certificate(): { key: Buffer; cert: Buffer } {
  const dir = tempDir();
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  // prettier-ignore
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export interface TestHttps {
  /** The server's base URL, `https://127.0.0.1:<port>`. */
  base: string;
  /** The global fetch, trusting this server's certificate (and no other). */
  fetch: typeof fetch;
  close(): Promise<void>;
}

/**
 * An https server on 127.0.0.1 with a certificate of its own. The keeper reads only https URLs; the returned
 * fetch is Node's own with a dispatcher that trusts the test certificate, so redirects, timeouts and bodies
 * go through the same code as in production.
 */
export async function httpsServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestHttps> {
  const { key, cert } = certificate();
  const server: Server = createServer({ key, cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agent = new Agent({ connect: { ca: cert } });
  const trusting: typeof fetch = (input, init) => fetch(input, { ...init, dispatcher: agent } as RequestInit);
  return {
    base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fetch: trusting,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}
