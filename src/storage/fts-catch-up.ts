/**
 * Bulk full-text indexing of rows added since the last catch-up (see migration
 * 0002_full_text). The engine calls it once per write batch (and before a read that follows
 * writes in the same batch), inside the batch transaction; its statements are recorded like
 * any write, so journal replay rebuilds the same index.
 */
import type { SqlAccess } from './sql-database.js';

const TARGETS = [
  { table: 'pubsub_items', fts: 'pubsub_items_fts', column: 'data', text: 'xml_text' },
  { table: 'message', fts: 'message_fts', column: 'message', text: '' },
] as const;

/** Indexes rows above each table's watermark; a no-op (and records nothing) when up to date. */
export function indexPending(db: SqlAccess): void {
  if (
    db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'fts_watermark'") ===
    undefined
  ) {
    return;
  }
  for (const { table, fts, column, text } of TARGETS) {
    const row = db.get(
      `SELECT w.value AS indexed, (SELECT max(id) FROM ${table}) AS top FROM fts_watermark w WHERE w.name = ?`,
      [table],
    );
    if (row === undefined || row.top === null || Number(row.top) <= Number(row.indexed)) continue;
    const indexed = Number(row.indexed);
    const top = Number(row.top);
    db.run(
      `INSERT INTO ${fts} (docid, ${column}) SELECT id, ${text}(${column}) FROM ${table} WHERE id > ? AND id <= ?`,
      [indexed, top],
    );
    db.run('UPDATE fts_watermark SET value = ? WHERE name = ?', [top, table]);
  }
}
