/**
 * The storage engine: a pure, thread-agnostic owner of one sql.js database with a redo journal
 * and snapshots. The StorageActor wrapper calls {@link StorageEngine.applyBatch} with whatever
 * it drained from its mailbox (group commit: one transaction, one journal record, one fsync).
 */
import { join } from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import type { Clock } from '../actors/clock.js';
import { systemClock } from '../actors/clock.js';
import { AviaryError, serializeError } from '../errors.js';
import { type BatchOptions, executeBatch, runRequest } from './batch-execution.js';
import { type FsOps, nodeFsOps } from './fs-ops.js';
import type { HandlerContext } from './handler-context.js';
import { JOURNAL_EXTENT, Journal, type RecordedStatement } from './journal.js';
import { type Manifest, writeManifest } from './manifest.js';
import { isWrite, type StorageOutcome, type StorageRequest } from './messages.js';
import {
  appliedVersions,
  loadMigrations,
  type MigrationInfo,
  type MigrationResult,
  migrateTo,
} from './migrator.js';
import { type RecoveryReport, recover } from './recover.js';
import { journalName, listDataDir, snapshotName, writeSnapshot } from './snapshot-files.js';
import { loadSqlJs, type SqlDatabase } from './sql-database.js';
import { type StorageLog, silentLog } from './storage-log.js';
import { EngineStats, type StorageStats } from './storage-stats.js';

export interface StorageEngineOptions {
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly log?: StorageLog;
  /** Snapshot when the journal passes `maxJournalBytes` (64 MiB) or `maxIntervalMs` (10 min) passed. */
  readonly snapshot?: { readonly maxJournalBytes?: number; readonly maxIntervalMs?: number };
  /** Migrate to the newest revision at start-up (default true). */
  readonly autoMigrate?: boolean;
  /** Write a final snapshot on close (default true). */
  readonly snapshotOnClose?: boolean;
  /** Filesystem seam (tests inject failures). */
  readonly fs?: FsOps;
  readonly migrationsDir?: URL | string;
  readonly sqlJs?: SqlJsStatic;
  /**
   * `aviary db recover`: start from snapshot `from` (default: the newest that verifies)
   * instead of refusing, salvage the journals, and write a fresh snapshot and manifest.
   */
  readonly recovery?: { readonly from?: number };
  /**
   * Keep the database in a file of sql.js's emulated file system, as earlier versions did:
   * every commit then copies its pages into that file. Only the storage benchmark's baseline
   * uses it; the default keeps the database in memory (durability is the journal's).
   */
  readonly databaseInFile?: boolean;
  /**
   * Consecutive `history.add`s of a batch as one multi-row insert (default true). `false` runs
   * them one by one, as earlier versions did: only the storage benchmark's baseline uses it.
   */
  readonly groupHistoryAdds?: boolean;
  /**
   * Run a write batch's final full-text catch-up while its journal record is being
   * fdatasync'ed (default true), instead of before the record is written. `false` is the
   * earlier order: only the storage benchmark's baseline uses it.
   */
  readonly catchUpWhileSyncing?: boolean;
  /**
   * Grow the journal in preallocated extents of zeros (default true, see journal.ts). `false`
   * grows it by each record, as earlier versions did: only the storage benchmark's baseline.
   */
  readonly preallocateJournal?: boolean;
  /**
   * Read-only use of the folder (the CLI's offline read commands): writes still apply to the
   * in-memory database, so start-up steps work, but nothing reaches the disk — no journal
   * record, no snapshot (periodic, after a migration or at close), no manifest change.
   */
  readonly readOnly?: boolean;
}

/** Runs planned catch-up statements in order (unrecorded: the caller journals them). */
function runCatchUp(db: SqlDatabase, statements: readonly RecordedStatement[]): void {
  for (const [sql, params] of statements) db.run(sql, params);
}

/** Every request of a batch failed by one of the engine's own steps. */
function failBatch(requests: readonly StorageRequest[], cause: unknown): StorageOutcome[] {
  const error = serializeError(
    new AviaryError('storage.batch-failed', 'storage batch failed and was rolled back', { cause }),
  );
  return requests.map(() => ({ ok: false, error }));
}

