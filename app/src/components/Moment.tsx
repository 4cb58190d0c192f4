import { timeTexts } from "../format";

/** A point in time in UTC, with the reader's local time under it. */
export function Moment({ t }: { t: bigint }) {
  const { utc, local } = timeTexts(t);
  return (
    <span className="moment">
      <time dateTime={new Date(Number(t) * 1000).toISOString()}>{utc}</time>
      <span className="local">{local}</span>
    </span>
  );
}
