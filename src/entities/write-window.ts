/**
 * A bound on one entity's storage writes in flight. A write is started only when fewer than
 * `max` earlier ones are unacknowledged; otherwise `admit` waits (in the entity's turn) until
 * one settles. That wait is the backpressure: the entity's mailbox fills, its inbound flow
 * stops reading the socket, and a fast peer cannot flood the storage mailbox (which refuses
 * past its capacity) with writes nobody awaits.
 */
export interface WriteWindow {
  /**
   * Waits until fewer than `max` writes are in flight, then starts `write` (in the same step
   * as that check, so concurrent callers never overshoot) and counts it until it settles. Its
   * failure is its caller's to observe, through `written`.
   */
  start<T>(write: () => Promise<T>): Promise<{ readonly written: Promise<T> }>;
  /** Writes in flight now. */
  readonly size: number;
}

/**
 * @example
 * const writes = createWriteWindow(16);
 * const { written } = await writes.start(() => storage.request(write));
 */
export function createWriteWindow(max: number): WriteWindow {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  const inFlight = new Set<Promise<unknown>>();
  return {
    async start(write) {
      while (inFlight.size >= max) await Promise.race(inFlight).catch(() => undefined);
      const written = write();
      inFlight.add(written);
      const settle = () => inFlight.delete(written);
      written.then(settle, settle);
      return { written };
    },
    get size() {
      return inFlight.size;
    },
  };
}
