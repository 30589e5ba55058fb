/**
 * Shard leases and fencing on a real PostgreSQL: concurrent grants of one shard give it to one
 * node; an expired lease goes to the next node with a new epoch; the old owner can neither
 * renew nor write any more — its fenced writes are refused inside their transaction and change
 * nothing, alone or inside a multi-row history batch, while the new owner's writes go through;
 * the same holds for the other writes an owner makes for its entity (archive checkpoint,
 * receipts, MUC bookmarks, pubsub cache rows), through the storage wrapper entity code uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseStore } from '../../src/cluster/lease-store.js';
import { CACHE_OWNER_WRITES, ownerWritesStorage } from '../../src/cluster/owner-writes.js';
import { openStorageBackend, type StorageBackend } from '../../src/storage/backend.js';
import { type StorageRequest, unwrapOutcome } from '../../src/storage/messages.js';
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

  it('refuses the other owner writes of a former owner (checkpoint, receipt, bookmark, pubsub cache) and lets the new owner write', async () => {
    const shard = 20;
    const granted = await store.acquire('node-x', [shard], 60_000);
    const epoch = granted.get(shard) ?? -1;
    // Entity code writes through the wrapper the runtime gives plugins and the cache.
    const leasesOf = (node: string, heldEpoch: number, refused: number[]) => () => ({
      node,
      shardOf: () => shard,
      epochOf: (s: number) => (s === shard ? heldEpoch : undefined),
      fenced: (s: number) => void refused.push(s),
      track: () => undefined,
    });
    // As the runtime's storage client: a refused outcome rejects with its coded error.
    const direct = {
      request: async (request: StorageRequest) =>
        unwrapOutcome(request, (await backend.applyBatch([request]))[0]),
    } as Parameters<typeof ownerWritesStorage>[0];
    const refusedX: number[] = [];
    const staleOwner = ownerWritesStorage(direct, leasesOf('node-x', epoch, refusedX));
    const staleCache = ownerWritesStorage(
      direct,
      leasesOf('node-x', epoch, refusedX),
      CACHE_OWNER_WRITES,
    );
    const item = (name: string) => ({ name, data: `<item id="${name}"/>` });
    const writes = (tag: string) =>
      [
        {
          type: 'param.set',
          profile: 'alice',
          category: 'mam',
          name: 'checkpoint',
          value: tag,
        },
        { type: 'private.set', profile: 'alice', namespace: 'bookmarks', key: 'room', value: tag },
        {
          type: 'pubsub.node.set',
          profile: 'alice',
          service: 'pubsub.x',
          node: 'blog',
          subscribed: tag === 'new',
        },
        {
          type: 'pubsub.items.upsert',
          profile: 'alice',
          service: 'pubsub.x',
          node: 'blog',
          items: [item(`${tag}-1`)],
        },
      ] satisfies StorageRequest[];
    // node-x writes while it holds the lease: stored.
    for (const w of writes('old'))
      await (w.type.startsWith('pubsub') ? staleCache : staleOwner).request(w);
    // The lease lapses; node-y takes the shard (epoch + 1).
    await store.renew('node-x', new Map([[shard, epoch]]), 1);
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.acquire('node-y', [shard], 60_000)).get(shard)).toBe(epoch + 1);
    const refused: string[] = [];
    for (const w of writes('stale'))
      await (w.type.startsWith('pubsub') ? staleCache : staleOwner).request(w).then(
        () => undefined,
        (error: { code?: string }) => refused.push(`${w.type} ${error.code}`),
      );
    expect(refused).toEqual(writes('stale').map((w) => `${w.type} cluster.fenced`));
    expect(refusedX).toEqual([shard, shard, shard, shard]);
    // A receipt of the former owner: refused too, and the row keeps no delivery mark.
    const stale = await backend.applyBatch([
      {
        type: 'history.delivered',
        profile: 'alice',
        id: 'u-ok',
        recipient: 'bob@x',
        timestamp: 2,
        fence: { shard, node: 'node-x', epoch },
      },
    ]);
    expect(stale[0]?.ok ? 'ok' : stale[0]?.error.code).toBe('cluster.fenced');
    // Nothing of the stale writes landed: the values are still those written under the lease.
    const [param, bookmark, items] = await backend.applyBatch([
      { type: 'param.get', profile: 'alice', category: 'mam', name: 'checkpoint' },
      { type: 'private.get', profile: 'alice', namespace: 'bookmarks' },
      { type: 'pubsub.items.get', profile: 'alice', service: 'pubsub.x', node: 'blog' },
    ]);
    expect(param?.ok ? param.value : 'failed').toBe('old');
    expect(bookmark?.ok ? bookmark.value : 'failed').toEqual({ room: 'old' });
    const names = (items?.ok ? (items.value as { items: { name: string }[] }).items : []).map(
      (i) => i.name,
    );
    expect(names).toEqual(['old-1']);
    // The new owner's writes go through the same wrapper.
    const newOwner = ownerWritesStorage(direct, leasesOf('node-y', epoch + 1, []));
    await newOwner.request(writes('new')[0] as StorageRequest);
    const [after] = await backend.applyBatch([
      { type: 'param.get', profile: 'alice', category: 'mam', name: 'checkpoint' },
    ]);
    expect(after?.ok ? after.value : 'failed').toBe('new');
    // A node that holds no lease on the shard refuses before reaching the database.
    const none = ownerWritesStorage(direct, () => ({
      node: 'node-z',
      shardOf: () => shard,
      epochOf: () => undefined,
      fenced: () => undefined,
      track: () => undefined,
    }));
    await expect(none.request(writes('z')[0] as StorageRequest)).rejects.toMatchObject({
      code: 'cluster.fenced',
    });
  });
});
