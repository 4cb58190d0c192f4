import { Signature, type Signer } from "ethers";
import type { ERC20Permit } from "../typechain-types";

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** Signs an EIP-2612 permit letting `spender` take `value` of `owner`'s tokens until `deadline`. */
export async function signPermit(
  token: Pick<ERC20Permit, "eip712Domain" | "nonces">,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<Signature> {
  const ownerAddress = await owner.getAddress();
  const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
  const nonce = await token.nonces(ownerAddress);
  const message = { owner: ownerAddress, spender, value, nonce, deadline };
  return Signature.from(
    await owner.signTypedData({ name, version, chainId, verifyingContract }, PERMIT_TYPES, message),
  );
}
