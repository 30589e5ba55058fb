/**
 * A hand-written SVG chart of a load test timeline: throughput (messages delivered per second,
 * sessions online) on top, message latency p50/p95 below. No dependencies.
 */
import type { TimelinePoint } from './load-metrics.js';

const WIDTH = 900;
const PANEL = 220;
const LEFT = 60;
const RIGHT = 20;
const TOP = 40;
const GAP = 50;

function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
}

function panel(
  points: readonly TimelinePoint[],
  series: readonly Series[],
  y0: number,
  title: string,
  unit: string,
): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const tMax = Math.max(1, ...points.map((p) => p.t));
  const vMax = niceMax(
    Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null) as number[])),
  );
  const x = (t: number) => LEFT + (t / tMax) * plotW;
  const y = (v: number) => y0 + PANEL - (v / vMax) * PANEL;
  const out: string[] = [
    `<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${PANEL}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (vMax * i) / 4;
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
    );
  }
  out.push(
    `<text x="${LEFT - 45}" y="${y0 + PANEL / 2}" font-size="10" transform="rotate(-90 ${LEFT - 45} ${y0 + PANEL / 2})">${esc(unit)}</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const t = (tMax * i) / 5;
    out.push(
      `<text x="${x(t)}" y="${y0 + PANEL + 14}" font-size="10" text-anchor="middle">${Number(t.toFixed(1))} s</text>`,
    );
  }
  series.forEach((s, k) => {
    const path: string[] = [];
    let pen = false;
    s.values.forEach((v, i) => {
      const p = points[i];
      if (v === null || p === undefined) {
        pen = false;
        return;
      }
      path.push(`${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`);
      pen = true;
    });
    if (path.length > 0)
      out.push(`<path d="${path.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    const lx = LEFT + 10 + k * 170;
    out.push(
      `<rect x="${lx}" y="${y0 + 6}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${y0 + 15}" font-size="11">${esc(s.label)}</text>`,
    );
  });
  return out.join('\n');
}

/**
 * @example writeFileSync('load.svg', renderLoadChart(report.timeline, 'chat, 2000 sessions'));
 */
export function renderLoadChart(points: readonly TimelinePoint[], title: string): string {
  const height = TOP + 2 * PANEL + GAP + 40;
  const seconds = (points[1]?.t ?? 1) - (points[0]?.t ?? 0) || 1;
  const top = panel(
    points,
    [
      {
        label: 'messages delivered /s',
        color: '#1f77b4',
        values: points.map((p) => p.received / seconds),
      },
      { label: 'logins /s', color: '#2ca02c', values: points.map((p) => p.loginsOk / seconds) },
      { label: 'sessions online', color: '#ff7f0e', values: points.map((p) => p.online) },
      { label: 'errors /s', color: '#d62728', values: points.map((p) => p.errors / seconds) },
    ],
    TOP,
    'Throughput',
    'per second / count',
  );
  const bottom = panel(
    points,
    [
      {
        label: 'message p50',
        color: '#9467bd',
        values: points.map((p) => p.latency.message?.p50 ?? null),
      },
      {
        label: 'message p95',
        color: '#8c564b',
        values: points.map((p) => p.latency.message?.p95 ?? null),
      },
    ],
    TOP + PANEL + GAP,
    'Message delivery latency',
    'ms',
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" font-size="15" text-anchor="middle">${esc(title)}</text>`,
    top,
    bottom,
    '</svg>',
    '',
  ].join('\n');
}
