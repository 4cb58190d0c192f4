import { useQuery } from "@tanstack/react-query";
import { useSession } from "../wallet/session";
import { ActionStatus, useAction } from "../wallet/use-action";

/** Pause and unpause (PAUSER_ROLE): a pause stops new requests and promotions, never claims nor refunds. */
export function PauseControl() {
  const { reader, writer } = useSession();
  const action = useAction();
  const paused = useQuery({
    queryKey: ["paused", reader.address],
    queryFn: () => reader.contract.paused(),
    refetchInterval: 3_000,
  });
  const toggle = () =>
    writer &&
    action.run(async () => {
      if (paused.data) {
        await writer.unpause();
        return "The market takes requests again.";
      }
      await writer.pause();
      return "The market is paused: it takes no new request nor promotion.";
    });
  return (
    <section aria-labelledby="pause-title">
      <h2 id="pause-title">Pause</h2>
      <p data-testid="paused">
        {paused.data === undefined
          ? "Reading…"
          : paused.data
            ? "Paused: no new request nor promotion. Answers, claims and refunds go on."
            : "Running: the market takes requests."}
      </p>
      <p>
        <button type="button" disabled={!writer || action.busy || paused.data === undefined} onClick={toggle}>
          {paused.data ? "Unpause the market" : "Pause the market"}
        </button>
      </p>
      <ActionStatus state={action} />
    </section>
  );
}
