/**
 * Search over parsed item data: list paths (`tags`...) get a side table of their elements so
 * `overlap`/`disjoint` filters use an index instead of a `json_each` scan of every item.
 * `pubsub_list_paths` holds the registered paths (SQLite JSON path text such as `$.tags`,
 * written only by `pubsub.paths.ensure` from validated segments); triggers keep
 * `pubsub_item_values` in step with inserts and `parsed` updates, and deletes cascade.
 * Expression indexes for indexed paths are created on demand by `pubsub.paths.ensure`
 * (named `pubsub_items_path_<hash>`). `down` leaves those: `MigrationDb` cannot read their
 * names, they reference nothing this migration made, and `ensure` recreates them idempotently.
 *
 * PostgreSQL: no side table; `pubsub.paths.ensure` puts GIN indexes on each list path's
 * `jsonb` (`pubsub_items_list_<hash>`, `pubsub_items_ilist_<hash>` for the ASCII-folded form)
 * and btree indexes on indexed paths. `pubsub_list_paths` records the list paths, and `down`
 * drops the list indexes with it.
 */
import type { MigrationDb } from '../src/storage/migrator.js';

const POSTGRES_UP = 'CREATE TABLE pubsub_list_paths (path_key text PRIMARY KEY);';

const POSTGRES_DOWN = `
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT indexname FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename = 'pubsub_items'
      AND (indexname LIKE 'pubsub\\_items\\_list\\_%' OR indexname LIKE 'pubsub\\_items\\_ilist\\_%')
  LOOP
    EXECUTE format('DROP INDEX %I', r.indexname);
  END LOOP;
END $$;
DROP TABLE pubsub_list_paths;
`;

const FILL = (item: string) =>
  `INSERT INTO pubsub_item_values (item_id, path_key, value) SELECT ${item}.id, l.path_key, j.value FROM pubsub_list_paths l, json_each(${item}.parsed, l.path_key) j`;

export async function up(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') return db.exec(POSTGRES_UP);
  db.exec(`
CREATE TABLE pubsub_list_paths (path_key TEXT PRIMARY KEY);
CREATE TABLE pubsub_item_values (
  item_id INTEGER NOT NULL REFERENCES pubsub_items(id) ON DELETE CASCADE,
  path_key TEXT NOT NULL,
  value
);
CREATE INDEX pubsub_item_values_item ON pubsub_item_values (item_id);
CREATE INDEX pubsub_item_values_value ON pubsub_item_values (path_key, value, item_id);
CREATE INDEX pubsub_item_values_folded ON pubsub_item_values (path_key, lower(value), item_id);
CREATE TRIGGER pubsub_item_values_ai AFTER INSERT ON pubsub_items WHEN new.parsed IS NOT NULL BEGIN
  ${FILL('new')};
END;
CREATE TRIGGER pubsub_item_values_au AFTER UPDATE OF parsed ON pubsub_items BEGIN
  DELETE FROM pubsub_item_values WHERE item_id = old.id;
  ${FILL('new')} WHERE new.parsed IS NOT NULL;
END;
`);
}

export async function down(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') return db.exec(POSTGRES_DOWN);
  db.exec(`
DROP TRIGGER pubsub_item_values_au;
DROP TRIGGER pubsub_item_values_ai;
DROP TABLE pubsub_item_values;
DROP TABLE pubsub_list_paths;
`);
}
