/**
 * Full-text search (sql.js has FTS3/FTS4, not FTS5): FTS4 external-content tables over
 * pubsub item text and history bodies; ranking uses the registered
 * `bm25(matchinfo(t, 'pcnalx'))`. See https://www.sqlite.org/fts3.html#_external_content_fts4_tables_
 *
 * Item text is `xml_text(data)` (a function the engine registers), read through the view
 * `pubsub_items_text`, so deletes remove exactly the tokens that were indexed.
 *
 * New rows are indexed in bulk once per write batch (`fts-catch-up.ts`), not by a per-row
 * trigger (3x cheaper inserts): `fts_watermark` holds the highest indexed id per table (ids
 * are AUTOINCREMENT, never reused). Update and delete triggers act only on rows at or below
 * the watermark; rows above it are indexed with their final text by the next catch-up.
 */
import type { MigrationDb } from '../src/storage/migrator.js';

const tables = [
  { table: 'pubsub_items', fts: 'pubsub_items_fts', column: 'data', text: 'xml_text' },
  { table: 'message', fts: 'message_fts', column: 'message', text: '' },
] as const;

export function up(db: MigrationDb): void {
  db.exec(`
CREATE TABLE fts_watermark (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE VIEW pubsub_items_text AS SELECT id AS rowid, id AS docid, xml_text(data) AS data FROM pubsub_items;
CREATE VIRTUAL TABLE pubsub_items_fts USING fts4(content='pubsub_items_text', data, tokenize=unicode61);
CREATE VIRTUAL TABLE message_fts USING fts4(content='message', message, tokenize=unicode61);
`);
  for (const { table, fts, column, text } of tables) {
    const indexed = `(SELECT value FROM fts_watermark WHERE name = '${table}')`;
    db.exec(`
CREATE TRIGGER ${fts}_bd BEFORE DELETE ON ${table} WHEN old.id <= ${indexed} BEGIN
  DELETE FROM ${fts} WHERE docid = old.id;
END;
CREATE TRIGGER ${fts}_bu BEFORE UPDATE OF ${column} ON ${table} WHEN old.id <= ${indexed} BEGIN
  DELETE FROM ${fts} WHERE docid = old.id;
END;
CREATE TRIGGER ${fts}_au AFTER UPDATE OF ${column} ON ${table} WHEN new.id <= ${indexed} BEGIN
  INSERT INTO ${fts} (docid, ${column}) VALUES (new.id, ${text}(new.${column}));
END;
INSERT INTO ${fts} (docid, ${column}) SELECT id, ${text}(${column}) FROM ${table};
INSERT INTO fts_watermark (name, value) VALUES ('${table}', (SELECT coalesce(max(id), 0) FROM ${table}));
`);
  }
}

export function down(db: MigrationDb): void {
  for (const { fts } of tables) {
    db.exec(
      `DROP TRIGGER ${fts}_au; DROP TRIGGER ${fts}_bu; DROP TRIGGER ${fts}_bd; DROP TABLE ${fts};`,
    );
  }
  db.exec('DROP VIEW pubsub_items_text; DROP TABLE fts_watermark;');
}
