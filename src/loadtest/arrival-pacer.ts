/**
 * Paces login starts at a rate that may change while waiters queue (arrival phases, the API):
 * the runtime's token bucket, with the load harness's error codes. Waiters are served in
 * arrival order; at most `burst` tokens accumulate, so a late timer is caught up without a flood.
 */
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { createTokenBucket } from '../xmpp/token-bucket.js';

export interface ArrivalPacer {
  /** Resolves when a start is allowed; rejects with `loadtest.aborted` if `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Changes the rate from now on (tokens already earned stay). */
  setRate(perSecond: number): void;
  readonly rate: number;
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
  const bucket = createTokenBucket({ ratePerSecond: options.rate, burst, clock });
  return {
    get rate() {
      return bucket.rate;
    },
    setRate(perSecond) {
      if (!(perSecond > 0)) throw new AviaryError('loadtest.bad-options', 'rate must be > 0');
      bucket.setRate(perSecond);
    },
    acquire(signal) {
      return bucket.acquire(signal).catch((error: unknown) => {
        throw new AviaryError('loadtest.aborted', 'login wait aborted', { cause: error });
      });
    },
  };
}
