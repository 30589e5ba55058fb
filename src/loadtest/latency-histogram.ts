/**
 * Latency samples of one transaction kind (TCP connect, TLS, auth, bind, message delivery,
 * IQ round trip…) with exact nearest-rank percentiles. Samples are kept up to `maxSamples`;
 * past that, count/sum/max stay exact and percentiles come from the first `maxSamples`.
 */

/** Summary of a histogram, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface LatencyHistogram {
  record(ms: number): void;
  readonly count: number;
  summary(): LatencySummary;
}

/** Nearest-rank percentile of an already sorted array (`p` in 0..100); NaN when empty. */
export function sortedPercentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * @example
 * const h = createLatencyHistogram();
 * h.record(1.5); h.record(3);
 * h.summary().p50; // 1.5
 */
export function createLatencyHistogram(maxSamples = 1 << 21): LatencyHistogram {
  let samples = new Float64Array(1024);
  let stored = 0;
  let count = 0;
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  return {
    record(ms) {
      if (!Number.isFinite(ms)) return;
      const value = Math.max(0, ms);
      count += 1;
      sum += value;
      if (value > max) max = value;
      if (stored >= maxSamples) return;
      if (stored === samples.length) {
        const grown = new Float64Array(Math.min(maxSamples, samples.length * 2));
        grown.set(samples);
        samples = grown;
      }
      samples[stored++] = value;
    },
    get count() {
      return count;
    },
    summary() {
      const sorted = samples.slice(0, stored).sort();
      const round = (v: number) => (Number.isNaN(v) ? v : Math.round(v * 1000) / 1000);
      return {
        count,
        mean: count === 0 ? Number.NaN : round(sum / count),
        p50: round(sortedPercentile(sorted, 50)),
        p95: round(sortedPercentile(sorted, 95)),
        p99: round(sortedPercentile(sorted, 99)),
        max: count === 0 ? Number.NaN : round(max),
      };
    },
  };
}
