/**
 * Database commands for the CLI (`aviary db status|upgrade|downgrade|recover|revision`). They
 * return result values (per migration Success | Error | NotExecuted, as kysely) instead of
 * printing. The caller holds the data folder lock. `dbStatus` is read-only: it loads the store
 * in memory and never snapshots, cuts or deletes a file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { nodeFsOps } from './fs-ops.js';
import { appliedVersions, loadMigrations, type MigrationResult } from './migrator.js';
import { type RecoveryReport, recover } from './recover.js';
import { loadSqlJs } from './sql-database.js';
import { StorageEngine, type StorageEngineOptions } from './storage-engine.js';
import { silentLog } from './storage-log.js';

type Extra = Omit<StorageEngineOptions, 'dataDir' | 'autoMigrate'>;

export interface DbStatus {
  readonly current: number;
  readonly migrations: readonly { version: number; name: string; applied: boolean }[];
}

async function withEngine<T>(
  dataDir: string,
  extra: Extra,
  fn: (e: StorageEngine) => Promise<T>,
): Promise<T> {
  const engine = await StorageEngine.open({ ...extra, dataDir, autoMigrate: false });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Applied and pending migrations of the database in `dataDir` (read-only). */
export async function dbStatus(dataDir: string, extra: Extra = {}): Promise<DbStatus> {
  const { db } = await recover({
    fs: extra.fs ?? nodeFsOps,
    dir: dataDir,
    sql: extra.sqlJs ?? (await loadSqlJs()),
    clock: extra.clock ?? systemClock,
    log: extra.log ?? silentLog,
    readOnly: true,
  });
  try {
    const applied = appliedVersions(db);
    const migrations = await loadMigrations(extra.migrationsDir);
    return {
      current: applied[applied.length - 1] ?? 0,
      migrations: migrations.map((m) => ({
        version: m.version,
        name: m.name,
        applied: applied.includes(m.version),
      })),
    };
  } finally {
    db.close();
  }
}

/** What `db recover` did: where it started, what it replayed, and what is lost. */
export interface DbRecoverResult extends RecoveryReport {
  /** The generation of the fresh snapshot that is now the current state. */
  readonly newSnapshot: number;
}

/**
 * Starts the store from snapshot `from` (default: the newest that verifies), replays what the
 * journals still hold, sets damaged files aside and writes a fresh snapshot and manifest.
 */
export async function dbRecover(
  dataDir: string,
  from?: number,
  extra: Extra = {},
): Promise<DbRecoverResult> {
  const engine = await StorageEngine.open({
    ...extra,
    dataDir,
    autoMigrate: false,
    recovery: from === undefined ? {} : { from },
  });
  try {
    return { ...engine.recoveryReport(), newSnapshot: engine.health().generation };
  } finally {
    await engine.close();
  }
}

/** Upgrades to `rev` (default: newest). */
export function dbUpgrade(
  dataDir: string,
  rev?: number,
  extra: Extra = {},
): Promise<MigrationResult[]> {
  return withEngine(dataDir, extra, async (engine) => {
    const { applied } = await engine.migrationStatus();
    if (rev !== undefined && rev < (applied[applied.length - 1] ?? 0)) {
      throw new AviaryError(
        'storage.bad-argument',
        `revision ${rev} is below the current one; use downgrade`,
      );
    }
    return engine.migrate(rev);
  });
}

/** Downgrades to `rev` (0 = empty schema). */
export function dbDowngrade(
  dataDir: string,
  rev: number,
  extra: Extra = {},
): Promise<MigrationResult[]> {
  return withEngine(dataDir, extra, (engine) => engine.migrate(rev));
}

const TEMPLATE = (message: string) => `/**
 * ${message}
 *
 * One revision, both dialects: \`db.dialect\` is 'sqlite' (sql.js, synchronous calls) or
 * 'postgres' (calls return promises). Keep the two schemas equivalent; the conformance suite
 * (test/storage/conformance) runs every revision up, down and up on both.
 */
import type { MigrationDb } from '../src/storage/migrator.js';

export async function up(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') {
    // await db.exec('ALTER TABLE ... ADD COLUMN ... text');
    return;
  }
  // db.exec('ALTER TABLE ... ADD COLUMN ... TEXT');
}

export async function down(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') {
    // await db.exec('ALTER TABLE ... DROP COLUMN ...');
    return;
  }
  // db.exec('ALTER TABLE ... DROP COLUMN ...');
}
`;

/** The source `migrations/` folder (not `dist/migrations/`), where new revisions belong. */
export const sourceMigrationsDir = new URL(
  import.meta.url.includes('/dist/') ? '../../../migrations/' : '../../migrations/',
  import.meta.url,
);

/** Writes the next numbered migration file (`NNNN_slug.ts`) with empty up/down; returns its path. */
export async function createRevision(
  migrationsDir: string | URL = sourceMigrationsDir,
  message = 'revision',
): Promise<string> {
  const dir = typeof migrationsDir === 'string' ? migrationsDir : fileURLToPath(migrationsDir);
  const existing = await loadMigrations(dir);
  const next = (existing[existing.length - 1]?.version ?? 0) + 1;
  const slug =
    message
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'revision';
  const path = join(dir, `${String(next).padStart(4, '0')}_${slug}.ts`);
  await writeFile(path, TEMPLATE(message), { flag: 'wx' });
  return path;
}
