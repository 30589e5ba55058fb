import { describe, expect, it } from 'vitest';
import { decide, parseSubscriptionPolicy } from './subscription-policy.js';

describe('subscription policy', () => {
  it('decides at once for accept and reject, keeps ask pending', () => {
    expect(decide('accept')).toBe('accepted');
    expect(decide('reject')).toBe('rejected');
    expect(decide('ask')).toBe('pending');
  });

  it('reads stored values, asks by default, and refuses anything else', () => {
    expect(parseSubscriptionPolicy(null)).toBe('ask');
    expect(parseSubscriptionPolicy('accept')).toBe('accept');
    expect(() => parseSubscriptionPolicy('maybe')).toThrow(/accept, reject, ask/);
  });
});
