import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { plainError } from "./plain-error";
import { useSession } from "./session";

interface ActionState {
  busy: boolean;
  error?: string;
  done?: string;
}

/**
 * One button's transaction: busy while the wallet and the chain work, then what it did or why it failed in
 * plain words. Every query is read again afterwards, since a claim or a role change moves figures on any page.
 */
export function useAction() {
  const { token } = useSession();
  const queries = useQueryClient();
  const [state, setState] = useState<ActionState>({ busy: false });
  const run = async (work: () => Promise<string>) => {
    setState({ busy: true });
    try {
      const done = await work();
      setState({ busy: false, done });
      await queries.invalidateQueries();
    } catch (err) {
      setState({ busy: false, error: plainError(err, token) });
    }
  };
  return { ...state, run };
}

/** The live region under an action's button. */
export function ActionStatus({ state }: { state: ActionState }) {
  return (
    <div aria-live="polite">
      {state.busy && <p role="status">Confirm in your wallet, then wait for the transaction to be mined…</p>}
      {state.done && <p role="status">{state.done}</p>}
      {state.error && (
        <p role="alert" className="error">
          {state.error}
        </p>
      )}
    </div>
  );
}
