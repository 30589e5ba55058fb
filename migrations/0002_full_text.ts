/**
 * Full-text search (sql.js has FTS3/FTS4, not FTS5): FTS4 external-content tables over
 * pubsub item text and history bodies, kept in sync by triggers. Item text is `xml_text(data)`
 * (a function the engine registers), read through the view `pubsub_items_text` so that the
 * BEFORE DELETE/UPDATE triggers remove exactly the tokens that were indexed; ranking uses the registered `bm25(matchinfo(t, 'pcnalx'))`.
 * See https://www.sqlite.org/fts3.html#_external_content_fts4_tables_
 */
import type { MigrationDb } from '../src/storage/migrator.js';

export function up(db: MigrationDb): void {
  db.exec(`
CREATE VIEW pubsub_items_text AS SELECT id AS rowid, id AS docid, xml_text(data) AS data FROM pubsub_items;
CREATE VIRTUAL TABLE pubsub_items_fts USING fts4(content='pubsub_items_text', data, tokenize=unicode61);
CREATE TRIGGER pubsub_items_fts_ai AFTER INSERT ON pubsub_items BEGIN
  INSERT INTO pubsub_items_fts (docid, data) VALUES (new.id, xml_text(new.data));
END;
CREATE TRIGGER pubsub_items_fts_bd BEFORE DELETE ON pubsub_items BEGIN
  DELETE FROM pubsub_items_fts WHERE docid = old.id;
END;
CREATE TRIGGER pubsub_items_fts_bu BEFORE UPDATE OF data ON pubsub_items BEGIN
  DELETE FROM pubsub_items_fts WHERE docid = old.id;
END;
CREATE TRIGGER pubsub_items_fts_au AFTER UPDATE OF data ON pubsub_items BEGIN
  INSERT INTO pubsub_items_fts (docid, data) VALUES (new.id, xml_text(new.data));
END;
INSERT INTO pubsub_items_fts (docid, data) SELECT id, xml_text(data) FROM pubsub_items;

CREATE VIRTUAL TABLE message_fts USING fts4(content='message', message, tokenize=unicode61);
CREATE TRIGGER message_fts_ai AFTER INSERT ON message BEGIN
  INSERT INTO message_fts (docid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER message_fts_bd BEFORE DELETE ON message BEGIN
  DELETE FROM message_fts WHERE docid = old.id;
END;
CREATE TRIGGER message_fts_bu BEFORE UPDATE OF message ON message BEGIN
  DELETE FROM message_fts WHERE docid = old.id;
END;
CREATE TRIGGER message_fts_au AFTER UPDATE OF message ON message BEGIN
  INSERT INTO message_fts (docid, message) VALUES (new.id, new.message);
END;
INSERT INTO message_fts (docid, message) SELECT id, message FROM message;
`);
}

export function down(db: MigrationDb): void {
  db.exec(`
DROP TRIGGER message_fts_au;
DROP TRIGGER message_fts_bu;
DROP TRIGGER message_fts_bd;
DROP TRIGGER message_fts_ai;
DROP TABLE message_fts;
DROP TRIGGER pubsub_items_fts_au;
DROP TRIGGER pubsub_items_fts_bu;
DROP TRIGGER pubsub_items_fts_bd;
DROP TRIGGER pubsub_items_fts_ai;
DROP TABLE pubsub_items_fts;
DROP VIEW pubsub_items_text;
`);
}
