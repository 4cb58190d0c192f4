import { expect } from "chai";
import { ERROR_CODES, decodeText, encodeText, errorOutput, isErrorOutput, parseErrorOutput } from "../../sdk/text";

describe("sdk/text", () => {
  it("encodes text as its UTF-8 bytes: an address input is its 42 characters, not its 20 bytes", () => {
    const address = "0x00000000000000000000000000000000000000aB";
    expect(encodeText("712")).to.equal("0x373132");
    expect(encodeText(address)).to.have.length(2 + 42 * 2);
    expect(decodeText(encodeText(address))).to.equal(address);
    expect(decodeText(encodeText("score é ✓"))).to.equal("score é ✓");
  });

  describe("error answers", () => {
    it("writes `error: <code>: <detail>` on one line and reads it back", () => {
      const text = errorOutput(ERROR_CODES.invalidInput, 'not a wallet address:\n  got  "x"');
      expect(text).to.equal('error: invalid-input: not a wallet address: got "x"');
      expect(isErrorOutput(text)).to.equal(true);
      expect(parseErrorOutput(text)).to.deep.equal({ code: "invalid-input", detail: 'not a wallet address: got "x"' });
      expect(parseErrorOutput(errorOutput(ERROR_CODES.timeout, ""))).to.deep.equal({ code: "timeout", detail: "" });
      expect(parseErrorOutput("error: odd")).to.deep.equal({ code: "odd", detail: "" });
    });

    it("tells results apart: only the exact prefix marks an error", () => {
      for (const result of ["712", "Error: 1", "errors: 2", " error: x", ""]) {
        expect(isErrorOutput(result), result).to.equal(false);
        expect(parseErrorOutput(result)).to.equal(undefined);
      }
    });
  });

  it("gives bytes that are not UTF-8 back as hex", () => {
    expect(decodeText("0xff00")).to.equal("0xff00");
    expect(decodeText(new Uint8Array([0xc3]))).to.equal("0xc3");
  });
});
