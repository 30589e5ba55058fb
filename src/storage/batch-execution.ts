/**
 * Runs a drained batch inside one open transaction (the engine commits or rolls back after
 * journaling). Each write runs in its own savepoint, so one bad request fails alone and
 * leaves no statement in the batch's journal record. Reads run in order and see the writes
 * before them; new rows are full-text indexed before such a read and at the end.
 */
import { AviaryError, serializeError } from '../errors.js';
import { dispatch } from './dispatch.js';
import { indexPending } from './fts-catch-up.js';
import type { HandlerContext } from './handler-context.js';
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

export interface ExecutedBatch {
  readonly outcomes: StorageOutcome[];
  /** Which requests write. */
  readonly writes: readonly boolean[];
  /** Write statements of the successful writes, in order: the journal record. */
  readonly recorded: readonly RecordedStatement[];
  /** Reads that saw this batch's writes (re-run if the batch is rolled back). */
  readonly readsAfterWrite: readonly number[];
}

/**
 * Executes `requests` after `BEGIN`; the transaction is left open on success. If one of the
 * engine's own steps fails, it rolls back and fails every request with `storage.batch-failed`.
 */
export function executeBatch(deps: {
  db: SqlDatabase;
  ctx: HandlerContext;
  requests: readonly StorageRequest[];
}): ExecutedBatch {
  const { db, ctx, requests } = deps;
  const writes = requests.map((r) => typeof r === 'object' && r !== null && isWrite(r));
  const outcomes: StorageOutcome[] = [];
  const readsAfterWrite: number[] = [];
  db.exec('BEGIN');
  const recorded = db.startRecording();
  let indexedAt = 0;
  try {
    requests.forEach((request, i) => {
      if (!writes[i]) {
        if (recorded.length > indexedAt) {
          indexPending(db);
          indexedAt = recorded.length;
        }
        if (recorded.length > 0) readsAfterWrite.push(i);
        outcomes.push(runRequest(ctx, request));
        return;
      }
      const mark = recorded.length;
      db.control('SAVEPOINT request');
      const outcome = runRequest(ctx, request);
      if (!outcome.ok) {
        db.control('ROLLBACK TO request');
        recorded.length = mark;
      }
      db.control('RELEASE request');
      outcomes.push(outcome);
    });
    if (recorded.length > indexedAt) indexPending(db);
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
    };
  } finally {
    db.stopRecording();
  }
  return { outcomes, writes, recorded, readsAfterWrite };
}
