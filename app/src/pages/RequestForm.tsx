import { useId, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { ZeroAddress, formatUnits, parseUnits } from "ethers";
import type { MadeRequest } from "../../../sdk/types";
import { useAmount } from "../format";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";
import { useChallengeIds } from "./challenges";

type Method = "permit" | "approve";

const WAITING: Record<Method, string> = {
  permit: "Sign the permit in your wallet, then confirm the one transaction…",
  approve: "Confirm the approval, then the request, in your wallet…",
};

/** Choose a challenge, type the input, and pay with a permit or an approval. */
export function RequestForm({ onMade }: { onMade: (made: MadeRequest) => void }) {
  const { reader, writer, account, token, wrongChainId } = useSession();
  const amount = useAmount();
  const ids = useChallengeIds();
  const [chosen, setChosen] = useState("");
  const challengeId = chosen || ids.data?.[0]?.toString() || "";
  const [input, setInput] = useState("");
  const [maxFeeText, setMaxFeeText] = useState("");
  const [method, setMethod] = useState<Method>("permit");
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const formId = useId();

  const readiness = useQuery({
    queryKey: ["readiness", reader.address, challengeId, account?.address],
    queryFn: () => reader.readiness(BigInt(challengeId), account?.address ?? ZeroAddress),
    enabled: challengeId !== "",
    refetchInterval: 5_000,
  });
  const challenge = readiness.data?.challenge;
  const decimals = token?.decimals ?? 18;
  let maxFee: bigint | undefined = challenge?.fee;
  let maxFeeProblem: string | undefined;
  if (maxFeeText.trim() !== "") {
    try {
      maxFee = parseUnits(maxFeeText.trim(), decimals);
    } catch {
      maxFeeProblem = "Write the max fee as a number of tokens, such as 1.5.";
    }
  }

  const pay = async (e: FormEvent) => {
    e.preventDefault();
    if (!writer || maxFee === undefined) return;
    setState({ busy: true });
    try {
      const made = await writer.request(BigInt(challengeId), input, { maxFee, permit: method === "permit" });
      setState({ busy: false });
      onMade(made);
    } catch (err) {
      setState({ busy: false, error: plainError(err, token) });
    }
  };

  const blocker = !account
    ? wrongChainId !== undefined
      ? "Switch your wallet to this market's chain to pay."
      : "Connect a wallet to pay."
    : !challenge
      ? undefined
      : challenge.list.listId === 0n
        ? "No list serves this challenge yet, so the market refuses requests."
        : undefined;

  return (
    <section aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>New request</h2>
      <form onSubmit={pay}>
        <label htmlFor={`${formId}-challenge`}>Challenge</label>
        <select id={`${formId}-challenge`} value={challengeId} onChange={(e) => setChosen(e.target.value)}>
          {(ids.data ?? []).map((id) => (
            <option key={id.toString()} value={id.toString()}>
              Challenge {id.toString()}
            </option>
          ))}
        </select>

        <label htmlFor={`${formId}-input`}>Input</label>
        <textarea
          id={`${formId}-input`}
          value={input}
          required
          rows={2}
          placeholder="For the credit score: a wallet address, 0x…"
          onChange={(e) => setInput(e.target.value)}
        />

        <p>
          Fee: <strong data-testid="fee">{challenge ? amount(challenge.fee) : "…"}</strong>
          {challenge && (
            <>
              {" "}
              · {challenge.answerable.length} modeler{challenge.answerable.length === 1 ? "" : "s"} can answer now
            </>
          )}
          {readiness.data && <> · you hold {amount(readiness.data.balance)}</>}
        </p>
        {challenge && challenge.list.listId !== 0n && challenge.answerable.length === 0 && (
          <p className="notice">
            No modeler can answer right now: if nobody answers within 10 minutes, you can take your fee back.
          </p>
        )}
        {readiness.data?.paused && <p className="notice">The market is paused: it takes no new request.</p>}

        <label htmlFor={`${formId}-maxfee`}>Max fee you accept ({token?.symbol ?? "tokens"})</label>
        <input
          id={`${formId}-maxfee`}
          inputMode="decimal"
          value={maxFeeText}
          placeholder={challenge ? formatUnits(challenge.fee, decimals) : ""}
          aria-describedby={`${formId}-maxfee-help`}
          onChange={(e) => setMaxFeeText(e.target.value)}
        />
        <p id={`${formId}-maxfee-help`} className="help">
          {maxFeeProblem ??
            "If the admin raises the fee before your request is mined, the market refuses more than this."}
        </p>

        <fieldset>
          <legend>Pay with</legend>
          <label>
            <input type="radio" name="method" checked={method === "permit"} onChange={() => setMethod("permit")} />
            Permit: one signature and one transaction
          </label>
          <label>
            <input type="radio" name="method" checked={method === "approve"} onChange={() => setMethod("approve")} />
            Approve: an approval transaction, then the request
          </label>
        </fieldset>

        {blocker && <p className="notice">{blocker}</p>}
        <button
          type="submit"
          disabled={state.busy || !writer || !challenge || maxFee === undefined || Boolean(maxFeeProblem)}
        >
          Pay {maxFee !== undefined ? `up to ${amount(maxFee)}` : ""} and send
        </button>
        <div aria-live="polite">
          {state.busy && <p role="status">{WAITING[method]}</p>}
          {state.error && (
            <p role="alert" className="error">
              {state.error}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
