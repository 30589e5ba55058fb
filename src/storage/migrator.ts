/**
 * Schema migrations, kysely style: `migrations/NNNN_name.(js|ts)` modules exporting
 * `up(db)` and `down(db)`, applied in order, each in its own transaction, recorded in
 * `schema_version`. Calls return one result per migration (Success | Error | NotExecuted)
 * instead of throwing.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SqlValue } from './journal.js';
import type { SqlDatabase } from './sql-database.js';
import type { StorageLog } from './storage-log.js';

/**
 * What a migration may do: run DDL and parameterised statements in its `dialect` (each
 * revision holds both; on PostgreSQL the calls return promises, which the migration awaits).
 */
export interface MigrationDb {
  readonly dialect: 'sqlite' | 'postgres';
  exec(sql: string): void | Promise<void>;
  run(sql: string, params?: readonly SqlValue[]): void | Promise<void>;
}

/** A migration module. */
export interface Migration {
  up(db: MigrationDb): void | Promise<void>;
  down(db: MigrationDb): void | Promise<void>;
}

export interface MigrationInfo {
  readonly version: number;
  /** File stem, e.g. `0001_initial`. */
  readonly name: string;
  readonly migration: Migration;
}

/** Outcome of one migration step. */
export interface MigrationResult {
  readonly version: number;
  readonly name: string;
  readonly direction: 'up' | 'down';
  readonly status: 'Success' | 'Error' | 'NotExecuted';
  readonly error?: string;
}

/** Where the migrations live: `migrations/` from sources, `dist/migrations/` when compiled. */
export const defaultMigrationsDir = new URL('../../migrations/', import.meta.url);

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.(js|ts)$/;

/** Loads every migration module of `dir`, sorted by version (`.d.ts`/`.test.ts` ignored). */
export async function loadMigrations(
  dir: URL | string = defaultMigrationsDir,
): Promise<MigrationInfo[]> {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const files = (await readdir(path)).filter(
    (f) => MIGRATION_FILE.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'),
  );
  const byName = new Map<string, string>();
  for (const file of files.sort()) {
    const stem = file.replace(/\.(js|ts)$/, '');
    if (!byName.has(stem) || file.endsWith('.js')) byName.set(stem, file);
  }
  const result: MigrationInfo[] = [];
  for (const [stem, file] of byName) {
    const migration = (await import(pathToFileURL(`${path}/${file}`).href)) as Migration;
    result.push({ version: Number(stem.slice(0, 4)), name: stem, migration });
  }
  return result.sort((a, b) => a.version - b.version);
}

/** Versions recorded as applied (creates `schema_version` when missing). */
export function appliedVersions(db: SqlDatabase): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)',
  );
  return db
    .all('SELECT version FROM schema_version ORDER BY version')
    .map((r) => Number(r.version));
}

/**
 * Moves the schema to `target` (a version; 0 = empty; default newest): ups above the current
 * version in ascending order, or downs in descending order. A failing step rolls back and the
 * remaining steps are NotExecuted.
 */
export async function migrateTo(deps: {
  db: SqlDatabase;
  migrations: readonly MigrationInfo[];
  target?: number;
  now: () => number;
  log: StorageLog;
}): Promise<MigrationResult[]> {
  const { db, migrations, log } = deps;
  const applied = new Set(appliedVersions(db));
  const target = deps.target ?? migrations[migrations.length - 1]?.version ?? 0;
  const steps: { info: MigrationInfo; direction: 'up' | 'down' }[] = [
    ...migrations
      .filter((m) => m.version <= target && !applied.has(m.version))
      .map((info) => ({ info, direction: 'up' as const })),
    ...migrations
      .filter((m) => m.version > target && applied.has(m.version))
      .reverse()
      .map((info) => ({ info, direction: 'down' as const })),
  ];
  const access: MigrationDb = {
    dialect: 'sqlite',
    exec: (sql) => db.exec(sql),
    run: (sql, params) => {
      db.run(sql, params);
    },
  };
  const results: MigrationResult[] = [];
  let failed = false;
  for (const { info, direction } of steps) {
    const base = { version: info.version, name: info.name, direction };
    if (failed) {
      results.push({ ...base, status: 'NotExecuted' });
      continue;
    }
    db.exec('BEGIN');
    try {
      await info.migration[direction](access);
      if (direction === 'up') {
        db.run('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
          info.version,
          info.name,
          deps.now() / 1000,
        ]);
      } else {
        db.run('DELETE FROM schema_version WHERE version = ?', [info.version]);
      }
      db.exec('COMMIT');
      log('info', `migration ${direction} ${info.name}`, { version: info.version, direction });
      results.push({ ...base, status: 'Success' });
    } catch (error) {
      db.exec('ROLLBACK');
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      log('error', `migration ${direction} ${info.name} failed, rolled back`, { error: message });
      results.push({ ...base, status: 'Error', error: message });
    }
  }
  return results;
}
