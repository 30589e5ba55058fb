/**
 * Search over cached pubsub items (Libervia's `pubsub_cache` search, extended): full text
 * (FTS4 MATCH syntax over item text, ranked by bm25), node filters (profiles, services,
 * nodes, types, subtypes incl. null), item names, parsed-data filters
 * (`search-filters.ts`), order by creation, modification, item id, rank or a parsed-data
 * path, and index/limit. One statement, every value bound; paths only as validated text.
 */
import {
  badArgument,
  type HandlerContext,
  optionalLimit,
  optionalList,
  placeholders,
  requireString,
} from './handler-context.js';
import type { SqlValue } from './journal.js';
import type { ItemSearchHit, SearchOrder, StorageRequest } from './messages.js';
import { toItem } from './pubsub-items.js';
import { nodeFilterSql } from './pubsub-nodes.js';
import { parsedFilterSql } from './search-filters.js';
import { jsonExtractSql, validatePath } from './search-path.js';
import { listPathKeys } from './search-paths.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

/** A search query translated to one bound SQL statement. */
export interface BuiltSearch {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

const FIXED_KEYS: Readonly<Record<string, string>> = {
  creation: 'i.created',
  modification: 'i.updated',
  item: 'i.name',
  rank: 'rank',
};
const MAX_FILTERS = 32;

function direction(value: unknown, fallback: 'asc' | 'desc', field: string): 'asc' | 'desc' {
  if (value === undefined) return fallback;
  if (value !== 'asc' && value !== 'desc') throw badArgument(`${field} must be asc or desc`);
  return value;
}

/** `ORDER BY` terms; the default is rank (with a query) or creation, newest first. */
function orderTerms(req: Of<'pubsub.items.search'>, fts: boolean): string[] {
  const raw = req.orderBy ?? (fts ? 'rank' : 'creation');
  const keys: readonly SearchOrder[] =
    typeof raw === 'string'
      ? [{ by: raw, ...(req.order === undefined ? {} : { order: req.order }) } as SearchOrder]
      : Array.isArray(raw)
        ? raw
        : [];
  if (keys.length === 0 || keys.length > 8) {
    throw badArgument('orderBy must be a key or a list of 1 to 8 { by } / { path } entries');
  }
  const terms = keys.map((key, i) => {
    const field = `orderBy[${i}]`;
    if (typeof key !== 'object' || key === null) throw badArgument(`${field} must be an object`);
    if ('path' in key) {
      const path = validatePath(key.path, `${field}.path`);
      return `${jsonExtractSql(path, 'i')} ${direction(key.order, 'asc', `${field}.order`)}`;
    }
    const column = typeof key.by === 'string' ? FIXED_KEYS[key.by] : undefined;
    if (column === undefined || !Object.hasOwn(FIXED_KEYS, key.by)) {
      throw badArgument(
        `${field}: unknown order key ${JSON.stringify(key.by)}; use creation, modification, item, rank or { path }`,
      );
    }
    if (key.by === 'rank' && !fts) throw badArgument('ordering by rank needs a full-text query');
    const fallback = key.by === 'rank' || key.by === 'item' ? 'asc' : 'desc';
    return `${column} ${direction(key.order, fallback, `${field}.order`)}`;
  });
  // Stable tie-break: the item row id, in the direction of the first key.
  terms.push(`i.id ${terms[0]?.endsWith('desc') ? 'desc' : 'asc'}`);
  return terms;
}

/**
 * Builds the search statement; throws `storage.bad-argument` saying what is wrong.
 * `listKeys` are the registered list paths (they switch overlap/disjoint to the side table).
 */
export function buildItemSearch(
  req: Of<'pubsub.items.search'>,
  listKeys: ReadonlySet<string> = new Set(),
): BuiltSearch {
  const { where, params } = nodeFilterSql(req);
  const names = optionalList(req.names, 'names') as string[] | undefined;
  if (names !== undefined) {
    where.push(names.length === 0 ? '0' : `i.name IN (${placeholders(names.length)})`);
    params.push(...names);
  }
  if (req.parsed !== undefined) {
    if (!Array.isArray(req.parsed) || req.parsed.length > MAX_FILTERS) {
      throw badArgument(`parsed must be a list of at most ${MAX_FILTERS} { path, op, value }`);
    }
    req.parsed.forEach((filter, i) => {
      const condition = parsedFilterSql(filter, i, listKeys);
      where.push(condition.sql);
      params.push(...condition.params);
    });
  }
  if (req.withPayload !== undefined && typeof req.withPayload !== 'boolean') {
    throw badArgument('withPayload must be true or false');
  }
  const fts = req.query !== undefined;
  let from = 'pubsub_items i';
  let rank = 'NULL';
  if (fts) {
    from = 'pubsub_items_fts f JOIN pubsub_items i ON i.id = f.docid';
    rank = "bm25(matchinfo(pubsub_items_fts, 'pcnalx'))";
    where.unshift('pubsub_items_fts MATCH ?');
    params.unshift(requireString(req.query, 'query'));
  }
  const order = orderTerms(req, fts);
  const limit = optionalLimit(req.limit, 'limit') ?? -1;
  const offset = optionalLimit(req.index, 'index') ?? 0;
  const data = req.withPayload === true ? 'i.data' : 'NULL AS data';
  const sql = `SELECT i.name, ${data}, i.parsed, i.created, i.updated, n.service, n.name AS node, p.name AS profile, ${rank} AS rank FROM ${from} JOIN pubsub_nodes n ON n.id = i.node_id JOIN profiles p ON p.id = n.profile_id WHERE ${where.join(' AND ') || '1'} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
  return { sql, params: [...params, limit, offset] };
}

export function searchItems(ctx: HandlerContext, req: Of<'pubsub.items.search'>): ItemSearchHit[] {
  const { sql, params } = buildItemSearch(req, listPathKeys(ctx.db));
  return ctx.db.all(sql, params).map((row) => {
    const { data, ...item } = toItem(row);
    return {
      ...item,
      ...(row.data === null ? {} : { data }),
      profile: String(row.profile),
      service: String(row.service),
      node: String(row.node),
      rank: row.rank === null ? null : Number(row.rank),
    };
  });
}
