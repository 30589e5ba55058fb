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
  let inFlight = 0;
  // Callers waiting for room, oldest first. Each settled write wakes one of them (not all:
  // waking every waiter to race for one place cost O(waiters × max) reactions per write).
  const waiting: (() => void)[] = [];
  const settle = () => {
    inFlight--;
    waiting.shift()?.();
  };
  return {
    async start(write) {
      // A woken caller re-checks: a caller arriving meanwhile may have taken the place, and
      // then that caller's own write wakes the next one when it settles.
      while (inFlight >= max) await new Promise<void>((wake) => waiting.push(wake));
      const written = write();
      inFlight++;
      written.then(settle, settle);
      return { written };
    },
    get size() {
      return inFlight;
    },
  };
}
