/** One epoch of a modeler's chart. */
export interface PointsBar {
  epoch: bigint;
  points: bigint;
  answeredRequests: bigint;
  threshold: bigint;
}

const HEIGHT = 180;
const SLOT = 64;
const TOP = 12;
const BOTTOM = 28;
const LEFT = 36;

/**
 * Points per epoch as bars, each in front of the epoch's answered requests (the eviction base) with the
 * threshold across it, so a bar that stops under its line is at risk of eviction. Plain SVG: the numbers are in
 * the table beside it, which screen readers read instead.
 */
export function PointsChart({ bars, title }: { bars: PointsBar[]; title: string }) {
  const top = bars.reduce(
    (max, b) => [b.points, b.answeredRequests, b.threshold, max].reduce((a, c) => (c > a ? c : a)),
    1n,
  );
  const plot = HEIGHT - TOP - BOTTOM;
  const y = (v: bigint) => TOP + plot - (Number(v) / Number(top)) * plot;
  const width = LEFT + Math.max(bars.length, 4) * SLOT;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} width={width} height={HEIGHT} aria-hidden="true">
        <line x1={LEFT} x2={width} y1={y(0n)} y2={y(0n)} className="chart-axis" />
        <text x={LEFT - 6} y={y(top) + 4} textAnchor="end">
          {top.toString()}
        </text>
        <text x={LEFT - 6} y={y(0n) + 4} textAnchor="end">
          0
        </text>
        {bars.map((b, i) => {
          const x = LEFT + i * SLOT + 8;
          return (
            <g key={b.epoch.toString()}>
              <rect
                x={x}
                width={SLOT - 16}
                y={y(b.answeredRequests)}
                height={y(0n) - y(b.answeredRequests)}
                className="chart-answered"
              />
              <rect
                x={x + 12}
                width={SLOT - 40}
                y={y(b.points)}
                height={y(0n) - y(b.points)}
                className="chart-points"
              />
              {b.answeredRequests > 0n && (
                <line
                  x1={x - 4}
                  x2={x + SLOT - 12}
                  y1={y(b.threshold)}
                  y2={y(b.threshold)}
                  className="chart-threshold"
                />
              )}
              <text x={x + (SLOT - 16) / 2} y={HEIGHT - 10} textAnchor="middle">
                {b.epoch.toString()}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        {title}. <span className="key key-points">Bars</span>: your points (answers in time);{" "}
        <span className="key key-answered">outline</span>: the epoch&apos;s answered requests;{" "}
        <span className="key key-threshold">dashed line</span>: the eviction threshold. Epochs along the bottom.
      </figcaption>
    </figure>
  );
}
