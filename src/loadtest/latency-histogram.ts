/**
 * Latency of one transaction (TCP connect, auth, message delivery, IQ round trip, a scenario's
 * own step…) in an HDR histogram (hdr-histogram-js): constant memory whatever the run length,
 * every value counted (no sampling), 3 significant digits, and mergeable — a worker ships its
 * histogram encoded (compressed base64, the HdrHistogram V2 format) and the controller adds it.
 * Values are recorded in whole microseconds; summaries are in milliseconds.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

/** Summary of a histogram, in milliseconds (NaN when empty). */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface LatencyHistogram {
  record(ms: number): void;
  readonly count: number;
  summary(): LatencySummary;
  /** Value at percentile `p` (0..100) in ms; NaN when empty. */
  percentile(p: number): number;
  /** Adds every value of `other` (or of an {@link LatencyHistogram.encode}d one). */
  merge(other: LatencyHistogram | EncodedHistogram): void;
  /** The histogram for another process: HdrHistogram V2 compressed encoding plus the exact sum. */
  encode(): EncodedHistogram;
  reset(): void;
}

/** A histogram on the wire: `hdr` is the compressed HdrHistogram V2 encoding (base64). */
export interface EncodedHistogram {
  readonly hdr: string;
  readonly sumMs: number;
  readonly maxMs: number;
}

/** Highest trackable latency: one hour in µs (larger values are clamped to it). */
const HIGHEST_US = 3_600_000_000;

const round = (v: number) => (Number.isNaN(v) ? v : Math.round(v * 1000) / 1000);

/**
 * 32-bit counters: ~90 KB at 3 digits, but a percentile costs ~0.3 ms where the packed layout
 * costs ~13 ms (it blocked the event loop at every timeline bucket).
 */
function newHdr(digits: 2 | 3): Histogram {
  return build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: digits,
    autoResize: false,
    useWebAssembly: false,
  });
}

/**
 * @example
 * const h = createLatencyHistogram();
 * h.record(1.5); h.record(3);
 * h.summary().p50; // 1.5
 */
export function createLatencyHistogram(
  options: {
    /** Significant digits: 3 (0.1 %, default) or 2 (1 %, 4× cheaper: per-bucket timelines). */
    digits?: 2 | 3;
  } = {},
): LatencyHistogram {
  const hdr = newHdr(options.digits ?? 3);
  // Sum and max kept exact apart: HDR values are bucket edges (3 significant digits).
  let sumMs = 0;
  let maxMs = Number.NaN;
  const self: LatencyHistogram & {
    readonly hdr: Histogram;
    readonly sum: number;
    readonly max: number;
  } = {
    hdr,
    get sum() {
      return sumMs;
    },
    get max() {
      return maxMs;
    },
    record(ms) {
      if (!Number.isFinite(ms)) return;
      const value = Math.max(0, ms);
      sumMs += value;
      if (!(value <= maxMs)) maxMs = value;
      hdr.recordValue(Math.min(HIGHEST_US, Math.round(value * 1000)));
    },
    get count() {
      return hdr.totalCount;
    },
    percentile(p) {
      // The bucket's highest equivalent value, never above the exact maximum.
      return hdr.totalCount === 0
        ? Number.NaN
        : Math.min(maxMs, hdr.getValueAtPercentile(p) / 1000);
    },
    summary() {
      const count = hdr.totalCount;
      const at = (p: number) => round(self.percentile(p));
      return {
        count,
        mean: count === 0 ? Number.NaN : round(sumMs / count),
        p50: at(50),
        p95: at(95),
        p99: at(99),
        p999: at(99.9),
        max: count === 0 ? Number.NaN : round(maxMs),
      };
    },
    merge(other) {
      if ('hdr' in other && typeof other.hdr === 'string') {
        const decoded = decodeFromCompressedBase64(other.hdr, 32, false);
        sumMs += other.sumMs;
        if (decoded.totalCount > 0 && !(other.maxMs <= maxMs)) maxMs = other.maxMs;
        hdr.add(decoded);
        decoded.destroy();
        return;
      }
      const source = other as typeof self;
      sumMs += source.sum;
      if (source.count > 0 && !(source.max <= maxMs)) maxMs = source.max;
      hdr.add(source.hdr);
    },
    encode() {
      return { hdr: encodeIntoCompressedBase64(hdr), sumMs, maxMs };
    },
    reset() {
      hdr.reset();
      sumMs = 0;
      maxMs = Number.NaN;
    },
  };
  return self;
}
