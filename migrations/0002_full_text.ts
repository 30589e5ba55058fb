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
 *
 * PostgreSQL: `tsvector` columns with GIN indexes (ranked by `ts_rank_cd`), 'simple'
 * configuration (lower-cased words, no stemming, as unicode61). History bodies use a
 * generated column; item text is written by the handler (`xmlText` of the XML, computed in
 * JS) and, for rows that exist when this revision is applied, approximated here in SQL
 * (tags and CDATA markers dropped, the five predefined entities decoded).
 * See https://www.postgresql.org/docs/15/textsearch-tables.html
 */
import type { MigrationDb } from '../src/storage/migrator.js';

const POSTGRES_ITEM_TEXT = `replace(replace(replace(replace(replace(
  regexp_replace(regexp_replace(regexp_replace(data, '<!\\[CDATA\\[(.*?)\\]\\]>', ' \\1 ', 'g'),
    '<!--.*?-->', ' ', 'g'), '<[^>]*>', ' ', 'g'),
  '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&apos;', ''''), '&amp;', '&')`;

const POSTGRES_UP = `
ALTER TABLE message ADD COLUMN message_tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('simple', message)) STORED;
CREATE INDEX message_fts ON message USING gin (message_tsv);
ALTER TABLE pubsub_items ADD COLUMN text_tsv tsvector;
UPDATE pubsub_items SET text_tsv = to_tsvector('simple', ${POSTGRES_ITEM_TEXT});
CREATE INDEX pubsub_items_fts ON pubsub_items USING gin (text_tsv);
`;

const POSTGRES_DOWN = `
DROP INDEX pubsub_items_fts;
ALTER TABLE pubsub_items DROP COLUMN text_tsv;
DROP INDEX message_fts;
ALTER TABLE message DROP COLUMN message_tsv;
`;

const tables = [
  { table: 'pubsub_items', fts: 'pubsub_items_fts', column: 'data', text: 'xml_text' },
  { table: 'message', fts: 'message_fts', column: 'message', text: '' },
] as const;

export async function up(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') return db.exec(POSTGRES_UP);
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

export async function down(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') return db.exec(POSTGRES_DOWN);
  for (const { fts } of tables) {
    db.exec(
      `DROP TRIGGER ${fts}_au; DROP TRIGGER ${fts}_bu; DROP TRIGGER ${fts}_bd; DROP TABLE ${fts};`,
    );
  }
  db.exec('DROP VIEW pubsub_items_text; DROP TABLE fts_watermark;');
}
