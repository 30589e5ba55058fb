/**
 * Conformance: group-commit batches (one outcome per request, in order; reads see the writes
 * before them; a bad request fails alone), idempotent history add inside and across batches,
 * history queries, RSM paging over pubsub items, settings and cascading profile deletion.
 */
import { expect, it } from 'vitest';
import type { StorageOutcome, StorageRequest } from '../../../src/storage/messages.js';
import { describeBackends } from './backends.js';

const value = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(`not ok: ${JSON.stringify(o)}`);
  return o.value as never;
};
const profile: StorageRequest = { type: 'profile.create', name: 'alice', jid: 'alice@example.org' };
const msg = (
  uid: string,
  body: string,
  ts: number,
  extra: Partial<StorageRequest> = {},
): StorageRequest =>
  ({
    type: 'history.add',
    profile: 'alice',
    uid,
    from: 'alice@example.org/pc',
    to: 'bob@example.org',
    messageType: 'chat',
    timestamp: ts,
    messages: { '': body },
    ...extra,
  }) as StorageRequest;

describeBackends('storage batches', (open) => {
  it('applies writes and reads in one batch, one outcome per request in order', async () => {
    const engine = (await open({ clockStart: 1_000_000 })).backend;
    const out = await engine.applyBatch([
      profile,
      { type: 'profile.get', name: 'alice' },
      { type: 'profile.create', name: 'x', jid: 'not a jid' },
      { type: 'profile.get', name: 'nobody' },
    ]);
    expect(value(out[0])).toMatchObject({ name: 'alice', created: 1000 });
    expect(value(out[1])).toMatchObject({ jid: 'alice@example.org', tlsPolicy: 'required' });
    expect(out[2]).toMatchObject({ ok: false, error: { code: 'storage.bad-argument' } });
    expect(value(out[3])).toBeNull();
    expect(engine.stats().batches).toBe(1);
    await engine.close();
  });

  it('history add is idempotent on uid and stanza id; query filters and full-text search', async () => {
    const engine = (await open()).backend;
    await engine.applyBatch([profile]);
    const out = await engine.applyBatch([
      msg('u1', 'hello world', 10, { stanzaId: 's1' } as never),
      msg('u1', 'dup uid', 11),
      msg('u2', 'dup stanza', 12, { stanzaId: 's1' } as never),
      msg('u3', 'goodbye moon', 13, {
        to: 'carol@example.org',
        subjects: { en: 'subj' },
        thread: { id: 't1' },
      } as never),
      {
        type: 'history.add',
        profile: 'ghost',
        uid: 'g',
        from: 'a@b',
        to: 'c@d',
        messageType: 'chat',
        timestamp: 1,
      },
    ]);
    expect(out.map((o) => (o.ok ? (o.value as { added: boolean }).added : o.error.code))).toEqual([
      true,
      false,
      false,
      true,
      'storage.unknown-profile',
    ]);
    const [all, withBob, search, before, bad] = await engine.applyBatch([
      { type: 'history.query', profile: 'alice' },
      { type: 'history.query', profile: 'alice', with: 'bob@example.org' },
      { type: 'history.query', profile: 'alice', search: 'moon' },
      { type: 'history.query', profile: 'alice', before: 12, order: 'asc' },
      { type: 'history.query', profile: 'alice', search: '"unterminated' },
    ]);
    expect((value(all) as { uid: string }[]).map((m) => m.uid)).toEqual(['u3', 'u1']);
    expect((value(withBob) as { uid: string }[]).map((m) => m.uid)).toEqual(['u1']);
    expect(value(search)).toMatchObject([
      {
        uid: 'u3',
        subjects: { en: 'subj' },
        thread: { id: 't1', parentId: null },
        from: 'alice@example.org/pc',
      },
    ]);
    expect((value(before) as { uid: string }[]).map((m) => m.uid)).toEqual(['u1']);
    expect(bad).toMatchObject({ ok: false, error: { code: 'storage.bad-argument' } });
    await engine.close();
  });

  it('pubsub items: max_items, RSM after/before/index with count, upsert keeps created', async () => {
    const { backend: engine, clock } = await open();
    await engine.applyBatch([
      profile,
      {
        type: 'pubsub.node.set',
        profile: 'alice',
        service: 'pubsub.example.org',
        node: 'blog',
        nodeType: 'microblog',
      },
    ]);
    for (let i = 0; i < 10; i++) {
      await clock.advance(1000);
      await engine.applyBatch([
        {
          type: 'pubsub.items.upsert',
          profile: 'alice',
          service: 'pubsub.example.org',
          node: 'blog',
          items: [
            {
              name: `i${i}`,
              data: `<entry><title>post number ${i} ${i === 3 ? 'banana' : ''}</title></entry>`,
              parsed: { n: i },
            },
          ],
        },
      ]);
    }
    const get = (extra: object) =>
      engine
        .applyBatch([
          {
            type: 'pubsub.items.get',
            profile: 'alice',
            service: 'pubsub.example.org',
            node: 'blog',
            ...extra,
          } as StorageRequest,
        ])
        .then(
          (o) =>
            value(o[0]) as {
              items: { name: string }[];
              rsm: { index: number; count: number; first: string; last: string };
              complete: boolean;
            },
        );
    const latest = await get({ maxItems: 3 });
    expect(latest.items.map((i) => i.name)).toEqual(['i7', 'i8', 'i9']);
    expect(latest.rsm).toMatchObject({ index: 7, count: 10 });
    expect(latest.complete).toBe(true);
    const after = await get({ rsm: { max: 3, after: 'i2' } });
    expect(after.items.map((i) => i.name)).toEqual(['i3', 'i4', 'i5']);
    expect(after.rsm).toMatchObject({ index: 3, first: 'i3', last: 'i5' });
    expect(after.complete).toBe(false);
    const before = await get({ rsm: { max: 2, before: 'i5' } });
    expect(before.items.map((i) => i.name)).toEqual(['i3', 'i4']);
    expect(before.rsm.index).toBe(3);
    expect((await get({ rsm: { max: 2, index: 8 } })).items.map((i) => i.name)).toEqual([
      'i8',
      'i9',
    ]);
    await clock.advance(1000);
    await engine.applyBatch([
      {
        type: 'pubsub.items.upsert',
        profile: 'alice',
        service: 'pubsub.example.org',
        node: 'blog',
        items: [{ name: 'i0', data: '<entry>edited</entry>' }],
      },
    ]);
    expect((await get({ maxItems: 1, orderBy: 'modification' })).items).toMatchObject([
      { name: 'i0', created: 1, updated: 11 },
    ]);
    const [hits, missing, purge] = await engine.applyBatch([
      { type: 'pubsub.items.search', query: 'banana', types: ['microblog'] },
      { type: 'pubsub.items.get', profile: 'alice', service: 'pubsub.example.org', node: 'nope' },
      { type: 'pubsub.purge', createdBefore: 3.5 },
    ]);
    expect(value(hits)).toMatchObject([{ name: 'i3', node: 'blog', profile: 'alice' }]);
    expect((value(hits) as { rank: number }[])[0]?.rank).toBeLessThan(0);
    expect(missing).toMatchObject({ ok: false, error: { code: 'storage.unknown-node' } });
    expect(value(purge)).toEqual({ deleted: 3 });
    const [noEntry] = await engine.applyBatch([{ type: 'pubsub.items.search', query: 'entry' }]);
    expect(value(noEntry)).toEqual([]); // tags are not indexed
    await engine.close();
  });

  it('settings and components; deleting a profile cascades', async () => {
    const engine = (await open()).backend;
    const out = await engine.applyBatch([
      profile,
      { type: 'param.set', category: 'General', name: 'lang', value: 'fr' },
      { type: 'param.set', profile: 'alice', category: 'Connection', name: 'port', value: '5222' },
      { type: 'private.set', profile: 'alice', namespace: 'ns', key: 'k', value: { a: [1, 2] } },
      { type: 'component.create', profile: 'alice', entryPoint: 'ap-gateway', sendHistory: true },
      { type: 'param.get', category: 'General', name: 'lang' },
      { type: 'private.get', profile: 'alice', namespace: 'ns' },
      { type: 'component.list' },
      { type: 'profile.delete', name: 'alice' },
      { type: 'component.list' },
      { type: 'private.get', profile: 'alice', namespace: 'ns' },
    ]);
    expect(value(out[5])).toBe('fr');
    expect(value(out[6])).toEqual({ k: { a: [1, 2] } });
    expect(value(out[7])).toMatchObject([
      { profile: 'alice', entryPoint: 'ap-gateway', sendHistory: true, receiveHistory: false },
    ]);
    expect(value(out[9])).toEqual([]);
    expect(out[10]).toMatchObject({ ok: false, error: { code: 'storage.unknown-profile' } });
    await engine.close();
  });

  it('a batch of many history adds: one outcome each, duplicates inside the batch added once', async () => {
    const { backend, one } = await open();
    await backend.applyBatch([profile]);
    const batch = Array.from({ length: 250 }, (_, i) =>
      msg(`b${i % 200}`, `body ${i}`, i, i % 50 === 0 ? ({ originId: `o${i}` } as never) : {}),
    );
    const out = await backend.applyBatch(batch);
    expect(out.filter((o) => o.ok && (o.value as { added: boolean }).added)).toHaveLength(200);
    expect(out.slice(200).every((o) => o.ok && !(o.value as { added: boolean }).added)).toBe(true);
    const rows = await one({ type: 'history.query', profile: 'alice', order: 'asc', limit: 3 });
    expect(rows.map((m) => [m.uid, m.messages['']])).toEqual([
      ['b0', 'body 0'],
      ['b1', 'body 1'],
      ['b2', 'body 2'],
    ]);
    // Ties on the timestamp keep insertion order.
    await backend.applyBatch([msg('t2', 'x', 5000), msg('t1', 'y', 5000), msg('t3', 'z', 5000)]);
    expect(
      (await one({ type: 'history.query', profile: 'alice', after: 4999, order: 'asc' })).map(
        (m) => m.uid,
      ),
    ).toEqual(['t2', 't1', 't3']);
    expect(
      (await one({ type: 'history.query', profile: 'alice', after: 4999 })).map((m) => m.uid),
    ).toEqual(['t3', 't1', 't2']);
    await backend.close();
  });

  it('consecutive upserts in one batch: later duplicates win, created stays, a bad request fails alone', async () => {
    const { backend, one, clock } = await open({ clockStart: 10_000 });
    const node = { profile: 'alice', service: 's', node: 'n' };
    await backend.applyBatch([profile, { type: 'pubsub.node.set', ...node }]);
    const upsert = (items: { name: string; data: string; created?: number }[], target = node) =>
      ({ type: 'pubsub.items.upsert', ...target, items }) as StorageRequest;
    await clock.advance(1000);
    const out = await backend.applyBatch([
      upsert([{ name: 'a', data: '<a>one</a>', created: 1 }]),
      upsert([{ name: 'b', data: '<b/>' }], { ...node, node: 'missing' }),
      upsert([
        { name: 'a', data: '<a>two</a>', created: 2 },
        { name: 'c', data: '<c/>' },
      ]),
      upsert([{ name: 'd', data: '<d/>' }], { ...node, profile: 'ghost' }),
      upsert([{ name: 'x', data: 42 as unknown as string }]),
      upsert([{ name: 'e', data: '<e/>' }]),
    ]);
    expect(out.map((o) => (o.ok ? o.value : o.error.code))).toEqual([
      { upserted: 1 },
      'storage.unknown-node',
      { upserted: 2 },
      'storage.unknown-profile',
      'storage.bad-argument',
      { upserted: 1 },
    ]);
    const page = await one({ type: 'pubsub.items.get', ...node });
    expect(page.items.map((i) => [i.name, i.data, i.created, i.updated])).toEqual([
      ['a', '<a>two</a>', 1, 11],
      ['c', '<c/>', 11, 11],
      ['e', '<e/>', 11, 11],
    ]);
    expect((await one({ type: 'pubsub.items.search', query: 'two' })).map((h) => h.name)).toEqual([
      'a',
    ]);
    await backend.close();
  });
});
