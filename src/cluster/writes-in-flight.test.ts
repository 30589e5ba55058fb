import { describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import type { StorageRequest } from '../storage/messages.js';
import { type FencedStorage, type LeaseSource, requestFenced } from './owner-writes.js';
import { WritesInFlight } from './writes-in-flight.js';

/** A storage whose requests settle when the test says so. */
function heldStorage() {
  const pending: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  const storage: FencedStorage = {
    request: () =>
      new Promise((resolve, reject) => {
        pending.push({ resolve: resolve as (v: unknown) => void, reject });
      }) as never,
  };
  return { storage, pending };
}

function leases(writes: WritesInFlight, refused: number[] = []): LeaseSource {
  return {
    node: 'node-a',
    shardOf: (name) => (name === 'alice' ? 3 : 7),
    epochOf: () => 1,
    fenced: (shard) => void refused.push(shard),
    track: (shard, write) => writes.track(shard, write),
  };
}

const write = (profile: string) =>
  ({
    type: 'param.set',
    profile,
    category: 'mam',
    name: 'checkpoint',
    value: 'x',
  }) as StorageRequest;

describe('writes in flight under a shard lease', () => {
  it('counts each fenced write against its shard until it settles, resolved or refused', async () => {
    const writes = new WritesInFlight();
    const refused: number[] = [];
    const { storage, pending } = heldStorage();
    const ok = requestFenced(storage, leases(writes, refused), 'alice', write('alice'));
    const fenced = requestFenced(storage, leases(writes, refused), 'alice', write('alice'));
    const other = requestFenced(storage, leases(writes, refused), 'bob', write('bob'));
    expect(writes.count(3)).toBe(2);
    expect(writes.count(7)).toBe(1);
    pending[0]?.resolve(undefined);
    await ok;
    expect(writes.count(3)).toBe(1);
    pending[1]?.reject(new AviaryError('cluster.fenced', 'write refused'));
    await expect(fenced).rejects.toMatchObject({ code: 'cluster.fenced' });
    expect(writes.count(3)).toBe(0);
    expect(refused).toEqual([3]);
    expect(writes.count(7)).toBe(1);
    pending[2]?.resolve(undefined);
    await other;
    expect(writes.count(7)).toBe(0);
  });

  it('settled() waits for the shards asked, including writes tracked while it waits', async () => {
    const writes = new WritesInFlight();
    let finishFirst: () => void = () => undefined;
    let finishLater: () => void = () => undefined;
    let finishOther: () => void = () => undefined;
    writes.track(1, new Promise<void>((r) => (finishFirst = r)));
    writes.track(2, new Promise<void>((r) => (finishOther = r)));
    let done = false;
    const settled = writes.settled([1]).then(() => {
      done = true;
    });
    writes.track(1, new Promise<void>((r) => (finishLater = r)));
    finishFirst();
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(false);
    finishLater();
    await settled;
    expect(done).toBe(true);
    // Shard 2's write was not waited for, and is still counted.
    expect(writes.count(2)).toBe(1);
    finishOther();
  });
});
