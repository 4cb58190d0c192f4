import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { judge, type ListMember } from "../../sdk";

const START = 1_795_651_200n; // Thursday 2026-11-26 00:00:00 UTC
const member = (over: Partial<ListMember> = {}): ListMember => ({
  index: 2,
  modeler: "0x00000000000000000000000000000000000000aa",
  host: "0x00000000000000000000000000000000000000bb",
  optedInAt: START - 100n,
  evicted: false,
  ...over,
});
const figures = (points: bigint, answeredRequests: bigint) => ({
  points,
  answeredRequests,
  thresholdBps: 5_000n,
  epochStart: START,
});

describe("sdk/eviction judge", () => {
  it("puts a judged modeler under the threshold below half of the answered requests, not at half", () => {
    expect(judge(member(), 1n, figures(4n, 10n))).to.include({ judged: true, below: true, threshold: 5n });
    expect(judge(member(), 1n, figures(5n, 10n))).to.include({ judged: true, below: false, threshold: 5n });
    // An odd count: 3 of 5 keeps it (ceil(2.5)), 2 of 5 does not.
    expect(judge(member(), 1n, figures(3n, 5n))).to.include({ below: false, threshold: 3n });
    expect(judge(member(), 1n, figures(2n, 5n))).to.include({ below: true, threshold: 3n });
  });

  it("puts nobody under when no request was answered", () => {
    expect(judge(member(), 1n, figures(0n, 0n))).to.include({ judged: true, below: false, threshold: 0n });
  });

  it("judges an opt-in at the epoch's first second, not one second later", () => {
    expect(judge(member({ optedInAt: START }), 1n, figures(0n, 10n))).to.include({ judged: true, below: true });
    const late = judge(member({ optedInAt: START + 1n }), 1n, figures(0n, 10n));
    expect(late).to.include({ judged: false, below: false, notJudgedBecause: "opted in during or after the epoch" });
  });

  it("judges no unregistered or evicted modeler", () => {
    expect(judge(member({ host: ZeroAddress, optedInAt: 0n }), 1n, figures(0n, 10n))).to.include({
      judged: false,
      notJudgedBecause: "not registered",
      below: false,
    });
    expect(judge(member({ evicted: true }), 1n, figures(0n, 10n))).to.include({
      judged: false,
      notJudgedBecause: "evicted",
      below: false,
    });
  });
});
