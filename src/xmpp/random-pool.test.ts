import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from './random-pool.js';

describe('pooledRandomBytes', () => {
  it('returns the size asked for, above and below the pool size', () => {
    expect(pooledRandomBytes(24)).toHaveLength(24);
    expect(pooledRandomBytes(10_000)).toHaveLength(10_000);
  });

  it('never hands out the same bytes twice, across refills', () => {
    const seen = new Set<string>();
    // 2,000 × 24 bytes crosses the 4 KiB pool about a dozen times.
    for (let i = 0; i < 2000; i++) seen.add(pooledRandomBytes(24).toString('hex'));
    expect(seen.size).toBe(2000);
  });

  it('returns a copy that later draws do not overwrite', () => {
    const first = pooledRandomBytes(16);
    const kept = Buffer.from(first);
    for (let i = 0; i < 600; i++) pooledRandomBytes(16);
    expect(first.equals(kept)).toBe(true);
  });
});
