/**
 * `pubsub.paths.ensure` on PostgreSQL: a btree expression index per indexed path (class,
 * number, text keys of `pg-json-path.ts`) and, per list path, GIN indexes over the path's
 * `jsonb` (as stored and ASCII-folded) serving `overlap`/`disjoint` and their `i` forms.
 * List paths are recorded in `pubsub_list_paths` (SQLite JSON path text, `$.tags`) so both
 * backends report the same. Idempotent.
 */
import { badArgument } from '../handler-context.js';
import type { EnsuredPaths, ParsedPath, StorageRequest } from '../messages.js';
import { jsonPathText, validatePath } from '../search-path.js';
import type { PgContext } from './pg-access.js';
import { listIndexDdl, pathIndexDdl } from './pg-json-path.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const MAX_PATHS = 64;

function pathList(value: unknown, field: string): ParsedPath[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PATHS) {
    throw badArgument(`${field} must be a list of at most ${MAX_PATHS} paths`, { field });
  }
  return value.map((path, i) => validatePath(path, `${field}[${i}]`));
}

export async function ensurePaths(
  ctx: PgContext,
  req: Of<'pubsub.paths.ensure'>,
): Promise<EnsuredPaths> {
  const indexed = pathList(req.indexedPaths, 'indexedPaths');
  const lists = pathList(req.listPaths, 'listPaths');
  // DDL cannot bind: names and expressions come from validated segments only.
  for (const path of indexed) await ctx.db.run(pathIndexDdl(path).sql);
  for (const path of lists) {
    for (const ddl of listIndexDdl(path)) await ctx.db.run(ddl);
    await ctx.db.run(
      'INSERT INTO pubsub_list_paths (path_key) VALUES ($1) ON CONFLICT DO NOTHING',
      [jsonPathText(path)],
    );
  }
  const indexes = await ctx.db.all(
    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'pubsub_items' AND indexname LIKE 'pubsub\\_items\\_path\\_%' ORDER BY indexname COLLATE \"C\"",
  );
  const listPaths = await ctx.db.all(
    'SELECT path_key FROM pubsub_list_paths ORDER BY path_key COLLATE "C"',
  );
  return {
    indexes: indexes.map((r) => String(r.indexname)),
    listPaths: listPaths.map((r) => String(r.path_key)),
  };
}
