import { useId, useState, type FormEvent } from "react";
import { tokenUnits } from "../format";
import { useSession } from "../wallet/session";
import { ActionStatus, useAction } from "../wallet/use-action";

/** A new fee for one of the challenges the account administers; requests already made keep theirs. */
export function SetFee({ challenges }: { challenges: bigint[] }) {
  const { writer, token } = useSession();
  const action = useAction();
  const formId = useId();
  const [chosen, setChosen] = useState("");
  const [fee, setFee] = useState("");
  const challengeId = chosen || challenges[0].toString();
  const units = tokenUnits(fee, token?.decimals ?? 18);
  const problem =
    fee.trim() !== "" && (units === undefined || units === 0n)
      ? "Write the fee as a positive number of tokens, such as 1.5."
      : undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!writer || !units) return;
    void action.run(async () => {
      await writer.setFee(BigInt(challengeId), units);
      return `The fee of challenge ${challengeId} is now ${fee.trim()} ${token?.symbol ?? "tokens"}.`;
    });
  };

  return (
    <section aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>Set a fee</h2>
      <form onSubmit={submit}>
        <label htmlFor={`${formId}-challenge`}>Challenge you administer</label>
        <select id={`${formId}-challenge`} value={challengeId} onChange={(e) => setChosen(e.target.value)}>
          {challenges.map((id) => (
            <option key={id.toString()} value={id.toString()}>
              Challenge {id.toString()}
            </option>
          ))}
        </select>
        <label htmlFor={`${formId}-fee`}>New fee ({token?.symbol ?? "tokens"})</label>
        <input
          id={`${formId}-fee`}
          inputMode="decimal"
          value={fee}
          required
          aria-describedby={`${formId}-fee-help`}
          onChange={(e) => setFee(e.target.value)}
        />
        <p id={`${formId}-fee-help`} className="help">
          {problem ?? "It applies to later requests only; each user also names the most it accepts."}
        </p>
        <p>
          <button type="submit" disabled={!writer || action.busy || !units}>
            Set the fee
          </button>
        </p>
        <ActionStatus state={action} />
      </form>
    </section>
  );
}
