/**
 * `aviary db status|upgrade|downgrade` on PostgreSQL: the results of `db-commands.ts`
 * (Success | Error | NotExecuted per migration) for the database at `url`.
 */
import { AviaryError } from '../../errors.js';
import type { DbStatus } from '../db-commands.js';
import type { MigrationResult } from '../migrator.js';
import { PostgresEngine } from './pg-engine.js';

async function withEngine<T>(url: string, fn: (e: PostgresEngine) => Promise<T>): Promise<T> {
  const engine = await PostgresEngine.open({ url, autoMigrate: false });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Applied and pending migrations of the database at `url`. */
export function pgDbStatus(url: string): Promise<DbStatus> {
  return withEngine(url, async (engine) => {
    const { applied, migrations } = await engine.migrationStatus();
    return {
      current: applied[applied.length - 1] ?? 0,
      migrations: migrations.map((m) => ({ ...m, applied: applied.includes(m.version) })),
    };
  });
}

/** Upgrades to `rev` (default: newest). */
export function pgDbUpgrade(url: string, rev?: number): Promise<MigrationResult[]> {
  return withEngine(url, async (engine) => {
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
export function pgDbDowngrade(url: string, rev: number): Promise<MigrationResult[]> {
  return withEngine(url, (engine) => engine.migrate(rev));
}
