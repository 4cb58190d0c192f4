import { useQuery } from "@tanstack/react-query";
import { epochOf, inWindow } from "../../../sdk/time";
import { useChainNow } from "../chain-clock";
import { Moment } from "../components/Moment";
import { duration } from "../format";
import { useSession } from "../wallet/session";

/** The current epoch and what comes next in it: the promotion window, the epoch's end, its claims. */
export function Calendar() {
  const { reader } = useSession();
  const now = useChainNow();
  const { data: time } = useQuery({ queryKey: ["time-config", reader.address], queryFn: () => reader.timeConfig() });
  const epoch = time && now !== undefined ? epochOf(time, now) : undefined;
  const { data: times } = useQuery({
    queryKey: ["epoch-times", reader.address, String(epoch)],
    queryFn: () => reader.epochTimes(epoch!),
    enabled: epoch !== undefined,
  });
  if (!time || now === undefined || epoch === undefined || !times) return <p>Reading the calendar…</p>;
  const rows = [
    {
      what: inWindow(time, now) ? "Promotion window (open now)" : "Promotion window opens",
      at: times.windowStart,
    },
    { what: "Epoch ends", at: times.end },
    { what: `Claims for epoch ${epoch} open`, at: times.claimsOpenAt },
  ];
  return (
    <section aria-labelledby="calendar-title">
      <h2 id="calendar-title">Calendar</h2>
      <p>
        Epoch <strong data-testid="epoch">{epoch.toString()}</strong>, chain time <Moment t={now} />
      </p>
      <table>
        <caption className="visually-hidden">Countdowns of the current epoch</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">When (UTC, then local)</th>
            <th scope="col">In</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.what}>
              <th scope="row">{r.what}</th>
              <td>
                <Moment t={r.at} />
              </td>
              <td>
                <span role="timer">{duration(r.at - now)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
