import { isError } from "ethers";
import { IndexerError } from "../../../sdk/indexer-client";
import { decodeError, isCustomError, revertData, RevertError, type TokenUnits } from "../../../sdk/errors";

/** EIP-1193's "user rejected the request", wherever a wallet or ethers put it. */
function rejected(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== "object") return false;
  if (isError(err, "ACTION_REJECTED")) return true;
  const e = err as Record<string, unknown>;
  if (e.code === 4001) return true;
  return ["error", "info", "cause"].some((key) => rejected(e[key], depth + 1));
}

/** A sentence for the custom errors a user meets on these pages; the decoded error follows it with the values. */
const SAYS: Record<string, string> = {
  MarketFeeAboveMax: "The fee is above the most you accept",
  MarketNoActiveList: "No list of modelers serves this challenge yet",
  EnforcedPause: "The market is paused and takes no new request",
  MarketChallengeNotFound: "There is no such challenge",
  ERC20InsufficientBalance: "You hold too few tokens for the fee",
  ERC20InsufficientAllowance: "The market may not take that many of your tokens",
  ERC2612ExpiredSignature: "The permit expired before the transaction was mined",
  MarketDeadlineNotPassed: "The request can still be answered: its refund opens after its deadline",
  MarketRequestAnswered: "The request was answered, so its fee is settled and cannot be refunded",
  MarketRequestRefunded: "The fee of this request was refunded already",
  MarketClaimNotOpen: "Claims of that epoch are not open yet",
  MarketAlreadyClaimed: "That epoch was claimed already",
  MarketNothingToClaim: "That epoch owes nothing to this account",
  MarketModelerAlreadyRegistered: "You are registered for this challenge already: set your host instead",
  MarketModelerNotRegistered: "You are not registered for this challenge yet",
  MarketInvalidHost: "The host must be an address other than zero",
  MarketNotChallengeAdmin: "Only the challenge's admin may do that",
  MarketInvalidFee: "The fee must be above zero and within the token's range",
  MarketInvalidChallengeParty: "The creator and the admin must be addresses other than zero",
  AccessControlUnauthorizedAccount: "This account lacks the role that this needs",
  ExpectedPause: "The market is not paused",
};

/**
 * What went wrong, in words for the person at the page: a refusal in the wallet, the market's custom error
 * decoded by the SDK (amounts in the token's units), or an unreachable service; never a raw RPC dump.
 */
export function plainError(err: unknown, token?: TokenUnits): string {
  if (rejected(err)) return "You declined in your wallet, so nothing was signed or sent.";
  if (err instanceof RevertError || revertData(err)) {
    const said = Object.keys(SAYS).find((name) => isCustomError(err, name));
    return `${said ? `${SAYS[said]}. ` : ""}The market refused the transaction: ${decodeError(err, { token })}.`;
  }
  if (isError(err, "CALL_EXCEPTION")) return "The transaction was mined, but it reverted.";
  if (isError(err, "INSUFFICIENT_FUNDS")) return "Your account holds too little ETH to pay for the gas.";
  if (isError(err, "NETWORK_ERROR") || isError(err, "TIMEOUT"))
    return "The chain's RPC did not answer. Check your connection and try again.";
  if (err instanceof IndexerError) return `The history is unavailable: the indexer at ${err.url} did not answer.`;
  return decodeError(err);
}
