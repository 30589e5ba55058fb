/**
 * Shard leases and fencing on a real PostgreSQL: concurrent grants of one shard give it to one
 * node; an expired lease goes to the next node with a new epoch; the old owner can neither
 * renew nor write any more — its fenced writes are refused inside their transaction and change
 * nothing, alone or inside a multi-row history batch, while the new owner's writes go through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseStore } from '../../src/cluster/lease-store.js';
import { openStorageBackend, type StorageBackend } from '../../src/storage/backend.js';
import type { StorageRequest } from '../../src/storage/messages.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';

const add = (uid: string, fence?: { shard: number; node: string; epoch: number }) =>
  ({
    type: 'history.add',
    profile: 'alice',
    uid,
    from: 'bob@x/r',
    to: 'alice@x',
    messageType: 'chat',
    timestamp: 1,
    messages: { '': uid },
    ...(fence ? { fence } : {}),
  }) satisfies StorageRequest;

describe('cluster leases and fencing on PostgreSQL', () => {
  let server: PostgresFixture;
  let backend: StorageBackend;
  let store: LeaseStore;
  beforeAll(async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    backend = await openStorageBackend({ dataDir: '/nonexistent', url });
    store = new LeaseStore(url);
    await backend.applyBatch([{ type: 'profile.create', name: 'alice', jid: 'alice@x' }]);
  });
  afterAll(async () => {
    await store?.close();
    await backend?.close();
    await server?.stop();
  });

  it('grants a shard to one of two racing nodes, then to the other only after expiry', async () => {
    const [a, b] = await Promise.all([
      store.acquire('node-a', [1, 2, 3], 60_000),
      store.acquire('node-b', [1, 2, 3], 60_000),
    ]);
    for (const shard of [1, 2, 3]) expect(Number(a.has(shard)) + Number(b.has(shard))).toBe(1);
    const winner = a.has(1) ? 'node-a' : 'node-b';
    const loser = winner === 'node-a' ? 'node-b' : 'node-a';
    expect((await store.acquire(loser, [1], 60_000)).size).toBe(0);
    // The winner lets it lapse (a 1 ms lease): the loser gets it with the next epoch.
    const held = winner === 'node-a' ? a : b;
    await store.renew(winner, new Map([[1, held.get(1) ?? 0]]), 1);
    await new Promise((r) => setTimeout(r, 20));
    const taken = await store.acquire(loser, [1], 60_000);
    expect(taken.get(1)).toBe((held.get(1) ?? 0) + 1);
    // The former owner can no longer renew or release it.
    expect((await store.renew(winner, new Map([[1, held.get(1) ?? 0]]), 60_000)).size).toBe(0);
    expect((await store.release(winner, new Map([[1, held.get(1) ?? 0]]))).size).toBe(0);
    const rows = await store.leases();
    expect(rows.find((r) => r.shard === 1)).toMatchObject({ owner: loser, expired: false });
  });

  it('refuses writes under a stale or expired lease inside their transaction, alone or batched', async () => {
    const first = await store.acquire('node-x', [10], 60_000);
    const epoch = first.get(10) ?? -1;
    const fence = { shard: 10, node: 'node-x', epoch };
    const [ok] = await backend.applyBatch([add('u-ok', fence)]);
    expect(ok?.ok).toBe(true);
    // The lease lapses and node-y takes the shard (epoch + 1).
    await store.renew('node-x', new Map([[10, epoch]]), 1);
    await new Promise((r) => setTimeout(r, 20));
    const second = await store.acquire('node-y', [10], 60_000);
    expect(second.get(10)).toBe(epoch + 1);
    const newFence = { shard: 10, node: 'node-y', epoch: epoch + 1 };
    const outcomes = await backend.applyBatch([
      add('u-stale-1', fence),
      add('u-new-1', newFence),
      add('u-stale-2', fence),
      { type: 'param.set', profile: 'alice', category: 'c', name: 'n', value: 'v', fence },
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual([
      'cluster.fenced',
      'ok',
      'cluster.fenced',
      'cluster.fenced',
    ]);
    const [history, param] = await backend.applyBatch([
      { type: 'history.query', profile: 'alice' },
      { type: 'param.get', profile: 'alice', category: 'c', name: 'n' },
    ]);
    const uids = ((history?.ok ? history.value : []) as { uid: string }[]).map((r) => r.uid);
    expect(uids.sort()).toEqual(['u-new-1', 'u-ok']);
    expect(param?.ok ? param.value : 'failed').toBeNull();
    // An expired lease nobody took yet fences too: the owner must renew before writing.
    await store.renew('node-y', new Map([[10, epoch + 1]]), 1);
    await new Promise((r) => setTimeout(r, 20));
    const [late] = await backend.applyBatch([add('u-late', newFence)]);
    expect(late?.ok ? 'ok' : late?.error.code).toBe('cluster.fenced');
  });
});
