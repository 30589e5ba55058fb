/**
 * Cached pubsub items: upsert with parsed JSON, delete by names, and retrieval with XEP-0060
 * `max_items` (most recent) and RSM (XEP-0059 https://xmpp.org/extensions/xep-0059.html)
 * before/after/index paging, ordered by creation or modification. before/after use keyset
 * conditions on `(created|updated, id)` indexes; index and count come from index-only counts.
 */
import { AviaryError } from '../errors.js';
import {
  badArgument,
  fromJsonText,
  type HandlerContext,
  optionalLimit,
  optionalList,
  optionalNumber,
  placeholders,
  requireString,
  toJsonText,
} from './handler-context.js';
import type { SqlValue } from './journal.js';
import type { ItemsPage, PubsubItem, StorageRequest } from './messages.js';
import { nodeId } from './pubsub-nodes.js';
import type { SqlRow } from './sql-database.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

export function toItem(row: SqlRow): PubsubItem {
  return {
    name: String(row.name),
    data: String(row.data),
    parsed: fromJsonText(row.parsed),
    created: Number(row.created),
    updated: Number(row.updated),
  };
}

/** Inserts or replaces items; `created` is kept on update, `updated` moves to now. */
export function upsertItems(
  ctx: HandlerContext,
  req: Of<'pubsub.items.upsert'>,
): { upserted: number } {
  const node = nodeId(ctx, req);
  if (!Array.isArray(req.items)) throw badArgument('items must be a list');
  const now = ctx.now();
  for (const item of req.items) {
    const name = requireString(item.name, 'item.name', 1024);
    if (typeof item.data !== 'string') throw badArgument('item.data must be XML text');
    const created = optionalNumber(item.created, 'item.created') ?? now;
    const updated = optionalNumber(item.updated, 'item.updated') ?? now;
    const parsedJson = item.parsedJson;
    if (parsedJson !== undefined && typeof parsedJson !== 'string') {
      throw badArgument('item.parsedJson must be JSON text');
    }
    // json() rejects malformed text ("malformed JSON"), so only valid JSON reaches `parsed`.
    ctx.db.run(
      'INSERT INTO pubsub_items (node_id, name, data, created, updated, parsed) VALUES (?, ?, CAST(? AS TEXT), ?, ?, COALESCE(json(?), CAST(? AS TEXT))) ON CONFLICT (node_id, name) DO UPDATE SET data = excluded.data, updated = excluded.updated, parsed = excluded.parsed',
      [
        node,
        name,
        item.data,
        created,
        updated,
        parsedJson ?? null,
        parsedJson === undefined ? toJsonText(item.parsed) : null,
      ],
    );
  }
  return { upserted: req.items.length };
}

export function deleteItems(
  ctx: HandlerContext,
  req: Of<'pubsub.items.delete'>,
): { deleted: number } {
  const node = nodeId(ctx, req);
  const names = optionalList(req.names, 'names') as string[] | undefined;
  if (names === undefined || names.length === 0) return { deleted: 0 };
  const { changes } = ctx.db.run(
    `DELETE FROM pubsub_items WHERE node_id = ? AND name IN (${placeholders(names.length)})`,
    [node, ...names],
  );
  return { deleted: changes };
}

const ITEM_COLUMNS = 'id, name, data, created, updated, parsed';

export function getItems(ctx: HandlerContext, req: Of<'pubsub.items.get'>): ItemsPage {
  const node = nodeId(ctx, req);
  const orderBy = req.orderBy ?? 'creation';
  if (orderBy !== 'creation' && orderBy !== 'modification') throw badArgument('bad orderBy');
  const col = orderBy === 'creation' ? 'created' : 'updated';
  const count = Number(
    ctx.db.get('SELECT COUNT(*) AS c FROM pubsub_items WHERE node_id = ?', [node])?.c,
  );
  const rsm = req.rsm ?? {};
  const max = optionalLimit(rsm.max, 'rsm.max') ?? optionalLimit(req.maxItems, 'maxItems');
  const limit = max ?? -1;
  const base = `SELECT ${ITEM_COLUMNS} FROM pubsub_items WHERE node_id = ?`;
  const ascending = `ORDER BY ${col} ASC, id ASC`;
  const descending = `ORDER BY ${col} DESC, id DESC`;
  const keyOf = (name: string) => {
    const row = ctx.db.get(
      `SELECT ${col} AS k, id FROM pubsub_items WHERE node_id = ? AND name = ?`,
      [node, name],
    );
    if (row === undefined) {
      throw new AviaryError('storage.item-not-found', `no item ${JSON.stringify(name)} in node`, {
        details: { item: name },
      });
    }
    return [row.k, row.id] as SqlValue[];
  };
  const countBelow = (key: SqlValue[], inclusive: boolean) =>
    Number(
      ctx.db.get(
        `SELECT COUNT(*) AS c FROM pubsub_items WHERE node_id = ? AND (${col}, id) ${inclusive ? '<=' : '<'} (?, ?)`,
        [node, ...key],
      )?.c,
    );

  let rows: SqlRow[];
  let index: number;
  if (req.names !== undefined) {
    const names = optionalList(req.names, 'names') as string[];
    rows = ctx.db.all(`${base} AND name IN (${placeholders(names.length)}) ${ascending}`, [
      node,
      ...names,
    ]);
    index = 0;
  } else if (rsm.after !== undefined) {
    const key = keyOf(requireString(rsm.after, 'rsm.after', 1024));
    rows = ctx.db.all(`${base} AND (${col}, id) > (?, ?) ${ascending} LIMIT ?`, [
      node,
      ...key,
      limit,
    ]);
    index = countBelow(key, true);
  } else if (rsm.before !== undefined && rsm.before !== '') {
    const key = keyOf(requireString(rsm.before, 'rsm.before', 1024));
    rows = ctx.db
      .all(`${base} AND (${col}, id) < (?, ?) ${descending} LIMIT ?`, [node, ...key, limit])
      .reverse();
    index = countBelow(key, false) - rows.length;
  } else if (rsm.index !== undefined) {
    index = optionalLimit(rsm.index, 'rsm.index') ?? 0;
    rows = ctx.db.all(`${base} ${ascending} LIMIT ? OFFSET ?`, [node, limit, index]);
  } else if (max !== undefined) {
    // max_items / RSM `<before/>`: the most recent `max`, returned oldest first.
    rows = ctx.db.all(`${base} ${descending} LIMIT ?`, [node, limit]).reverse();
    index = count - rows.length;
  } else {
    rows = ctx.db.all(`${base} ${ascending}`, [node]);
    index = 0;
  }
  const items = rows.map(toItem);
  const first = items[0]?.name;
  const last = items[items.length - 1]?.name;
  return {
    items,
    rsm: {
      count,
      index,
      ...(first === undefined ? {} : { first }),
      ...(last === undefined ? {} : { last }),
    },
    complete: req.names !== undefined || index + items.length >= count,
  };
}
