import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { launchBrowser } from "../../test/app/browser";
import type { StepFigures } from "./stats";

export interface Series {
  name: string;
  color: string;
  steps: readonly StepFigures[];
}

const W = 900;
const H = 400;
const PANEL = { top: 50, bottom: 320, width: 360 };
const LEFTS = [70, 510];

/** A round step for about five ticks up to `max`. */
function tickStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * power).find((s) => s >= raw)!;
}

function panel(
  left: number,
  title: string,
  yLabel: string,
  xMax: number,
  yMax: number,
  lines: { color: string; points: [number, number][]; dash?: boolean }[],
) {
  const x = (v: number) => left + (v / xMax) * PANEL.width;
  const y = (v: number) => PANEL.bottom - (Math.min(v, yMax) / yMax) * (PANEL.bottom - PANEL.top);
  const parts: string[] = [
    `<text x="${left + PANEL.width / 2}" y="30" text-anchor="middle" font-size="15" font-weight="bold">${title}</text>`,
    `<line x1="${left}" y1="${PANEL.bottom}" x2="${left + PANEL.width}" y2="${PANEL.bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${PANEL.top}" x2="${left}" y2="${PANEL.bottom}" stroke="#333"/>`,
    `<text x="${left + PANEL.width / 2}" y="${PANEL.bottom + 40}" text-anchor="middle" font-size="13">answers per second offered (request rate × modelers)</text>`,
    `<text transform="translate(${left - 50},${(PANEL.top + PANEL.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="13">${yLabel}</text>`,
  ];
  const xs = tickStep(xMax);
  for (let v = 0; v <= xMax; v += xs)
    parts.push(
      `<text x="${x(v)}" y="${PANEL.bottom + 18}" text-anchor="middle" font-size="11">${v}</text>`,
      `<line x1="${x(v)}" y1="${PANEL.bottom}" x2="${x(v)}" y2="${PANEL.top}" stroke="#eee"/>`,
    );
  const ys = tickStep(yMax);
  for (let v = 0; v <= yMax; v += ys)
    parts.push(
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v}</text>`,
      `<line x1="${left}" y1="${y(v)}" x2="${left + PANEL.width}" y2="${y(v)}" stroke="#eee"/>`,
    );
  for (const l of lines) {
    const d = l.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline points="${d}" fill="none" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    if (!l.dash)
      for (const [a, b] of l.points)
        parts.push(`<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3.5" fill="${l.color}"/>`);
  }
  return parts.join("\n");
}

/**
 * Two panels over the offered answer rate: the sustained answer rate of each series (with the offered rate as
 * the line to follow), and the p95 delay in blocks (with the 3-block aim). Delays past the panel are drawn at
 * its top.
 */
export function chartSvg(series: readonly Series[], p95AimBlocks: number): string {
  const all = series.flatMap((s) => s.steps);
  const xMax = Math.max(...all.map((s) => s.offered));
  const yMax = Math.max(xMax, ...all.map((s) => s.answersPerSecond));
  const delayMax = Math.max(
    p95AimBlocks * 2,
    ...all.map((s) => s.p95Blocks ?? 0).filter((d) => Number.isFinite(d) && d <= 60),
  );
  const rate = panel(LEFTS[0], "Sustained answers per second", "answers per second mined", xMax, yMax, [
    {
      color: "#999",
      dash: true,
      points: [
        [0, 0],
        [xMax, xMax],
      ],
    },
    ...series.map((s) => ({ color: s.color, points: s.steps.map((p) => [p.offered, p.answersPerSecond]) })),
  ] as { color: string; points: [number, number][]; dash?: boolean }[]);
  const delay = panel(LEFTS[1], "Delay, p95", "blocks from request to answer", xMax, delayMax, [
    {
      color: "#999",
      dash: true,
      points: [
        [0, p95AimBlocks],
        [xMax, p95AimBlocks],
      ],
    },
    ...series.map((s) => ({ color: s.color, points: s.steps.map((p) => [p.offered, p.p95Blocks ?? delayMax]) })),
  ] as { color: string; points: [number, number][]; dash?: boolean }[]);
  const legend = [...series.map((s) => [s.name, s.color]), ["offered / aim", "#999"]]
    .map(
      ([name, color], i) =>
        `<rect x="${70 + i * 340}" y="${H - 16}" width="14" height="4" fill="${color}"/><text x="${90 + i * 340}" y="${H - 10}" font-size="12">${name}</text>`,
    )
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
${rate}
${delay}
${legend}
</svg>`;
}

/** Renders `svg` to a PNG at `path` in the headless Chromium shipped on npm: no image library of our own. */
export async function writePng(svg: string, path: string): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: W, height: H }, deviceScaleFactor: 2 });
    await page.setContent(svg);
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path });
  } finally {
    await browser.close();
  }
}
