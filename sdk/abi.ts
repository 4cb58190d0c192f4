/*
 * The market's and the test token's contracts built from their ABIs alone. The typechain factories carry each
 * contract's bytecode too, which a browser never needs and which was a tenth of the web app's first load.
 */
import { Contract, Interface, type ContractRunner } from "ethers";
import { abi as marketAbi } from "../artifacts/contracts/InferenceMarket.sol/InferenceMarket.json";
import { abi as testTokenAbi } from "../artifacts/contracts/mocks/TestToken.sol/TestToken.json";
import type { InferenceMarket, TestToken } from "../typechain-types";
import type { InferenceMarketInterface } from "../typechain-types/contracts/InferenceMarket";

export function marketInterface(): InferenceMarketInterface {
  return new Interface(marketAbi) as unknown as InferenceMarketInterface;
}

export function connectMarket(address: string, runner: ContractRunner): InferenceMarket {
  return new Contract(address, marketAbi, runner) as unknown as InferenceMarket;
}

/** The local test token, whose open `mint` is the faucet. */
export function connectTestToken(address: string, runner: ContractRunner): TestToken {
  return new Contract(address, testTokenAbi, runner) as unknown as TestToken;
}
