/**
 * `db copy`: an sql.js data folder holding profiles, secrets, parameters, private values,
 * history and cached items (with list and indexed paths) is copied into an empty PostgreSQL
 * database; the same queries and searches then give the same results on both; a second copy
 * into the now non-empty database is refused and changes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorageBackend, type StorageBackend } from '../../src/storage/backend.js';
import type { StorageOutcome, StorageRequest } from '../../src/storage/messages.js';
import { copyToPostgres } from '../../src/storage/postgres/pg-copy.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';

const values = async (backend: StorageBackend, requests: StorageRequest[]) =>
  (await backend.applyBatch(requests)).map((o: StorageOutcome) => {
    if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
    return o.value;
  });

/** Ranks differ by design (bm25 vs ts_rank_cd); everything else must match. */
const withoutRank = (value: unknown) =>
  Array.isArray(value)
    ? value.map((v) => (typeof v === 'object' && v !== null && 'rank' in v ? { ...v, rank: 0 } : v))
    : value;

describe('aviary db copy (sql.js → PostgreSQL)', () => {
  let server: PostgresFixture;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('copies every table batch by batch; queries and searches agree; a non-empty target is refused', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-copy-'));
    const source = await openStorageBackend({ dataDir });
    const words = ['xmpp', 'rust', 'pubsub', 'history', 'search', 'node', 'café', 'crème'];
    const setup: StorageRequest[] = [
      { type: 'profile.create', name: 'alice', jid: 'alice@x', passwordCiphertext: 'v1:secret' },
      { type: 'profile.create', name: 'bob', jid: 'bob@x', autoconnect: true },
      { type: 'component.create', profile: 'bob', entryPoint: 'gw', secretCiphertext: 'v1:s2' },
      { type: 'param.set', category: 'General', name: 'lang', value: 'fr' },
      { type: 'param.set', profile: 'alice', category: 'c', name: 'n', value: 'v' },
      { type: 'private.set', namespace: 'ns', key: 'k', value: { a: [1, 'x', null] } },
      { type: 'private.set', profile: 'bob', namespace: 'ns', key: 'k', value: true },
      {
        type: 'pubsub.paths.ensure',
        indexedPaths: [['n'], ['author', 'jid']],
        listPaths: [['tags']],
      },
    ];
    for (const service of ['s1', 's2']) {
      setup.push({
        type: 'pubsub.node.set',
        profile: 'alice',
        service,
        node: 'blog',
        nodeType: 'blog',
        extra: { s: service },
      });
    }
    for (let i = 0; i < 2500; i++) {
      setup.push({
        type: 'history.add',
        profile: i % 3 === 0 ? 'bob' : 'alice',
        uid: `h${i}`,
        ...(i % 7 === 0 ? { stanzaId: `s${i}` } : {}),
        from: `peer${i % 5}@x/r`,
        to: 'alice@x',
        messageType: i % 11 === 0 ? 'groupchat' : 'chat',
        timestamp: Math.floor(i / 3),
        messages: {
          '': `${words[i % words.length]} message ${i}`,
          ...(i % 4 === 0 ? { fr: 'bonjour' } : {}),
        },
        ...(i % 9 === 0 ? { subjects: { '': 'topic' }, thread: { id: `t${i}` } } : {}),
        ...(i % 13 === 0 ? { extra: { n: i } } : {}),
      });
    }
    for (let i = 0; i < 1500; i++) {
      setup.push({
        type: 'pubsub.items.upsert',
        profile: 'alice',
        service: i % 2 === 0 ? 's1' : 's2',
        node: 'blog',
        items: [
          {
            name: `item${i}`,
            data: `<entry><title>${words[i % words.length]} &amp; post ${i}</title></entry>`,
            parsed: {
              n: i % 17,
              tags: [words[i % 3] ?? '', words[(i + 1) % 5]?.toUpperCase() ?? ''],
              author: { jid: `a${i % 4}@x` },
            },
            created: i,
            updated: 3000 - i,
          },
        ],
      });
    }
    await values(source, setup);
    await source.close();

    const url = await server.createDatabase();
    const progress: number[] = [];
    const report = await copyToPostgres({
      dataDir,
      url,
      batchSize: 500,
      onProgress: (p) => progress.push(p.copied),
    });
    expect(Object.fromEntries(report.tables.map((t) => [t.table, t.rows]))).toMatchObject({
      profiles: 2,
      components: 1,
      history: 2500,
      pubsub_items: 1500,
    });
    expect(report.listPaths).toEqual(['$.tags']);
    expect([...report.indexedPaths].sort()).toEqual(['$.author.jid', '$.n']);
    expect(progress.length).toBeGreaterThan(10); // batch by batch
    expect(progress.at(-1)).toBe(report.tables.reduce((s, t) => s + t.rows, 0));

    const sqljs = await openStorageBackend({ dataDir });
    const postgres = await openStorageBackend({ dataDir, url });
    const queries: StorageRequest[] = [
      { type: 'profile.list' },
      { type: 'component.list' },
      { type: 'param.get', category: 'General', name: 'lang' },
      { type: 'param.get', profile: 'alice', category: 'c', name: 'n' },
      { type: 'private.get', namespace: 'ns' },
      { type: 'private.get', profile: 'bob', namespace: 'ns' },
      { type: 'history.query', profile: 'alice', limit: 50 },
      { type: 'history.query', profile: 'bob', order: 'asc', with: 'peer3@x' },
      { type: 'history.query', profile: 'alice', search: 'café OR rust', limit: 30 },
      { type: 'history.query', profile: 'alice', search: 'bonjour', types: ['groupchat'] },
      { type: 'pubsub.node.get', profile: 'alice', service: 's1', node: 'blog' },
      {
        type: 'pubsub.items.get',
        profile: 'alice',
        service: 's1',
        node: 'blog',
        rsm: { max: 20, after: 'item100' },
      },
      {
        type: 'pubsub.items.get',
        profile: 'alice',
        service: 's2',
        node: 'blog',
        maxItems: 5,
        orderBy: 'modification',
      },
      { type: 'pubsub.items.search', query: 'xmpp', orderBy: 'item', limit: 40 },
      { type: 'pubsub.items.search', query: 'post 12*', orderBy: 'creation' },
      {
        type: 'pubsub.items.search',
        parsed: [{ path: ['tags'], op: 'ioverlap', value: ['rust'] }],
        orderBy: 'item',
        limit: 100,
      },
      {
        type: 'pubsub.items.search',
        parsed: [
          { path: ['n'], op: 'between', value: [3, 5] },
          { path: ['author', 'jid'], op: 'eq', value: 'a1@x' },
        ],
        orderBy: [{ path: ['n'], order: 'desc' }, { by: 'item' }],
      },
      {
        type: 'pubsub.items.search',
        parsed: [{ path: ['tags'], op: 'disjoint', value: ['xmpp', 'PUBSUB'] }],
        services: ['s2'],
        limit: 25,
        index: 10,
      },
      { type: 'pubsub.paths.ensure' },
    ];
    const [left, right] = [await values(sqljs, queries), await values(postgres, queries)];
    queries.forEach((query, i) => {
      expect({ query, result: withoutRank(right[i]) }).toEqual({
        query,
        result: withoutRank(left[i]),
      });
    });
    // The searches return something: the comparison is not between two empty lists.
    expect((left[13] as unknown[]).length).toBe(40);
    expect((left[15] as unknown[]).length).toBeGreaterThan(0);
    await sqljs.close();
    await postgres.close();

    await expect(copyToPostgres({ dataDir, url })).rejects.toMatchObject({
      code: 'storage.target-not-empty',
      message: expect.stringMatching(/is not empty \(table profiles has rows\)/),
    });
  });
});
