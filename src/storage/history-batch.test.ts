import { describe, expect, it } from 'vitest';
import { executeBatch } from './batch-execution.js';
import type { HandlerContext } from './handler-context.js';
import { addHistoryRun } from './history-batch.js';
import type { StorageOutcome, StorageRequest } from './messages.js';
import { loadMigrations, migrateTo } from './migrator.js';
import { loadSqlJs, SqlDatabase } from './sql-database.js';
import { silentLog } from './storage-log.js';

async function migrated(): Promise<{ db: SqlDatabase; ctx: HandlerContext }> {
  const db = new SqlDatabase(await loadSqlJs());
  await migrateTo({ db, migrations: await loadMigrations(), log: silentLog, now: () => 0 });
  db.run("INSERT INTO profiles (name, jid, created) VALUES ('alice', 'alice@example.org', 0)");
  db.run("INSERT INTO profiles (name, jid, created) VALUES ('bob', 'bob@example.org', 0)");
  return { db, ctx: { db, now: () => 100 } };
}

type HistoryAdd = Extract<StorageRequest, { type: 'history.add' }>;

const add = (uid: string, extra: Partial<Record<keyof HistoryAdd, unknown>> = {}): HistoryAdd =>
  ({
    type: 'history.add',
    profile: 'alice',
    uid,
    from: 'alice@example.org/pc',
    to: 'bob@example.org',
    messageType: 'chat',
    timestamp: 1_733_112_345.678 + uid.length / 1000,
    messages: { '': `body of ${uid}` },
    ...extra,
  }) as HistoryAdd;

/** Every row of the history tables and the full-text index, in id order. */
function contents(db: SqlDatabase) {
  return {
    history: db.all('SELECT rowid, * FROM history ORDER BY rowid'),
    message: db.all('SELECT * FROM message ORDER BY id'),
    subject: db.all('SELECT * FROM subject ORDER BY id'),
    thread: db.all('SELECT * FROM thread ORDER BY id'),
    fts: db.all('SELECT docid, message FROM message_fts ORDER BY docid'),
  };
}

const summary = (outcomes: readonly StorageOutcome[]) =>
  outcomes.map((o) => (o.ok ? o.value : o.error.code));

/** Runs `requests` as one batch grouped and one by one (fresh stores); both must agree. */
async function bothWays(
  requests: readonly StorageRequest[],
  before: readonly StorageRequest[] = [],
) {
  const results = [];
  for (const groupHistoryAdds of [true, false]) {
    const { db, ctx } = await migrated();
    if (before.length > 0) {
      executeBatch({ db, ctx, requests: before });
      db.exec('COMMIT');
    }
    const executed = executeBatch({ db, ctx, requests, options: { groupHistoryAdds } });
    db.exec('COMMIT');
    results.push({ db, outcomes: summary(executed.outcomes), recorded: executed.recorded });
  }
  const [grouped, single] = results as [(typeof results)[0], (typeof results)[0]];
  return { grouped, single };
}

