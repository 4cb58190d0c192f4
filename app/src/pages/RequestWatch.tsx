import { useEffect, useState } from "react";
import { COMBINE_METHODS, combine } from "../../../sdk/combine";
import type { TimedAnswer } from "../../../sdk/market-reads";
import { isErrorOutput } from "../../../sdk/text";
import { RequestStatus, type MadeRequest } from "../../../sdk/types";
import { useChainNow } from "../chain-clock";
import { Address } from "../components/Address";
import { Ring } from "../components/Ring";
import { useAmount } from "../format";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";

const STATUS_TEXT: Record<RequestStatus, string> = {
  [RequestStatus.None]: "unknown",
  [RequestStatus.Open]: "waiting for answers",
  [RequestStatus.Answered]: "answered",
  [RequestStatus.Expired]: "expired: nobody answered in time, the fee can be refunded",
  [RequestStatus.Refunded]: "refunded",
};

/** A request being answered: the SLA countdown, the answers as they arrive, the combined result, the refund. */
export function RequestWatch({ request }: { request: MadeRequest }) {
  const { reader, writer, token } = useSession();
  const amount = useAmount();
  const now = useChainNow();
  const [answers, setAnswers] = useState<TimedAnswer[]>([]);
  const [expected, setExpected] = useState<number>();
  const [status, setStatus] = useState(RequestStatus.Open);
  const [refunding, setRefunding] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    const abort = new AbortController();
    const live = () => !abort.signal.aborted;
    const follow = async () => {
      const n = await reader.expectedAnswers(request);
      if (live()) setExpected(n);
      // The wait ends at the deadline or once every expected modeler answered; later answers cannot come.
      const done = await reader.waitForAnswers(request, {
        pollMs: 1_000,
        signal: abort.signal,
        onAnswer: (a) =>
          live() &&
          setAnswers((all) => (all.some((b) => b.txHash === a.txHash && b.modeler === a.modeler) ? all : [...all, a])),
      });
      if (live()) setStatus(done.status);
    };
    follow().catch((err) => live() && setError(plainError(err)));
    return () => abort.abort();
  }, [reader, request]);

  const sendRefund = async () => {
    if (!writer) return;
    setRefunding(true);
    setError(undefined);
    try {
      await writer.refund(request.requestId, request.key);
      setStatus(RequestStatus.Refunded);
    } catch (err) {
      setError(plainError(err, token));
    } finally {
      setRefunding(false);
    }
  };

  const sla = request.deadline - request.createdAt;
  const outputs = answers.map((a) => a.text);
  return (
    <section aria-labelledby="watch-title" className="watch">
      <h2 id="watch-title">Request {request.requestId.toString()}</h2>
      <p>
        Paid {amount(request.key.fee)} in transaction <code className="hash">{request.txHash}</code>. Status:{" "}
        <strong data-testid="request-status">{STATUS_TEXT[status]}</strong>
      </p>
      {status === RequestStatus.Open && now !== undefined && (
        <Ring left={request.deadline - now} total={sla} label="Time for answers" />
      )}
      <h3>
        Answers{" "}
        <span data-testid="answer-count">
          {answers.length}
          {expected !== undefined ? ` of ${expected}` : ""}
        </span>
      </h3>
      {answers.length === 0 ? (
        <p>{status === RequestStatus.Open ? "None yet." : "None."}</p>
      ) : (
        <ol className="answers" aria-live="polite">
          {answers.map((a) => (
            <li key={`${a.txHash}/${a.modeler}`}>
              <Address address={a.modeler} /> after {(a.answeredAt - request.createdAt).toString()} s:{" "}
              <output>{a.text}</output>
              {isErrorOutput(a.text) && <em> (an error answer, left out of the result)</em>}
            </li>
          ))}
        </ol>
      )}
      <h3>Combined result</h3>
      <dl className="combined" data-testid="combined">
        {COMBINE_METHODS.map((m) => (
          <div key={m}>
            <dt>{m}</dt>
            <dd data-testid={`combined-${m}`}>
              {combine(m, outputs) ?? (status === RequestStatus.Open ? "no result yet" : "no result")}
            </dd>
          </div>
        ))}
      </dl>
      {status === RequestStatus.Expired && (
        <p>
          <button type="button" disabled={refunding || !writer} onClick={sendRefund}>
            Refund {amount(request.key.fee)}
          </button>
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
