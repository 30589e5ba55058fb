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
  readonly snapshots: number;
  readonly lastSnapshot?: {
    readonly bytes: number;
    readonly pauseMs: number;
    readonly writeMs: number;
  };
}

const WINDOW = 1024;

export class EngineStats {
  #batches = 0;
  #requests = 0;
  #writes = 0;
  #maxBatch = 0;
  #latencies: number[] = [];
  #snapshots = 0;
  #lastSnapshot: StorageStats['lastSnapshot'];

  recordBatch(size: number, writes: number, latencyMs: number): void {
    this.#batches++;
    this.#requests += size;
    this.#writes += writes;
    this.#maxBatch = Math.max(this.#maxBatch, size);
    this.#latencies.push(latencyMs);
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
      meanBatchSize: this.#batches === 0 ? 0 : this.#requests / this.#batches,
      commitLatencyMs: {
        p50: percentileOf(this.#latencies, 50),
        p99: percentileOf(this.#latencies, 99),
        max: this.#latencies.length === 0 ? 0 : Math.max(...this.#latencies),
      },
      snapshots: this.#snapshots,
      ...(this.#lastSnapshot === undefined ? {} : { lastSnapshot: this.#lastSnapshot }),
    };
  }
}
