/*
 * An injected test wallet: an EIP-1193 provider announced through EIP-6963 (and set as window.ethereum) in the
 * page, whose every call goes to `TestWallet` in the test process through `page.exposeFunction`, where a local
 * key signs. It answers the accounts, chain, signing, sending and switching calls as a browser wallet does and
 * forwards every other call (the reads) to the node, so the app's real injected-wallet path is what runs.
 */
import { NonceManager, toQuantity, Wallet, type HDNodeWallet } from "ethers";
import type { Page } from "playwright-core";
import type { Node } from "../e2e/harness";

/** What the page receives for one call: a result, or an EIP-1193 error, and events to emit after it. */
type Reply =
  { result: unknown; events?: [string, unknown][] } | { error: { code: number; message: string; data?: unknown } };

const BINDING = "__testWallet";
export const WALLET_NAME = "Test Wallet";
const INFO = { name: WALLET_NAME, rdns: "org.example.testwallet", uuid: "6f1d5b8e-6c1e-4a8e-9a43-3f1c0e1b7d20" };

/** EIP-1193: the user rejected the request. */
const REJECTED: Reply = { error: { code: 4001, message: "User rejected the request." } };

/** Runs in the page before its scripts (page.addInitScript): the provider, calling the binding for each request. */
function installTestWallet(info: typeof INFO & { binding: string }): void {
  type Listener = (arg: unknown) => void;
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, arg: unknown) => listeners.get(event)?.forEach((fn) => fn(arg));
  // A real wallet shares accounts with a page only once the page asked (eth_requestAccounts).
  let authorized = false;
  const provider = {
    async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
      if (method === "eth_accounts" && !authorized) return [];
      const call = (window as unknown as Record<string, (m: string, p: unknown[]) => Promise<Reply>>)[info.binding];
      const reply = await call(method, params ?? []);
      if ("error" in reply) throw Object.assign(new Error(reply.error.message), reply.error);
      if (method === "eth_requestAccounts") authorized = true;
      for (const [event, arg] of reply.events ?? []) emit(event, arg);
      return reply.result;
    },
    on(event: string, fn: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(fn);
      return provider;
    },
    removeListener(event: string, fn: Listener) {
      listeners.get(event)?.delete(fn);
      return provider;
    },
  };
  const icon = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E";
  const detail = Object.freeze({
    info: Object.freeze({ name: info.name, rdns: info.rdns, uuid: info.uuid, icon }),
    provider,
  });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
  Object.defineProperty(window, "ethereum", { value: provider, configurable: true });
  // The test's hand on the wallet's events, as when its user picks another account.
  Object.defineProperty(window, `${info.binding}Emit`, { value: emit });
}

/** The wallet's side in the test process: the key, the chain the wallet is on, and what the user will refuse. */
export class TestWallet {
  private signer: Wallet | HDNodeWallet;
  /** Sends: ethers caches a nonce read for a moment, and a second transaction right after the first would reuse it. */
  private sender: NonceManager;
  /** The chain the wallet says it is on; `wallet_switchEthereumChain` changes it. */
  chainId: number;
  /** The user's next signature or transaction is refused (EIP-1193 error 4001). */
  rejectNext = false;

  constructor(
    key: Wallet | HDNodeWallet,
    private readonly node: Node,
    options: { chainId?: number } = {},
  ) {
    this.signer = key.connect(node.provider);
    this.sender = new NonceManager(this.signer);
    this.chainId = options.chainId ?? 31337;
  }

  get address(): string {
    return this.signer.address;
  }

  /** Injects the wallet into every document `page` loads. */
  async attach(page: Page): Promise<void> {
    await page.exposeFunction(BINDING, (method: string, params: unknown[]) => this.handle(method, params));
    await page.addInitScript(installTestWallet, { ...INFO, binding: BINDING });
  }

  /** The user picks another account in the wallet: it signs from now on, and `page` is told (accountsChanged). */
  async switchAccount(page: Page, key: Wallet | HDNodeWallet): Promise<void> {
    this.signer = key.connect(this.node.provider);
    this.sender = new NonceManager(this.signer);
    await page.evaluate(
      ([emit, address]) =>
        (window as unknown as Record<string, (e: string, a: unknown) => void>)[emit]("accountsChanged", [address]),
      [`${BINDING}Emit`, this.address],
    );
  }

  private refuses(): boolean {
    const refuse = this.rejectNext;
    this.rejectNext = false;
    return refuse;
  }

  private async handle(method: string, params: unknown[]): Promise<Reply> {
    try {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return { result: [this.address] };
        case "eth_chainId":
          return { result: toQuantity(this.chainId) };
        case "net_version":
          return { result: String(this.chainId) };
        case "wallet_switchEthereumChain": {
          const chainId = Number((params[0] as { chainId: string }).chainId);
          if (chainId !== 31337 && chainId !== 1)
            return { error: { code: 4902, message: `Unrecognized chain ID ${chainId}` } };
          this.chainId = chainId;
          return { result: null, events: [["chainChanged", toQuantity(chainId)]] };
        }
        case "eth_signTypedData_v4": {
          if (this.refuses()) return REJECTED;
          const typed = JSON.parse(params[1] as string);
          // ethers derives the domain type itself and refuses it in `types`.
          delete typed.types.EIP712Domain;
          return { result: await this.signer.signTypedData(typed.domain, typed.types, typed.message) };
        }
        case "eth_sendTransaction": {
          if (this.refuses()) return REJECTED;
          const tx = params[0] as { to: string; data?: string; value?: string; gas?: string };
          const sent = await this.sender.sendTransaction({
            to: tx.to,
            data: tx.data,
            value: tx.value === undefined ? undefined : BigInt(tx.value),
            gasLimit: tx.gas === undefined ? undefined : BigInt(tx.gas),
          });
          return { result: sent.hash };
        }
        default:
          return await this.forward(method, params);
      }
    } catch (err) {
      return { error: { code: -32603, message: (err as Error).message } };
    }
  }

  /** A read, sent to the node as it is, its JSON-RPC error (with any revert data) passed back as it is. */
  private async forward(method: string, params: unknown[]): Promise<Reply> {
    const res = await fetch(this.node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    return body.error ? { error: body.error } : { result: body.result ?? null };
  }
}
