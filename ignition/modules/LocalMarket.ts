import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { marketOn } from "./InferenceMarket";

/** A local deployment: the mintable test token, then the market on it. */
export default buildModule("LocalMarket", (m) => {
  const token = m.contract("TestToken");
  return { token, market: marketOn(m, token) };
});
