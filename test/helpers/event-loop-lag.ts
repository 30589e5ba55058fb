/**
 * How late this thread's event loop ran callbacks, at worst (perf_hooks' event loop delay
 * histogram). A test asserting when something happened in real time adds this measured lag as its
 * slack instead of a guessed constant: on a quiet machine the bound stays tight, on a loaded one
 * it widens exactly by the stalls that delayed the events being timed.
 *
 * @example
 * const lag = watchEventLoopLag();
 * // ... timed activity ...
 * expect(delayMs).toBeLessThan(scheduledMs + lag.maxMs());
 * lag.stop();
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopLag {
  /** The longest stall seen since the start or the last `reset()`, in ms (plus the sampling step). */
  maxMs(): number;
  reset(): void;
  stop(): void;
}

export function watchEventLoopLag(resolutionMs = 10): EventLoopLag {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    maxMs: () => histogram.max / 1e6 + resolutionMs,
    reset: () => histogram.reset(),
    stop: () => histogram.disable(),
  };
}