export interface StorageHealth {
  readonly ok: boolean;
  readonly reason?: string;
  readonly journalBytes: number;
  readonly generation: number;
  readonly lastSnapshotAt?: number;
  readonly snapshotInFlight: boolean;
}

/**
 * @example
 * const engine = await StorageEngine.open({ dataDir: './data' });
 * const [outcome] = await engine.applyBatch([{ type: 'profile.list' }]);
 */
export class StorageEngine {
  readonly #dir: string;
  readonly #fs: FsOps;
  readonly #clock: Clock;
  readonly #log: StorageLog;
  readonly #db: SqlDatabase;
  readonly #migrations: MigrationInfo[];
  readonly #maxJournalBytes: number;
  readonly #maxIntervalMs: number;
  readonly #snapshotOnClose: boolean;
  readonly #readOnly: boolean;
  readonly #ctx: HandlerContext;
  readonly #batchOptions: BatchOptions;
  readonly #journalExtent: number;
  readonly #stats = new EngineStats();
  readonly #recoveryReport: RecoveryReport;
  #journal: Journal;
  #manifest: Manifest;
  #generation: number;
  #seq: number;
  #chain: Promise<unknown> = Promise.resolve();
  #snapshotting: Promise<void> | undefined;
  #snapshotQueued = false;
  #lastSnapshotAt: number | undefined;
  #snapshotClockStart: number;
  #failure: string | undefined;
  /** Set when a durable record could not be applied in memory: writes are refused. */
  #diverged: AviaryError | undefined;
  #closed = false;

  private constructor(init: {
    options: StorageEngineOptions;
    fs: FsOps;
    clock: Clock;
    log: StorageLog;
    db: SqlDatabase;
    migrations: MigrationInfo[];
    journal: Journal;
    generation: number;
    seq: number;
    manifest: Manifest;
    report: RecoveryReport;
  }) {
    this.#dir = init.options.dataDir;
    this.#fs = init.fs;
    this.#clock = init.clock;
    this.#log = init.log;
    this.#db = init.db;
    this.#migrations = init.migrations;
    this.#journal = init.journal;
    this.#manifest = init.manifest;
    this.#recoveryReport = init.report;
    this.#generation = init.generation;
    this.#seq = init.seq;
    this.#maxJournalBytes = init.options.snapshot?.maxJournalBytes ?? 64 * 1024 * 1024;
    this.#maxIntervalMs = init.options.snapshot?.maxIntervalMs ?? 10 * 60 * 1000;
    this.#readOnly = init.options.readOnly === true;
    this.#snapshotOnClose = !this.#readOnly && (init.options.snapshotOnClose ?? true);
    this.#snapshotClockStart = init.clock.now();
    this.#ctx = { db: init.db, now: () => init.clock.now() / 1000 };
    this.#journalExtent = init.options.preallocateJournal === false ? 0 : JOURNAL_EXTENT;
    init.journal.setExtent(this.#journalExtent);
    this.#batchOptions = {
      ...(init.options.groupHistoryAdds === undefined
        ? {}
        : { groupHistoryAdds: init.options.groupHistoryAdds }),
      deferFinalCatchUp: init.options.catchUpWhileSyncing ?? true,
    };
  }

