import { useQuery } from "@tanstack/react-query";
import { Address } from "../components/Address";
import { ListTable } from "../components/ListTable";
import { useAmount } from "../format";
import { useSession } from "../wallet/session";
import { Calendar } from "./Calendar";
import { useChallengeIds } from "./challenges";

export function MarketPage() {
  const ids = useChallengeIds();
  return (
    <>
      <Calendar />
      <section aria-labelledby="challenges-title">
        <h2 id="challenges-title">Challenges</h2>
        {ids.data === undefined ? (
          <p>Reading the challenges…</p>
        ) : ids.data.length === 0 ? (
          <p>No challenge exists yet.</p>
        ) : (
          ids.data.map((id) => <Challenge key={id.toString()} id={id} />)
        )}
      </section>
    </>
  );
}

/** One challenge as it stands on chain, named by its metadata from the indexer when the indexer answers. */
function Challenge({ id }: { id: bigint }) {
  const { reader, indexer } = useSession();
  const amount = useAmount();
  const status = useQuery({
    queryKey: ["status", reader.address, id.toString()],
    queryFn: () => reader.status(id),
    refetchInterval: 5_000,
  });
  const name = useQuery({
    queryKey: ["challenge-name", indexer.url, id.toString()],
    queryFn: async () => (await indexer.challengeHistory(id))?.metadata ?? "",
    staleTime: Infinity,
  });
  const s = status.data;
  const titleId = `challenge-${id}`;
  return (
    <article aria-labelledby={titleId} className="challenge">
      <h3 id={titleId}>
        Challenge {id.toString()}
        {name.data ? `: ${name.data}` : ""}
      </h3>
      {!s ? (
        <p>Reading…</p>
      ) : (
        <>
          <dl>
            <dt>Fee per request</dt>
            <dd data-testid={`fee-${id}`}>{amount(s.fee)}</dd>
            <dt>Creator</dt>
            <dd>
              <Address address={s.creator} />
            </dd>
            <dt>Admin</dt>
            <dd>
              <Address address={s.admin} />
            </dd>
            <dt>Requests</dt>
            <dd>{s.paused ? "paused: the market takes no new request" : "open"}</dd>
          </dl>
          {s.activeList.listId === 0n ? (
            <p>No list serves yet{s.pendingList ? "; one is promoted and serves from its epoch" : ""}.</p>
          ) : (
            <ListTable list={s.activeList} title="Serving" now={s.now} />
          )}
          {s.pendingList && <ListTable list={s.pendingList} title="Pending" now={s.now} />}
        </>
      )}
    </article>
  );
}
