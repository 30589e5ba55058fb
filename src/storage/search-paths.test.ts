import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildItemSearch } from './item-search.js';
import type { StorageRequest } from './messages.js';
import { pathIndexName } from './search-path.js';
import { searchFixture } from './search-test-fixture.js';
import { StorageEngine } from './storage-engine.js';

type Search = Omit<Extract<StorageRequest, { type: 'pubsub.items.search' }>, 'type'>;

describe('search and pubsub.paths.ensure: validation', () => {
  it('error messages say what is wrong', async () => {
    const f = await searchFixture();
    const message = (query: unknown) => {
      try {
        f.request({ type: 'pubsub.items.search', ...(query as Search) });
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message({ parsed: [{ path: ['a', 'b c'], op: 'eq', value: 1 }] })).toMatch(
      /parsed\[0\]\.path\[1\] must be a key/,
    );
    expect(message({ parsed: [{}, { path: ['n'], op: '===', value: 1 }] })).toMatch(/parsed\[0\]/);
    expect(message({ parsed: [{ path: ['n'], op: '===', value: 1 }] })).toMatch(
      /parsed\[0\]\.op "===" is not an operator; use one of == eq/,
    );
    expect(message({ parsed: [{ path: ['n'], op: 'between', value: 1 }] })).toMatch(
      /parsed\[0\]\.value must be a list/,
    );
    expect(message({ orderBy: 'rank' })).toMatch(/needs a full-text query/);
  });
});

describe('pubsub.paths.ensure', () => {
  it('creates expression indexes that filters and orders use (EXPLAIN QUERY PLAN)', async () => {
    const f = await searchFixture();
    const plan = (query: Search) => {
      const built = buildItemSearch({ type: 'pubsub.items.search', ...query }, new Set(['$.tags']));
      return f.db
        .all(`EXPLAIN QUERY PLAN ${built.sql}`, built.params)
        .map((r) => String(r.detail))
        .join('\n');
    };
    const published = pathIndexName(['published']);
    const jid = pathIndexName(['author', 'jid']);
    const eq = { parsed: [{ path: ['published'], op: 'eq', value: '2024-01-01' }] } as Search;
    expect(plan(eq)).not.toContain(published);
    const ensured = f.request({
      type: 'pubsub.paths.ensure',
      indexedPaths: [['published'], ['author', 'jid']],
      listPaths: [['tags']],
    });
    expect(ensured).toEqual({ indexes: [published, jid].sort(), listPaths: ['$.tags'] });
    // Idempotent.
    expect(
      f.request({
        type: 'pubsub.paths.ensure',
        indexedPaths: [['published']],
        listPaths: [['tags']],
      }),
    ).toEqual(ensured);
    expect(f.db.get('SELECT count(*) AS c FROM pubsub_item_values')).toEqual({ c: 5 });
    expect(plan(eq)).toContain(`USING INDEX ${published}`);
    expect(
      plan({ parsed: [{ path: ['published'], op: 'between', value: ['2024', '2025'] }] }),
    ).toContain(`USING INDEX ${published}`);
    expect(plan({ parsed: [{ path: ['author', 'jid'], op: '==', value: 'a@x' }] })).toContain(
      `USING INDEX ${jid}`,
    );
    expect(plan({ parsed: [{ path: ['tags'], op: 'overlap', value: ['xmpp'] }] })).toContain(
      'INDEX pubsub_item_values_value (path_key=? AND value=?)',
    );
    expect(plan({ parsed: [{ path: ['tags'], op: 'ioverlap', value: ['xmpp'] }] })).toContain(
      'INDEX pubsub_item_values_folded (path_key=? AND <expr>=?)',
    );
    // Ordering by an indexed path walks the index instead of sorting every item.
    expect(plan({ orderBy: [{ path: ['published'], order: 'desc' }], limit: 20 })).toContain(
      `SCAN i USING INDEX ${published}`,
    );
    expect(f.names({ parsed: [{ path: ['published'], op: 'eq', value: '2024-01-01' }] })).toEqual([
      'a1',
    ]);
  });

  it('is journaled: indexes and list values survive a restart without a snapshot', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-search-'));
    const engine = await StorageEngine.open({ dataDir, snapshotOnClose: false });
    const ok = async (request: StorageRequest) => {
      const [outcome] = await engine.applyBatch([request]);
      if (!outcome?.ok) throw new Error(outcome?.error.message);
      return outcome.value;
    };
    await ok({ type: 'profile.create', name: 'alice', jid: 'alice@x' });
    await ok({ type: 'pubsub.node.set', profile: 'alice', service: 's', node: 'n' });
    await ok({
      type: 'pubsub.items.upsert',
      profile: 'alice',
      service: 's',
      node: 'n',
      items: [{ name: 'i1', data: '<e/>', parsed: { tags: ['a', 'b'], published: 'p' } }],
    });
    const ensured = await ok({
      type: 'pubsub.paths.ensure',
      indexedPaths: [['published']],
      listPaths: [['tags']],
    });
    await engine.close();
    const reopened = await StorageEngine.open({ dataDir, snapshotOnClose: false });
    const [again, hits] = await reopened.applyBatch([
      { type: 'pubsub.paths.ensure' },
      { type: 'pubsub.items.search', parsed: [{ path: ['tags'], op: 'overlap', value: 'b' }] },
    ]);
    expect(again).toEqual({ ok: true, value: ensured });
    expect(hits).toMatchObject({ ok: true, value: [{ name: 'i1' }] });
    await reopened.close();
  });

  it('ensuring paths that exist writes no journal record (every start-up ensures them)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-search-'));
    const engine = await StorageEngine.open({ dataDir, snapshotOnClose: false });
    const ensure: StorageRequest = {
      type: 'pubsub.paths.ensure',
      indexedPaths: [['published'], ['author', 'jid']],
      listPaths: [['tags']],
    };
    const [first] = await engine.applyBatch([ensure]);
    const written = engine.health().journalBytes;
    expect(written).toBeGreaterThan(0);
    const [second] = await engine.applyBatch([ensure]);
    expect(second).toEqual(first);
    expect(engine.health().journalBytes).toBe(written);
    // A new path among known ones is written, and only that one.
    const [third] = await engine.applyBatch([
      { ...ensure, indexedPaths: [['published'], ['updated']] },
    ]);
    expect(third).toMatchObject({ ok: true, value: { indexes: expect.any(Array) } });
    expect(third?.ok && (third.value as { indexes: string[] }).indexes).toContain(
      pathIndexName(['updated']),
    );
    expect(engine.health().journalBytes).toBeGreaterThan(written);
    await engine.close();
  });
});

