/**
 * A run of consecutive `history.add`s as a few multi-row statements instead of two to four
 * statements per message plus a profile lookup each: one `INSERT … VALUES (…), (…)` per chunk
 * of rows (chunk sizes are powers of two, so a handful of statement texts stay prepared), for
 * the history rows and for their bodies, subjects and threads; each distinct profile is looked
 * up once.
 *
 * The outcome is exactly that of running the adds one by one (`addHistory`): the same rows,
 * the same ids in the same order, the same `added` flags (XEP-0359 de-duplication by uid, and
 * by (profile, sender, stanza id) or (profile, sender, origin id) through `INSERT OR IGNORE`).
 * Which rows were new is read from the rowids above the table's top before the insert (a
 * table without AUTOINCREMENT gives a new row max(rowid) + 1). What this path cannot reproduce
 * exactly it declines (`undefined`): the caller then runs the adds one by one.
 */
import { serializeError } from '../errors.js';
import {
  badArgument,
  type HandlerContext,
  parseJid,
  profileId,
  requireString,
} from './handler-context.js';
import { HISTORY_COLUMNS, historyValues } from './history.js';
import { checkType, langMap } from './history-arguments.js';
import type { SqlValue } from './journal.js';
import type { StorageOutcome, StorageRequest } from './messages.js';

type HistoryAdd = Extract<StorageRequest, { type: 'history.add' }>;

/** One validated add: the history columns in insert order, and its child rows. */
interface Row {
  readonly uid: string;
  /** uid, stanza_id, origin_id, profile_id, source, …, extra. */
  readonly columns: readonly SqlValue[];
  readonly messages: [string, string][];
  readonly subjects: [string, string][];
  readonly thread: readonly [string, string | null] | undefined;
}

/** Rows per multi-row statement: powers of two, so a handful of statement texts are cached. */
const CHUNKS = [64, 32, 16, 8, 4, 2, 1] as const;

/** `INSERT … VALUES (…), (…)` for `rows` rows of `tuple` (one placeholder list per row). */
function multiRow(head: string, tuple: string, rows: number): string {
  return `${head} VALUES ${Array.from({ length: rows }, () => tuple).join(',')}`;
}

/**
 * Runs `head` over `rows` in chunks of {@link CHUNKS}, binding each row's values in order;
 * returns the rows the statements changed (inserted: `INSERT OR IGNORE` skips duplicates).
 */
function insertChunked(
  ctx: HandlerContext,
  head: string,
  tuple: string,
  rows: readonly (readonly SqlValue[])[],
): number {
  let changed = 0;
  let at = 0;
  for (const size of CHUNKS) {
    while (rows.length - at >= size) {
      const params: SqlValue[] = [];
      for (let i = at; i < at + size; i++) params.push(...(rows[i] as readonly SqlValue[]));
      changed += ctx.db.run(multiRow(head, tuple, size), params).changes;
      at += size;
    }
  }
  return changed;
}

const optionalText = (value: unknown): value is string | undefined | null =>
  value === undefined || value === null || typeof value === 'string';

/** The same checks as `addHistory`, in the same order (so the same error comes first). */
function validate(req: HistoryAdd, profileOf: (name: unknown) => number): Row | 'decline' {
  const profile = profileOf(req.profile);
  const uid = requireString(req.uid, 'uid', 512);
  const from = parseJid(req.from, 'from');
  const to = parseJid(req.to, 'to');
  const type = checkType(req.messageType);
  const { timestamp, receivedTimestamp: received } = req;
  if (timestamp === undefined) throw badArgument('timestamp is required');
  // Anything but plain values is left to the one-by-one path and its own error.
  if (
    typeof timestamp !== 'number' ||
    !Number.isFinite(timestamp) ||
    !(received === undefined || (typeof received === 'number' && Number.isFinite(received))) ||
    !optionalText(req.stanzaId) ||
    !optionalText(req.originId) ||
    !optionalText(req.thread?.parentId)
  )
    return 'decline';
  const messages = langMap(req.messages, 'messages');
  const subjects = langMap(req.subjects, 'subjects');
  const thread =
    req.thread === undefined
      ? undefined
      : ([requireString(req.thread.id, 'thread.id'), req.thread.parentId ?? null] as const);
  return {
    uid,
    columns: historyValues(req, { uid, profile, from, to, timestamp, received, type }),
    messages,
    subjects,
    thread,
  };
}

