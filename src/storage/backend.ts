/**
 * The seam the storage actor drives: one interface, implemented by the embedded sql.js engine
 * (journal + snapshots in the data folder) and by the PostgreSQL engine (`storage.url =
 * postgres://…`). Both serve the same storage messages with the same typed results, so
 * nothing above the storage layer knows which one runs — the shape of a kysely `Dialect`.
 */
import type { Clock } from '../actors/clock.js';
import type { StorageOutcome, StorageRequest } from './messages.js';
import type { MigrationResult } from './migrator.js';
import type { PostgresEngine } from './postgres/pg-engine.js';
import { isPostgresUrl } from './postgres/pg-url.js';
import { StorageEngine } from './storage-engine.js';
import type { StorageLog } from './storage-log.js';
import type { StorageStats } from './storage-stats.js';

export type BackendKind = 'sqljs' | 'postgres';

/** Health as every backend reports it; sql.js-only figures are 0/false on PostgreSQL. */
export interface BackendHealth {
  readonly ok: boolean;
  readonly reason?: string;
  readonly backend: BackendKind;
  /** The data folder, or the server URL with its password redacted. */
  readonly location: string;
  readonly journalBytes: number;
  readonly generation: number;
  readonly lastSnapshotAt?: number;
  readonly snapshotInFlight: boolean;
}

export interface StorageBackend {
  readonly kind: BackendKind;
  readonly location: string;
  /** Group commit: one transaction per batch, outcomes (in order) once it is durable. */
  applyBatch(requests: readonly StorageRequest[]): Promise<StorageOutcome[]>;
  health(): BackendHealth;
  stats(): StorageStats;
  /** Writes a snapshot (sql.js); nothing to do on PostgreSQL. */
  snapshotNow(): Promise<void>;
  migrationStatus(): Promise<{
    applied: number[];
    migrations: { version: number; name: string }[];
  }>;
  migrate(target?: number): Promise<MigrationResult[]>;
  close(): Promise<void>;
}

export interface OpenBackendOptions {
  readonly dataDir: string;
  /** `postgres://…` selects PostgreSQL; absent selects sql.js in `dataDir`. */
  readonly url?: string | undefined;
  readonly clock?: Clock;
  readonly log?: StorageLog;
  readonly autoMigrate?: boolean;
  readonly snapshot?: { readonly maxJournalBytes?: number; readonly maxIntervalMs?: number };
  readonly snapshotOnClose?: boolean;
  readonly migrationsDir?: URL | string;
  /** sql.js only: leave the data folder untouched (see `StorageEngineOptions.readOnly`). */
  readonly readOnly?: boolean;
}

/** The sql.js engine behind the backend interface (a thin adapter, no behaviour of its own). */
export function sqlJsBackend(engine: StorageEngine, dataDir: string): StorageBackend {
  return {
    kind: 'sqljs',
    location: dataDir,
    applyBatch: (requests) => engine.applyBatch(requests),
    health: () => ({ ...engine.health(), backend: 'sqljs', location: dataDir }),
    stats: () => engine.stats(),
    snapshotNow: () => engine.snapshotNow(),
    migrationStatus: () => engine.migrationStatus(),
    migrate: (target) => engine.migrate(target),
    close: () => engine.close(),
  };
}

/** The PostgreSQL engine behind the backend interface. */
export function postgresBackend(engine: PostgresEngine): StorageBackend {
  return {
    kind: 'postgres',
    location: engine.location,
    applyBatch: (requests) => engine.applyBatch(requests),
    health: () => ({
      ...engine.health(),
      backend: 'postgres',
      location: engine.location,
      journalBytes: 0,
      generation: 0,
      snapshotInFlight: false,
    }),
    stats: () => engine.stats(),
    snapshotNow: async () => undefined,
    migrationStatus: () => engine.migrationStatus(),
    migrate: (target) => engine.migrate(target),
    close: () => engine.close(),
  };
}

/**
 * Opens the backend `options.url` selects.
 *
 * @example
 * const backend = await openStorageBackend({ dataDir: './data', url: process.env.AVIARY_STORAGE_URL });
 * const [outcome] = await backend.applyBatch([{ type: 'profile.list' }]);
 */
export async function openStorageBackend(options: OpenBackendOptions): Promise<StorageBackend> {
  const common = {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.autoMigrate === undefined ? {} : { autoMigrate: options.autoMigrate }),
    ...(options.migrationsDir === undefined ? {} : { migrationsDir: options.migrationsDir }),
  };
  if (isPostgresUrl(options.url)) {
    // Loaded only when asked for: the PostgreSQL client costs start-up time to every sql.js store.
    const { PostgresEngine } = await import('./postgres/pg-engine.js');
    return postgresBackend(await PostgresEngine.open({ url: options.url, ...common }));
  }
  const engine = await StorageEngine.open({
    dataDir: options.dataDir,
    ...common,
    ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
    ...(options.snapshotOnClose === undefined ? {} : { snapshotOnClose: options.snapshotOnClose }),
    ...(options.readOnly === true ? { readOnly: true } : {}),
  });
  return sqlJsBackend(engine, options.dataDir);
}
