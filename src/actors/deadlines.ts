import type { Clock } from '../util/clock.js';

interface Bucket {
  readonly entries: Set<() => void>;
  readonly cancelTimer: () => void;
}

/**
 * Deadlines grouped into buckets of `resolutionMs`: one clock timer per bucket instead of one per
 * ask, so thousands of asks in flight cost a handful of timers. A deadline never fires early and
 * fires at most `resolutionMs` late. A bucket whose entries are all cancelled drops its timer, so
 * no timer outlives the asks it guards (an idle process can exit).
 */
export class DeadlineBuckets {
  readonly #clock: Clock;
  readonly #resolution: number;
  readonly #buckets = new Map<number, Bucket>();

  constructor(clock: Clock, resolutionMs = 10) {
    this.#clock = clock;
    this.#resolution = resolutionMs;
  }

  /** Calls `onExpire` once `delayMs` has passed, unless the returned cancel function runs first. */
  add(delayMs: number, onExpire: () => void): () => void {
    const key = Math.ceil((this.#clock.now() + delayMs) / this.#resolution) * this.#resolution;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      const entries = new Set<() => void>();
      const cancelTimer = this.#clock.setTimeout(() => {
        this.#buckets.delete(key);
        for (const expire of entries) expire();
      }, key - this.#clock.now());
      bucket = { entries, cancelTimer };
      this.#buckets.set(key, bucket);
    }
    const entry = () => onExpire();
    bucket.entries.add(entry);
    const owner = bucket;
    return () => {
      owner.entries.delete(entry);
      if (owner.entries.size === 0 && this.#buckets.get(key) === owner) {
        owner.cancelTimer();
        this.#buckets.delete(key);
      }
    };
  }
}
