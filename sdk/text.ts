import { hexlify, toUtf8Bytes, toUtf8String, type BytesLike } from "ethers";

/*
 * By convention a request's input and an answer's output are UTF-8 text: an input such as a wallet
 * address "0xabc…" is the text of the address (42 bytes), not its 20 raw bytes; an output such as a
 * score is "712".
 */

/** The bytes of `text`, as hex for the contract. */
export function encodeText(text: string): string {
  return hexlify(toUtf8Bytes(text));
}

/** The text of `bytes`; bytes that are not UTF-8 come back as their hex so nothing is lost. */
export function decodeText(bytes: BytesLike): string {
  try {
    return toUtf8String(bytes);
  } catch {
    return hexlify(bytes);
  }
}
