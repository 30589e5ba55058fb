/**
 * Search over cached pubsub items on PostgreSQL, with the results of `item-search.ts`: full
 * text (the common query subset, see `pg-full-text.ts`, over the `text_tsv` GIN index, rank
 * = `-ts_rank_cd` so that lower is better as with bm25), node filters, item names,
 * parsed-data filters, orders, index/limit. One statement, every value bound.
 */
import { badArgument, optionalLimit, optionalList, requireString } from '../handler-context.js';
import type { ItemSearchHit, SearchOrder, StorageRequest } from '../messages.js';
import { validatePath } from '../search-path.js';
import { Params, type PgContext } from './pg-access.js';
import { toTsQuery } from './pg-full-text.js';
import { pathKeys } from './pg-json-path.js';
import { nodeFilterSql } from './pg-lookups.js';
import { toItem } from './pg-pubsub-items.js';
import { pgParsedFilterSql } from './pg-search-filters.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const FIXED_KEYS: Readonly<Record<string, string>> = {
  creation: 'i.created',
  modification: 'i.updated',
  item: 'i.name COLLATE "C"',
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
      const k = pathKeys(validatePath(key.path, `${field}.path`), 'i');
      const dir = direction(key.order, 'asc', `${field}.order`);
      return `${k.cls} ${dir}, ${k.num} ${dir}, ${k.txt} ${dir}`;
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
  terms.push(`i.id ${terms[0]?.split(',')[0]?.endsWith('desc') ? 'desc' : 'asc'}`);
  return terms;
}

/** Builds the search statement; throws `storage.bad-argument` saying what is wrong. */
export function buildPgItemSearch(req: Of<'pubsub.items.search'>): {
  sql: string;
  params: unknown[];
} {
  const p = new Params();
  const fts = req.query !== undefined;
  let rank = 'NULL::float8';
  const where: string[] = [];
  if (fts) {
    const q = `to_tsquery('simple', ${p.add(toTsQuery(requireString(req.query, 'query')))})`;
    where.push(`i.text_tsv @@ ${q}`);
    // Normalisation 1 divides by 1 + log(document length): like bm25, shorter documents
    // with the same matches rank better.
    rank = `(-ts_rank_cd(i.text_tsv, ${q}, 1))::float8`;
  }
  where.push(...nodeFilterSql(req, p));
  const names = optionalList(req.names, 'names') as string[] | undefined;
  if (names !== undefined) where.push(`i.name = ANY(${p.add(names)}::text[])`);
  if (req.parsed !== undefined) {
    if (!Array.isArray(req.parsed) || req.parsed.length > MAX_FILTERS) {
      throw badArgument(`parsed must be a list of at most ${MAX_FILTERS} { path, op, value }`);
    }
    req.parsed.forEach((filter, i) => {
      where.push(pgParsedFilterSql(filter, i, p));
    });
  }
  if (req.withPayload !== undefined && typeof req.withPayload !== 'boolean') {
    throw badArgument('withPayload must be true or false');
  }
  const order = orderTerms(req, fts);
  const limit = optionalLimit(req.limit, 'limit') ?? null;
  const offset = optionalLimit(req.index, 'index') ?? 0;
  const data = req.withPayload === true ? 'i.data' : 'NULL AS data';
  const sql = `SELECT i.name, ${data}, i.parsed, i.created, i.updated, n.service, n.name AS node, p.name AS profile, ${rank} AS rank FROM pubsub_items i JOIN pubsub_nodes n ON n.id = i.node_id JOIN profiles p ON p.id = n.profile_id WHERE ${where.join(' AND ') || 'true'} ORDER BY ${order.join(', ')} LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
  return { sql, params: p.values };
}

export async function searchItems(
  ctx: PgContext,
  req: Of<'pubsub.items.search'>,
): Promise<ItemSearchHit[]> {
  const { sql, params } = buildPgItemSearch(req);
  return (await ctx.db.all(sql, params)).map((row) => {
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
