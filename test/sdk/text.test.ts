import { expect } from "chai";
import { decodeText, encodeText } from "../../sdk/text";

describe("sdk/text", () => {
  it("encodes text as its UTF-8 bytes: an address input is its 42 characters, not its 20 bytes", () => {
    const address = "0x00000000000000000000000000000000000000aB";
    expect(encodeText("712")).to.equal("0x373132");
    expect(encodeText(address)).to.have.length(2 + 42 * 2);
    expect(decodeText(encodeText(address))).to.equal(address);
    expect(decodeText(encodeText("score é ✓"))).to.equal("score é ✓");
  });

  it("gives bytes that are not UTF-8 back as hex", () => {
    expect(decodeText("0xff00")).to.equal("0xff00");
    expect(decodeText(new Uint8Array([0xc3]))).to.equal("0xc3");
  });
});
