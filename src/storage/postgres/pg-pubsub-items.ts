/**
 * Cached pubsub items on PostgreSQL: multi-row upsert (one statement per request, the item
 * text for full text computed by `xmlText` and stored as `tsvector`), delete by names, and
 * XEP-0060 `max_items` / RSM (XEP-0059 https://xmpp.org/extensions/xep-0059.html) paging on
 * `(created|updated, id)` keys; same results as `pubsub-items.ts`.
 */
import { AviaryError, serializeError } from '../../errors.js';
import {
  badArgument,
  optionalLimit,
  optionalList,
  optionalNumber,
  requireString,
} from '../handler-context.js';
import type { ItemsPage, Json, PubsubItem, StorageOutcome, StorageRequest } from '../messages.js';
import { xmlText } from '../xml-text.js';
import type { PgContext, PgRow } from './pg-access.js';
import { nodeId } from './pg-lookups.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

export function toItem(row: PgRow): PubsubItem {
  return {
    name: String(row.name),
    data: String(row.data),
    parsed: (row.parsed ?? null) as Json,
    created: Number(row.created),
    updated: Number(row.updated),
  };
}

type Row = [
  name: string,
  data: string,
  created: number,
  updated: number,
  parsed: string | null,
  text: string,
];

/** Validated rows of one request, one per name (a later duplicate wins; `created` stays). */
function itemRows(req: Of<'pubsub.items.upsert'>, now: number): Row[] {
  if (!Array.isArray(req.items)) throw badArgument('items must be a list');
  const rows = new Map<string, Row>();
  for (const item of req.items) {
    const name = requireString(item.name, 'item.name', 1024);
    if (typeof item.data !== 'string') throw badArgument('item.data must be XML text');
    const created = optionalNumber(item.created, 'item.created') ?? now;
    const updated = optionalNumber(item.updated, 'item.updated') ?? now;
    if (item.parsedJson !== undefined && typeof item.parsedJson !== 'string') {
      throw badArgument('item.parsedJson must be JSON text');
    }
    // JSON text is checked by the `::jsonb` cast of the insert.
    const parsed =
      item.parsedJson ?? (item.parsed === undefined ? null : JSON.stringify(item.parsed));
    const first = rows.get(name);
    rows.set(name, [name, item.data, first?.[2] ?? created, updated, parsed, xmlText(item.data)]);
  }
  return [...rows.values()];
}

/** One multi-row upsert of `(node id, row)` pairs, unique on (node, name). */
async function writeRows(ctx: PgContext, rows: readonly (readonly [number, Row])[]): Promise<void> {
  if (rows.length === 0) return;
  const column = (c: number) => rows.map(([, r]) => r[c]);
  await ctx.db.run(
    `INSERT INTO pubsub_items (node_id, name, data, created, updated, parsed, text_tsv)
     SELECT u.node_id, u.name, u.data, u.created, u.updated, u.parsed::jsonb, to_tsvector('simple', u.text)
     FROM unnest($1::int8[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[]) AS u(node_id, name, data, created, updated, parsed, text)
     ON CONFLICT (node_id, name) DO UPDATE SET data = excluded.data, updated = excluded.updated, parsed = excluded.parsed, text_tsv = excluded.text_tsv`,
    [rows.map(([node]) => node), column(0), column(1), column(2), column(3), column(4), column(5)],
  );
}

/** Inserts or replaces items; `created` is kept on update, `updated` moves to now. */
export async function upsertItems(
  ctx: PgContext,
  req: Of<'pubsub.items.upsert'>,
): Promise<{ upserted: number }> {
  const node = await nodeId(ctx, req);
  await writeRows(
    ctx,
    itemRows(req, ctx.now()).map((row) => [node, row] as const),
  );
  return { upserted: req.items.length };
}

/**
 * Consecutive upserts of a batch in two statements (node lookup, one multi-row upsert); one
 * outcome per request. Returns null when a request is malformed, so the caller runs them one
 * by one and each gets its exact error.
 */
export async function upsertItemsBatch(
  ctx: PgContext,
  requests: readonly Of<'pubsub.items.upsert'>[],
): Promise<StorageOutcome[] | null> {
  const now = ctx.now();
  const prepared: Row[][] = [];
  for (const req of requests) {
    try {
      for (const field of ['profile', 'service', 'node'] as const) requireString(req[field], field);
      prepared.push(itemRows(req, now));
    } catch {
      return null;
    }
  }
  const found = await ctx.db.all(
    `SELECT t.ord, p.id AS profile_id, n.id AS node_id
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(profile, service, node, ord)
     LEFT JOIN profiles p ON p.name = t.profile
     LEFT JOIN pubsub_nodes n ON n.profile_id = p.id AND n.service = t.service AND n.name = t.node`,
    [requests.map((r) => r.profile), requests.map((r) => r.service), requests.map((r) => r.node)],
  );
  const byOrd = new Map(found.map((r) => [Number(r.ord), r]));
  const merged = new Map<string, [number, Row]>();
  const outcomes = requests.map((req, i): StorageOutcome => {
    const hit = byOrd.get(i + 1);
    if (hit?.profile_id === null || hit === undefined) {
      const error = new AviaryError(
        'storage.unknown-profile',
        `no profile named ${JSON.stringify(req.profile)}`,
        {
          details: { profile: req.profile },
        },
      );
      return { ok: false, error: serializeError(error) };
    }
    if (hit.node_id === null) {
      const error = new AviaryError(
        'storage.unknown-node',
        `no cached node ${req.service} ${req.node}`,
        {
          details: { profile: req.profile, service: req.service, node: req.node },
        },
      );
      return { ok: false, error: serializeError(error) };
    }
    const node = Number(hit.node_id);
    for (const row of prepared[i] ?? []) {
      const key = `${node}\u0000${row[0]}`;
      const earlier = merged.get(key);
      merged.set(key, [
        node,
        earlier === undefined ? row : [row[0], row[1], earlier[1][2], row[3], row[4], row[5]],
      ]);
    }
    return { ok: true, value: { upserted: req.items.length } };
  });
  await writeRows(ctx, [...merged.values()]);
  return outcomes;
}

