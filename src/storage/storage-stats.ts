/** Counters and latency samples of the storage engine, exposed for Prometheus metrics. */
import { percentileOf } from './percentile.js';

export interface StorageStats {
  readonly batches: number;
  readonly requests: number;
  readonly writes: number;
  readonly maxBatchSize: number;
  readonly meanBatchSize: number;
  /** Over the last 1024 write batches: apply + journal + fdatasync, in ms. */
  readonly commitLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Every write batch since the engine opened, bucketed: the Prometheus histogram's source. */
  readonly commitSeconds: CommitHistogram;
  readonly snapshots: number;
  /**
   * Time spent on work run while a journal record was being fdatasync'ed (the full-text
   * catch-up), in ms since the engine opened: CPU off the commit's critical path.
   */
  readonly whileSyncingMs?: number;
  readonly lastSnapshot?: {
    readonly bytes: number;
    readonly pauseMs: number;
    readonly writeMs: number;
  };
}

const WINDOW = 1024;

/**
 * Commit latencies (apply + journal + fdatasync) of every write batch, counted into fixed
 * buckets in seconds: `counts[i]` batches took at most `bounds[i]` and more than the bound
 * before; the last count (one more than `bounds`) is the rest (+Inf). Plain cumulative data,
 * so the main thread can turn it into a Prometheus histogram from any reading.
 */
export interface CommitHistogram {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly sumSeconds: number;
  readonly count: number;
}

/** Bucket bounds in seconds: 0.5 ms (a page-cache fdatasync) to 2.5 s (a stalled disk). */
export const COMMIT_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export class EngineStats {
  #batches = 0;
  #requests = 0;
  #writes = 0;
  #maxBatch = 0;
  #latencies: number[] = [];
  #snapshots = 0;
  #lastSnapshot: StorageStats['lastSnapshot'];
  readonly #bucketCounts = new Array<number>(COMMIT_BUCKETS_SECONDS.length + 1).fill(0);
  #latencySumSeconds = 0;
  #whileSyncingMs = 0;

  recordWhileSyncing(ms: number): void {
    this.#whileSyncingMs += ms;
  }

  recordBatch(size: number, writes: number, latencyMs: number): void {
    this.#batches++;
    this.#requests += size;
    this.#writes += writes;
    this.#maxBatch = Math.max(this.#maxBatch, size);
    this.#latencies.push(latencyMs);
    const seconds = latencyMs / 1000;
    const bucket = COMMIT_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    this.#bucketCounts[bucket === -1 ? COMMIT_BUCKETS_SECONDS.length : bucket] =
      (this.#bucketCounts[bucket === -1 ? COMMIT_BUCKETS_SECONDS.length : bucket] ?? 0) + 1;
    this.#latencySumSeconds += seconds;
    if (this.#latencies.length > WINDOW) this.#latencies.shift();
  }

  recordSnapshot(bytes: number, pauseMs: number, writeMs: number): void {
    this.#snapshots++;
    this.#lastSnapshot = { bytes, pauseMs, writeMs };
  }

  snapshot(): StorageStats {
    return {
      batches: this.#batches,
      requests: this.#requests,
      writes: this.#writes,
      maxBatchSize: this.#maxBatch,
      whileSyncingMs: this.#whileSyncingMs,
      meanBatchSize: this.#batches === 0 ? 0 : this.#requests / this.#batches,
      commitLatencyMs: {
        p50: percentileOf(this.#latencies, 50),
        p99: percentileOf(this.#latencies, 99),
        max: this.#latencies.length === 0 ? 0 : Math.max(...this.#latencies),
      },
      commitSeconds: {
        bounds: COMMIT_BUCKETS_SECONDS,
        counts: [...this.#bucketCounts],
        sumSeconds: this.#latencySumSeconds,
        count: this.#bucketCounts.reduce((sum, n) => sum + n, 0),
      },
      snapshots: this.#snapshots,
      ...(this.#lastSnapshot === undefined ? {} : { lastSnapshot: this.#lastSnapshot }),
    };
  }
}
