/**
 * Test fixture for search: an in-memory migrated database with a small hand-built dataset,
 * driven through `dispatch` (no engine, no journal), with raw access for EXPLAIN and counts.
 */
import { dispatch } from './dispatch.js';
import { indexPending } from './fts-catch-up.js';
import type { HandlerContext } from './handler-context.js';
import type { StorageRequest, StorageResponse } from './messages.js';
import { loadMigrations, migrateTo } from './migrator.js';
import { CREATION_ORDER, SEARCH_ITEMS } from './search-data-test-fixture.js';
import { loadSqlJs, SqlDatabase } from './sql-database.js';
import { silentLog } from './storage-log.js';

export interface SearchFixture {
  readonly db: SqlDatabase;
  readonly ctx: HandlerContext;
  request<R extends StorageRequest>(request: R): StorageResponse<R>;
  /** Names of the items a search returns, in order. */
  names(query: Omit<Extract<StorageRequest, { type: 'pubsub.items.search' }>, 'type'>): string[];
}

export { CREATION_ORDER };

export async function searchFixture(): Promise<SearchFixture> {
  const db = new SqlDatabase(await loadSqlJs());
  const results = await migrateTo({
    db,
    migrations: await loadMigrations(),
    now: () => 0,
    log: silentLog,
  });
  if (results.some((r) => r.status !== 'Success')) throw new Error(JSON.stringify(results));
  const ctx: HandlerContext = { db, now: () => 100 };
  const request = <R extends StorageRequest>(r: R) => {
    const value = dispatch(ctx, r) as StorageResponse<R>;
    indexPending(db);
    return value;
  };
  request({ type: 'profile.create', name: 'alice', jid: 'alice@x' });
  request({ type: 'profile.create', name: 'bob', jid: 'bob@x' });
  const nodes = [
    { profile: 'alice', service: 's1', node: 'blog', nodeType: 'blog', subtype: null },
    { profile: 'alice', service: 's2', node: 'tickets', nodeType: 'ticket', subtype: 'bug' },
    { profile: 'bob', service: 's1', node: 'misc', nodeType: null, subtype: null },
  ];
  for (const n of nodes) request({ type: 'pubsub.node.set', ...n });
  CREATION_ORDER.forEach((name, i) => {
    const item = SEARCH_ITEMS[name];
    const node = nodes.find((n) => n.node === item?.node);
    if (item === undefined || node === undefined) throw new Error(name);
    request({
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
  });
  return {
    db,
    ctx,
    request,
    names: (query) => request({ type: 'pubsub.items.search', ...query }).map((h) => h.name),
  };
}
