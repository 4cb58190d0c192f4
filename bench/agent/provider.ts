import { JsonRpcProvider, Network, keccak256, type JsonRpcPayload, type JsonRpcResult } from "ethers";

/** A connection the node closed under the bench's load: the request may or may not have reached it. */
const isReset = (err: unknown) => /ECONNRESET|socket hang up/i.test(String((err as Error)?.message ?? err));

/** How many times a call is sent in all before a reset is let through. */
const SENDS = 5;

/**
 * The bench's own provider toward an overloaded node: a call whose connection is reset is sent again, after a
 * growing pause. Reads are idempotent; a raw transaction sent again is the same transaction, and a node that
 * says it knows it already got it the first time.
 */
export class BenchProvider extends JsonRpcProvider {
  constructor(url: string) {
    const network = Network.from(31337);
    super(url, network, { staticNetwork: network, pollingInterval: 200, batchMaxCount: 1 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    for (let send = 1; ; send++) {
      try {
        const results = await super._send(payload);
        return send === 1 ? results : results.map((r, i) => known(Array.isArray(payload) ? payload[i] : payload, r));
      } catch (err) {
        if (!isReset(err) || send === SENDS) throw err;
        await new Promise((r) => setTimeout(r, 100 * send));
      }
    }
  }
}

/** A raw transaction that a reset call did deliver: its hash, instead of the node's "already known". */
function known(p: JsonRpcPayload, r: JsonRpcResult): JsonRpcResult {
  const error = "error" in r ? (r.error as { message?: string }) : undefined;
  return p.method === "eth_sendRawTransaction" && /known transaction|already known/i.test(String(error?.message))
    ? { id: r.id, result: keccak256(String((p.params as unknown[])[0])) }
    : r;
}
