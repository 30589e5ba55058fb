import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, sortedPercentile } from './latency-histogram.js';

describe('latency histogram', () => {
  it('gives nearest-rank percentiles, mean and max', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.summary()).toEqual({ count: 100, mean: 50.5, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('keeps count, mean and max exact past the sample cap', () => {
    const h = createLatencyHistogram(4);
    for (const v of [1, 2, 3, 4, 1000]) h.record(v);
    const s = h.summary();
    expect(s.count).toBe(5);
    expect(s.max).toBe(1000);
    expect(s.mean).toBe(202);
    expect(s.p99).toBe(4);
  });

  it('ignores non-finite values and clamps negatives to 0', () => {
    const h = createLatencyHistogram();
    h.record(Number.NaN);
    h.record(-3);
    expect(h.summary().count).toBe(1);
    expect(h.summary().max).toBe(0);
  });

  it('percentiles are ordered and within the samples (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1 }),
        (values) => {
          const h = createLatencyHistogram();
          for (const v of values) h.record(v);
          const s = h.summary();
          expect(s.p50).toBeLessThanOrEqual(s.p95);
          expect(s.p95).toBeLessThanOrEqual(s.p99);
          expect(s.p99).toBeLessThanOrEqual(s.max);
          const sorted = Float64Array.from(values).sort();
          expect(sortedPercentile(sorted, 100)).toBe(sorted[sorted.length - 1]);
        },
      ),
    );
  });
});
