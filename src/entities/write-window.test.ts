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

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createWriteWindow(0)).toThrow(RangeError);
    expect(() => createWriteWindow(1.5)).toThrow(RangeError);
  });
});
