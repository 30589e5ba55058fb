/**
 * The PostgreSQL engine: serves the storage messages from a `pg` pool, inside the storage
 * actor's worker thread like the sql.js engine. Group commit is kept: one drained batch = one
 * transaction, outcomes only after COMMIT returned (`synchronous_commit = on`, so an
 * acknowledged write is durable on the server). Each request runs in a savepoint, so one bad
 * request fails alone; consecutive `history.add`s go as one multi-row insert.
 *
 * Connection loss (server restart, network) fails every request of the batch in flight with
 * `storage.unavailable` — never an acknowledgement, since COMMIT's fate is unknown — and turns
 * health red; the next batch (or health probe) reconnects through the pool and turns it green.
 */
import pg from 'pg';
import type { Clock } from '../../actors/clock.js';
import { systemClock } from '../../actors/clock.js';
import { checkFences, distinctFences } from '../../cluster/fence.js';
import { AviaryError, serializeError } from '../../errors.js';
import { isWrite, type StorageOutcome, type StorageRequest } from '../messages.js';
import { loadMigrations, type MigrationInfo, type MigrationResult } from '../migrator.js';
import { type StorageLog, silentLog } from '../storage-log.js';
import { EngineStats, type StorageStats } from '../storage-stats.js';
import type { PgContext } from './pg-access.js';
import { BatchSession } from './pg-batch-session.js';
import { pgDispatch } from './pg-dispatch.js';
import { isConnectionLoss, unavailable } from './pg-errors.js';
import { addHistoryBatch } from './pg-history.js';
import { pgAppliedVersions, pgMigrateTo } from './pg-migrator.js';
import { upsertItemsBatch } from './pg-pubsub-items.js';
import { redactUrl } from './pg-url.js';

export interface PostgresEngineOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  readonly clock?: Clock;
  readonly log?: StorageLog;
  /** Migrate to the newest revision at start-up (default true). */
  readonly autoMigrate?: boolean;
  readonly migrationsDir?: URL | string;
  /** Pool size (default 4: one batch writes at a time, reads of read-only batches share). */
  readonly poolSize?: number;
}

export interface PostgresHealth {
  readonly ok: boolean;
  readonly reason?: string;
}

/** Request types whose consecutive runs are written as one multi-row statement. */
type Grouped = Extract<StorageRequest, { type: 'history.add' | 'pubsub.items.upsert' }>;

/** int8 (COUNT, ids) as numbers: every id and count here stays below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * @example
 * const engine = await PostgresEngine.open({ url: 'postgres://aviary@127.0.0.1/aviary' });
 * const [outcome] = await engine.applyBatch([{ type: 'profile.list' }]);
 */
export class PostgresEngine {
  readonly #pool: pg.Pool;
  readonly #clock: Clock;
  readonly #log: StorageLog;
  readonly #migrations: MigrationInfo[];
  readonly #stats = new EngineStats();
  readonly location: string;
  #chain: Promise<unknown> = Promise.resolve();
  #failure: string | undefined;
  #probing = false;
  #closed = false;

  private constructor(init: {
    pool: pg.Pool;
    clock: Clock;
    log: StorageLog;
    migrations: MigrationInfo[];
    location: string;
  }) {
    this.#pool = init.pool;
    this.#clock = init.clock;
    this.#log = init.log;
    this.#migrations = init.migrations;
    this.location = init.location;
  }

