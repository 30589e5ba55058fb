/**
 * Start-up recovery: load the newest snapshot, replay every journal generation at or above it
 * (torn tails cut, corruption stops start-up), drop older files. Replaying a journal that a
 * snapshot already covers cannot happen, so a crash at any point of a snapshot is harmless.
 */
import { join } from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import type { FsOps } from './fs-ops.js';
import { Journal } from './journal.js';
import { journalName, listDataDir, snapshotName } from './snapshot-files.js';
import { SqlDatabase } from './sql-database.js';
import type { StorageLog } from './storage-log.js';

export interface Recovered {
  readonly db: SqlDatabase;
  /** The open journal of the newest generation, for appends. */
  readonly journal: Journal;
  readonly generation: number;
  /** Sequence number of the last replayed record. */
  readonly seq: number;
}

export async function recover(deps: {
  fs: FsOps;
  dir: string;
  sql: SqlJsStatic;
  clock: Clock;
  log: StorageLog;
}): Promise<Recovered> {
  const { fs, dir, sql, clock, log } = deps;
  const started = clock.now();
  await fs.mkdir(dir);
  const listing = await listDataDir(fs, dir);
  for (const temp of listing.temps) await fs.unlink(join(dir, temp));
  const snapshotGen = listing.snapshots[listing.snapshots.length - 1];
  let db: SqlDatabase;
  try {
    const image =
      snapshotGen === undefined
        ? undefined
        : await fs.readFile(join(dir, snapshotName(snapshotGen)));
    db = new SqlDatabase(sql, image);
    db.get('SELECT count(*) AS c FROM sqlite_master');
  } catch (cause) {
    throw new AviaryError(
      'storage.snapshot-corrupt',
      `cannot load ${snapshotName(snapshotGen ?? 0)}`,
      {
        cause,
      },
    );
  }
  const base = snapshotGen ?? listing.journals[0] ?? 0;
  const journals = listing.journals.filter((g) => g >= base);
  if (journals.length === 0) journals.push(base);
  let journal: Journal | undefined;
  let seq = 0;
  let replayed = 0;
  try {
    for (const gen of journals) {
      await journal?.close();
      journal = undefined;
      const opened = await Journal.open({ fs, path: join(dir, journalName(gen)), log });
      journal = opened.journal;
      // One transaction per journal file: FTS4 merges its pending terms once, not per record.
      db.exec('BEGIN');
      let current = 0;
      try {
        for (const record of opened.records) {
          current = record.seq;
          db.replay(record.statements);
          seq = record.seq;
          replayed++;
        }
        db.exec('COMMIT');
      } catch (cause) {
        db.exec('ROLLBACK');
        throw new AviaryError(
          'storage.replay-failed',
          `cannot replay record ${current} of ${journalName(gen)}`,
          {
            cause,
          },
        );
      }
    }
  } catch (error) {
    await journal?.close();
    db.close();
    throw error;
  }
  await fs.syncDir(dir);
  for (const gen of listing.journals.filter((g) => g < base))
    await fs.unlink(join(dir, journalName(gen)));
  for (const gen of listing.snapshots.filter((g) => g < base))
    await fs.unlink(join(dir, snapshotName(gen)));
  log('info', 'storage opened', {
    snapshot: snapshotGen ?? null,
    replayed,
    ms: clock.now() - started,
  });
  return {
    db,
    journal: journal as Journal,
    generation: journals[journals.length - 1] as number,
    seq,
  };
}
