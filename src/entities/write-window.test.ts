import { describe, expect, it } from 'vitest';
import { createWriteWindow } from './write-window.js';

/** A write the test settles by hand. */
function pendingWrite() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createWriteWindow', () => {
  it('starts writes at once below the bound and holds the next one until a write settles', async () => {
    const writes = createWriteWindow(2);
    const held = [pendingWrite(), pendingWrite(), pendingWrite()];
    let started = 0;
    // Three callers at once: the third must not overshoot the bound.
    const calls = held.map((write) =>
      writes.start(() => {
        started++;
        return write.promise;
      }),
    );
    await flush();
    expect(started).toBe(2);
    expect(writes.size).toBe(2);
    held[1]?.resolve();
    const [, , third] = await Promise.all(calls);
    expect(started).toBe(3);
    expect(writes.size).toBe(2);
    expect(third?.written).toBe(held[2]?.promise);
  });

  it('a failed write frees its place too, and its failure stays with its caller', async () => {
    const writes = createWriteWindow(1);
    const failing = pendingWrite();
    const { written } = await writes.start(() => failing.promise);
    const caller = written.catch((error: Error) => error.message);
    const next = writes.start(async () => undefined);
    failing.reject(new Error('disk full'));
    await next;
    expect(await caller).toBe('disk full');
    await flush();
    expect(writes.size).toBe(0);
  });

  it('with many callers waiting, each settled write lets exactly one more start, oldest first', async () => {
    const writes = createWriteWindow(3);
    const held = Array.from({ length: 12 }, () => pendingWrite());
    const order: number[] = [];
    let peak = 0;
    const calls = held.map((write, i) =>
      writes.start(() => {
        order.push(i);
        peak = Math.max(peak, writes.size + 1);
        return write.promise;
      }),
    );
    await flush();
    expect(order).toEqual([0, 1, 2]);
    for (let i = 0; i < held.length; i++) {
      held[i]?.resolve();
      await flush();
      expect(order.length).toBe(Math.min(held.length, i + 4));
      expect(writes.size).toBe(Math.min(3, held.length - i - 1));
    }
    await Promise.all(calls);
    expect(order).toEqual(held.map((_, i) => i));
    expect(peak).toBe(3);
    expect(writes.size).toBe(0);
  });

  it('a caller arriving while a woken one is on its way never overshoots, and nobody is left waiting', async () => {
    const writes = createWriteWindow(1);
    const first = pendingWrite();
    await writes.start(() => first.promise);
    const woken = writes.start(async () => undefined);
    first.resolve();
    // Arrives in the same tick as the wake-up: one of the two goes first, the other after it.
    const newcomer = writes.start(async () => undefined);
    await Promise.all([woken, newcomer]);
    await flush();
    expect(writes.size).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createWriteWindow(0)).toThrow(RangeError);
    expect(() => createWriteWindow(1.5)).toThrow(RangeError);
  });
});
