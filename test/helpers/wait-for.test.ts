import { describe, expect, it } from 'vitest';
import { waitFor, waitForValue } from './wait-for.js';

describe('waitFor', () => {
  it('resolves once the condition holds', async () => {
    let polls = 0;
    await waitFor(() => ++polls === 3);
    expect(polls).toBe(3);
  });

  it('fails naming the condition when no `what` is given', async () => {
    const inbox: string[] = [];
    await expect(waitFor(() => inbox.includes('hello'), 50)).rejects.toThrow(
      /timed out after 50 ms waiting for .*inbox\.includes\(['"]hello['"]\)/,
    );
  });

  it('fails with `what` and the stuck state from `detail`', async () => {
    await expect(
      waitFor(() => false, { timeoutMs: 20, what: 'bob online', detail: () => 'bob is offline' }),
    ).rejects.toThrow('timed out after 20 ms waiting for bob online (bob is offline)');
  });

  it('waitForValue resolves with the first defined value, async finders included', async () => {
    const values = [undefined, undefined, 7];
    expect(await waitForValue(async () => values.shift(), 'a value')).toBe(7);
  });
});
