import { expect } from "chai";
import { combine, first, majority, median, results } from "../../sdk/combine";

describe("sdk/combine", () => {
  describe("first", () => {
    it("is the earliest answer, or undefined without answers", () => {
      expect(first(["712", "650", "650"])).to.equal("712");
      expect(first([])).to.equal(undefined);
    });
  });

  describe("majority", () => {
    it("is the most frequent answer", () => {
      expect(majority(["700", "650", "700", "650", "700"])).to.equal("700");
      expect(majority(["1", "2", "2"])).to.equal("2");
    });

    it("breaks a tie by the answer given earliest", () => {
      expect(majority(["650", "700", "700", "650"])).to.equal("650");
      expect(majority(["b", "a"])).to.equal("b");
      expect(majority(["x", "y", "z", "z", "y"])).to.equal("y");
    });

    it("is undefined without answers", () => {
      expect(majority([])).to.equal(undefined);
    });
  });

  describe("median", () => {
    it("is the middle value of an odd count, in numeric (not text) order", () => {
      expect(median(["712", "90", "1000"])).to.equal(712);
      expect(median(["3"])).to.equal(3);
    });

    it("is the mean of the two middle values of an even count", () => {
      expect(median(["700", "720"])).to.equal(710);
      expect(median(["1", "2", "3", "10"])).to.equal(2.5);
    });

    it("ignores answers that are not numbers, and is undefined when none is", () => {
      expect(median(["700", "n/a", "", "0x1g", "720", "710"])).to.equal(710);
      expect(median(["n/a", " "])).to.equal(undefined);
      expect(median([])).to.equal(undefined);
    });
  });

  describe("combine", () => {
    it("applies the named method and gives text", () => {
      const outputs = ["700", "650", "650", "720"];
      expect(combine("first", outputs)).to.equal("700");
      expect(combine("majority", outputs)).to.equal("650");
      expect(combine("median", outputs)).to.equal("675");
      expect(combine("median", ["x"])).to.equal(undefined);
    });

    it("leaves error answers out of every method", () => {
      const outputs = [
        "error: timeout: no result within 60 s",
        "700",
        "error: invalid-input: x",
        "error: invalid-input: x",
        "650",
        "650",
      ];
      expect(results(outputs)).to.deep.equal(["700", "650", "650"]);
      expect(combine("first", outputs)).to.equal("700");
      expect(combine("majority", outputs)).to.equal("650");
      expect(combine("median", outputs)).to.equal("650");
      const errorsOnly = ["error: model-failed: boom", "error: model-failed: boom"];
      for (const method of ["first", "majority", "median"] as const)
        expect(combine(method, errorsOnly)).to.equal(undefined);
    });
  });
});
