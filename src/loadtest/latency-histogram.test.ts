import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram } from './latency-histogram.js';

/** HDR with 3 significant digits: every reported value is within 0.1 % of the exact one. */
const close = (actual: number, exact: number) =>
  expect(Math.abs(actual - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.001);

describe('latency histogram (HDR)', () => {
  it('gives percentiles within 3 significant digits, an exact mean and count', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    const s = h.summary();
    expect(s.count).toBe(100);
    expect(s.mean).toBe(50.5);
    close(s.p50, 50);
    close(s.p95, 95);
    close(s.p99, 99);
    close(s.max, 100);
  });

  it('counts every value of a long run in constant memory (no sample cap)', () => {
    const h = createLatencyHistogram();
    for (let i = 0; i < 3_000_000; i++) h.record(i < 2_990_000 ? 1 : 1000);
    const s = h.summary();
    expect(s.count).toBe(3_000_000);
    // The slow tail comes after the first 2M values: a sample-capped histogram would miss it.
    close(s.p999, 1000);
    close(s.max, 1000);
  });

  it('ignores non-finite values and clamps negatives to 0', () => {
    const h = createLatencyHistogram();
    h.record(Number.NaN);
    h.record(-3);
    expect(h.summary().count).toBe(1);
    expect(h.summary().max).toBe(0);
  });

  it('merges another histogram, directly or from its encoding, as if recorded in one', () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    const all = createLatencyHistogram();
    for (let i = 1; i <= 500; i++) {
      (i % 2 === 0 ? a : b).record(i * 0.37);
      all.record(i * 0.37);
    }
    const viaWire = createLatencyHistogram();
    viaWire.merge(a.encode());
    viaWire.merge(JSON.parse(JSON.stringify(b.encode())));
    a.merge(b);
    expect(a.summary()).toEqual(all.summary());
    expect(viaWire.summary()).toEqual(all.summary());
    a.reset();
    expect(a.count).toBe(0);
  });

  it('percentiles are ordered and close to the exact nearest-rank ones (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { minLength: 1 }),
        (values) => {
          const h = createLatencyHistogram();
          for (const v of values) h.record(v);
          const s = h.summary();
          expect(s.p50).toBeLessThanOrEqual(s.p95);
          expect(s.p95).toBeLessThanOrEqual(s.p99);
          expect(s.p99).toBeLessThanOrEqual(s.max);
          const sorted = Float64Array.from(values).sort();
          const exact = sorted[Math.ceil(0.5 * sorted.length) - 1] as number;
          close(s.p50, Math.round(exact * 1000) / 1000);
        },
      ),
    );
  });
});
