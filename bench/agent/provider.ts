import { JsonRpcProvider, Network, keccak256, type JsonRpcPayload, type JsonRpcResult } from "ethers";

/** A connection the node closed under the bench's load: the request may or may not have reached it. */
const isReset = (err: unknown) => /ECONNRESET|socket hang up/i.test(String((err as Error)?.message ?? err));

/**
 * The bench's own provider toward an overloaded node: a call whose connection is reset is sent once more.
 * Reads are idempotent; a raw transaction sent again is the same transaction, and a node that says it knows
 * it already got it the first time.
 */
export class BenchProvider extends JsonRpcProvider {
  constructor(url: string) {
    const network = Network.from(31337);
    super(url, network, { staticNetwork: network, pollingInterval: 200, batchMaxCount: 1 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    try {
      return await super._send(payload);
    } catch (err) {
      if (!isReset(err)) throw err;
      const results = await super._send(payload);
      return results.map((r, i) => {
        const p = Array.isArray(payload) ? payload[i] : payload;
        const error = "error" in r ? (r.error as { message?: string }) : undefined;
        const known = /known transaction|already known/i.test(String(error?.message));
        return p.method === "eth_sendRawTransaction" && known
          ? { id: r.id, result: keccak256(String((p.params as unknown[])[0])) }
          : r;
      });
    }
  }
}