describe('addHistoryRun (consecutive history adds as multi-row inserts)', () => {
  it('stores exactly what one-by-one adds store, with the same outcomes', async () => {
    const requests: StorageRequest[] = [
      add('plain'),
      add('languages', { messages: { '': 'hello', fr: 'bonjour', de: 'hallo' } }),
      add('subject', { subjects: { '': 'topic', fr: 'sujet' }, messages: {} }),
      add('threaded', { thread: { id: 'th-1', parentId: 'th-0' } }),
      add('thread-root', { thread: { id: 'th-2' } }),
      add('ids', { stanzaId: 'st-1', originId: 'or-1', receivedTimestamp: 1_733_112_346.5 }),
      // Same sender and stanza id as `ids`: ignored (XEP-0359 de-duplication).
      add('same-stanza-id', { stanzaId: 'st-1' }),
      add('same-origin-id', { originId: 'or-1' }),
      // Another sender may reuse the id.
      add('other-sender', { from: 'carol@example.org/x', stanzaId: 'st-1' }),
      add('already-stored'),
      add('bob-profile', { profile: 'bob', from: 'bob@example.org', to: 'alice@example.org/pc' }),
      add('extra', { extra: { nested: [1, 'two', null], flag: true }, messageType: 'normal' }),
      add('long', { messages: { '': `${'long body with ünicode 😀 '.repeat(40)}\u0000end` } }),
      add('no-body', { messages: undefined, messageType: 'headline' }),
    ];
    const { grouped, single } = await bothWays(requests, [add('already-stored')]);
    expect(grouped.outcomes).toEqual(single.outcomes);
    expect(grouped.outcomes[6]).toEqual({ uid: 'same-stanza-id', added: false });
    expect(grouped.outcomes[9]).toEqual({ uid: 'already-stored', added: false });
    expect(grouped.outcomes[0]).toEqual({ uid: 'plain', added: true });
    expect(contents(grouped.db)).toEqual(contents(single.db));
    expect(contents(grouped.db).history).toHaveLength(12);
    // Grouped: one history statement (14 rows = 8 + 4 + 2), not one per message.
    const historyStatements = grouped.recorded.filter(([sql]) => sql.includes('INTO history'));
    expect(historyStatements).toHaveLength(3);
  });

  it('goes in chunks past 64 rows and replays from its journal statements', async () => {
    const requests = Array.from({ length: 100 }, (_, i) => add(`m${i}`));
    const { grouped, single } = await bothWays(requests);
    expect(grouped.outcomes).toEqual(single.outcomes);
    expect(contents(grouped.db)).toEqual(contents(single.db));
    const { db } = await migrated();
    db.exec('BEGIN');
    db.replay(grouped.recorded);
    db.exec('COMMIT');
    expect(contents(db)).toEqual(contents(grouped.db));
  });

  it('a bad add in the run fails alone, as it would one by one', async () => {
    const requests: StorageRequest[] = [
      add('first'),
      add('unknown-profile', { profile: 'nobody' }),
      add('bad-jid', { from: 'not a jid' }),
      add('bad-type', { messageType: 'shout' }),
      add('no-timestamp', { timestamp: undefined }),
      add('last'),
    ];
    const { grouped, single } = await bothWays(requests);
    expect(grouped.outcomes).toEqual(single.outcomes);
    expect(grouped.outcomes).toEqual([
      { uid: 'first', added: true },
      'storage.unknown-profile',
      'storage.bad-argument',
      'storage.bad-argument',
      'storage.bad-argument',
      { uid: 'last', added: true },
    ]);
    expect(contents(grouped.db)).toEqual(contents(single.db));
    // The run itself (before the batch redoes a failed run one by one) reports the same.
    const { ctx } = await migrated();
    expect(summary(addHistoryRun(ctx, requests as HistoryAdd[]) ?? [])).toEqual(grouped.outcomes);
  });

  it('declines a run that repeats a uid or carries unusual values (the caller goes one by one)', async () => {
    const { ctx, db } = await migrated();
    expect(addHistoryRun(ctx, [add('x'), add('y'), add('x')])).toBeUndefined();
    expect(addHistoryRun(ctx, [add('x'), add('y', { stanzaId: 7 })])).toBeUndefined();
    expect(addHistoryRun(ctx, [add('x'), add('y', { timestamp: '1' })])).toBeUndefined();
    expect(db.all('SELECT uid FROM history')).toEqual([]);
    // Through the batch, the repeated uid is stored once, the repeat reported as not added.
    const { grouped, single } = await bothWays([
      add('x', { subjects: { '': 'first' } }),
      add('y'),
      add('x', { subjects: { '': 'second' } }),
    ]);
    expect(grouped.outcomes).toEqual([
      { uid: 'x', added: true },
      { uid: 'y', added: true },
      { uid: 'x', added: false },
    ]);
    expect(contents(grouped.db)).toEqual(contents(single.db));
  });
});
