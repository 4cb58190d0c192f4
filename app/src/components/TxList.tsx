import { useSession } from "../wallet/session";

const STATE_TEXT = {
  pending: "waiting to be mined",
  mined: "mined",
  reverted: "reverted",
  unknown: "sent; its outcome is unknown (the RPC stopped answering)",
} as const;

/** The transactions this page sent, newest first, with their hashes and states. */
export function TxList() {
  const { txs } = useSession();
  if (txs.length === 0) return null;
  return (
    <section aria-labelledby="txs-title" className="txs">
      <h2 id="txs-title">Your transactions</h2>
      <ul aria-live="polite">
        {txs.map((tx) => (
          <li key={tx.hash} data-state={tx.state}>
            <strong>{tx.action}</strong> <code className="hash">{tx.hash}</code>{" "}
            <span className={`tx-${tx.state}`}>{STATE_TEXT[tx.state]}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
