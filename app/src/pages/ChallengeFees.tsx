import { useQuery } from "@tanstack/react-query";
import { sameAddress } from "../../../sdk/market-reads";
import { FEE_KINDS, type Claimable, type FeeKind } from "../../../sdk/types";
import { Moment } from "../components/Moment";
import { useAmount } from "../format";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";
import { ActionStatus, useAction } from "../wallet/use-action";

const TITLE: Record<FeeKind, string> = { creator: "Creator share", admin: "Admin share", platform: "Platform share" };

/**
 * The shares of one challenge that `address` receives: the epochs from the indexer (history), what each pays
 * now from the chain (live), and per share one claim of every open epoch.
 */
export function ChallengeFees({
  challengeId,
  address,
  treasury,
}: {
  challengeId: bigint;
  address: string;
  treasury: string;
}) {
  const { reader, indexer } = useSession();
  const amount = useAmount();
  const id = challengeId.toString();
  const parties = useQuery({
    queryKey: ["challenge", reader.address, id],
    // A plain object: the query cache copies an ethers Result as an array, which drops its named fields.
    queryFn: async () => {
      const { creator, admin } = await reader.contract.challenge(challengeId);
      return { creator, admin };
    },
    refetchInterval: 10_000,
  });
  const kinds = parties.data
    ? FEE_KINDS.filter((k) =>
        sameAddress(address, k === "creator" ? parties.data.creator : k === "admin" ? parties.data.admin : treasury),
      )
    : [];
  const history = useQuery({
    queryKey: ["fee-shares", indexer.url, id],
    queryFn: () => indexer.feeShares(challengeId),
    enabled: kinds.length > 0,
    refetchInterval: 3_000,
  });
  const epochs = (history.data ?? []).map((e) => e.epoch);
  const claimable = useQuery({
    queryKey: ["claimable-fees", reader.address, id, kinds.join(), epochs.join()],
    queryFn: async () => {
      const each = await Promise.all(kinds.map((k) => reader.claimable(challengeId, k, epochs)));
      return new Map(kinds.map((k, i) => [k, each[i]]));
    },
    enabled: kinds.length > 0 && epochs.length > 0,
    refetchInterval: 3_000,
  });

  const titleId = `fees-${id}`;
  return (
    <section aria-labelledby={titleId} className="challenge">
      <h2 id={titleId}>Challenge {id}</h2>
      {!parties.data ? (
        <p>Reading…</p>
      ) : kinds.length === 0 ? (
        <p>This account receives no share of this challenge.</p>
      ) : history.error ? (
        <p role="alert" className="error">
          {plainError(history.error)}
        </p>
      ) : !history.data ? (
        <p>Reading the epochs…</p>
      ) : history.data.length === 0 ? (
        <p>No fee has settled yet.</p>
      ) : (
        <>
          <table>
            <caption>Your shares of challenge {id} per epoch, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Epoch</th>
                <th scope="col">Settled fees</th>
                {kinds.map((k) => (
                  <th scope="col" key={k}>
                    {TITLE[k]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {history.data.map((e) => (
                <tr key={e.epoch.toString()} data-testid="fee-epoch">
                  <th scope="row">{e.epoch.toString()}</th>
                  <td>{amount(e.settledFees)}</td>
                  {kinds.map((k) => {
                    const live = claimable.data?.get(k)?.find((c) => c.epoch === e.epoch);
                    // The chain knows of a claim before the indexer does: an open share that owes nothing is paid.
                    const claimed =
                      e.shares[k].claimed || (live?.open === true && live.amount === 0n && e.shares[k].amount > 0n);
                    return (
                      <td key={k}>
                        {amount(e.shares[k].amount)}
                        <br />
                        {claimed ? (
                          "claimed"
                        ) : !live ? (
                          "…"
                        ) : live.open ? (
                          "claimable"
                        ) : (
                          <>
                            claims open <Moment t={live.claimsOpenAt} />
                          </>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {kinds.map((k) => (
            <ClaimShare key={k} challengeId={challengeId} kind={k} owed={claimable.data?.get(k) ?? []} />
          ))}
        </>
      )}
    </section>
  );
}

/** One transaction that claims every open epoch of one share. */
function ClaimShare({ challengeId, kind, owed }: { challengeId: bigint; kind: FeeKind; owed: Claimable[] }) {
  const { writer } = useSession();
  const amount = useAmount();
  const action = useAction();
  const ready = owed.filter((c) => c.open && c.amount > 0n);
  const total = ready.reduce((sum, c) => sum + c.amount, 0n);
  const claim = () =>
    writer &&
    action.run(async () => {
      const { amount: paid } = await writer.claimFees(
        challengeId,
        kind,
        ready.map((c) => c.epoch),
      );
      return `Claimed ${amount(paid)} of the ${kind} share for epochs ${ready.map((c) => c.epoch).join(", ")}.`;
    });
  return (
    <div>
      <button type="button" disabled={!writer || action.busy || ready.length === 0} onClick={claim}>
        {ready.length === 0
          ? `${TITLE[kind]}: nothing to claim now`
          : `Claim the ${kind} share of ${ready.length} epoch${ready.length === 1 ? "" : "s"}: ${amount(total)}`}
      </button>
      <ActionStatus state={action} />
    </div>
  );
}
