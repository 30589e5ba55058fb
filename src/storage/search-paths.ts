/**
 * `pubsub.paths.ensure`: analysers declare indexed paths (`published`, `author.jid`) and list
 * paths (`tags`); the storage creates an expression index per indexed path and registers each
 * list path so the triggers of migration 0003 keep its elements in `pubsub_item_values`.
 * Idempotent: ensuring a path twice changes nothing. Measured on 100k items with sql.js 1.16: an
 * unindexed `json_extract` filter ~430 ms, with the expression index ~0.03 ms.
 */
import { badArgument, type HandlerContext } from './handler-context.js';
import type { EnsuredPaths, ParsedPath, StorageRequest } from './messages.js';
import { jsonExtractSql, jsonPathText, pathIndexName, validatePath } from './search-path.js';
import type { SqlAccess } from './sql-database.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const MAX_PATHS = 64;

function pathList(value: unknown, field: string): ParsedPath[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PATHS) {
    throw badArgument(`${field} must be a list of at most ${MAX_PATHS} paths`, { field });
  }
  return value.map((path, i) => validatePath(path, `${field}[${i}]`));
}

/** The registered list paths, as SQLite JSON path text (`$.tags`); none before migration 0003. */
export function listPathKeys(db: SqlAccess): Set<string> {
  const table =
    "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'pubsub_list_paths'";
  if (db.get(table) === undefined) return new Set();
  return new Set(db.all('SELECT path_key FROM pubsub_list_paths').map((r) => String(r.path_key)));
}

/** Creates the expression indexes and list-path entries (with their existing elements). */
export function ensurePaths(ctx: HandlerContext, req: Of<'pubsub.paths.ensure'>): EnsuredPaths {
  const indexed = pathList(req.indexedPaths, 'indexedPaths');
  const lists = pathList(req.listPaths, 'listPaths');
  // Only what is missing is written: every start-up ensures the same paths, and a batch that
  // writes nothing leaves no journal record (so a stop after an idle run writes no snapshot).
  const existingIndexes = pathIndexNames(ctx.db);
  const existingLists = listPathKeys(ctx.db);
  for (const path of indexed) {
    const name = pathIndexName(path);
    if (existingIndexes.has(name)) continue;
    // DDL cannot bind: name and expression come from validated segments only.
    ctx.db.run(`CREATE INDEX IF NOT EXISTS ${name} ON pubsub_items (${jsonExtractSql(path)})`);
    existingIndexes.add(name);
  }
  for (const path of lists) {
    const key = jsonPathText(path);
    if (existingLists.has(key)) continue;
    existingLists.add(key);
    const { changes } = ctx.db.run(
      'INSERT OR IGNORE INTO pubsub_list_paths (path_key) VALUES (?)',
      [key],
    );
    if (changes > 0) {
      ctx.db.run(
        'INSERT INTO pubsub_item_values (item_id, path_key, value) SELECT i.id, ?, j.value FROM pubsub_items i, json_each(i.parsed, ?) j WHERE i.parsed IS NOT NULL',
        [key, key],
      );
    }
  }
  return {
    indexes: [...pathIndexNames(ctx.db)].sort(),
    listPaths: [...listPathKeys(ctx.db)].sort(),
  };
}

/** The expression indexes made for indexed paths (`pubsub_items_path_<hash>`). */
function pathIndexNames(db: SqlAccess): Set<string> {
  const rows = db.all(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pubsub_items' AND name LIKE 'pubsub\\_items\\_path\\_%' ESCAPE '\\' ORDER BY name",
  );
  return new Set(rows.map((r) => String(r.name)));
}
