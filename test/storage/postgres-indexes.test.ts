/**
 * The indexes `pubsub.paths.ensure` makes on PostgreSQL serve the searches built for the same
 * paths: the expressions of the query and of the index match (EXPLAIN with sequential scans
 * disabled, so the plan shows whether the index is usable, not whether it is cheaper on a
 * small table), and the full-text and history searches use their GIN indexes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorageBackend } from '../../src/storage/backend.js';
import type { StorageRequest } from '../../src/storage/messages.js';
import { PG_MARK_DELIVERED } from '../../src/storage/postgres/pg-history.js';
import { buildPgItemSearch } from '../../src/storage/postgres/pg-item-search.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';

type Search = Extract<StorageRequest, { type: 'pubsub.items.search' }>;

describe('PostgreSQL indexes serve the searches', () => {
  let server: PostgresFixture;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('indexed paths, list paths and full text each use their index', async () => {
    const url = await server.createDatabase();
    const backend = await openStorageBackend({ dataDir: '/nonexistent', url });
    const node = { profile: 'alice', service: 's', node: 'n' };
    await backend.applyBatch([
      { type: 'profile.create', name: 'alice', jid: 'alice@x' },
      { type: 'pubsub.node.set', ...node },
      {
        type: 'pubsub.items.upsert',
        ...node,
        items: Array.from({ length: 300 }, (_, i) => ({
          name: `i${i}`,
          data: `<e>word${i % 10}</e>`,
          parsed: { n: i, author: { jid: `a${i % 3}@x` }, tags: [`t${i % 7}`] },
        })),
      },
      {
        type: 'pubsub.paths.ensure',
        indexedPaths: [['n'], ['author', 'jid']],
        listPaths: [['tags']],
      },
    ]);
    await backend.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('SET enable_seqscan = off');
    const plan = async (search: Omit<Search, 'type'>) => {
      const { sql, params } = buildPgItemSearch({ type: 'pubsub.items.search', ...search });
      const { rows } = await client.query(`EXPLAIN ${sql}`, params);
      return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    };
    try {
      expect(await plan({ parsed: [{ path: ['n'], op: 'eq', value: 5 }] })).toMatch(
        /pubsub_items_path_/,
      );
      expect(await plan({ parsed: [{ path: ['n'], op: 'between', value: [5, 9] }] })).toMatch(
        /pubsub_items_path_/,
      );
      expect(
        await plan({ parsed: [{ path: ['author', 'jid'], op: 'in', value: ['a1@x', 'a2@x'] }] }),
      ).toMatch(/pubsub_items_path_/);
      expect(await plan({ parsed: [{ path: ['tags'], op: 'overlap', value: ['t1'] }] })).toMatch(
        /pubsub_items_list_/,
      );
      expect(await plan({ parsed: [{ path: ['tags'], op: 'ioverlap', value: ['T1'] }] })).toMatch(
        /pubsub_items_ilist_/,
      );
      expect(await plan({ query: 'word3' })).toMatch(/pubsub_items_fts/);
      const history = await client.query(
        "EXPLAIN SELECT history_uid FROM message WHERE message_tsv @@ to_tsquery('simple', $1)",
        ["'x'"],
      );
      expect(history.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(
        /message_fts/,
      );
    } finally {
      await client.end();
    }
  });

  it("a delivery receipt finds its message through the uid's and the origin-id's indexes, not by reading the conversation", async () => {
    const url = await server.createDatabase();
    const backend = await openStorageBackend({ dataDir: '/nonexistent', url });
    await backend.applyBatch([{ type: 'profile.create', name: 'alice', jid: 'alice@x' }]);
    await backend.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // A long conversation with one recipient, with the statistics autovacuum would gather.
      await client.query(
        `INSERT INTO history (uid, origin_id, profile_id, source, dest, timestamp, type)
         SELECT 'u' || i, 'o' || i, (SELECT id FROM profiles WHERE name = 'alice'), 'alice@x',
                'bob@x', i, 'chat' FROM generate_series(1, 5000) AS i`,
      );
      await client.query('ANALYZE history');
      const { rows } = await client.query(`EXPLAIN ${PG_MARK_DELIVERED}`, [1, 1, 'u7', 'bob@x']);
      const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/history_pkey/);
      expect(plan).toMatch(/history_origin_lookup/);
      expect(plan).not.toMatch(/history_dest_time/);
    } finally {
      await client.end();
    }
  });
});
