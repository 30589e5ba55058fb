/**
 * A token bucket driven by the injected clock: a runtime-wide login rate limiter, so starting
 * thousands of profiles (or reconnecting them after a server restart) stays at `ratePerSecond`
 * with bursts of at most `burst`. Waiters are served in arrival order.
 */

import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';

export interface TokenBucket {
  /** Resolves when a token is taken; rejects with `xmpp.rate-limit-aborted` if `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Tokens available now (fractional). */
  available(): number;
  /** Callers waiting for a token. */
  readonly waiting: number;
  /** Tokens earned per second. */
  readonly rate: number;
  /** Changes the refill rate from now on (tokens already earned stay); throws a RangeError unless > 0. */
  setRate(perSecond: number): void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly detach: () => void;
}

/**
 * @example
 * const logins = createTokenBucket({ ratePerSecond: 200, burst: 50, clock });
 * await logins.acquire(signal);
 * await connection.connect();
 */
export function createTokenBucket(options: {
  ratePerSecond: number;
  burst: number;
  clock: Clock;
}): TokenBucket {
  const { burst, clock } = options;
  let ratePerSecond = options.ratePerSecond;
  if (!(ratePerSecond > 0) || !(burst >= 1))
    throw new RangeError('token bucket needs rate > 0, burst >= 1');
  let tokens = burst;
  let updatedAt = clock.now();
  const queue: Waiter[] = [];
  let cancelTimer: (() => void) | undefined;

  const refill = () => {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - updatedAt) * ratePerSecond) / 1000);
    updatedAt = now;
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
    if (queue.length > 0) {
      const waitMs = Math.ceil(((1 - tokens) * 1000) / ratePerSecond);
      cancelTimer = clock.setTimeout(pump, Math.max(1, waitMs));
    }
  };

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(aborted(signal));
      refill();
      if (queue.length === 0 && tokens >= 1) {
        tokens -= 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(aborted(signal as AbortSignal));
          if (queue.length === 0) {
            cancelTimer?.();
            cancelTimer = undefined;
          }
        };
        const waiter: Waiter = {
          resolve,
          reject,
          detach: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        if (cancelTimer === undefined) pump();
      });
    },
    available() {
      refill();
      return tokens;
    },
    get waiting() {
      return queue.length;
    },
    get rate() {
      return ratePerSecond;
    },
    setRate(perSecond) {
      if (!(perSecond > 0)) throw new RangeError('token bucket needs rate > 0');
      refill();
      ratePerSecond = perSecond;
      if (queue.length > 0) pump();
    },
  };
}

function aborted(signal: AbortSignal): AviaryError<'xmpp.rate-limit-aborted'> {
  return new AviaryError('xmpp.rate-limit-aborted', 'gave up waiting for a login token', {
    cause: signal.reason,
  });
}
