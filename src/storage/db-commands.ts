/**
 * Database commands for the CLI (`aviary db status|upgrade|downgrade|revision`). They return
 * result values (per migration Success | Error | NotExecuted, as kysely) instead of printing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AviaryError } from '../errors.js';
import { loadMigrations, type MigrationResult } from './migrator.js';
import { StorageEngine, type StorageEngineOptions } from './storage-engine.js';

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

/** Applied and pending migrations of the database in `dataDir`. */
export function dbStatus(dataDir: string, extra: Extra = {}): Promise<DbStatus> {
  return withEngine(dataDir, extra, async (engine) => {
    const { applied, migrations } = await engine.migrationStatus();
    return {
      current: applied[applied.length - 1] ?? 0,
      migrations: migrations.map((m) => ({ ...m, applied: applied.includes(m.version) })),
    };
  });
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
