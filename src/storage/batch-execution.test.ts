import { describe, expect, it } from 'vitest';
import { executeBatch } from './batch-execution.js';
import type { HandlerContext } from './handler-context.js';
import type { StorageRequest } from './messages.js';
import { loadMigrations, migrateTo } from './migrator.js';
import { loadSqlJs, SqlDatabase } from './sql-database.js';
import { silentLog } from './storage-log.js';

async function migrated(): Promise<{ db: SqlDatabase; ctx: HandlerContext }> {
  const db = new SqlDatabase(await loadSqlJs());
  await migrateTo({ db, migrations: await loadMigrations(), log: silentLog, now: () => 0 });
  db.run("INSERT INTO profiles (name, jid, created) VALUES ('alice', 'alice@example.org', 0)");
  return { db, ctx: { db, now: () => 100 } };
}

const add = (uid: string, extra: Record<string, unknown> = {}): StorageRequest =>
  ({
    type: 'history.add',
    profile: 'alice',
    uid,
    from: 'alice@example.org/pc',
    to: 'bob@example.org',
    messageType: 'chat',
    timestamp: 1,
    messages: { '': `body of ${uid}` },
    ...extra,
  }) as StorageRequest;

describe('executeBatch', () => {
  it('a write failing after its first statement, among consecutive writes, leaves nothing of itself', async () => {
    const { db, ctx } = await migrated();
    // The thread id is checked only after the history and message rows are inserted.
    const broken = add('broken', { thread: { id: 42 } });
    const { outcomes, recorded } = executeBatch({
      db,
      ctx,
      requests: [add('first'), broken, add('last')],
    });
    db.exec('COMMIT');
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.code))).toEqual([
      { uid: 'first', added: true },
      'storage.bad-argument',
      { uid: 'last', added: true },
    ]);
    expect(db.all('SELECT uid FROM history ORDER BY uid').map((r) => r.uid)).toEqual([
      'first',
      'last',
    ]);
    expect(db.all('SELECT history_uid FROM message ORDER BY id').map((r) => r.history_uid)).toEqual(
      ['first', 'last'],
    );
    // The journal record holds the statements of the two good writes only, once each.
    const uids = recorded.map(([, params]) => params[0]).filter((p) => typeof p === 'string');
    expect(uids).toEqual(['first', 'first', 'last', 'last']);
    db.close();
  });
});
