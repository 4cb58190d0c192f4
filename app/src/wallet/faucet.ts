import { parseEther, parseUnits, toQuantity, type JsonRpcProvider } from "ethers";
import { connectTestToken } from "../../../sdk/abi";

/** What one press of the faucet gives, as `npx hardhat faucet` does by default. */
export const FAUCET_TOKENS = "100";
export const FAUCET_ETH = "10";

/**
 * Local chain only: mints test tokens to `to` through the test token's open `mint`, sent by the node's own
 * unlocked first account (so no wallet prompt), and tops its ETH up to FAUCET_ETH with `hardhat_setBalance`
 * (Hardhat and anvil both have it). Never lowers a balance.
 */
export async function faucet(rpc: JsonRpcProvider, token: string, decimals: number, to: string): Promise<void> {
  const eth = parseEther(FAUCET_ETH);
  if ((await rpc.getBalance(to)) < eth) await rpc.send("hardhat_setBalance", [to, toQuantity(eth)]);
  const minter = await rpc.getSigner(0);
  const tx = await connectTestToken(token, minter).mint(to, parseUnits(FAUCET_TOKENS, decimals));
  await tx.wait();
}
