import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { Sender } from "../../daemons/host/send";
import type { Market, OpenRequest } from "../../sdk/market";
import { FAST_RETRY, captureLog } from "./helpers";

/** A request open to list position 0, made by transaction `txHash`. */
function open(txHash: string, requestId = 1n): OpenRequest {
  return {
    requestId,
    key: { challengeId: 1n, listId: 1n, requester: ZeroAddress, fee: 1n },
    input: "0x",
    createdAt: 1_000n,
    deadline: 1_600n,
    blockNumber: 10,
    txHash,
    index: 0,
    modeler: ZeroAddress,
  };
}

describe("host agent: Sender", () => {
  // Only the memo is exercised: no call reaches the market.
  const sender = () => new Sender({} as Market, captureLog().log, FAST_RETRY);

  describe("cached", () => {
    it("gives back a kept output for the same request, made by the same transaction", () => {
      const s = sender();
      s.keep(open("0xaa"), "795");
      expect(s.cached(open("0xaa"))).to.deep.equal({ output: "795" });
    });

    it("never for a request that a reorganisation gave the same id in another transaction", () => {
      const s = sender();
      s.keep(open("0xaa"), "795");
      expect(s.cached(open("0xbb"))).to.equal(undefined);
    });

    it("forgets an output once its deadline has passed", () => {
      const s = sender();
      s.keep(open("0xaa"), "795");
      s.forget(1_600n);
      expect(s.cached(open("0xaa"))).to.deep.equal({ output: "795" });
      s.forget(1_601n);
      expect(s.cached(open("0xaa"))).to.equal(undefined);
    });
  });
});
