/*
 * Runs the project's real processes against a real JSON-RPC node: `hardhat node` on a free port, the
 * deploy script, the CLI tasks and the daemons, each a child process in its own process group whose
 * output is kept for assertions. Every child is registered until it exits, and `stopAll()` (or the test
 * process's own exit) kills every group left, so a failed test leaves no node or daemon behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Network } from "ethers";

export const ROOT = resolve(__dirname, "..", "..");
const HARDHAT = join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");
/** anvil's binary as `@foundry-rs/anvil` installs it (its own postinstall and launcher are not needed). */
const ANVIL = join(ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
/** Where `hardhat node` starts its clock (hardhat.config.ts): anvil starts there too. */
const GENESIS = "2026-11-20T00:00:00Z";

/** The accounts of `hardhat node`: the default mnemonic, 40 of them (hardhat.config.ts). */
export const MNEMONIC = "test test test test test test test test test test test junk";
export const ACCOUNTS = 40;

/** The node's account `index` as a wallet (its private key and address), not connected. */
export function account(index: number): HDNodeWallet {
  if (!Number.isInteger(index) || index < 0 || index >= ACCOUNTS)
    throw new Error(`the node has accounts 0..${ACCOUNTS - 1}, not ${index}`);
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

/** A TCP port nobody listens on right now, chosen by the system. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export type Env = Record<string, string | undefined>;

/**
 * Every variable the tools read from .env (as listed in .env.example) set to empty, which the tools read as
 * unset and which dotenv does not override: a developer's .env never changes what a test runs.
 */
function neutralEnv(): Env {
  const names = readFileSync(join(ROOT, ".env.example"), "utf8").match(/^[A-Z][A-Z0-9_]*(?==)/gm) ?? [];
  return Object.fromEntries(names.map((n) => [n, ""]));
}

/** The environment of a child: ours, without a network choice, .env neutralised, then `env`. */
export function childEnv(env: Env = {}): NodeJS.ProcessEnv {
  const base: Env = { ...process.env, ...neutralEnv(), FORCE_COLOR: "0", NO_COLOR: "1", ...env };
  delete base.HARDHAT_NETWORK;
  return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A pino line of a daemon (or any JSON line a child prints). */
export type LogLine = Record<string, unknown> & { level?: number; action?: string; status?: string; msg?: string };

const live = new Set<Proc>();

function killAllNow(): void {
  for (const p of live) p.signal("SIGKILL");
}

// The children live in their own process groups, so neither a terminal's Ctrl-C nor our exit reaches them.
process.on("exit", killAllNow);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    killAllNow();
    process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
  });
}

