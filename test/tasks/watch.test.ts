import { expect } from "chai";
import { duration, resumeHint, waitingLine } from "../../tasks/lib/watch";

describe("tasks/lib/watch", () => {
  describe("resumeHint", () => {
    it("names the network and the request in the commands that wait again and refund", () => {
      expect(resumeHint("localhost", 3n)).to.deep.equal({
        resume: "npx hardhat --network localhost answers --request 3 --wait",
        refund: "npx hardhat --network localhost refund --request 3",
      });
    });

    it("passes --market on when the task was given one", () => {
      const market = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
      expect(resumeHint("sepolia", 12n, market)).to.deep.equal({
        resume: `npx hardhat --network sepolia answers --request 12 --wait --market ${market}`,
        refund: `npx hardhat --network sepolia refund --request 12 --market ${market}`,
      });
    });
  });

  describe("waitingLine", () => {
    it("counts the modelers it waits for, or says it waits for the refund when none can answer", () => {
      const due = "2026-11-26T00:10:01Z";
      expect([5, 1, 0].map((n) => waitingLine(n, due))).to.deep.equal([
        `waiting for answers from 5 modelers until ${due} (Ctrl-C stops waiting; the request stays)`,
        `waiting for answers from 1 modeler until ${due} (Ctrl-C stops waiting; the request stays)`,
        `no modeler can answer it: waiting for the deadline ${due} to refund (Ctrl-C stops waiting)`,
      ]);
    });
  });

  describe("duration", () => {
    it("shows minutes and two-digit seconds, and nothing below zero", () => {
      expect([600n, 575n, 9n, 0n, -4n].map(duration)).to.deep.equal(["10m00s", "9m35s", "0m09s", "0m00s", "0m00s"]);
    });
  });
});