  /** Connects (failing clearly when the server is unreachable) and, by default, migrates. */
  static async open(options: PostgresEngineOptions): Promise<PostgresEngine> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      types: TYPES,
      application_name: 'aviary',
      // An acknowledged write must be durable on the server, whatever the server default.
      options: '-c synchronous_commit=on',
    });
    // A client losing its server emits 'error' (the pool's event for idle clients, the
    // client's own while checked out); the query in flight rejects on its own and the pool
    // drops the client, so these events carry nothing more to handle.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const engine = new PostgresEngine({
      pool,
      clock: options.clock ?? systemClock,
      log: options.log ?? silentLog,
      migrations: await loadMigrations(options.migrationsDir),
      location: redactUrl(options.url),
    });
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end();
      throw new AviaryError(
        'storage.unavailable',
        `cannot reach PostgreSQL at ${engine.location}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
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

  /** One transaction for the batch; outcomes after COMMIT, in request order. */
  applyBatch(requests: readonly StorageRequest[]): Promise<StorageOutcome[]> {
    if (this.#closed)
      return Promise.reject(new AviaryError('storage.closed', 'storage engine is closed'));
    return this.#serial(() => this.#apply(requests));
  }

  async #apply(requests: readonly StorageRequest[]): Promise<StorageOutcome[]> {
    const started = performance.now();
    const writes = requests.map((r) => typeof r === 'object' && r !== null && isWrite(r));
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      return this.#lost(requests, error);
    }
    const session = new BatchSession(client);
    const ctx: PgContext = { db: session.db, now: () => this.#clock.now() / 1000 };
    const transactional = writes.includes(true);
    try {
      if (transactional) session.defer('BEGIN');
      const outcomes: StorageOutcome[] = [];
      for (let i = 0; i < requests.length; ) {
        const group = groupRun(requests, i);
        if (group.length > 1) {
          outcomes.push(...(await this.#group(session, ctx, group)));
          i += group.length;
          continue;
        }
        outcomes.push(await this.#one(session, ctx, requests[i] as StorageRequest, transactional));
        i += 1;
      }
      if (transactional) await session.control('COMMIT');
      client.release();
      this.#recovered();
      this.#stats.recordBatch(
        requests.length,
        writes.filter(Boolean).length,
        performance.now() - started,
      );
      return outcomes;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      if (isConnectionLoss(error)) return this.#lost(requests, error);
      this.#log('error', 'storage: batch failed, rolled back', { error: String(error) });
      const failed = serializeError(
        new AviaryError('storage.batch-failed', 'storage batch failed and was rolled back', {
          cause: error,
        }),
      );
      return requests.map(() => ({ ok: false, error: failed }));
    }
  }

  /** Runs one request (in a savepoint inside a write batch); a lost connection is rethrown. */
  async #one(
    session: BatchSession,
    ctx: PgContext,
    request: StorageRequest,
    inTransaction: boolean,
  ): Promise<StorageOutcome> {
    if (inTransaction) session.defer('SAVEPOINT request');
    try {
      // A cluster write is checked against its shard lease in this same transaction.
      if (inTransaction && request.fence !== undefined)
        await checkFences(session.db, [request.fence]);
      const value = await pgDispatch(ctx, request);
      if (inTransaction) session.defer('RELEASE SAVEPOINT request');
      return { ok: true, value };
    } catch (error) {
      if ((error as AviaryError).code === 'storage.unavailable' || isConnectionLoss(error))
        throw error;
      if (inTransaction) {
        await session.control('ROLLBACK TO SAVEPOINT request');
        session.defer('RELEASE SAVEPOINT request');
      }
      return { ok: false, error: serializeError(error) };
    }
  }

  /** A run of one grouped type as one multi-row write; otherwise (or on failure) one by one. */
  async #group(
    session: BatchSession,
    ctx: PgContext,
    group: readonly Grouped[],
  ): Promise<StorageOutcome[]> {
    session.defer('SAVEPOINT grouped');
    try {
      // Any stale lease sends the run one by one, where only its own writes are refused.
      await checkFences(session.db, distinctFences(group));
      const outcomes =
        group[0]?.type === 'history.add'
          ? await addHistoryBatch(ctx, group as Extract<Grouped, { type: 'history.add' }>[])
          : await upsertItemsBatch(
              ctx,
              group as Extract<Grouped, { type: 'pubsub.items.upsert' }>[],
            );
      if (outcomes !== null) {
        session.defer('RELEASE SAVEPOINT grouped');
        return outcomes;
      }
    } catch (error) {
      if (isConnectionLoss(error)) throw error;
    }
    await session.control('ROLLBACK TO SAVEPOINT grouped');
    session.defer('RELEASE SAVEPOINT grouped');
    const outcomes: StorageOutcome[] = [];
    for (const request of group) outcomes.push(await this.#one(session, ctx, request, true));
    return outcomes;
  }

  #lost(requests: readonly StorageRequest[], error: unknown): StorageOutcome[] {
    const failure = unavailable(error);
    if (this.#failure === undefined) {
      this.#log('error', 'storage: PostgreSQL unreachable; batch not stored', {
        reason: failure.message,
        requests: requests.length,
      });
    }
    this.#failure = failure.message;
    const outcome = { ok: false as const, error: serializeError(failure) };
    return requests.map(() => outcome);
  }

  #recovered(): void {
    if (this.#failure === undefined) return;
    this.#log('info', 'storage: PostgreSQL reachable again', { previous: this.#failure });
    this.#failure = undefined;
  }

  /** Health now; while red, each call also starts one probe (`SELECT 1`) to turn it green. */
  health(): PostgresHealth {
    if (this.#failure !== undefined && !this.#probing && !this.#closed) {
      this.#probing = true;
      this.#pool
        .query('SELECT 1')
        .then(
          () => this.#recovered(),
          () => undefined,
        )
        .finally(() => {
          this.#probing = false;
        });
    }
    return this.#failure === undefined ? { ok: true } : { ok: false, reason: this.#failure };
  }

  stats(): StorageStats {
    return this.#stats.snapshot();
  }

  #withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const client = await this.#pool.connect();
      try {
        return await fn(client);
      } finally {
        client.release();
      }
    });
  }

  migrationStatus(): Promise<{
    applied: number[];
    migrations: { version: number; name: string }[];
  }> {
    return this.#withClient(async (client) => ({
      applied: await pgAppliedVersions(client),
      migrations: this.#migrations.map((m) => ({ version: m.version, name: m.name })),
    }));
  }

  migrate(target?: number): Promise<MigrationResult[]> {
    return this.#withClient((client) =>
      pgMigrateTo({
        client,
        migrations: this.#migrations,
        log: this.#log,
        now: () => this.#clock.now(),
        ...(target === undefined ? {} : { target }),
      }),
    );
  }

  /** Waits for the batch in flight and closes the pool. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#serial(() => this.#pool.end());
  }
}

/** The run of consecutive requests of one grouped type starting at `start` (maybe empty). */
function groupRun(requests: readonly StorageRequest[], start: number): Grouped[] {
  const first = requests[start];
  const type = typeof first === 'object' && first !== null ? first.type : undefined;
  if (type !== 'history.add' && type !== 'pubsub.items.upsert') return [];
  const run: Grouped[] = [];
  for (let i = start; i < requests.length; i++) {
    const request = requests[i];
    if (typeof request !== 'object' || request === null || request.type !== type) break;
    run.push(request as Grouped);
  }
  return run;
}
