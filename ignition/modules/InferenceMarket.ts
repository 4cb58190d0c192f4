import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { DEFAULT_TIME } from "../../sdk/time";

/**
 * Adds the market on `token` to a module. Every setting is a parameter of that module; the defaults are
 * the production values of docs/PROTOCOL.md (weekly epochs, Monday 23:59 UTC window, 600 s SLA, 85/5/5/5 split).
 */
export function marketOn(m: IgnitionModuleBuilder, token: ArgumentType) {
  const admin = m.getParameter("admin", m.getAccount(0));
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const settings = {
    epochLength: m.getParameter("epochLength", Number(DEFAULT_TIME.epochLength)),
    windowOffset: m.getParameter("windowOffset", Number(DEFAULT_TIME.windowOffset)),
    sla: m.getParameter("sla", Number(DEFAULT_TIME.sla)),
    claimDelay: m.getParameter("claimDelay", Number(DEFAULT_TIME.claimDelay)),
    activationDelay: m.getParameter("activationDelay", Number(DEFAULT_TIME.activationDelay)),
    creatorBps: m.getParameter("creatorBps", 500),
    adminBps: m.getParameter("adminBps", 500),
    platformBps: m.getParameter("platformBps", 500),
    evictionThresholdBps: m.getParameter("evictionThresholdBps", 5_000),
  };
  return m.contract("InferenceMarket", [token, admin, treasury, settings]);
}

/** The market on an existing fee token, given as the `token` parameter. */
export default buildModule("InferenceMarket", (m) => ({ market: marketOn(m, m.getParameter<string>("token")) }));