/**
 * Adds `requests` (consecutive `history.add`s of one batch); one outcome per request, in
 * order. A request failing its checks fails alone and writes nothing. Returns `undefined`
 * when the run must go one by one instead: a uid repeated within the run (which of the
 * duplicates is stored would depend on the other unique keys) or a value of an unusual type.
 * A failing statement throws; the caller rolls the run back.
 */
export function addHistoryRun(
  ctx: HandlerContext,
  requests: readonly HistoryAdd[],
): StorageOutcome[] | undefined {
  const outcomes: (StorageOutcome | undefined)[] = [];
  const pending: { index: number; row: Row }[] = [];
  const uids = new Set<string>();
  // Each distinct profile is looked up once; an unknown one fails each of its requests.
  const profiles = new Map<string, number | Error>();
  const profileOf = (name: unknown): number => {
    const key = requireString(name, 'profile');
    let id = profiles.get(key);
    if (id === undefined) {
      try {
        id = profileId(ctx.db, key);
      } catch (error) {
        id = error as Error;
      }
      profiles.set(key, id);
    }
    if (typeof id !== 'number') throw id;
    return id;
  };
  for (const [index, req] of requests.entries()) {
    try {
      const row = validate(req, profileOf);
      if (row === 'decline' || uids.has(row.uid)) return undefined;
      uids.add(row.uid);
      outcomes.push(undefined);
      pending.push({ index, row });
    } catch (error) {
      outcomes.push({ ok: false, error: serializeError(error) });
    }
  }
  const added =
    pending.length === 0
      ? new Set<string>()
      : insertRows(
          ctx,
          pending.map((p) => p.row),
        );
  for (const { index, row } of pending) {
    outcomes[index] = { ok: true, value: { uid: row.uid, added: added.has(row.uid) } };
  }
  return outcomes as StorageOutcome[];
}

/** Inserts the rows and the children of those that were new; returns the new uids. */
function insertRows(ctx: HandlerContext, rows: readonly Row[]): Set<string> {
  const top = Number(ctx.db.get('SELECT max(rowid) AS top FROM history')?.top ?? 0);
  const inserted = insertChunked(
    ctx,
    `INSERT OR IGNORE INTO history (${HISTORY_COLUMNS})`,
    '(?,?,?,?,?,?,?,?,?,?,?,?)',
    rows.map((r) => r.columns),
  );
  // As many rows inserted as given (the statement's own changes, not its triggers'): every
  // uid is new, the common case, and reading them back is skipped. Otherwise some were
  // duplicates: the new ones are those above the old top.
  const added = new Set(
    inserted === rows.length
      ? rows.map((r) => r.uid)
      : ctx.db.all('SELECT uid FROM history WHERE rowid > ?', [top]).map((r) => String(r.uid)),
  );
  const fresh = rows.filter((r) => added.has(r.uid));
  insertChunked(
    ctx,
    'INSERT INTO message (history_uid, message, language)',
    '(?,CAST(? AS TEXT),?)',
    fresh.flatMap((r) => r.messages.map(([lang, text]) => [r.uid, text, lang])),
  );
  insertChunked(
    ctx,
    'INSERT INTO subject (history_uid, subject, language)',
    '(?,?,?)',
    fresh.flatMap((r) => r.subjects.map(([lang, text]) => [r.uid, text, lang])),
  );
  insertChunked(
    ctx,
    'INSERT INTO thread (history_uid, thread_id, parent_id)',
    '(?,?,?)',
    fresh.flatMap((r) => (r.thread === undefined ? [] : [[r.uid, ...r.thread]])),
  );
  return added;
}
