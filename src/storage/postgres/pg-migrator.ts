/**
 * Runs the numbered revisions of `migrations/` on PostgreSQL with their `postgres` dialect:
 * each step in its own transaction (PostgreSQL DDL is transactional), recorded in
 * `schema_version`, one result per step (Success | Error | NotExecuted) as on SQLite. A
 * transaction-scoped advisory lock keeps two runtimes from migrating at once.
 */
import type pg from 'pg';
import type { MigrationDb, MigrationInfo, MigrationResult } from '../migrator.js';
import type { StorageLog } from '../storage-log.js';

/** Arbitrary constant key of the advisory lock held while migrating. */
const MIGRATION_LOCK = 7_140_001;

/** Versions recorded as applied (creates `schema_version` when missing). */
export async function pgAppliedVersions(client: pg.ClientBase): Promise<number[]> {
  await client.query(
    'CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at float8 NOT NULL)',
  );
  const { rows } = await client.query('SELECT version FROM schema_version ORDER BY version');
  return rows.map((r: { version: number }) => Number(r.version));
}

/** Moves the schema to `target` (default newest; 0 = empty), as `migrateTo` does on SQLite. */
export async function pgMigrateTo(deps: {
  client: pg.ClientBase;
  migrations: readonly MigrationInfo[];
  target?: number;
  now: () => number;
  log: StorageLog;
}): Promise<MigrationResult[]> {
  const { client, migrations, log } = deps;
  const applied = new Set(await pgAppliedVersions(client));
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
    dialect: 'postgres',
    exec: async (sql) => {
      await client.query(sql);
    },
    run: async (sql, params) => {
      await client.query(sql, params as unknown[]);
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
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const recorded = await client.query('SELECT 1 FROM schema_version WHERE version = $1', [
        info.version,
      ]);
      const isApplied = (recorded.rowCount ?? 0) > 0;
      // Another runtime may have made this step while we waited for the lock.
      if (isApplied !== (direction === 'up')) {
        await info.migration[direction](access);
        if (direction === 'up') {
          await client.query(
            'INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)',
            [info.version, info.name, deps.now() / 1000],
          );
        } else {
          await client.query('DELETE FROM schema_version WHERE version = $1', [info.version]);
        }
      }
      await client.query('COMMIT');
      log('info', `migration ${direction} ${info.name}`, { version: info.version, direction });
      results.push({ ...base, status: 'Success' });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      log('error', `migration ${direction} ${info.name} failed, rolled back`, { error: message });
      results.push({ ...base, status: 'Error', error: message });
    }
  }
  return results;
}