export async function deleteItems(
  ctx: PgContext,
  req: Of<'pubsub.items.delete'>,
): Promise<{ deleted: number }> {
  const node = await nodeId(ctx, req);
  const names = optionalList(req.names, 'names') as string[] | undefined;
  if (names === undefined || names.length === 0) return { deleted: 0 };
  const { changes } = await ctx.db.run(
    'DELETE FROM pubsub_items WHERE node_id = $1 AND name = ANY($2::text[])',
    [node, names],
  );
  return { deleted: changes };
}

const ITEM_COLUMNS = 'id, name, data, created, updated, parsed';

export async function getItems(ctx: PgContext, req: Of<'pubsub.items.get'>): Promise<ItemsPage> {
  const node = await nodeId(ctx, req);
  const orderBy = req.orderBy ?? 'creation';
  if (orderBy !== 'creation' && orderBy !== 'modification') throw badArgument('bad orderBy');
  const col = orderBy === 'creation' ? 'created' : 'updated';
  const count = Number(
    (await ctx.db.get('SELECT COUNT(*)::int AS c FROM pubsub_items WHERE node_id = $1', [node]))?.c,
  );
  const rsm = req.rsm ?? {};
  const max = optionalLimit(rsm.max, 'rsm.max') ?? optionalLimit(req.maxItems, 'maxItems');
  const limit = max ?? null;
  const base = `SELECT ${ITEM_COLUMNS} FROM pubsub_items WHERE node_id = $1`;
  const ascending = `ORDER BY ${col} ASC, id ASC`;
  const descending = `ORDER BY ${col} DESC, id DESC`;
  const keyOf = async (name: string): Promise<[number, number]> => {
    const row = await ctx.db.get(
      `SELECT ${col} AS k, id FROM pubsub_items WHERE node_id = $1 AND name = $2`,
      [node, name],
    );
    if (row === undefined) {
      throw new AviaryError('storage.item-not-found', `no item ${JSON.stringify(name)} in node`, {
        details: { item: name },
      });
    }
    return [Number(row.k), Number(row.id)];
  };
  const countBelow = async (key: [number, number], inclusive: boolean) =>
    Number(
      (
        await ctx.db.get(
          `SELECT COUNT(*)::int AS c FROM pubsub_items WHERE node_id = $1 AND (${col}, id) ${inclusive ? '<=' : '<'} ($2, $3)`,
          [node, ...key],
        )
      )?.c,
    );

  let rows: PgRow[];
  let index: number;
  if (req.names !== undefined) {
    const names = optionalList(req.names, 'names') as string[];
    rows = await ctx.db.all(`${base} AND name = ANY($2::text[]) ${ascending}`, [node, names]);
    index = 0;
  } else if (rsm.after !== undefined) {
    const key = await keyOf(requireString(rsm.after, 'rsm.after', 1024));
    rows = await ctx.db.all(`${base} AND (${col}, id) > ($2, $3) ${ascending} LIMIT $4`, [
      node,
      ...key,
      limit,
    ]);
    index = await countBelow(key, true);
  } else if (rsm.before !== undefined && rsm.before !== '') {
    const key = await keyOf(requireString(rsm.before, 'rsm.before', 1024));
    rows = (
      await ctx.db.all(`${base} AND (${col}, id) < ($2, $3) ${descending} LIMIT $4`, [
        node,
        ...key,
        limit,
      ])
    ).reverse();
    index = (await countBelow(key, false)) - rows.length;
  } else if (rsm.index !== undefined) {
    index = optionalLimit(rsm.index, 'rsm.index') ?? 0;
    rows = await ctx.db.all(`${base} ${ascending} LIMIT $2 OFFSET $3`, [node, limit, index]);
  } else if (max !== undefined) {
    // max_items / RSM `<before/>`: the most recent `max`, returned oldest first.
    rows = (await ctx.db.all(`${base} ${descending} LIMIT $2`, [node, limit])).reverse();
    index = count - rows.length;
  } else {
    rows = await ctx.db.all(`${base} ${ascending}`, [node]);
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
