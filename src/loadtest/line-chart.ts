/**
 * A self-contained SVG line chart (no script, no external resource) with labelled axes: the x
 * axis is time in seconds, the y axis carries the unit given. Series break at null values.
 */

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  /** `[seconds, value]`; a null value lifts the pen. */
  readonly points: readonly (readonly [number, number | null])[];
}

export interface LineChart {
  readonly title: string;
  /** Unit of the y axis, shown on it (e.g. `ms`, `messages/s`, `sessions`). */
  readonly yUnit: string;
  readonly series: readonly ChartSeries[];
}

const WIDTH = 860;
const HEIGHT = 260;
const LEFT = 70;
const RIGHT = 20;
const TOP = 30;
const BOTTOM = 60;

export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const label = (v: number) => String(Number(v.toPrecision(3)));

/** @example renderLineChart({ title: 'logins', yUnit: 'logins/s', series: [...] }) */
export function renderLineChart(chart: LineChart): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const xs = chart.series.flatMap((s) => s.points.map(([t]) => t));
  const ys = chart.series.flatMap((s) =>
    s.points.map(([, v]) => v).filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const tMax = Math.max(1, ...xs);
  const vMax = niceMax(Math.max(0, ...ys));
  const x = (t: number) => LEFT + (t / tMax) * plotW;
  const y = (v: number) => TOP + plotH - (v / vMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" role="img" aria-label="${escapeXml(chart.title)}">`,
    `<text x="${LEFT}" y="18" font-size="13" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<rect x="${LEFT}" y="${TOP}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (vMax * i) / 4;
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${label(v)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const t = (tMax * i) / 5;
    out.push(
      `<text x="${x(t)}" y="${TOP + plotH + 14}" font-size="10" text-anchor="middle">${label(t)}</text>`,
    );
  }
  const midY = TOP + plotH / 2;
  out.push(
    `<text class="axis-x" x="${LEFT + plotW / 2}" y="${TOP + plotH + 30}" font-size="11" text-anchor="middle">time (s)</text>`,
    `<text class="axis-y" x="16" y="${midY}" font-size="11" text-anchor="middle" transform="rotate(-90 16 ${midY})">${escapeXml(chart.yUnit)}</text>`,
  );
  chart.series.forEach((s, k) => {
    // Runs of consecutive values; a run of one point is drawn as a short tick so it shows.
    const runs: string[][] = [];
    let run: string[] = [];
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v)) {
        if (run.length > 0) runs.push(run);
        run = [];
        continue;
      }
      run.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    if (run.length > 0) runs.push(run);
    const d = runs
      .map((r) => (r.length === 1 ? `M${r[0]} m-2,0 h4` : `M${r.join(' L')}`))
      .join(' ');
    if (d !== '')
      out.push(
        `<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`,
      );
    // Legend along the bottom: up to five series fit.
    const lx = LEFT + k * 155;
    const ly = HEIGHT - 10;
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${ly}" font-size="11">${escapeXml(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
