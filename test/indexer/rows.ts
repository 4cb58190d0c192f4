/* The rows of the indexer's GraphQL API that the tests read. */
import type { RequestRow as SdkRequestRow } from "../../sdk/indexer-rows";

/** GraphQL returns bigints as decimal strings and addresses in lowercase. */
export type Big = string;
export const low = (address: string) => address.toLowerCase();

export interface EpochRow {
  challengeId: Big;
  epoch: Big;
  listId: Big;
  requests: Big;
  refunds: Big;
  settledFees: Big;
  answeredRequests: Big;
  points: Big;
  pool: Big;
  creatorShare: Big;
  adminShare: Big;
  platformShare: Big;
  rewardDust: Big;
  finalized: boolean;
  creatorClaimed: boolean;
  adminClaimed: boolean;
  platformClaimed: boolean;
}
export const EPOCH_FIELDS =
  "challengeId epoch listId requests refunds settledFees answeredRequests points pool creatorShare adminShare " +
  "platformShare rewardDust finalized creatorClaimed adminClaimed platformClaimed";

/** A request as the tests select it: the SDK's row, with the flags the SDK derives from its status instead. */
export type RequestRow = Omit<SdkRequestRow, "blockNumber"> & { settled: boolean; refunded: boolean };

export interface AnswerRow {
  requestId: Big;
  modeler: string;
  challengeId: Big;
  epoch: Big;
  output: string;
  outputText: string;
  isError: boolean;
  settledFee: Big;
  delay: Big;
  blockNumber: Big;
  timestamp: Big;
  txHash: string;
}

export interface ListRow {
  challengeId: Big;
  listId: Big;
  epoch: Big;
  activationEpoch: Big;
  leaderboardHash: string;
  members: string[];
}
