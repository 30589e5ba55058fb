/**
 * Conformance: `pubsub.items.search` and `pubsub.paths.ensure` give the same items in the same
 * order on both backends — every parsed-data operator (with and without registered list
 * paths), node filters, names, every order key, index/limit, full text (words, OR, phrases,
 * prefixes) and payloads — and reject hostile input the same way.
 */
import { expect, it } from 'vitest';
import type { ParsedFilter, StorageRequest } from '../../../src/storage/messages.js';
import {
  CREATION_ORDER,
  OPERATOR_CASES,
  SEARCH_ITEMS,
} from '../../../src/storage/search-data-test-fixture.js';
import { describeBackends, type Harness } from './backends.js';

type Search = Omit<Extract<StorageRequest, { type: 'pubsub.items.search' }>, 'type'>;

interface Fixture {
  readonly h: Harness;
  readonly request: Harness['one'];
  names(query: Search): Promise<string[]>;
}

/** A small hand-built dataset: creation order a1..m2 (1..6), modification reversed (10..5). */
async function searchFixture(h: Harness): Promise<Fixture> {
  await h.one({ type: 'profile.create', name: 'alice', jid: 'alice@x' });
  await h.one({ type: 'profile.create', name: 'bob', jid: 'bob@x' });
  const nodes = [
    { profile: 'alice', service: 's1', node: 'blog', nodeType: 'blog', subtype: null },
    { profile: 'alice', service: 's2', node: 'tickets', nodeType: 'ticket', subtype: 'bug' },
    { profile: 'bob', service: 's1', node: 'misc', nodeType: null, subtype: null },
  ];
  for (const n of nodes) await h.one({ type: 'pubsub.node.set', ...n });
  for (const [i, name] of CREATION_ORDER.entries()) {
    const item = SEARCH_ITEMS[name];
    const node = nodes.find((n) => n.node === item?.node);
    if (item === undefined || node === undefined) throw new Error(name);
    await h.one({
      type: 'pubsub.items.upsert',
      profile: node.profile,
      service: node.service,
      node: node.node,
      items: [
        {
          name,
          data: `<entry><title>${item.text}</title></entry>`,
          ...(item.parsed === undefined ? {} : { parsed: item.parsed }),
          created: i + 1,
          updated: 10 - i,
        },
      ],
    });
  }
  return {
    h,
    request: (r) => h.one(r),
    names: async (query) =>
      (await h.one({ type: 'pubsub.items.search', ...query })).map((hit) => hit.name),
  };
}

/** Names matching one filter, in creation order. */
const match = (f: Fixture, filter: ParsedFilter) =>
  f.names({ parsed: [filter], orderBy: 'creation', order: 'asc' });

const INJECTIONS: [string, unknown][] = [
  ['path', { parsed: [{ path: ["a'); DROP TABLE pubsub_items;--"], op: 'eq', value: 1 }] }],
  ['path', { parsed: [{ path: ['$.a'], op: 'eq', value: 1 }] }],
  ['path', { parsed: [{ path: ['..'], op: 'eq', value: 1 }] }],
  ['path', { parsed: [{ path: ['a', -1], op: 'eq', value: 1 }] }],
  ['path', { parsed: [{ path: ['a', 1.5], op: 'eq', value: 1 }] }],
  ['path', { parsed: [{ path: [], op: 'eq', value: 1 }] }],
  ['path', { parsed: [{ path: 'title', op: 'eq', value: 1 }] }],
  ['op', { parsed: [{ path: ['n'], op: '= 1; DROP TABLE pubsub_items; --', value: 1 }] }],
  ['op', { parsed: [{ path: ['n'], op: 'toString', value: 1 }] }],
  ['op', { parsed: [{ path: ['n'], op: '__proto__', value: 1 }] }],
  ['value', { parsed: [{ path: ['n'], op: 'eq', value: { a: 1 } }] }],
  ['value', { parsed: [{ path: ['n'], op: 'in', value: [] }] }],
  ['value', { parsed: [{ path: ['n'], op: 'between', value: [1] }] }],
  ['value', { parsed: [{ path: ['n'], op: 'like', value: 3 }] }],
  ['value', { parsed: [{ path: ['tags'], op: 'overlap', value: [[1]] }] }],
  ['value', { parsed: [{ path: ['n'], op: 'gt', value: Number.NaN }] }],
  ['order', { orderBy: [{ path: ['n desc; DROP TABLE pubsub_items'] }] }],
  ['order', { orderBy: [{ by: 'rank; DROP TABLE pubsub_items' }] }],
  ['order', { orderBy: 'creation', order: 'asc; DROP TABLE pubsub_items' }],
  ['order', { orderBy: 'rank' }],
  ['order', { orderBy: [] }],
  ['filter', { parsed: 'n == 1' }],
  ['payload', { withPayload: 'yes' }],
];

