import { describe, expect, it } from 'vitest';
import { type LeaseRow, planLeases } from './lease-plan.js';

const row = (shard: number, owner: string | null, epoch: number, expired = false): LeaseRow => ({
  shard,
  owner,
  epoch,
  expired,
});

describe('lease plan', () => {
  it('renews held and wished shards, takes free or expired ones, leaves live leases of others alone', () => {
    const plan = planLeases({
      self: 'a',
      wished: new Set([1, 2, 3, 4, 5]),
      held: new Map([[1, 7]]),
      rows: [row(1, 'a', 7), row(2, null, 3), row(3, 'b', 2, true), row(4, 'b', 2)],
      draining: false,
    });
    expect(plan).toEqual({ renew: [1], release: [], acquire: [2, 3, 5], lost: [] });
  });

  it('takes its own row back after a restart under the same name', () => {
    const plan = planLeases({
      self: 'a',
      wished: new Set([9]),
      held: new Map(),
      rows: [row(9, 'a', 4)],
      draining: false,
    });
    expect(plan.acquire).toEqual([9]);
  });

  it('counts a held shard whose row has another owner or epoch as lost', () => {
    const plan = planLeases({
      self: 'a',
      wished: new Set([1, 2, 3]),
      held: new Map([
        [1, 5],
        [2, 5],
        [3, 5],
      ]),
      rows: [row(1, 'b', 6), row(2, 'a', 6), row(3, 'a', 5, true)],
      draining: false,
    });
    // An expired lease still ours (same epoch) is renewed: nobody took it in between.
    expect(plan).toEqual({ renew: [3], release: [], acquire: [], lost: [1, 2] });
  });

  it('releases shards wished elsewhere, and everything while draining', () => {
    const rows = [row(1, 'a', 1), row(2, 'a', 1), row(3, null, 0)];
    const held = new Map([
      [1, 1],
      [2, 1],
    ]);
    expect(planLeases({ self: 'a', wished: new Set([1, 3]), held, rows, draining: false })).toEqual(
      { renew: [1], release: [2], acquire: [3], lost: [] },
    );
    expect(planLeases({ self: 'a', wished: new Set([1, 3]), held, rows, draining: true })).toEqual({
      renew: [],
      release: [1, 2],
      acquire: [],
      lost: [],
    });
  });
});
