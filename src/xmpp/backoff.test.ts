import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.js';

describe('createBackoff (full jitter)', () => {
  it('grows exponentially up to the cap', () => {
    const top = createBackoff({ baseMs: 100, capMs: 5_000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((a) => top.delay(a))).toEqual([
      99, 199, 399, 799, 1599, 3199, 4999, 4999,
    ]);
  });

  it('draws uniformly from [0, ceiling) with the injected random source', () => {
    const values = [0, 0.25, 0.5];
    let i = 0;
    const backoff = createBackoff({ baseMs: 1000, capMs: 60_000, random: () => values[i++] ?? 0 });
    expect([backoff.delay(2), backoff.delay(2), backoff.delay(2)]).toEqual([0, 1000, 2000]);
  });

  it('spreads a herd of reconnecting clients', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const backoff = createBackoff({ baseMs: 1000, capMs: 30_000, random });
    const delays = Array.from({ length: 1000 }, () => backoff.delay(5));
    const buckets = new Set(delays.map((d) => Math.floor(d / 1000)));
    expect(buckets.size).toBeGreaterThanOrEqual(25);
    expect(Math.max(...delays)).toBeLessThan(30_000);
  });

  it('rejects nonsense parameters', () => {
    expect(() => createBackoff({ baseMs: 0, capMs: 10, random: Math.random })).toThrow(RangeError);
    expect(() => createBackoff({ baseMs: 10, capMs: 5, random: Math.random })).toThrow(RangeError);
  });
});
