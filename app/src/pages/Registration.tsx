import { useId, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { ZeroAddress, getAddress, isAddress } from "ethers";
import { Address } from "../components/Address";
import { Moment } from "../components/Moment";
import { ActionStatus, useAction } from "../wallet/use-action";
import { useSession } from "../wallet/session";

/** Opting in to a challenge with a host, or naming another host once registered. */
export function Registration({ challengeId, modeler }: { challengeId: bigint; modeler: string }) {
  const { reader, writer } = useSession();
  const info = useQuery({
    queryKey: ["modeler-info", reader.address, challengeId.toString(), modeler],
    // A plain object: the query cache copies an ethers Result as an array, which drops its named fields.
    queryFn: async () => {
      const { host, optedInAt, evicted } = await reader.contract.modelerInfo(challengeId, modeler);
      return { host, optedInAt, evicted };
    },
    refetchInterval: 5_000,
  });
  const [hostText, setHostText] = useState("");
  const action = useAction();
  const formId = useId();
  const registered = info.data !== undefined && info.data.host !== ZeroAddress;
  const host = hostText.trim() || modeler;
  const hostProblem = isAddress(host) ? undefined : "Write the host as an address, 0x followed by 40 hex digits.";

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!writer || hostProblem) return;
    const named = getAddress(host);
    void action.run(async () => {
      if (registered) {
        await writer.setHost(challengeId, named);
        return `Your host is now ${named}.`;
      }
      await writer.register(challengeId, named);
      return `Registered for challenge ${challengeId} with host ${named}.`;
    });
  };

  return (
    <section aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>Registration</h2>
      {!info.data ? (
        <p>Reading your registration…</p>
      ) : !registered ? (
        <p data-testid="registration">
          Not registered: register and name the host that answers for you. Rewards always go to you, never to the host.
        </p>
      ) : (
        <dl data-testid="registration">
          <dt>Status</dt>
          <dd>{info.data.evicted ? "evicted: you answer no request until a list names you again" : "registered"}</dd>
          {!info.data.evicted && (
            <>
              <dt>Opted in from</dt>
              <dd>
                <Moment t={info.data.optedInAt} />
              </dd>
            </>
          )}
          <dt>Host</dt>
          <dd>
            <Address address={info.data.host} />
          </dd>
        </dl>
      )}
      <form onSubmit={submit}>
        <label htmlFor={`${formId}-host`}>Host address</label>
        <input
          id={`${formId}-host`}
          value={hostText}
          placeholder={modeler}
          aria-describedby={`${formId}-host-help`}
          onChange={(e) => setHostText(e.target.value)}
        />
        <p id={`${formId}-host-help`} className="help">
          {hostProblem ??
            "Your own address when you host the model yourself (the default), else your hosting service's."}
        </p>
        <button type="submit" disabled={!writer || !info.data || action.busy || Boolean(hostProblem)}>
          {registered ? "Set host" : "Register"}
        </button>
        <ActionStatus state={action} />
      </form>
    </section>
  );
}
