/**
 * Bulk full-text indexing of rows added since the last catch-up (see migration
 * 0002_full_text). The engine calls it once per write batch (and before a read that follows
 * writes in the same batch), inside the batch transaction; its statements are recorded like
 * any write, so journal replay rebuilds the same index.
 */
import type { RecordedStatement, SqlValue } from './journal.js';
import type { SqlAccess } from './sql-database.js';

const TARGETS = [
  { table: 'pubsub_items', fts: 'pubsub_items_fts', column: 'data', text: 'xml_text' },
  { table: 'message', fts: 'message_fts', column: 'message', text: '' },
] as const;

type Target = (typeof TARGETS)[number];

/** Indexes the rows of `target` with `indexed < id <= top` (bound in that order). */
const insertSql = ({ table, fts, column, text }: Target) =>
  `INSERT INTO ${fts} (docid, ${column}) SELECT id, ${text}(${column}) FROM ${table} WHERE id > ? AND id <= ?`;
const WATERMARK_SQL = 'UPDATE fts_watermark SET value = ? WHERE name = ?';

/** Indexes rows above each table's watermark; a no-op (and records nothing) when up to date. */
export function indexPending(db: SqlAccess): void {
  for (const [sql, params] of catchUpStatements(db)) db.run(sql, params);
}

/**
 * The statements {@link indexPending} would run now, without running them: per table with new
 * rows, the bulk insert of `(indexed, top]` and the watermark update to `top`. The tables do
 * not depend on each other, so planning both before running either gives the same statements.
 * Run in order (and recorded) they index exactly what `indexPending` would.
 */
export function catchUpStatements(db: SqlAccess): RecordedStatement[] {
  if (!hasWatermarks(db)) return [];
  const statements: RecordedStatement[] = [];
  for (const target of TARGETS) {
    const row = db.get(
      `SELECT w.value AS indexed, (SELECT max(id) FROM ${target.table}) AS top FROM fts_watermark w WHERE w.name = ?`,
      [target.table],
    );
    if (row === undefined || row.top === null || Number(row.top) <= Number(row.indexed)) continue;
    const indexed = Number(row.indexed);
    const top = Number(row.top);
    statements.push([insertSql(target), [indexed, top]]);
    statements.push([WATERMARK_SQL, [top, target.table]]);
  }
  return statements;
}

/** Per database: the schema version at which `fts_watermark` was last seen to exist. */
const watermarksSeenAt = new WeakMap<SqlAccess, number>();

/**
 * Whether the full-text tables exist (migration 0002 and later). A scan of `sqlite_master`
 * costs about as much as a small insert, so a positive answer is kept until the schema
 * changes (SQLite bumps `schema_version` on every schema change, and a rollback restores it).
 */
function hasWatermarks(db: SqlAccess): boolean {
  const version = Number(db.get('PRAGMA schema_version')?.schema_version);
  if (watermarksSeenAt.get(db) === version) return true;
  const exists =
    db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'fts_watermark'") !==
    undefined;
  if (exists) watermarksSeenAt.set(db, version);
  else watermarksSeenAt.delete(db);
  return exists;
}

const TARGET_OF_INSERT = new Map(TARGETS.map((target) => [insertSql(target), target]));
/** A statement that reads or writes a full-text table or the watermarks itself. */
const TOUCHES_INDEX = /_fts\b|fts_watermark/;

interface Pending {
  readonly target: Target;
  readonly from: number;
  to: number;
  watermark: SqlValue | undefined;
}

/**
 * Journal replay with the catch-ups of many records done as one: each record holds the
 * catch-up of its batch (one FTS4 segment each, merged again and again by later ones); here
 * the catch-up statements are held back and run once, over the union of their ranges, when
 * {@link flush} is called or before any statement that touches a full-text table or the
 * watermarks.
 *
 * Same index content: while a catch-up is held back, the watermark stays where it was, so the
 * update and delete triggers leave the held-back rows alone (as they do for any row above the
 * watermark), and the one catch-up indexes every held-back row that still exists with its
 * final text, which is what the per-record catch-ups and the triggers produced. Ids are
 * AUTOINCREMENT: no row enters a range after its catch-up was recorded.
 */
export class DeferredCatchUp {
  readonly #db: SqlAccess;
  readonly #pending = new Map<string, Pending>();

  constructor(db: SqlAccess) {
    this.#db = db;
  }

  /** Runs a record's statements, holding back its catch-up. */
  replay(statements: readonly RecordedStatement[]): void {
    for (const [sql, params] of statements) {
      if (this.#holdBack(sql, params)) continue;
      if (this.#pending.size > 0 && TOUCHES_INDEX.test(sql)) this.flush();
      this.#db.run(sql, params);
    }
  }

  /** Runs the held-back catch-ups: one insert per table, then its last watermark. */
  flush(): void {
    for (const pending of this.#pending.values()) {
      this.#db.run(insertSql(pending.target), [pending.from, pending.to]);
      if (pending.watermark !== undefined)
        this.#db.run(WATERMARK_SQL, [pending.watermark, pending.target.table]);
    }
    this.#pending.clear();
  }

  #holdBack(sql: string, params: readonly SqlValue[]): boolean {
    const target = TARGET_OF_INSERT.get(sql);
    if (target !== undefined) {
      const [from, to] = params;
      if (typeof from !== 'number' || typeof to !== 'number') return false;
      const pending = this.#pending.get(target.table);
      if (pending !== undefined && pending.to === from) {
        pending.to = to;
        return true;
      }
      // Not contiguous with what is held back (never written so): keep the order exact.
      if (pending !== undefined) this.flush();
      this.#pending.set(target.table, { target, from, to, watermark: undefined });
      return true;
    }
    if (sql === WATERMARK_SQL) {
      const pending = this.#pending.get(String(params[1]));
      if (pending === undefined) return false;
      pending.watermark = params[0];
      return true;
    }
    return false;
  }
}
