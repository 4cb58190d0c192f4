import { useId, useState, type FormEvent } from "react";
import { getAddress, isAddress } from "ethers";
import { tokenUnits } from "../format";
import { useSession } from "../wallet/session";
import { ActionStatus, useAction } from "../wallet/use-action";

/** A new challenge with its creator, admin, fee and description (CHALLENGE_MANAGER_ROLE). */
export function CreateChallenge() {
  const { writer, account, token } = useSession();
  const action = useAction();
  const formId = useId();
  const [creator, setCreator] = useState("");
  const [admin, setAdmin] = useState("");
  const [fee, setFee] = useState("1");
  const [metadata, setMetadata] = useState("");
  const own = account?.address ?? "";
  const parties = { creator: creator.trim() || own, admin: admin.trim() || own };
  const units = tokenUnits(fee, token?.decimals ?? 18);
  const problem = !isAddress(parties.creator)
    ? "The creator must be an address."
    : !isAddress(parties.admin)
      ? "The admin must be an address."
      : units === undefined || units === 0n
        ? "Write the fee as a positive number of tokens, such as 1.5."
        : undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!writer || problem || units === undefined) return;
    void action.run(async () => {
      const made = await writer.createChallenge(
        getAddress(parties.creator),
        getAddress(parties.admin),
        units,
        metadata,
      );
      return `Created challenge ${made.challengeId}.`;
    });
  };

  return (
    <section aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>Create a challenge</h2>
      <form onSubmit={submit}>
        <label htmlFor={`${formId}-metadata`}>Description</label>
        <input
          id={`${formId}-metadata`}
          value={metadata}
          required
          placeholder="wallet credit score"
          onChange={(e) => setMetadata(e.target.value)}
        />
        <label htmlFor={`${formId}-creator`}>Creator (receives the creator share)</label>
        <input
          id={`${formId}-creator`}
          value={creator}
          placeholder={own}
          onChange={(e) => setCreator(e.target.value)}
        />
        <label htmlFor={`${formId}-admin`}>Admin (sets the fee, receives the admin share)</label>
        <input id={`${formId}-admin`} value={admin} placeholder={own} onChange={(e) => setAdmin(e.target.value)} />
        <label htmlFor={`${formId}-fee`}>Fee per request ({token?.symbol ?? "tokens"})</label>
        <input id={`${formId}-fee`} inputMode="decimal" value={fee} onChange={(e) => setFee(e.target.value)} />
        {problem && <p className="help">{problem}</p>}
        <p>
          <button type="submit" disabled={!writer || action.busy || Boolean(problem)}>
            Create the challenge
          </button>
        </p>
        <ActionStatus state={action} />
      </form>
    </section>
  );
}
