import type { Clock } from './clock.js';

/**
 * Deadlines grouped into buckets of `resolutionMs`: one clock timer per bucket instead of one per
 * ask, so thousands of asks in flight cost a handful of timers. A deadline never fires early and
 * fires at most `resolutionMs` late.
 */
export class DeadlineBuckets {
  readonly #clock: Clock;
  readonly #resolution: number;
  readonly #buckets = new Map<number, Set<() => void>>();

  constructor(clock: Clock, resolutionMs = 10) {
    this.#clock = clock;
    this.#resolution = resolutionMs;
  }

  /** Calls `onExpire` once `delayMs` has passed, unless the returned cancel function runs first. */
  add(delayMs: number, onExpire: () => void): () => void {
    const key = Math.ceil((this.#clock.now() + delayMs) / this.#resolution) * this.#resolution;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      const created = new Set<() => void>();
      bucket = created;
      this.#buckets.set(key, created);
      this.#clock.setTimeout(() => {
        this.#buckets.delete(key);
        for (const expire of created) expire();
      }, key - this.#clock.now());
    }
    const entry = () => onExpire();
    bucket.add(entry);
    const owner = bucket;
    return () => {
      owner.delete(entry);
    };
  }
}
