/**
 * `npm run bench -- receipts [--lengths 1000,10000,100000] [--receipts N] [--rounds N]`: the
 * SQLite cost of recording a delivery receipt (XEP-0184) against the length of the conversation
 * it belongs to. Each receipt names a sent message by uid (half of them) or by origin-id (the
 * other half), spread over the conversation. Baseline in the same run: the former single
 * statement, `(uid = ? OR origin_id = ?)`, which SQLite served from the recipient's index,
 * reading every message sent to that recipient. Measured on the history table of a migrated
 * in-memory database, without the journal or the worker thread (which the change does not touch).
 */
import type { HandlerContext } from '../src/storage/handler-context.js';
import { markDelivered } from '../src/storage/history.js';
import { loadMigrations, migrateTo } from '../src/storage/migrator.js';
import { loadSqlJs, SqlDatabase } from '../src/storage/sql-database.js';
import { silentLog } from '../src/storage/storage-log.js';
import { type BenchRow, exitWithUsageOnHelp, median, publish, stringOption } from './report.js';

const SINGLE_OR_STATEMENT =
  'UPDATE history SET delivered = ? WHERE profile_id = ? AND (uid = ? OR origin_id = ?) AND dest = ? AND delivered IS NULL';
const RECIPIENT = 'bob@example.org';

function positiveIntegers(text: string, name: string): number[] {
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${name} needs positive integers, got "${text}"`);
  return values;
}

/** A migrated database holding one profile's conversation of `length` sent messages. */
async function conversation(length: number): Promise<{ db: SqlDatabase; ctx: HandlerContext }> {
  const db = new SqlDatabase(await loadSqlJs());
  await migrateTo({ db, migrations: await loadMigrations(), log: silentLog, now: () => 0 });
  db.run("INSERT INTO profiles (name, jid, created) VALUES ('alice', 'alice@example.org', 0)");
  // Even messages carry their uid as origin-id (as Aviary sends them), odd ones another id.
  db.exec(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${length - 1})
     INSERT INTO history (uid, origin_id, profile_id, source, dest, timestamp, type)
     SELECT 'u' || i, CASE WHEN i % 2 = 0 THEN 'u' || i ELSE 'o' || i END,
            (SELECT id FROM profiles WHERE name = 'alice'), 'alice@example.org', '${RECIPIENT}', i, 'chat'
     FROM n`,
  );
  return { db, ctx: { db, now: () => 0 } };
}

/** The ids the receipts name: spread over the conversation, by uid and by origin-id. */
function receiptIds(length: number, count: number): string[] {
  return Array.from({ length: Math.min(count, length) }, (_, k) => {
    const i = Math.floor((k * length) / Math.min(count, length));
    return k % 2 === 0 || i % 2 === 0 ? `u${i}` : `o${i}`;
  });
}

/** Microseconds per receipt over `ids`; every receipt must mark exactly one message. */
function timeReceipts(ids: readonly string[], record: (id: string) => number): number {
  const started = performance.now();
  for (const id of ids) {
    const updated = record(id);
    if (updated !== 1) throw new Error(`receipt ${id} marked ${updated} messages, expected 1`);
  }
  return ((performance.now() - started) * 1000) / ids.length;
}

export async function run(args: string[]): Promise<void> {
  exitWithUsageOnHelp(
    args,
    'usage: npm run bench -- receipts [--lengths 1000,10000,100000] [--receipts N] [--rounds N]\n' +
      '  --lengths L   conversation lengths (messages sent to one recipient; default 1000,10000,100000)\n' +
      '  --receipts N  receipts recorded per length and round (default 400)\n' +
      '  --rounds N    interleaved rounds of baseline and current; medians reported (default 3)\n',
  );
  const lengths = positiveIntegers(stringOption(args, 'lengths', '1000,10000,100000'), '--lengths');
  const [count] = positiveIntegers(stringOption(args, 'receipts', '400'), '--receipts');
  const [rounds] = positiveIntegers(stringOption(args, 'rounds', '3'), '--rounds');
  const rows: BenchRow[] = [];
  for (const length of lengths) {
    const { db, ctx } = await conversation(length);
    const ids = receiptIds(length, count as number);
    const profile = Number(db.get("SELECT id FROM profiles WHERE name = 'alice'")?.id);
    const baseline: number[] = [];
    const current: number[] = [];
    for (let round = 0; round < (rounds as number); round++) {
      baseline.push(
        timeReceipts(
          ids,
          (id) => db.run(SINGLE_OR_STATEMENT, [1, profile, id, id, RECIPIENT]).changes,
        ),
      );
      db.run('UPDATE history SET delivered = NULL');
      current.push(
        timeReceipts(
          ids,
          (id) =>
            markDelivered(ctx, {
              type: 'history.delivered',
              profile: 'alice',
              id,
              recipient: `${RECIPIENT}/phone`,
              timestamp: 1,
            }).updated,
        ),
      );
      db.run('UPDATE history SET delivered = NULL');
    }
    const base = median(baseline);
    const now = median(current);
    rows.push({
      'conversation length': length,
      receipts: ids.length,
      'baseline µs/receipt (single OR)': base,
      'current µs/receipt (uid, origin-id)': now,
      'baseline / current': base / now,
    });
    db.close();
  }
  publish({
    name: 'receipts',
    rows,
    summary: {
      rounds: rounds as number,
      note: 'medians of interleaved rounds; SQLite only (no journal, no worker thread)',
    },
  });
}
