/**
 * Message history on PostgreSQL: idempotent add (uid, and (profile, sender, stanza id) or
 * (profile, sender, origin id) — XEP-0359 https://xmpp.org/extensions/xep-0359.html) and
 * filtered queries with full text over bodies. Consecutive adds of a batch are written by
 * {@link addHistoryBatch} as a handful of multi-row statements (`unnest` of bound arrays)
 * instead of one round trip per row; `ON CONFLICT DO NOTHING` plays `INSERT OR IGNORE`.
 */
import { AviaryError, serializeError } from '../../errors.js';
import {
  badArgument,
  optionalLimit,
  optionalNumber,
  parseJid,
  requireString,
} from '../handler-context.js';
import { checkType, langMap } from '../history-arguments.js';
import type {
  HistoryMessage,
  Json,
  MessageType,
  StorageOutcome,
  StorageRequest,
} from '../messages.js';
import { Params, type PgContext } from './pg-access.js';
import { toTsQuery } from './pg-full-text.js';
import { profileId } from './pg-lookups.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

/** One validated add, ready to bind. */
interface Row {
  readonly uid: string;
  readonly profile: string;
  readonly values: readonly unknown[];
  readonly messages: [string, string][];
  readonly subjects: [string, string][];
  readonly thread: { id: string; parentId: string | null } | null;
}

function validate(req: Of<'history.add'>): Row {
  const profile = requireString(req.profile, 'profile');
  const uid = requireString(req.uid, 'uid', 512);
  const from = parseJid(req.from, 'from');
  const to = parseJid(req.to, 'to');
  const type = checkType(req.messageType);
  const timestamp = optionalNumber(req.timestamp, 'timestamp');
  if (timestamp === undefined) throw badArgument('timestamp is required');
  const received = optionalNumber(req.receivedTimestamp, 'receivedTimestamp');
  return {
    uid,
    profile,
    values: [
      uid,
      req.stanzaId ?? null,
      req.originId ?? null,
      from.bare,
      from.resource,
      to.bare,
      to.resource,
      timestamp,
      received ?? null,
      type,
      req.extra === undefined ? null : JSON.stringify(req.extra),
    ],
    messages: langMap(req.messages, 'messages'),
    subjects: langMap(req.subjects, 'subjects'),
    thread:
      req.thread === undefined
        ? null
        : { id: requireString(req.thread.id, 'thread.id'), parentId: req.thread.parentId ?? null },
  };
}

const COLUMN_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'float8',
  'float8',
  'text',
  'text',
];

/**
 * Adds many messages in three to five statements; one outcome per request, in order. A bad
 * request (unknown profile, malformed JID) fails alone; a statement failure is thrown.
 */
