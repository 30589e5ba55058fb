import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import { createTokenBucket } from './token-bucket.js';

describe('createTokenBucket', () => {
  it('lets a burst through, then paces at the rate', async () => {
    const clock = new SimulatedClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3, clock });
    const granted: number[] = [];
    for (let i = 0; i < 6; i++) void bucket.acquire().then(() => granted.push(clock.now()));
    await clock.advance(0);
    expect(granted).toEqual([0, 0, 0]);
    expect(bucket.waiting).toBe(3);
    await clock.advance(100);
    expect(granted).toEqual([0, 0, 0, 100]);
    await clock.advance(200);
    expect(granted).toEqual([0, 0, 0, 100, 200, 300]);
    expect(bucket.waiting).toBe(0);
  });

  it('changes its rate while callers wait: earned tokens stay, the next come at the new rate', async () => {
    const clock = new SimulatedClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, clock });
    await bucket.acquire();
    const granted: number[] = [];
    for (let i = 0; i < 3; i++) void bucket.acquire().then(() => granted.push(clock.now()));
    await clock.advance(500); // half a token earned at 1/s
    expect(granted).toEqual([]);
    bucket.setRate(10);
    expect(bucket.rate).toBe(10);
    await clock.advance(50); // 0.5 + 0.5: the first waiter
    expect(granted).toEqual([550]);
    await clock.advance(200);
    expect(granted).toEqual([550, 650, 750]);
    expect(() => bucket.setRate(0)).toThrow(RangeError);
  });

  it('refills to at most burst while idle', async () => {
    const clock = new SimulatedClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 100, burst: 5, clock });
    for (let i = 0; i < 5; i++) await bucket.acquire();
    expect(bucket.available()).toBeCloseTo(0);
    await clock.advance(60_000);
    expect(bucket.available()).toBe(5);
  });

  it('serves waiters in order and removes an aborted one', async () => {
    const clock = new SimulatedClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, clock });
    await bucket.acquire();
    const order: string[] = [];
    const controller = new AbortController();
    const a = bucket.acquire().then(() => order.push('a'));
    const b = bucket.acquire(controller.signal).catch((e: unknown) => {
      order.push(isAviaryError(e, 'xmpp.rate-limit-aborted') ? 'b-aborted' : 'b-other');
    });
    const c = bucket.acquire().then(() => order.push('c'));
    controller.abort();
    await clock.advance(1000);
    await clock.advance(1000);
    await Promise.all([a, b, c]);
    expect(order).toEqual(['b-aborted', 'a', 'c']);
    expect(clock.now()).toBe(2000);
  });

  it('rejects immediately with an already aborted signal', async () => {
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, clock: new SimulatedClock() });
    await expect(bucket.acquire(AbortSignal.abort())).rejects.toMatchObject({
      code: 'xmpp.rate-limit-aborted',
    });
  });
});
