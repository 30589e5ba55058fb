/**
 * Exponential backoff with "full jitter": delay = random() × min(cap, base × 2^attempt), so
 * clients disconnected together by a server restart spread their reconnections instead of
 * stampeding (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */

/** A source of uniform random numbers in [0, 1); injected so tests are deterministic. */
export type RandomSource = () => number;

export interface Backoff {
  /** Delay before retry number `attempt` (0-based) in milliseconds. */
  delay(attempt: number): number;
}

/**
 * @example
 * const backoff = createBackoff({ baseMs: 500, capMs: 60_000, random: Math.random });
 * clock.setTimeout(reconnect, backoff.delay(attempt));
 */
export function createBackoff(options: {
  baseMs: number;
  capMs: number;
  random: RandomSource;
}): Backoff {
  const { baseMs, capMs, random } = options;
  if (!(baseMs > 0) || !(capMs >= baseMs))
    throw new RangeError('backoff needs 0 < baseMs <= capMs');
  return {
    delay(attempt) {
      const exponent = Math.min(Math.max(0, Math.floor(attempt)), 52);
      const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
      return Math.floor(random() * ceiling);
    },
  };
}
