/**
 * Runs a drained batch inside one open transaction (the engine commits or rolls back after
 * journaling). One bad write fails alone and leaves no row and no statement in the batch's
 * journal record, as if each write ran in its own savepoint (see {@link runWrites}). Reads run in order and see the writes
 * before them; new rows are full-text indexed before such a read and at the end.
 */
import { AviaryError, serializeError } from '../errors.js';
import { dispatch } from './dispatch.js';
import { catchUpStatements, indexPending } from './fts-catch-up.js';
import type { HandlerContext } from './handler-context.js';
import { addHistoryRun } from './history-batch.js';
import type { RecordedStatement } from './journal.js';
import { isWrite, type StorageOutcome, type StorageRequest } from './messages.js';
import type { SqlDatabase } from './sql-database.js';

/** Runs one request; every failure becomes an `ok: false` outcome. */
export function runRequest(ctx: HandlerContext, request: StorageRequest): StorageOutcome {
  try {
    return { ok: true, value: dispatch(ctx, request) };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

/** Runs one write in its own savepoint: a failure leaves neither rows nor recorded statements. */
function runWrite(
  db: SqlDatabase,
  ctx: HandlerContext,
  request: StorageRequest,
  recorded: RecordedStatement[],
): StorageOutcome {
  const mark = recorded.length;
  db.control('SAVEPOINT request');
  const outcome = runRequest(ctx, request);
  if (!outcome.ok) {
    db.control('ROLLBACK TO request');
    recorded.length = mark;
  }
  db.control('RELEASE request');
  return outcome;
}

/**
 * Runs consecutive writes. Optimistically all in ONE savepoint (a savepoint per request costs
 * about a tenth of a history append); if any of them fails, that savepoint is rolled back and
 * the run is redone one savepoint per request, so the outcomes are those of the one-by-one
 * path: a failed write leaves nothing, the others see exactly the writes before them.
 */
function runWrites(
  db: SqlDatabase,
  ctx: HandlerContext,
  run: readonly StorageRequest[],
  recorded: RecordedStatement[],
  options: BatchOptions,
): StorageOutcome[] {
  if (run.length === 1) return [runWrite(db, ctx, run[0] as StorageRequest, recorded)];
  const mark = recorded.length;
  db.control('SAVEPOINT grouped');
  const grouped = runGrouped(ctx, run, options);
  if (grouped.every((outcome) => outcome.ok)) {
    db.control('RELEASE grouped');
    return grouped;
  }
  db.control('ROLLBACK TO grouped');
  db.control('RELEASE grouped');
  recorded.length = mark;
  return run.map((request) => runWrite(db, ctx, request, recorded));
}

const isHistoryAdd = (request: StorageRequest | undefined): request is HistoryAdd =>
  typeof request === 'object' && request !== null && request.type === 'history.add';

type HistoryAdd = Extract<StorageRequest, { type: 'history.add' }>;

/**
 * The outcomes of a run of writes inside one savepoint: consecutive `history.add`s go as one
 * multi-row insert (see history-batch.ts), everything else one request at a time. A failing
 * multi-row statement fails its requests; the caller then redoes the run one by one.
 */
function runGrouped(
  ctx: HandlerContext,
  run: readonly StorageRequest[],
  options: BatchOptions,
): StorageOutcome[] {
  const outcomes: StorageOutcome[] = [];
  for (let i = 0; i < run.length; ) {
    let end = i;
    while (options.groupHistoryAdds !== false && isHistoryAdd(run[end])) end++;
    if (end - i >= 2) {
      const adds = run.slice(i, end) as HistoryAdd[];
      let grouped: StorageOutcome[] | undefined;
      try {
        grouped = addHistoryRun(ctx, adds);
      } catch (error) {
        const failed = { ok: false as const, error: serializeError(error) };
        grouped = adds.map(() => failed);
      }
      outcomes.push(...(grouped ?? adds.map((request) => runRequest(ctx, request))));
      i = end;
      continue;
    }
    outcomes.push(runRequest(ctx, run[i] as StorageRequest));
    i++;
  }
  return outcomes;
}

/** How a batch is executed (the default is what the engine uses). */
export interface BatchOptions {
  /**
   * Consecutive `history.add`s as one multi-row insert (default true). `false` runs them one
   * by one: only the storage benchmark's baseline uses it.
   */
  readonly groupHistoryAdds?: boolean;
  /**
   * Leave the batch's final full-text catch-up to the caller (the engine runs it while the
   * journal record is being fdatasync'ed): it is planned, not run, and returned in
   * {@link ExecutedBatch.catchUp}. Catch-ups before a read that follows writes still run in
   * place, so such reads see their batch's rows.
   */
  readonly deferFinalCatchUp?: boolean;
}

export interface ExecutedBatch {
  readonly outcomes: StorageOutcome[];
  /** Which requests write. */
  readonly writes: readonly boolean[];
  /** Write statements of the successful writes, in order: the journal record. */
  readonly recorded: readonly RecordedStatement[];
  /** Reads that saw this batch's writes (re-run if the batch is rolled back). */
  readonly readsAfterWrite: readonly number[];
  /**
   * With `deferFinalCatchUp`: the final catch-up's statements, NOT yet run nor in `recorded`.
   * The journal record is `recorded` followed by these; they must run before the commit.
   */
  readonly catchUp: readonly RecordedStatement[];
}

/**
 * Executes `requests` after `BEGIN`; the transaction is left open on success. If one of the
 * engine's own steps fails, it rolls back and fails every request with `storage.batch-failed`.
 */
export function executeBatch(deps: {
  db: SqlDatabase;
  ctx: HandlerContext;
  requests: readonly StorageRequest[];
  options?: BatchOptions;
}): ExecutedBatch {
  const { db, ctx, requests } = deps;
  const options = deps.options ?? {};
  const writes = requests.map((r) => typeof r === 'object' && r !== null && isWrite(r));
  const outcomes: StorageOutcome[] = [];
  const readsAfterWrite: number[] = [];
  db.exec('BEGIN');
  const recorded = db.startRecording();
  let indexedAt = 0;
  let catchUp: readonly RecordedStatement[] = [];
  try {
    for (let i = 0; i < requests.length; ) {
      if (!writes[i]) {
        if (recorded.length > indexedAt) {
          indexPending(db);
          indexedAt = recorded.length;
        }
        if (recorded.length > 0) readsAfterWrite.push(i);
        outcomes.push(runRequest(ctx, requests[i] as StorageRequest));
        i++;
        continue;
      }
      let end = i + 1;
      while (end < requests.length && writes[end]) end++;
      outcomes.push(...runWrites(db, ctx, requests.slice(i, end), recorded, options));
      i = end;
    }
    if (recorded.length > indexedAt) {
      if (options.deferFinalCatchUp === true) catchUp = catchUpStatements(db);
      else indexPending(db);
    }
  } catch (cause) {
    db.exec('ROLLBACK');
    const error = serializeError(
      new AviaryError('storage.batch-failed', 'storage batch failed and was rolled back', {
        cause,
      }),
    );
    return {
      outcomes: requests.map(() => ({ ok: false, error })),
      writes,
      recorded: [],
      readsAfterWrite: [],
      catchUp: [],
    };
  } finally {
    db.stopRecording();
  }
  return { outcomes, writes, recorded, readsAfterWrite, catchUp };
}
