/** A ring that empties as `left` of `total` seconds run out, with the seconds in its middle. */
export function Ring({ left, total, label }: { left: bigint; total: bigint; label: string }) {
  const clamped = left < 0n ? 0n : left > total ? total : left;
  const fraction = total > 0n ? Number(clamped) / Number(total) : 0;
  const r = 42;
  const circumference = 2 * Math.PI * r;
  return (
    <figure className="ring">
      <svg viewBox="0 0 100 100" width="120" height="120" aria-hidden="true">
        <circle cx="50" cy="50" r={r} className="ring-track" />
        <circle
          cx="50"
          cy="50"
          r={r}
          className="ring-left"
          strokeDasharray={`${fraction * circumference} ${circumference}`}
          transform="rotate(-90 50 50)"
        />
        <text x="50" y="56" textAnchor="middle">
          {clamped.toString()} s
        </text>
      </svg>
      <figcaption role="timer" aria-live="off">
        {label}: {clamped.toString()} s left
      </figcaption>
    </figure>
  );
}
