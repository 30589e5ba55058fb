/**
 * Elements received during stream negotiation, consumed in order by the negotiation steps
 * (`await queue.next()`), with a deadline from the injected clock.
 */
import type { Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';

export interface ElementQueue {
  push(element: Element): void;
  /** The next element; rejects with `xmpp.timeout` after `timeoutMs`, or with the failure. */
  next(timeoutMs: number, what: string): Promise<Element>;
  /**
   * Rejects the waiter and every later `next()` with `error`; given a function, the error is
   * built only when something is rejected (a clean close usually has no waiter, and an error's
   * stack trace is a measurable part of a login's CPU).
   */
  fail(error: AviaryError | (() => AviaryError)): void;
}

export function createElementQueue(clock: Clock): ElementQueue {
  const buffered: Element[] = [];
  let waiter:
    | { resolve: (e: Element) => void; reject: (e: unknown) => void; cancel: () => void }
    | undefined;
  let failure: AviaryError | (() => AviaryError) | undefined;
  const failureNow = (): AviaryError => {
    if (typeof failure === 'function') failure = failure();
    return failure as AviaryError;
  };
  return {
    push(element) {
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w.cancel();
        w.resolve(element);
      } else buffered.push(element);
    },
    next(timeoutMs, what) {
      const element = buffered.shift();
      if (element !== undefined) return Promise.resolve(element);
      if (failure !== undefined) return Promise.reject(failureNow());
      return new Promise((resolve, reject) => {
        const cancel = clock.setTimeout(() => {
          waiter = undefined;
          reject(new AviaryError('xmpp.timeout', `no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = { resolve, reject, cancel };
      });
    },
    fail(error) {
      failure ??= error;
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w.cancel();
        w.reject(failureNow());
      }
    },
  };
}
