import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { IndexedRequest } from "../../../sdk/indexer";
import { Moment } from "../components/Moment";
import { useAmount } from "../format";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";

/**
 * The account's requests as the indexer keeps them, newest first. An expired one can be refunded from here too:
 * the page that made it may be long closed.
 */
export function PastRequests() {
  const { indexer, account, writer, token } = useSession();
  const amount = useAmount();
  const queries = useQueryClient();
  const queryKey = ["requests-by", indexer.url, account?.address];
  const history = useQuery({
    queryKey,
    queryFn: () => indexer.requestsBy(account!.address, { limit: 20 }),
    enabled: account !== undefined,
    refetchInterval: 3_000,
  });
  const [refunding, setRefunding] = useState<bigint>();
  const [error, setError] = useState<string>();

  const refund = async (r: IndexedRequest) => {
    if (!writer) return;
    setRefunding(r.requestId);
    setError(undefined);
    try {
      await writer.refund(r.requestId, r.key);
      await queries.invalidateQueries({ queryKey });
    } catch (err) {
      setError(plainError(err, token));
    } finally {
      setRefunding(undefined);
    }
  };

  return (
    <section aria-labelledby="past-title">
      <h2 id="past-title">My past requests</h2>
      {!account ? (
        <p>Connect a wallet to see your requests.</p>
      ) : history.error ? (
        <p role="alert" className="error">
          {plainError(history.error)}
        </p>
      ) : !history.data ? (
        <p>Reading the history…</p>
      ) : history.data.requests.length === 0 ? (
        <p>No request yet.</p>
      ) : (
        <table>
          <caption className="visually-hidden">Your requests, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Challenge</th>
              <th scope="col">Made (UTC, then local)</th>
              <th scope="col">Input</th>
              <th scope="col">Fee</th>
              <th scope="col">Status</th>
              <th scope="col">Answers</th>
            </tr>
          </thead>
          <tbody>
            {history.data.requests.map((r) => (
              <tr key={r.requestId.toString()} data-testid="past-request">
                <td>{r.requestId.toString()}</td>
                <td>{r.key.challengeId.toString()}</td>
                <td>
                  <Moment t={r.createdAt} />
                </td>
                <td className="input">{r.inputText}</td>
                <td>{amount(r.key.fee)}</td>
                <td>
                  {r.status}
                  {r.status === "expired" && (
                    <>
                      {" "}
                      <button
                        type="button"
                        disabled={!writer || refunding !== undefined}
                        aria-label={`Refund request ${r.requestId}`}
                        onClick={() => refund(r)}
                      >
                        Refund
                      </button>
                    </>
                  )}
                </td>
                <td>{r.answerCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
