import { useQuery } from "@tanstack/react-query";
import { Address } from "../components/Address";
import { Moment } from "../components/Moment";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";
import { useChallengeIds } from "./challenges";

/** Every list the keeper promoted, newest first, with the hash of the leaderboard it was ranked by (for audit). */
export function Promotions() {
  const { indexer } = useSession();
  const ids = useChallengeIds();
  const lists = useQuery({
    queryKey: ["promotions", indexer.url, ids.data?.join()],
    queryFn: async () => {
      const histories = await Promise.all(ids.data!.map((id) => indexer.challengeHistory(id)));
      return histories
        .flatMap((h) => (h ? h.lists.map((l) => ({ ...l, challengeId: h.id })) : []))
        .sort((a, b) => (a.at === b.at ? 0 : a.at > b.at ? -1 : 1));
    },
    enabled: ids.data !== undefined,
    refetchInterval: 10_000,
  });
  return (
    <section aria-labelledby="promotions-title">
      <h2 id="promotions-title">Past promotions</h2>
      {lists.error ? (
        <p role="alert" className="error">
          {plainError(lists.error)}
        </p>
      ) : !lists.data ? (
        <p>Reading the promotions…</p>
      ) : lists.data.length === 0 ? (
        <p>No list has been promoted yet.</p>
      ) : (
        <table>
          <caption className="visually-hidden">Promoted lists, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Challenge</th>
              <th scope="col">List</th>
              <th scope="col">Promoted (UTC, then local)</th>
              <th scope="col">Serves from epoch</th>
              <th scope="col">Leaderboard hash</th>
              <th scope="col">Modelers, best first</th>
            </tr>
          </thead>
          <tbody>
            {lists.data.map((l) => (
              <tr key={`${l.challengeId}/${l.listId}`} data-testid="promotion">
                <td>{l.challengeId.toString()}</td>
                <td>{l.listId.toString()}</td>
                <td>
                  <Moment t={l.at} />
                  epoch {l.epoch.toString()}
                </td>
                <td>{l.activationEpoch.toString()}</td>
                <td>
                  <code className="hash">{l.leaderboardHash}</code>
                </td>
                <td>
                  <ol className="members">
                    {l.members.map((m) => (
                      <li key={m}>
                        <Address address={m} />
                      </li>
                    ))}
                  </ol>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
