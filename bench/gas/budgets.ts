/** Gas budgets of the whole transaction (21,000 base included), and what comparable contracts spend. */
export const BUDGETS: Record<string, number> = {
  "request.approve": 90_000,
  "request.permit": 130_000,
  "answer.settling": 52_000,
  "answer.additional": 45_000,
  "answer.batch10.perAnswer": 25_000,
  "answer.batch10.oneSkipped.perAnswer": 25_000,
  refund: 45_000,
  "claim.1epoch": 55_000,
  "claim.10epochs.perEpoch": 12_000,
};

/** Measured on the same EVM by the issue that set the budgets. */
export const REFERENCES: Record<string, string> = {
  "request.approve": "Chainlink Operator request 127,085; minimal one-slot escrow 72,234",
  "answer.settling": "Chainlink fulfillOracleRequest2 43,644; minimal commitment check + point 36,997",
  refund: "Chainlink cancelOracleRequest 50,132",
};

/** A path may cost at most this much more in its dearest case than in its cheapest. */
export const MAX_GROWTH = 0.01;