export async function addHistoryBatch(
  ctx: PgContext,
  requests: readonly Of<'history.add'>[],
): Promise<StorageOutcome[]> {
  const outcomes: (StorageOutcome | Row)[] = requests.map((req) => {
    try {
      return validate(req);
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  });
  const names = [...new Set(outcomes.flatMap((o) => ('uid' in o ? [o.profile] : [])))];
  const ids = new Map<string, number>();
  if (names.length > 0) {
    const rows = await ctx.db.all('SELECT id, name FROM profiles WHERE name = ANY($1::text[])', [
      names,
    ]);
    for (const r of rows) ids.set(String(r.name), Number(r.id));
  }
  const pending: { index: number; row: Row; profileId: number }[] = [];
  outcomes.forEach((o, index) => {
    if (!('uid' in o)) return;
    const id = ids.get(o.profile);
    if (id === undefined) {
      const error = new AviaryError(
        'storage.unknown-profile',
        `no profile named ${JSON.stringify(o.profile)}`,
        { details: { profile: o.profile } },
      );
      outcomes[index] = { ok: false, error: serializeError(error) };
      return;
    }
    pending.push({ index, row: o, profileId: id });
  });
  const added = new Set<string>();
  if (pending.length > 0) {
    const columns = COLUMN_TYPES.map((_, c) => pending.map((p) => p.row.values[c]));
    const p = new Params();
    const arrays = COLUMN_TYPES.map((t, c) => `${p.add(columns[c])}::${t}[]`);
    const profiles = `${p.add(pending.map((x) => x.profileId))}::int8[]`;
    const inserted = await ctx.db.all(
      `INSERT INTO history (uid, stanza_id, origin_id, source, source_res, dest, dest_res, timestamp, received_timestamp, type, extra, profile_id)
       SELECT u.uid, u.stanza_id, u.origin_id, u.source, u.source_res, u.dest, u.dest_res, u.ts, u.received, u.type, u.extra::jsonb, u.profile_id
       FROM unnest(${arrays.join(', ')}, ${profiles}) WITH ORDINALITY AS u(uid, stanza_id, origin_id, source, source_res, dest, dest_res, ts, received, type, extra, profile_id, ord)
       ORDER BY u.ord
       ON CONFLICT DO NOTHING RETURNING uid`,
      p.values,
    );
    for (const r of inserted) added.add(String(r.uid));
    await insertChildren(
      ctx,
      pending.map((x) => x.row).filter((row) => added.has(row.uid)),
    );
  }
  const reported = new Set<string>();
  return outcomes.map((o) => {
    if (!('uid' in o)) return o;
    const isNew = added.has(o.uid) && !reported.has(o.uid);
    reported.add(o.uid);
    return { ok: true, value: { uid: o.uid, added: isNew } };
  });
}

async function insertChildren(ctx: PgContext, rows: readonly Row[]): Promise<void> {
  const seen = new Set<string>();
  const fresh = rows.filter((r) => !seen.has(r.uid) && seen.add(r.uid));
  for (const [table, column, pick] of [
    ['message', 'message', (r: Row) => r.messages],
    ['subject', 'subject', (r: Row) => r.subjects],
  ] as const) {
    const entries = fresh.flatMap((r) => pick(r).map(([lang, text]) => [r.uid, text, lang]));
    if (entries.length === 0) continue;
    await ctx.db.run(
      `INSERT INTO ${table} (history_uid, ${column}, language) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [entries.map((e) => e[0]), entries.map((e) => e[1]), entries.map((e) => e[2])],
    );
  }
  const threads = fresh.filter((r) => r.thread !== null);
  if (threads.length > 0) {
    await ctx.db.run(
      'INSERT INTO thread (history_uid, thread_id, parent_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])',
      [
        threads.map((r) => r.uid),
        threads.map((r) => r.thread?.id),
        threads.map((r) => r.thread?.parentId ?? null),
      ],
    );
  }
}

function jidCondition(
  column: 'source' | 'dest',
  jid: { bare: string; resource: string | null },
  p: Params,
): string {
  return jid.resource === null
    ? `h.${column} = ${p.add(jid.bare)}`
    : `(h.${column} = ${p.add(jid.bare)} AND h.${column}_res = ${p.add(jid.resource)})`;
}

/** Newest first by default; `limit` defaults to all. Ties keep insertion order. */
export async function queryHistory(
  ctx: PgContext,
  req: Of<'history.query'>,
): Promise<HistoryMessage[]> {
  const p = new Params();
  const where: string[] = [`h.profile_id = ${p.add(await profileId(ctx.db, req.profile))}`];
  if (req.with !== undefined && req.between !== undefined) {
    throw badArgument('use either with or between, not both');
  }
  if (req.with !== undefined) {
    const jid = parseJid(req.with, 'with');
    where.push(`(${jidCondition('source', jid, p)} OR ${jidCondition('dest', jid, p)})`);
  }
  if (req.between !== undefined) {
    if (!Array.isArray(req.between) || req.between.length !== 2) {
      throw badArgument('between must be two JIDs');
    }
    const x = parseJid(req.between[0], 'between[0]');
    const y = parseJid(req.between[1], 'between[1]');
    where.push(
      `((${jidCondition('source', x, p)} AND ${jidCondition('dest', y, p)}) OR (${jidCondition('source', y, p)} AND ${jidCondition('dest', x, p)}))`,
    );
  }
  const before = optionalNumber(req.before, 'before');
  if (before !== undefined) where.push(`h.timestamp < ${p.add(before)}`);
  const after = optionalNumber(req.after, 'after');
  if (after !== undefined) where.push(`h.timestamp > ${p.add(after)}`);
  if (req.types !== undefined) {
    if (!Array.isArray(req.types) || req.types.length === 0)
      throw badArgument('types must be a non-empty list');
    for (const t of req.types) checkType(t);
    where.push(`h.type = ANY(${p.add(req.types)}::text[])`);
  }
  if (req.search !== undefined) {
    const query = toTsQuery(requireString(req.search, 'search'));
    where.push(
      `h.uid IN (SELECT m.history_uid FROM message m WHERE m.message_tsv @@ to_tsquery('simple', ${p.add(query)}))`,
    );
  }
  const order = req.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw badArgument('order must be asc or desc');
  const limit = optionalLimit(req.limit, 'limit') ?? null;
  const rows = await ctx.db.all(
    `SELECT h.* FROM history h WHERE ${where.join(' AND ')} ORDER BY h.timestamp ${order}, h.seq ${order} LIMIT ${p.add(limit)}`,
    p.values,
  );
  if (rows.length === 0) return [];
  const uids = rows.map((r) => String(r.uid));
  const messages = await langMaps(ctx, 'message', uids);
  const subjects = await langMaps(ctx, 'subject', uids);
  const threads = new Map(
    (
      await ctx.db.all(
        'SELECT history_uid, thread_id, parent_id FROM thread WHERE history_uid = ANY($1::text[])',
        [uids],
      )
    ).map((t) => [
      String(t.history_uid),
      { id: String(t.thread_id), parentId: t.parent_id === null ? null : String(t.parent_id) },
    ]),
  );
  return rows.map((r) => {
    const uid = String(r.uid);
    return {
      uid,
      stanzaId: r.stanza_id === null ? null : String(r.stanza_id),
      originId: r.origin_id === null ? null : String(r.origin_id),
      from: r.source_res === null ? String(r.source) : `${r.source}/${r.source_res}`,
      to: r.dest_res === null ? String(r.dest) : `${r.dest}/${r.dest_res}`,
      type: r.type as MessageType,
      timestamp: Number(r.timestamp),
      receivedTimestamp: r.received_timestamp === null ? null : Number(r.received_timestamp),
      messages: messages.get(uid) ?? {},
      subjects: subjects.get(uid) ?? {},
      thread: threads.get(uid) ?? null,
      extra: (r.extra ?? null) as Json,
      delivered: r.delivered === null || r.delivered === undefined ? null : Number(r.delivered),
    };
  });
}

async function langMaps(
  ctx: PgContext,
  table: 'message' | 'subject',
  uids: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  const result = new Map<string, Record<string, string>>();
  const rows = await ctx.db.all(
    `SELECT history_uid, ${table} AS text, language FROM ${table} WHERE history_uid = ANY($1::text[]) ORDER BY id`,
    [uids],
  );
  for (const row of rows) {
    const map = result.get(String(row.history_uid)) ?? {};
    map[String(row.language)] = String(row.text);
    result.set(String(row.history_uid), map);
  }
  return result;
}

/**
 * One statement: PostgreSQL's planner combines the uid's primary key and `history_origin_lookup`
 * (a BitmapOr) for the `OR`, where SQLite's read the recipient's index instead.
 */
export const PG_MARK_DELIVERED =
  'UPDATE history SET delivered = $1 WHERE profile_id = $2 AND (uid = $3 OR origin_id = $3) AND dest = $4 AND delivered IS NULL';

/** The PostgreSQL twin of `markDelivered` in `history.ts` (XEP-0184 receipts). */
export async function markDelivered(
  ctx: PgContext,
  req: Of<'history.delivered'>,
): Promise<{ updated: number }> {
  const profile = await profileId(ctx.db, req.profile);
  const id = requireString(req.id, 'id', 512);
  const recipient = parseJid(req.recipient, 'recipient').bare;
  const timestamp = optionalNumber(req.timestamp, 'timestamp');
  if (timestamp === undefined) throw badArgument('timestamp is required');
  const { changes } = await ctx.db.run(PG_MARK_DELIVERED, [timestamp, profile, id, recipient]);
  return { updated: changes };
}
