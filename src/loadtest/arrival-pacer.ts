/**
 * Paces login starts at a rate that may change while waiters queue (arrival phases, the API):
 * a token bucket whose refill rate is read at each refill. Waiters are served in arrival order;
 * at most `burst` tokens accumulate, so a late timer is caught up without a flood.
 */
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';

export interface ArrivalPacer {
  /** Resolves when a start is allowed; rejects with `loadtest.aborted` if `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Changes the rate from now on (tokens already earned stay). */
  setRate(perSecond: number): void;
  readonly rate: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly detach: () => void;
}

/** @example const pacer = createArrivalPacer({ rate: 10, burst: 2, clock }); await pacer.acquire(); */
export function createArrivalPacer(options: {
  rate: number;
  burst: number;
  clock: Clock;
}): ArrivalPacer {
  const { burst, clock } = options;
  if (!(options.rate > 0) || !(burst >= 1))
    throw new AviaryError('loadtest.bad-options', 'pacer needs rate > 0, burst >= 1');
  let rate = options.rate;
  let tokens = burst;
  let updatedAt = clock.now();
  const queue: Waiter[] = [];
  let cancelTimer: (() => void) | undefined;

  const refill = () => {
    const t = clock.now();
    tokens = Math.min(burst, tokens + ((t - updatedAt) * rate) / 1000);
    updatedAt = t;
  };
  const pump = () => {
    cancelTimer?.();
    cancelTimer = undefined;
    refill();
    while (queue.length > 0 && tokens >= 1) {
      tokens -= 1;
      const waiter = queue.shift() as Waiter;
      waiter.detach();
      waiter.resolve();
    }
    if (queue.length > 0)
      cancelTimer = clock.setTimeout(pump, Math.max(1, Math.ceil(((1 - tokens) * 1000) / rate)));
  };

  return {
    get rate() {
      return rate;
    },
    setRate(perSecond) {
      if (!(perSecond > 0)) throw new AviaryError('loadtest.bad-options', 'rate must be > 0');
      refill();
      rate = perSecond;
      if (queue.length > 0) pump();
    },
    acquire(signal) {
      const aborted = () => new AviaryError('loadtest.aborted', 'login wait aborted');
      if (signal?.aborted) return Promise.reject(aborted());
      refill();
      if (queue.length === 0 && tokens >= 1) {
        tokens -= 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(aborted());
        };
        const waiter: Waiter = {
          resolve,
          detach: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        if (queue.length === 1) pump();
      });
    },
  };
}
