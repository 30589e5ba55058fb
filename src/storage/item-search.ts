/**
 * Search over cached pubsub items: full-text (FTS4 over item text, ranked by bm25) plus node
 * filters (profiles, services, nodes, types, subtypes incl. null), item names, order and
 * index/limit. The parsed-data operators (== != > < between in ... like ilike) will be added
 * here as more `where` builders; every value stays bound.
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
import type { ItemSearchHit, StorageRequest } from './messages.js';
import { toItem } from './pubsub-items.js';
import { nodeFilterSql } from './pubsub-nodes.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

/** A search query translated to one bound SQL statement. */
export interface BuiltSearch {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** Builds the search statement; throws `storage.bad-argument` on a bad filter. */
export function buildItemSearch(req: Of<'pubsub.items.search'>): BuiltSearch {
  const { where, params } = nodeFilterSql(req);
  const names = optionalList(req.names, 'names') as string[] | undefined;
  if (names !== undefined) {
    where.push(`i.name IN (${placeholders(names.length)})`);
    params.push(...names);
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
  const orderBy = req.orderBy ?? (fts ? 'rank' : 'creation');
  const order = req.order ?? (orderBy === 'rank' ? 'asc' : 'desc');
  if (order !== 'asc' && order !== 'desc') throw badArgument('order must be asc or desc');
  const orderColumn = { creation: 'i.created', modification: 'i.updated', rank: 'rank' }[orderBy];
  if (orderColumn === undefined) throw badArgument('bad orderBy');
  if (orderBy === 'rank' && !fts) throw badArgument('orderBy rank needs a query');
  const limit = optionalLimit(req.limit, 'limit') ?? -1;
  const offset = optionalLimit(req.index, 'index') ?? 0;
  const sql = `SELECT i.name, i.data, i.parsed, i.created, i.updated, n.service, n.name AS node, p.name AS profile, ${rank} AS rank FROM ${from} JOIN pubsub_nodes n ON n.id = i.node_id JOIN profiles p ON p.id = n.profile_id WHERE ${where.join(' AND ') || '1'} ORDER BY ${orderColumn} ${order}, i.id ${order} LIMIT ? OFFSET ?`;
  return { sql, params: [...params, limit, offset] };
}

export function searchItems(ctx: HandlerContext, req: Of<'pubsub.items.search'>): ItemSearchHit[] {
  const { sql, params } = buildItemSearch(req);
  return ctx.db.all(sql, params).map((row) => ({
    ...toItem(row),
    profile: String(row.profile),
    service: String(row.service),
    node: String(row.node),
    rank: row.rank === null ? null : Number(row.rank),
  }));
}