describe('migration 0003_search_paths', () => {
  it('up, down and up again with list paths and indexes in use', async () => {
    const { dbDowngrade, dbUpgrade } = await import('./db-commands.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-search-mig-'));
    const open = () => StorageEngine.open({ dataDir });
    const item = (name: string, tags: string[]) => ({
      type: 'pubsub.items.upsert' as const,
      profile: 'alice',
      service: 's',
      node: 'n',
      items: [{ name, data: '<e/>', parsed: { tags } }],
    });
    const overlap = {
      type: 'pubsub.items.search' as const,
      parsed: [{ path: ['tags'], op: 'overlap' as const, value: 'x' }],
    };
    let engine = await open();
    await engine.applyBatch([
      { type: 'profile.create', name: 'alice', jid: 'alice@x' },
      { type: 'pubsub.node.set', profile: 'alice', service: 's', node: 'n' },
      { type: 'pubsub.paths.ensure', listPaths: [['tags']], indexedPaths: [['tags', 0]] },
      item('i1', ['x']),
    ]);
    await engine.close();
    expect((await dbDowngrade(dataDir, 2)).map((r) => [r.name, r.status])).toEqual([
      ['0005_cluster', 'Success'],
      ['0004_delivery_receipts', 'Success'],
      ['0003_search_paths', 'Success'],
    ]);
    engine = await StorageEngine.open({ dataDir, autoMigrate: false });
    const [written, scanned, ensure] = await engine.applyBatch([
      item('i2', ['x']),
      overlap,
      { type: 'pubsub.paths.ensure', listPaths: [['tags']] },
    ]);
    expect(written?.ok).toBe(true); // no trigger left behind
    expect(scanned).toMatchObject({ ok: true, value: [{ name: 'i2' }, { name: 'i1' }] });
    expect(ensure?.ok).toBe(false);
    await engine.close();
    expect((await dbUpgrade(dataDir)).map((r) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
    ]);
    engine = await open();
    const [again, hits] = await engine.applyBatch([
      { type: 'pubsub.paths.ensure', listPaths: [['tags']] },
      overlap,
    ]);
    expect(again).toMatchObject({ ok: true, value: { listPaths: ['$.tags'] } });
    expect(hits).toMatchObject({ ok: true, value: [{ name: 'i2' }, { name: 'i1' }] });
    await engine.close();
  });
});