/** One child process, leader of its own process group, with its output split into lines. */
export class Proc {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  exit?: Exit;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    /** Lines of each stream kept: the node prints one per RPC call. */
    private readonly keepLines = Infinity,
  ) {
    this.child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    live.add(this);
    this.collect(this.child.stdout!, this.stdout);
    this.collect(this.child.stderr!, this.stderr);
    this.exited = new Promise((resolveExit) => {
      this.child.on("error", (err) => {
        this.stderr.push(`spawn failed: ${err.message}`);
        this.finish({ code: null, signal: null }, resolveExit);
      });
      // "close", not "exit": both pipes are drained, so the last lines are in.
      this.child.on("close", (code, signal) => this.finish({ code, signal }, resolveExit));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private finish(exit: Exit, resolveExit: (e: Exit) => void) {
    if (this.exit) return;
    this.exit = exit;
    live.delete(this);
    resolveExit(exit);
    for (const w of this.waiters) w();
  }

  private collect(stream: NodeJS.ReadableStream, lines: string[]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
      if (lines.length > this.keepLines) lines.splice(0, lines.length - this.keepLines);
      for (const w of this.waiters) w();
    });
    stream.on("end", () => {
      if (partial !== "") lines.push(partial);
      partial = "";
    });
  }

  /** Signals the whole process group; a group already gone is not an error. */
  signal(sig: NodeJS.Signals): void {
    if (this.exit || this.pid < 0) return;
    try {
      process.kill(-this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }

  /** Whether any process of the group is still alive (a daemon's child counts). */
  groupAlive(): boolean {
    if (this.pid < 0) return false;
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited and its group is gone. */
  async stop(graceMs = 5_000): Promise<Exit> {
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    await this.killGroup();
    return exit;
  }

  /** SIGKILL to the group, and waits until nothing of it is left. */
  async kill(): Promise<Exit> {
    this.signal("SIGKILL");
    const exit = await this.exited;
    await this.killGroup();
    return exit;
  }

  /** Grandchildren outlive their parent unless killed: SIGKILL the group until it is empty. */
  private async killGroup() {
    for (let i = 0; i < 50 && this.groupAlive(); i++) {
      try {
        process.kill(-this.pid, "SIGKILL");
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.groupAlive()) throw new Error(`${this.name}: process group ${this.pid} survives SIGKILL`);
  }

  /** Stdout lines that are JSON objects (a daemon's pino log), parsed. */
  logs(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.stdout) {
      if (!line.startsWith("{")) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // A line that only looks like JSON is left to `output()`.
      }
    }
    return out;
  }

  /** Log lines of `action` (and `status`). */
  logsOf(action: string, status?: string): LogLine[] {
    return this.logs().filter((l) => l.action === action && (status === undefined || l.status === status));
  }

  /** Everything printed, for failure messages. */
  output(tail = 40): string {
    const out = this.stdout.slice(-tail).join("\n");
    const err = this.stderr.slice(-tail).join("\n");
    return `--- ${this.name} (pid ${this.pid}) stdout\n${out}\n--- stderr\n${err}`;
  }

  /**
   * Resolves with the first value `probe` returns that is not undefined, checked on every new line; rejects
   * when the process exits first or after `timeoutMs`, with the output in the message.
   */
  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolveWait, reject) => {
      const check = () => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (value !== undefined) {
          done();
          resolveWait(value);
        } else if (this.exit) {
          done();
          reject(new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}\n${this.output()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.output()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The first log line for which `match` holds, waiting for it. */
  waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitFor(() => this.logs().find(match), what, timeoutMs);
  }
}

/** A finished command's result. */
export interface Ran extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Children still running, for a last check that a run left nothing behind. */
export function liveChildren(): readonly Proc[] {
  return [...live];
}

/** Stops every child still running: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 3_000): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(graceMs)));
}

/** Runs a command to its end (killing its group after `timeoutMs`) and returns what it printed. */
export async function run(name: string, command: string, args: string[], env: Env, timeoutMs = 120_000): Promise<Ran> {
  const started = Date.now();
  const p = new Proc(name, command, args, childEnv(env));
  const timer = setTimeout(() => p.signal("SIGKILL"), timeoutMs);
  const exit = await p.exited;
  clearTimeout(timer);
  const ms = Date.now() - started;
  if (exit.signal === "SIGKILL" && ms >= timeoutMs)
    throw new Error(`${name} did not finish within ${timeoutMs} ms\n${p.output()}`);
  return { ...exit, stdout: p.stdout.join("\n"), stderr: p.stderr.join("\n"), ms };
}

/** `npx hardhat <args>` without npx: the same CLI, one process. */
export function hardhat(args: string[], env: Env, timeoutMs?: number): Promise<Ran> {
  return run(`hardhat ${args[0]}`, process.execPath, [HARDHAT, ...args], env, timeoutMs);
}

/** A daemon (`daemons/<name>.ts`) as `npm run <name>` runs it, minus the compile step: one node process. */
export function daemon(name: "keeper" | "host", args: string[], env: Env): Proc {
  const script = join(ROOT, "daemons", `${name}.ts`);
  return new Proc(name, process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], childEnv(env));
}

/** The two nodes the tests run on: Hardhat's own, and anvil (Foundry's), an independent implementation. */
export type NodeKind = "hardhat" | "anvil";

/** A `hardhat node` or an anvil on a free port, with JSON-RPC helpers for the clock. */
export class Node {
  private constructor(
    readonly proc: Proc,
    readonly url: string,
    readonly provider: JsonRpcProvider,
    readonly kind: NodeKind = "hardhat",
  ) {}

  /** Starts the node and resolves once it answers JSON-RPC; a port taken meanwhile is retried with another. */
  static async start(timeoutMs = 90_000, env: Env = {}): Promise<Node> {
    const node = await Node.launch("hardhat", timeoutMs, /EADDRINUSE/, (port) => [
      process.execPath,
      [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)],
      childEnv(env),
    ]);
    // The node prints every call; the daemons poll, so that would be most of its work.
    await node.rpc("hardhat_setLoggingEnabled", [false]);
    return node;
  }

  /**
   * Starts anvil as `hardhat node` is set up: chain 31337, the same mnemonic and 40 accounts, the same start
   * date, automining with no interval. `args` are added to its command line.
   */
  static startAnvil(timeoutMs = 30_000, args: string[] = []): Promise<Node> {
    return Node.launch("anvil", timeoutMs, /in use/i, (port) => [
      ANVIL,
      [
        ...["--host", "127.0.0.1", "--port", String(port), "--silent", "--chain-id", "31337"],
        ...["--mnemonic", MNEMONIC, "--accounts", String(ACCOUNTS), "--timestamp", String(Date.parse(GENESIS) / 1000)],
        ...args,
      ],
      childEnv(),
    ]);
  }

  /** Starts `kind` on a free port until it answers JSON-RPC; a port taken meanwhile (`inUse`) is tried again. */
  private static async launch(
    kind: NodeKind,
    timeoutMs: number,
    inUse: RegExp,
    command: (port: number) => [string, string[], NodeJS.ProcessEnv],
  ): Promise<Node> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const proc = new Proc(kind === "hardhat" ? "hardhat node" : "anvil", ...command(port), 200);
      const url = `http://127.0.0.1:${port}`;
      try {
        await Node.ready(proc, url, timeoutMs);
      } catch (err) {
        await proc.kill();
        if (attempt < 3 && inUse.test(proc.output())) continue;
        throw err;
      }
      const network = Network.from(31337);
      const provider = new JsonRpcProvider(url, network, { staticNetwork: network, pollingInterval: 200 });
      return new Node(proc, url, provider, kind);
    }
  }

  private static async ready(proc: Proc, url: string, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exit) throw new Error(`${proc.name} exited before answering\n${proc.output()}`);
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(2_000),
        });
        if (res.ok && ((await res.json()) as { result?: string }).result === "0x7a69") return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline)
        throw new Error(`${proc.name} not answering at ${url} within ${timeoutMs} ms\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return this.provider.send(method, params) as Promise<T>;
  }

  /** Mines a block at exactly `timestamp`; later blocks follow the wall clock from there. */
  async mineAt(timestamp: bigint): Promise<void> {
    await this.rpc("evm_setNextBlockTimestamp", [Number(timestamp)]);
    await this.rpc("evm_mine");
  }

  /** Moves the clock `seconds` forward and mines a block there. */
  async advance(seconds: number): Promise<void> {
    await this.rpc("evm_increaseTime", [seconds]);
    await this.rpc("evm_mine");
  }

  /** The next block's base fee, in wei: each node names the call its own way. */
  async setNextBlockBaseFee(wei: bigint): Promise<void> {
    const method = this.kind === "anvil" ? "anvil_setNextBlockBaseFeePerGas" : "hardhat_setNextBlockBaseFeePerGas";
    await this.rpc(method, [`0x${wei.toString(16)}`]);
  }

  async latestTimestamp(): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    return BigInt(block!.timestamp);
  }

  async stop(): Promise<void> {
    this.provider.destroy();
    await this.proc.stop();
  }
}

const JOURNALS = join(ROOT, "ignition", "deployments");

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Where a run deploys: its own deployment file (in a temporary directory) and Ignition journal, so runs in
 * parallel and a developer's deployments/localhost.json never meet. `remove()` deletes both, and a new spot
 * deletes the journals of earlier runs whose process is gone.
 */
export class DeploySpot {
  readonly id = `e2e-${process.pid}-${Date.now()}`;
  readonly dir = mkdtempSync(join(tmpdir(), "e2e-"));
  readonly file = join(this.dir, "deployment.json");
  readonly journal = join(JOURNALS, this.id);

  constructor() {
    const names = existsSync(JOURNALS) ? readdirSync(JOURNALS) : [];
    for (const name of names) {
      const pid = /^e2e-(\d+)-\d+$/.exec(name)?.[1];
      if (pid !== undefined && !pidAlive(Number(pid))) rmSync(join(JOURNALS, name), { recursive: true, force: true });
    }
  }

  /** The deploy script's settings that keep this run off the shared deployments/localhost.json. */
  env(): Env {
    return { DEPLOYMENT_OUT: this.file, IGNITION_DEPLOYMENT_ID: this.id };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.journal, { recursive: true, force: true });
  }
}
