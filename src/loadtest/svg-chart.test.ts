import { describe, expect, it } from 'vitest';
import type { TimelinePoint } from './load-metrics.js';
import { renderLoadChart } from './svg-chart.js';

const point = (t: number, received: number, p50: number | null): TimelinePoint => ({
  t,
  sent: received,
  received,
  loginsStarted: 0,
  loginsOk: 0,
  loginsFailed: 0,
  errors: 0,
  online: 10,
  latency: p50 === null ? {} : { message: { count: 1, p50, p95: p50 * 2, p99: p50 * 2 } },
});

describe('load chart', () => {
  it('draws one path per series, breaks lines at gaps, and escapes the title', () => {
    const svg = renderLoadChart(
      [point(0, 10, 1), point(1, 20, null), point(2, 30, 3)],
      'a <b> & c',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &#60;b&#62; &#38; c');
    expect(svg.match(/<path /g)).toHaveLength(6);
    // The latency p50 line restarts (a second M) after the empty bucket.
    const p50 = svg.split('\n').filter((l) => l.includes('stroke="#9467bd"'))[0] ?? '';
    expect(p50.match(/M/g)).toHaveLength(2);
  });

  it('renders an empty timeline without NaN', () => {
    expect(renderLoadChart([], 'empty')).not.toContain('NaN');
  });
});
