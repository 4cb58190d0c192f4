import { Contract, formatEther, toQuantity } from "ethers";
import { action, checkLocalChain, marketTask, parseAddress, parseAmount, type CommonArgs } from "./lib/cli";

/** The test token's open mint (contracts/mocks/TestToken.sol); a real fee token has none. */
const MINT_ABI = ["function mint(address to, uint256 amount)"];

marketTask("faucet", "Local chains only: mints test tokens to an address and tops up its ETH")
  .addParam("to", "the address to fund")
  .addOptionalParam("amount", "test tokens to mint, in token units", "100")
  .addOptionalParam("eth", "the least ETH the address holds afterwards, in ether", "10")
  .setAction(
    action(async (ctx, args: CommonArgs & { to: string; amount: string; eth: string }) => {
      const { chainId } = await ctx.hre.ethers.provider.getNetwork();
      checkLocalChain(chainId, ctx.hre.network.name, "faucet");
      const to = parseAddress(args.to, "--to");
      const amount = parseAmount(args.amount, ctx.token.decimals, "--amount");
      const eth = parseAmount(args.eth, 18, "--eth");
      const token = new Contract(ctx.token.address, MINT_ABI, ctx.signer);
      const tx = await token.mint(to, amount);
      await tx.wait();
      // Tops up, never lowers: the node's own accounts hold far more than a newcomer needs.
      const before = await ctx.hre.ethers.provider.getBalance(to);
      if (before < eth) await ctx.hre.network.provider.send("hardhat_setBalance", [to, toQuantity(eth)]);
      const balance = await ctx.hre.ethers.provider.getBalance(to);
      return {
        data: { to, amount, txHash: tx.hash, eth: balance },
        lines: [`faucet: minted ${ctx.amount(amount)} to ${to} (tx ${tx.hash}); it holds ${formatEther(balance)} ETH`],
      };
    }),
  );
