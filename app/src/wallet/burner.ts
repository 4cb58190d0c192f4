import { NonceManager, Wallet, type Provider } from "ethers";

/*
 * The local chain's burner wallet, as Scaffold-ETH 2 has it: a key made in this browser and kept in its
 * localStorage, so a newcomer can try every page without installing a wallet. Nothing else ever reads the key,
 * and the app offers it on the local chain only.
 */
const KEY = "inference-market.burner-key";

/**
 * The burner's address and signer. The signer counts its own nonces: ethers keeps a nonce read for a moment, and
 * a request sent right after its approval would otherwise reuse the approval's nonce.
 */
export function burnerWallet(provider: Provider): { address: string; signer: NonceManager } {
  let key = localStorage.getItem(KEY);
  if (!key) {
    key = Wallet.createRandom().privateKey;
    localStorage.setItem(KEY, key);
  }
  const wallet = new Wallet(key, provider);
  return { address: wallet.address, signer: new NonceManager(wallet) };
}