  /** Loads the newest snapshot, replays the journals after it and (by default) migrates. */
  static async open(options: StorageEngineOptions): Promise<StorageEngine> {
    const fs = options.fs ?? nodeFsOps;
    const clock = options.clock ?? systemClock;
    const log = options.log ?? silentLog;
    const sql = options.sqlJs ?? (await loadSqlJs());
    const recovered = await recover({
      fs,
      dir: options.dataDir,
      sql,
      clock,
      log,
      ...(options.recovery === undefined ? {} : { recovery: options.recovery }),
      ...(options.databaseInFile === undefined ? {} : { databaseInFile: options.databaseInFile }),
    });
    const { db, journal, generation, seq, manifest, report } = recovered;
    if (journal === undefined) throw new Error('recovery opened no journal');
    const migrations = await loadMigrations(options.migrationsDir);
    const engine = new StorageEngine({
      options,
      fs,
      clock,
      log,
      db,
      migrations,
      journal,
      generation,
      seq,
      manifest,
      report,
    });
    if (recovered.needsSnapshot && options.readOnly !== true) {
      // A legacy folder gets its first headered snapshot and manifest; a recovery makes its
      // outcome the new current state, so that the next start is a normal one.
      const before = engine.#manifest.snapshot?.generation;
      try {
        await engine.snapshotNow();
      } catch (error) {
        await engine.close();
        throw error;
      }
      const after = engine.#manifest.snapshot?.generation;
      if (after === undefined || after === before) {
        await engine.close();
        throw new AviaryError('storage.snapshot-failed', 'cannot write the first snapshot');
      }
    }
    if (options.autoMigrate ?? true) {
      const results = await engine.migrate();
      const failed = results.find((r) => r.status === 'Error');
      if (failed !== undefined) {
        await engine.close();
        throw new AviaryError(
          'storage.migration-failed',
          `migration ${failed.name} failed: ${failed.error}`,
          { details: { results } },
        );
      }
    }
    return engine;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task, task);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies a drained batch: every write in ONE transaction (each in its own savepoint, so one
   * bad request fails alone), one journal record, one fdatasync, then one outcome per request
   * in order. If the record cannot be made durable, the transaction is rolled back, every
   * write of the batch fails with `storage.journal-write-failed` and health turns red.
   */
  applyBatch(requests: readonly StorageRequest[]): Promise<StorageOutcome[]> {
    if (this.#closed)
      return Promise.reject(new AviaryError('storage.closed', 'storage engine is closed'));
    return this.#serial(() => this.#apply(requests));
  }

  #run(request: StorageRequest): StorageOutcome {
    return runRequest(this.#ctx, request);
  }

  async #apply(requests: readonly StorageRequest[]): Promise<StorageOutcome[]> {
    const started = performance.now();
    const writes = requests.map((r) => typeof r === 'object' && r !== null && isWrite(r));
    if (!writes.includes(true)) return requests.map((r) => this.#run(r));
    if (this.#diverged !== undefined) {
      // The database lacks a record the journal holds: no write may build on it (see below).
      const refused = { ok: false as const, error: serializeError(this.#diverged) };
      return requests.map((r, i) => (writes[i] ? refused : this.#run(r)));
    }
    const { outcomes, recorded, readsAfterWrite, catchUp } = executeBatch({
      db: this.#db,
      ctx: this.#ctx,
      requests,
      options: this.#batchOptions,
    });
    if (outcomes[0]?.ok === false && outcomes[0].error.code === 'storage.batch-failed') {
      this.#log('error', 'storage: batch failed, rolled back', {
        error: outcomes[0].error.cause?.message,
      });
      return outcomes;
    }
    if (recorded.length === 0 || this.#readOnly) {
      // Read-only: the change lives in memory for this run and is never journaled.
      try {
        runCatchUp(this.#db, catchUp);
      } catch (cause) {
        this.#db.exec('ROLLBACK');
        return failBatch(requests, cause);
      }
      this.#db.exec('COMMIT');
      return outcomes;
    }
    // The record is the batch's statements followed by its catch-up, as if the catch-up had run
    // last in the batch; the catch-up itself runs while the record's fdatasync is in flight,
    // inside the still-open transaction, so the index is complete before the commit and any
    // later read (search sees every acknowledged row).
    let catchUpError: unknown;
    const whileSyncing = () => {
      const catchUpStarted = performance.now();
      try {
        runCatchUp(this.#db, catchUp);
      } catch (error) {
        catchUpError = error ?? new Error('catch-up failed');
      }
      this.#stats.recordWhileSyncing(performance.now() - catchUpStarted);
    };
    try {
      await this.#journal.append(
        {
          seq: this.#seq + 1,
          statements: catchUp.length === 0 ? recorded : [...recorded, ...catchUp],
        },
        catchUp.length === 0 ? undefined : whileSyncing,
      );
    } catch (error) {
      this.#db.exec('ROLLBACK');
      this.#failure =
        error instanceof Error
          ? `${error.message}: ${String((error.cause as Error)?.message ?? '')}`
          : String(error);
      this.#log('error', 'storage: batch not durable, rolled back', {
        reason: this.#failure,
        requests: requests.length,
      });
      const failed = { ok: false as const, error: serializeError(error) };
      for (const i of readsAfterWrite) outcomes[i] = this.#run(requests[i] as StorageRequest);
      return outcomes.map((o, i) => (writes[i] && o.ok ? failed : o));
    }
    if (catchUpError !== undefined) {
      // The record is durable but the database could not apply all of it: roll back, fail the
      // batch (its writes come back when a restart replays the journal) and refuse every later
      // write until then, since the journal would no longer replay to this database's state.
      this.#db.exec('ROLLBACK');
      const failed = failBatch(requests, catchUpError);
      this.#diverged = new AviaryError(
        'storage.batch-failed',
        'storage refused the write: the full-text index could not follow a journaled batch; restart to replay the journal',
        { cause: catchUpError },
      );
      this.#failure = this.#diverged.message;
      this.#log('error', 'storage: journaled batch not applied, writes refused until restart', {
        error: String(catchUpError),
      });
      return failed;
    }
    this.#db.exec('COMMIT');
    this.#seq += 1;
    if (this.#failure !== undefined) {
      this.#log('info', 'storage: journal writable again', { previous: this.#failure });
      this.#failure = undefined;
    }
    this.#stats.recordBatch(
      requests.length,
      writes.filter(Boolean).length,
      performance.now() - started,
    );
    if (this.#snapshotDue()) {
      // The batch is durable already: its replies do not wait for the export. The snapshot
      // starts as the next serial task, so it still cuts between two batches.
      this.#snapshotQueued = true;
      void this.#serial(async () => {
        this.#snapshotQueued = false;
        if (!this.#closed) await this.#beginSnapshot();
      });
    }
    return outcomes;
  }

  #snapshotDue(): boolean {
    if (this.#diverged !== undefined) return false;
    if (this.#snapshotting !== undefined || this.#snapshotQueued) return false;
    const since = this.#clock.now() - (this.#lastSnapshotAt ?? this.#snapshotClockStart);
    return (
      this.#journal.size >= this.#maxJournalBytes ||
      (this.#journal.size > 0 && since >= this.#maxIntervalMs)
    );
  }

  /**
   * Cuts a snapshot at the current journal position: exports (synchronously, between batches),
   * switches to a new journal generation (recorded in the manifest first, so that start-up
   * knows the journal must exist), then writes the image in the background while batches go
   * on into the new journal. The manifest names the new snapshot only once it is read back and
   * verified; the snapshot before it is kept (with its journals) as the fallback.
   */
  async #beginSnapshot(): Promise<void> {
    // A diverged database is not what the journal says: its image must never become current.
    if (this.#readOnly || this.#diverged !== undefined) return;
    const exportStarted = performance.now();
    const image = this.#db.export();
    const seq = this.#seq;
    const gen = this.#generation + 1;
    let opened: Journal | undefined;
    try {
      opened = (
        await Journal.open({
          fs: this.#fs,
          path: join(this.#dir, journalName(gen)),
          log: this.#log,
        })
      ).journal;
      opened.setExtent(this.#journalExtent);
      await this.#fs.syncDir(this.#dir);
      // The journal being closed takes no more appends: its size is sealed in the manifest.
      const manifest: Manifest = {
        ...this.#manifest,
        journal: gen,
        sealed: [
          ...this.#manifest.sealed.filter((j) => j.generation !== this.#generation),
          { generation: this.#generation, bytes: this.#journal.size },
        ],
      };
      await writeManifest(this.#fs, this.#dir, manifest);
      this.#manifest = manifest;
    } catch (error) {
      await opened?.close().catch(() => undefined);
      this.#log('error', 'storage: snapshot not started; journal kept', {
        generation: gen,
        error: String(error),
      });
      return;
    }
    const previous = this.#journal;
    this.#journal = opened;
    this.#generation = gen;
    await previous.close();
    const pauseMs = performance.now() - exportStarted;
    this.#snapshotting = this.#writeSnapshot(gen, image, seq, pauseMs).finally(() => {
      this.#snapshotting = undefined;
    });
  }

  async #writeSnapshot(
    gen: number,
    image: Uint8Array,
    seq: number,
    pauseMs: number,
  ): Promise<void> {
    const writeStarted = performance.now();
    try {
      const ref = await writeSnapshot(this.#fs, this.#dir, gen, image, seq);
      const previous = this.#manifest.snapshot;
      const keepFrom = previous?.generation ?? gen;
      const manifest: Manifest = {
        snapshot: ref,
        previous,
        journal: this.#generation,
        sealed: this.#manifest.sealed.filter((j) => j.generation >= keepFrom),
      };
      await writeManifest(this.#fs, this.#dir, manifest);
      this.#manifest = manifest;
      await this.#dropOlderThan(keepFrom);
      this.#lastSnapshotAt = this.#clock.now();
      this.#stats.recordSnapshot(image.length, pauseMs, performance.now() - writeStarted);
      this.#log('info', 'storage: snapshot written', {
        generation: gen,
        bytes: image.length,
        pauseMs,
      });
    } catch (error) {
      if ((error as AviaryError).code === 'storage.snapshot-corrupt') {
        // Renamed into place but not what was written: never leave it looking current.
        await this.#fs.unlink(join(this.#dir, snapshotName(gen))).catch(() => undefined);
      }
      this.#log('error', 'storage: snapshot failed; journals kept', {
        generation: gen,
        error: String(error),
      });
    }
  }

  /** Deletes snapshots and journals older than `keepFrom` (the fallback snapshot's generation). */
  async #dropOlderThan(keepFrom: number): Promise<void> {
    const listing = await listDataDir(this.#fs, this.#dir);
    for (const g of listing.journals.filter((g) => g < keepFrom))
      await this.#fs.unlink(join(this.#dir, journalName(g)));
    for (const g of listing.snapshots.filter((g) => g < keepFrom))
      await this.#fs.unlink(join(this.#dir, snapshotName(g)));
    await this.#fs.syncDir(this.#dir);
  }

  /**
   * Writes a snapshot now and waits until it is durable. Batches are held only for the export
   * and the journal switch; they go on while the image is written.
   */
  async snapshotNow(): Promise<void> {
    // Wrapped in an object: an async function returning a promise would adopt (await) it.
    const { writing } = await this.#serial(async () => {
      await this.#snapshotting;
      await this.#beginSnapshot();
      return { writing: this.#snapshotting };
    });
    await writing;
  }

  /** Versions applied and known migrations. */
  migrationStatus(): Promise<{
    applied: number[];
    migrations: { version: number; name: string }[];
  }> {
    return this.#serial(async () => ({
      applied: appliedVersions(this.#db),
      migrations: this.#migrations.map((m) => ({ version: m.version, name: m.name })),
    }));
  }

  /** Migrates to `target` (default newest); successful steps are made durable by a snapshot. */
  migrate(target?: number): Promise<MigrationResult[]> {
    return this.#serial(async () => {
      await this.#snapshotting;
      const results = await migrateTo({
        db: this.#db,
        migrations: this.#migrations,
        log: this.#log,
        now: () => this.#clock.now(),
        ...(target === undefined ? {} : { target }),
      });
      if (results.some((r) => r.status === 'Success')) {
        await this.#beginSnapshot();
        await this.#snapshotting;
      }
      return results;
    });
  }

  /** What start-up recovery found: loaded snapshot, replayed journals, dropped records, notes. */
  recoveryReport(): RecoveryReport {
    return this.#recoveryReport;
  }

  health(): StorageHealth {
    return {
      ok: this.#failure === undefined,
      ...(this.#failure === undefined ? {} : { reason: this.#failure }),
      journalBytes: this.#journal.size,
      generation: this.#generation,
      ...(this.#lastSnapshotAt === undefined ? {} : { lastSnapshotAt: this.#lastSnapshotAt }),
      snapshotInFlight: this.#snapshotting !== undefined,
    };
  }

  /** Batch sizes, commit latency and snapshot figures, for metrics. */
  stats(): StorageStats {
    return this.#stats.snapshot();
  }

  /** Waits for pending work, writes a final snapshot (unless disabled) and releases files. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const done = this.#serial(async () => {
      await this.#snapshotting;
      if (this.#snapshotOnClose && this.#journal.size > 0 && this.#failure === undefined) {
        await this.#beginSnapshot();
        await this.#snapshotting;
      }
      await this.#journal.close();
      this.#db.close();
    });
    this.#closed = true;
    return done;
  }
}
