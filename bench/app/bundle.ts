/*
 * The web app's first-load JavaScript: the scripts index.html loads (module scripts and modulepreloads) and every
 * chunk they import statically, each gzipped with node:zlib's defaults as a server would send it. Chunks reached
 * only by a dynamic import() load later and do not count.
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { gzipSync } from "node:zlib";

export interface BundleFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

const HTML_SCRIPTS = /<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/?([^"]+\.js)"/g;
/** `import … from "./x.js"`, `import "./x.js"` and `export … from "./x.js"`, not `import("./x.js")`. */
const STATIC_IMPORTS = /(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;

export function firstLoadJs(outDir: string): BundleFile[] {
  const html = readFileSync(join(outDir, "index.html"), "utf8");
  const pending = [...html.matchAll(HTML_SCRIPTS)].map((m) => posix.normalize(m[1]));
  const seen = new Map<string, BundleFile>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    const code = readFileSync(join(outDir, file));
    seen.set(file, { file, bytes: code.length, gzipBytes: gzipSync(code).length });
    for (const m of code.toString("utf8").matchAll(STATIC_IMPORTS)) pending.push(posix.join(posix.dirname(file), m[1]));
  }
  return [...seen.values()];
}
