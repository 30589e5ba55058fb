import { describe, expect, it } from 'vitest';
import type { HandlerContext } from './handler-context.js';
import {
  addHistory,
  MARK_DELIVERED_BY_ORIGIN_ID,
  MARK_DELIVERED_BY_UID,
  markDelivered,
  queryHistory,
} from './history.js';
import { loadMigrations, migrateTo } from './migrator.js';
import { loadSqlJs, SqlDatabase } from './sql-database.js';
import { silentLog } from './storage-log.js';

/** SQLite's default bound-variable ceiling in sql.js (SQLITE_MAX_VARIABLE_NUMBER). */
const SQLITE_MAX_VARIABLES = 32_766;

async function migrated(): Promise<{ db: SqlDatabase; ctx: HandlerContext }> {
  const db = new SqlDatabase(await loadSqlJs());
  await migrateTo({ db, migrations: await loadMigrations(), log: silentLog, now: () => 0 });
  return { db, ctx: { db, now: () => 100 } };
}

describe('history queries', () => {
  it('return every message of a profile holding more messages than SQLite has variables', async () => {
    const { db, ctx } = await migrated();
    ctx.db.run(
      "INSERT INTO profiles (name, jid, created) VALUES ('alice', 'alice@example.org', 0)",
    );
    const total = SQLITE_MAX_VARIABLES + 1_234;
    // Bulk rows straight in SQL (a recursive CTE), then one message, subject and thread each
    // through the handler so the per-message joins have something to attach.
    db.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${total - 1})
       INSERT INTO history (uid, profile_id, source, dest, timestamp, type)
       SELECT 'bulk-' || i, (SELECT id FROM profiles WHERE name = 'alice'), 'bob@example.org',
              'alice@example.org', i, 'chat' FROM n`,
    );
    addHistory(ctx, {
      type: 'history.add',
      profile: 'alice',
      uid: 'last',
      from: 'bob@example.org/pc',
      to: 'alice@example.org',
      messageType: 'chat',
      timestamp: total + 10,
      messages: { '': 'newest' },
      subjects: { en: 'subject' },
      thread: { id: 't1' },
    });
    const all = queryHistory(ctx, { type: 'history.query', profile: 'alice' });
    expect(all.length).toBe(total);
    expect(all[0]).toMatchObject({
      uid: 'last',
      messages: { '': 'newest' },
      subjects: { en: 'subject' },
      thread: { id: 't1', parentId: null },
    });
    expect(all[all.length - 1]?.uid).toBe('bulk-1');
    const ascending = queryHistory(ctx, {
      type: 'history.query',
      profile: 'alice',
      order: 'asc',
      limit: SQLITE_MAX_VARIABLES + 2,
    });
    expect(ascending.length).toBe(SQLITE_MAX_VARIABLES + 2);
    expect(ascending[0]?.uid).toBe('bulk-1');
  });
});

describe('delivery receipts (XEP-0184)', () => {
  it("find the sent message through the uid's and the origin-id's indexes, not by reading the conversation (EXPLAIN QUERY PLAN)", async () => {
    const { db, ctx } = await migrated();
    ctx.db.run(
      "INSERT INTO profiles (name, jid, created) VALUES ('alice', 'alice@example.org', 0)",
    );
    // A long conversation with one recipient: the shape in which a scan of the recipient's
    // index costs one row read per message ever sent to them.
    db.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
       INSERT INTO history (uid, origin_id, profile_id, source, dest, timestamp, type)
       SELECT 'u' || i, 'o' || i, (SELECT id FROM profiles WHERE name = 'alice'), 'alice@example.org',
              'bob@example.org', i, 'chat' FROM n`,
    );
    const plan = (sql: string) =>
      db
        .all(`EXPLAIN QUERY PLAN ${sql}`, [1, 'u1', 1, 'bob@example.org'])
        .map((row) => String(row.detail))
        .join('\n');
    expect(plan(MARK_DELIVERED_BY_UID)).toMatch(
      /USING INDEX sqlite_autoindex_history_\d+ \(uid=\?\)/,
    );
    expect(plan(MARK_DELIVERED_BY_ORIGIN_ID)).toContain(
      'USING INDEX history_origin_lookup (profile_id=? AND origin_id=?)',
    );
    for (const sql of [MARK_DELIVERED_BY_UID, MARK_DELIVERED_BY_ORIGIN_ID])
      expect(plan(sql)).not.toContain('history_dest_time');

    const receipt = (id: string, recipient = 'bob@example.org/phone') =>
      markDelivered(ctx, {
        type: 'history.delivered',
        profile: 'alice',
        id,
        recipient,
        timestamp: 50,
      }).updated;
    expect(receipt('u7')).toBe(1); // by uid
    expect(receipt('o8')).toBe(1); // by origin-id
    expect(receipt('u7')).toBe(0); // the first receipt wins
    expect(receipt('u9', 'mallory@example.org')).toBe(0); // only the recipient confirms
    expect(receipt('nothing')).toBe(0);
    expect(db.all('SELECT uid FROM history WHERE delivered IS NOT NULL ORDER BY uid')).toEqual([
      { uid: 'u7' },
      { uid: 'u8' },
    ]);
  });
});