describeBackends('pubsub.items.search', (open) => {
  for (const listPaths of [false, true]) {
    it(`every operator returns the expected items (${listPaths ? 'tags as a list path' : 'no list path'})`, async () => {
      const f = await searchFixture(await open({ clockStart: 100_000 }));
      if (listPaths) {
        expect(await f.request({ type: 'pubsub.paths.ensure', listPaths: [['tags']] })).toEqual({
          indexes: [],
          listPaths: ['$.tags'],
        });
      }
      for (const [filter, expected] of OPERATOR_CASES) {
        expect({ filter, got: await match(f, filter) }).toEqual({ filter, got: expected });
      }
      expect(
        await f.names({
          parsed: [
            { path: ['n'], op: 'lt', value: 5 },
            { path: ['tags'], op: 'ioverlap', value: ['XMPP', 'JS'] },
          ],
        }),
      ).toEqual(['a2', 'a1']);
      await f.h.close();
    });
  }

  it('list paths follow upserts, parsed updates and deletes; indexed paths are reported', async () => {
    const f = await searchFixture(await open({ clockStart: 100_000 }));
    const ensured = await f.request({
      type: 'pubsub.paths.ensure',
      indexedPaths: [['published'], ['author', 'jid']],
      listPaths: [['tags']],
    });
    expect(ensured.indexes).toHaveLength(2);
    expect(ensured.indexes.every((n: string) => /^pubsub_items_path_[0-9a-f]{16}$/.test(n))).toBe(
      true,
    );
    // Idempotent.
    expect(await f.request({ type: 'pubsub.paths.ensure', indexedPaths: [['published']] })).toEqual(
      ensured,
    );
    const target = { profile: 'alice', service: 's1', node: 'blog' };
    const overlap = (tag: string) => match(f, { path: ['tags'], op: 'overlap', value: [tag] });
    await f.request({
      type: 'pubsub.items.upsert',
      ...target,
      items: [{ name: 'a2', data: '<e/>', parsed: { tags: ['go'] } }],
    });
    expect(await overlap('js')).toEqual([]);
    expect(await overlap('go')).toEqual(['a2']);
    await f.request({
      type: 'pubsub.items.upsert',
      ...target,
      items: [{ name: 'a9', data: '<e/>', parsed: { tags: ['go', 'new'] } }],
    });
    expect(await overlap('go')).toEqual(['a2', 'a9']);
    await f.request({ type: 'pubsub.items.delete', ...target, names: ['a9', 'a1'] });
    expect(await overlap('new')).toEqual([]);
    expect(await overlap('xmpp')).toEqual([]);
    expect(
      await f.names({
        parsed: [{ path: ['published'], op: 'ge', value: '2024' }],
        orderBy: 'item',
      }),
    ).toEqual([]);
    await f.h.close();
  });

  it('full text: words, OR, phrases and prefixes (the subset both backends accept)', async () => {
    const f = await searchFixture(await open({ clockStart: 100_000 }));
    const byItem = (query: string) => f.names({ query, orderBy: 'item' });
    expect(await byItem('hello')).toEqual(['a1', 'a2']);
    expect(await byItem('hello world')).toEqual(['a1']);
    expect(await byItem('HELLO')).toEqual(['a1', 'a2']);
    expect(await byItem('"hello there"')).toEqual(['a2']);
    expect(await byItem('"there hello"')).toEqual([]);
    expect(await byItem('hel*')).toEqual(['a1', 'a2']);
    expect(await byItem('rep* OR misc')).toEqual(['m1', 't1']);
    // AND (explicit or implicit) binds tighter than OR.
    expect(await byItem('hello OR bug there')).toEqual(['a1', 'a2']);
    expect(await byItem('hello OR other')).toEqual(['a1', 'a2', 'a3']);
    expect(await byItem('nomatch')).toEqual([]);
    expect(await byItem('hello AND there')).toEqual(['a2']);
    expect(await byItem('hello NOT world')).toEqual(['a2']);
    expect(await byItem('(hello OR bug) there')).toEqual(['a2']);
    expect(await byItem('bug OR other hello')).toEqual(['t1']);
    expect(await f.h.fail({ type: 'pubsub.items.search', query: '"unterminated' })).toBe(
      'storage.bad-argument',
    );
    await f.h.close();
  });

  it('node filters and item names', async () => {
    const f = await searchFixture(await open({ clockStart: 100_000 }));
    const asc = { orderBy: 'creation', order: 'asc' } as const;
    expect(await f.names({ ...asc, profiles: ['bob'] })).toEqual(['m1', 'm2']);
    expect(await f.names({ ...asc, services: ['s2'] })).toEqual(['t1']);
    expect(await f.names({ ...asc, nodes: ['blog'] })).toEqual(['a1', 'a2', 'a3']);
    expect(await f.names({ ...asc, types: ['ticket'] })).toEqual(['t1']);
    expect(await f.names({ ...asc, types: [null] })).toEqual(['m1', 'm2']);
    expect(await f.names({ ...asc, types: ['blog', null] })).toEqual([
      'a1',
      'a2',
      'a3',
      'm1',
      'm2',
    ]);
    expect(await f.names({ ...asc, subtypes: ['bug'] })).toEqual(['t1']);
    expect(await f.names({ ...asc, subtypes: [null] })).toEqual(['a1', 'a2', 'a3', 'm1', 'm2']);
    expect(await f.names({ ...asc, names: ['t1', 'a1'] })).toEqual(['a1', 't1']);
    expect(await f.names({ ...asc, names: [] })).toEqual([]);
  });

  it('orders by creation, modification, item, path and rank; index and limit', async () => {
    const f = await searchFixture(await open({ clockStart: 100_000 }));
    const reversed = [...CREATION_ORDER].reverse();
    expect(await f.names({})).toEqual(reversed); // default: creation, newest first
    expect(await f.names({ orderBy: 'creation', order: 'asc' })).toEqual(CREATION_ORDER);
    expect(await f.names({ orderBy: 'modification', order: 'asc' })).toEqual(reversed);
    expect(await f.names({ orderBy: 'modification' })).toEqual(CREATION_ORDER);
    expect(await f.names({ orderBy: 'item' })).toEqual(['a1', 'a2', 'a3', 'm1', 'm2', 't1']);
    expect(await f.names({ orderBy: [{ by: 'item', order: 'desc' }] })).toEqual([
      't1',
      'm2',
      'm1',
      'a3',
      'a2',
      'a1',
    ]);
    // SQLite puts NULL (m2 has no parsed data) first in ascending order.
    expect(await f.names({ orderBy: [{ path: ['n'] }] })).toEqual([
      'm2',
      'a1',
      'a2',
      'a3',
      't1',
      'm1',
    ]);
    expect(await f.names({ orderBy: [{ path: ['n'], order: 'desc' }] })).toEqual([
      'm1',
      't1',
      'a3',
      'a2',
      'a1',
      'm2',
    ]);
    // Byte order: 'xmpp' > 'js' > 'XMPP' > NULL.
    expect(
      await f.names({
        nodes: ['blog', 'tickets'],
        orderBy: [{ path: ['tags', 0], order: 'desc' }],
      }),
    ).toEqual(['a1', 'a2', 't1', 'a3']);
    // Two keys: only a3 has `flag`; the ties (NULL) follow the second key.
    expect(
      await f.names({ orderBy: [{ path: ['flag'] }, { by: 'creation', order: 'desc' }] }),
    ).toEqual(['m2', 'm1', 't1', 'a2', 'a1', 'a3']);
    expect(
      await f.names({ orderBy: [{ path: ['flag'] }, { by: 'creation', order: 'asc' }] }),
    ).toEqual(['a1', 'a2', 't1', 'm1', 'm2', 'a3']);
    expect(await f.names({ orderBy: 'creation', order: 'asc', index: 1, limit: 2 })).toEqual([
      'a2',
      'a3',
    ]);
    expect(await f.names({ orderBy: 'creation', order: 'asc', index: 5, limit: 10 })).toEqual([
      'm2',
    ]);
    const ranked = await f.request({ type: 'pubsub.items.search', query: 'hello' });
    expect(ranked.map((h) => h.name)).toEqual(['a2', 'a1']); // "hello hello" ranks first
    const ranks = ranked.map((h) => h.rank as number);
    expect(ranks[0]).toBeLessThan(ranks[1] as number);
    expect(await f.names({ query: 'hello', orderBy: 'rank', order: 'desc' })).toEqual(['a1', 'a2']);
    expect(await f.names({ query: 'hello OR bug', orderBy: 'item' })).toEqual(['a1', 'a2', 't1']);
    expect(
      await f.names({ query: 'hello', parsed: [{ path: ['n'], op: 'gt', value: 1 }] }),
    ).toEqual(['a2']);
  });

  it('returns the raw payload only when asked', async () => {
    const f = await searchFixture(await open({ clockStart: 100_000 }));
    const [plain] = await f.request({ type: 'pubsub.items.search', names: ['a1'] });
    expect(plain).not.toHaveProperty('data');
    expect(plain?.parsed).toMatchObject({ title: 'Hello World' });
    const [full] = await f.request({
      type: 'pubsub.items.search',
      names: ['a1'],
      withPayload: true,
    });
    expect(full?.data).toBe('<entry><title>hello world</title></entry>');
    expect(full).toMatchObject({ profile: 'alice', service: 's1', node: 'blog', created: 1 });
  });

  it('injection attempts in paths, operators, values and order fail with bad-argument and change nothing', async () => {
    const f = await searchFixture(await open({ clockStart: 100_000 }));
    const everything = () => f.names({ orderBy: 'item', withPayload: true });
    const before = await everything();
    for (const [part, query] of INJECTIONS) {
      const code = await f.h.fail({ type: 'pubsub.items.search', ...(query as Search) });
      expect({ part, query, code }).toEqual({ part, query, code: 'storage.bad-argument' });
    }
    for (const bad of [
      { indexedPaths: [["a'); DROP TABLE pubsub_items;--"]] },
      { indexedPaths: [['$', 'a']] },
      { listPaths: [['..']] },
      { listPaths: 'tags' },
      { indexedPaths: [['ok'], ['x y']] },
    ]) {
      expect(
        await f.h.fail({ type: 'pubsub.paths.ensure', ...(bad as object) } as StorageRequest),
      ).toBe('storage.bad-argument');
    }
    expect(
      await f.names({
        parsed: [{ path: ['title'], op: 'eq', value: "'; DROP TABLE pubsub_items;--" }],
      }),
    ).toEqual([]);
    expect(await everything()).toEqual(before);
    expect((await f.request({ type: 'pubsub.paths.ensure' })).indexes).toEqual([]);
    await f.h.close();
  });
});
