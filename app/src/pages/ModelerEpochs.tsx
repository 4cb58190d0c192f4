import { useQuery } from "@tanstack/react-query";
import { Moment } from "../components/Moment";
import { PointsChart } from "../components/PointsChart";
import { useAmount } from "../format";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";
import { ActionStatus, useAction } from "../wallet/use-action";

/**
 * The modeler's epochs in the challenge: which ones and their points from the indexer (history), what each
 * pays now from the chain (live), and one claim of every epoch that is open and owes something.
 */
export function ModelerEpochs({ challengeId, modeler }: { challengeId: bigint; modeler: string }) {
  const { reader, writer, indexer } = useSession();
  const amount = useAmount();
  const action = useAction();
  const id = challengeId.toString();
  const history = useQuery({
    queryKey: ["modeler-epochs", indexer.url, id, modeler],
    queryFn: () => indexer.modelerEpochs(challengeId, modeler),
    refetchInterval: 3_000,
  });
  const epochs = (history.data ?? []).map((e) => e.epoch);
  const claimable = useQuery({
    queryKey: ["claimable-rewards", reader.address, id, modeler, epochs.join()],
    queryFn: () => reader.claimable(challengeId, modeler, epochs),
    enabled: epochs.length > 0,
    refetchInterval: 3_000,
  });
  const owed = new Map((claimable.data ?? []).map((c) => [c.epoch, c]));
  const ready = (claimable.data ?? []).filter((c) => c.open && c.amount > 0n);
  const total = ready.reduce((sum, c) => sum + c.amount, 0n);

  const claim = () =>
    writer &&
    action.run(async () => {
      const { amount: paid } = await writer.claimRewards(
        challengeId,
        modeler,
        ready.map((c) => c.epoch),
      );
      return `Claimed ${amount(paid)} for epochs ${ready.map((c) => c.epoch).join(", ")}.`;
    });

  return (
    <section aria-labelledby="epochs-title">
      <h2 id="epochs-title">Points and rewards per epoch</h2>
      {history.error ? (
        <p role="alert" className="error">
          {plainError(history.error)}
        </p>
      ) : !history.data ? (
        <p>Reading your epochs…</p>
      ) : history.data.length === 0 ? (
        <p>No epoch yet: you earn points once a list names you and your host answers.</p>
      ) : (
        <>
          <PointsChart title={`Points per epoch in challenge ${id}`} bars={history.data} />
          <table>
            <caption>Your epochs in challenge {id}, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Epoch</th>
                <th scope="col">Points</th>
                <th scope="col">Answered requests</th>
                <th scope="col">Eviction threshold</th>
                <th scope="col">Standing</th>
                <th scope="col">Claimable</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((e) => {
                const c = owed.get(e.epoch);
                return (
                  <tr key={e.epoch.toString()} data-testid="modeler-epoch">
                    <th scope="row">{e.epoch.toString()}</th>
                    <td>{e.points.toString()}</td>
                    <td>{e.answeredRequests.toString()}</td>
                    <td>{e.threshold.toString()}</td>
                    <td>
                      {e.evicted
                        ? "evicted"
                        : e.points >= e.threshold
                          ? "at or above the threshold"
                          : "below the threshold"}
                    </td>
                    <td>
                      {e.claimed ? (
                        "claimed"
                      ) : !c ? (
                        "…"
                      ) : c.open ? (
                        amount(c.amount)
                      ) : (
                        <>
                          {amount(c.amount)} so far; claims open <Moment t={c.claimsOpenAt} />
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      <p>
        <button type="button" disabled={!writer || action.busy || ready.length === 0} onClick={claim}>
          {ready.length === 0
            ? "Nothing to claim now"
            : `Claim ${ready.length} epoch${ready.length === 1 ? "" : "s"}: ${amount(total)}`}
        </button>
      </p>
      <ActionStatus state={action} />
    </section>
  );
}
