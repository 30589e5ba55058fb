/**
 * Message history: idempotent add (on uid, and on (profile, sender, stanza id) or
 * (profile, sender, origin id) — XEP-0359 https://xmpp.org/extensions/xep-0359.html) and
 * filtered queries with full-text search over bodies.
 */
import {
  badArgument,
  fromJsonText,
  type HandlerContext,
  optionalLimit,
  optionalNumber,
  parseJid,
  placeholders,
  profileId,
  requireString,
  toJsonText,
} from './handler-context.js';
import { checkType, langMap } from './history-arguments.js';
import type { SqlValue } from './journal.js';
import type { HistoryMessage, MessageType, StorageRequest } from './messages.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

/** The history table's columns, in the order {@link historyValues} gives their values. */
export const HISTORY_COLUMNS =
  'uid, stanza_id, origin_id, profile_id, source, source_res, dest, dest_res, timestamp, received_timestamp, type, extra';

const INSERT_HISTORY = `INSERT OR IGNORE INTO history (${HISTORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** An add's checked parts, as `addHistory` and the multi-row path both derive them. */
export interface CheckedHistoryAdd {
  readonly uid: string;
  readonly profile: number;
  readonly from: { readonly bare: string; readonly resource: string | null };
  readonly to: { readonly bare: string; readonly resource: string | null };
  readonly timestamp: number;
  readonly received: number | undefined;
  readonly type: MessageType;
}

/** The values of one history row, in {@link HISTORY_COLUMNS} order. */
export function historyValues(req: Of<'history.add'>, checked: CheckedHistoryAdd): SqlValue[] {
  const { uid, profile, from, to, timestamp, received, type } = checked;
  return [
    uid,
    req.stanzaId ?? null,
    req.originId ?? null,
    profile,
    from.bare,
    from.resource,
    to.bare,
    to.resource,
    timestamp,
    received ?? null,
    type,
    toJsonText(req.extra),
  ];
}

export function addHistory(
  ctx: HandlerContext,
  req: Of<'history.add'>,
): { uid: string; added: boolean } {
  const profile = profileId(ctx.db, req.profile);
  const uid = requireString(req.uid, 'uid', 512);
  const from = parseJid(req.from, 'from');
  const to = parseJid(req.to, 'to');
  const type = checkType(req.messageType);
  const timestamp = optionalNumber(req.timestamp, 'timestamp');
  if (timestamp === undefined) throw badArgument('timestamp is required');
  const received = optionalNumber(req.receivedTimestamp, 'receivedTimestamp');
  const messages = langMap(req.messages, 'messages');
  const subjects = langMap(req.subjects, 'subjects');
  const { changes } = ctx.db.run(
    INSERT_HISTORY,
    historyValues(req, { uid, profile, from, to, timestamp, received, type }),
  );
  if (changes === 0) return { uid, added: false };
  for (const [lang, text] of messages) {
    ctx.db.run(
      'INSERT INTO message (history_uid, message, language) VALUES (?, CAST(? AS TEXT), ?)',
      [uid, text, lang],
    );
  }
  for (const [lang, text] of subjects) {
    ctx.db.run('INSERT INTO subject (history_uid, subject, language) VALUES (?, ?, ?)', [
      uid,
      text,
      lang,
    ]);
  }
  if (req.thread !== undefined) {
    ctx.db.run('INSERT INTO thread (history_uid, thread_id, parent_id) VALUES (?, ?, ?)', [
      uid,
      requireString(req.thread.id, 'thread.id'),
      req.thread.parentId ?? null,
    ]);
  }
  return { uid, added: true };
}

function jidCondition(column: 'source' | 'dest', jid: { bare: string; resource: string | null }) {
  return jid.resource === null
    ? { sql: `h.${column} = ?`, params: [jid.bare] }
    : { sql: `(h.${column} = ? AND h.${column}_res = ?)`, params: [jid.bare, jid.resource] };
}

/** Newest first by default; `limit` defaults to all. */
export function queryHistory(ctx: HandlerContext, req: Of<'history.query'>): HistoryMessage[] {
  const where: string[] = ['h.profile_id = ?'];
  const params: SqlValue[] = [profileId(ctx.db, req.profile)];
  if (req.with !== undefined && req.between !== undefined) {
    throw badArgument('use either with or between, not both');
  }
  if (req.with !== undefined) {
    const jid = parseJid(req.with, 'with');
    const a = jidCondition('source', jid);
    const b = jidCondition('dest', jid);
    where.push(`(${a.sql} OR ${b.sql})`);
    params.push(...a.params, ...b.params);
  }
  if (req.between !== undefined) {
    if (!Array.isArray(req.between) || req.between.length !== 2) {
      throw badArgument('between must be two JIDs');
    }
    const x = parseJid(req.between[0], 'between[0]');
    const y = parseJid(req.between[1], 'between[1]');
    const parts = [
      jidCondition('source', x),
      jidCondition('dest', y),
      jidCondition('source', y),
      jidCondition('dest', x),
    ];
    where.push(
      `((${parts[0]!.sql} AND ${parts[1]!.sql}) OR (${parts[2]!.sql} AND ${parts[3]!.sql}))`,
    );
    for (const p of parts) params.push(...p.params);
  }
  const before = optionalNumber(req.before, 'before');
  if (before !== undefined) {
    where.push('h.timestamp < ?');
    params.push(before);
  }
  const after = optionalNumber(req.after, 'after');
  if (after !== undefined) {
    where.push('h.timestamp > ?');
    params.push(after);
  }
  if (req.types !== undefined) {
    if (!Array.isArray(req.types) || req.types.length === 0)
      throw badArgument('types must be a non-empty list');
    for (const t of req.types) checkType(t);
    where.push(`h.type IN (${placeholders(req.types.length)})`);
    params.push(...req.types);
  }
  if (req.search !== undefined) {
    where.push(
      'h.uid IN (SELECT m.history_uid FROM message m WHERE m.id IN (SELECT docid FROM message_fts WHERE message_fts MATCH ?))',
    );
    params.push(requireString(req.search, 'search'));
  }
  const order = req.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw badArgument('order must be asc or desc');
  const limit = optionalLimit(req.limit, 'limit') ?? -1;
  const rows = ctx.db.all(
    `SELECT h.* FROM history h WHERE ${where.join(' AND ')} ORDER BY h.timestamp ${order}, h.rowid ${order} LIMIT ?`,
    [...params, limit],
  );
  if (rows.length === 0) return [];
  // The uids travel as ONE bound JSON array read back with json_each: an IN list of one
  // placeholder per row would hit SQLite's bound-variable ceiling (32,766) on large histories
  // and cache a new prepared statement per distinct row count.
  const uidsAsJson = [JSON.stringify(rows.map((r) => r.uid as string))];
  const inList = 'SELECT value FROM json_each(?)';
  const messages = new Map<string, Record<string, string>>();
  const subjects = new Map<string, Record<string, string>>();
  for (const m of ctx.db.all(
    `SELECT history_uid, message, language FROM message WHERE history_uid IN (${inList}) ORDER BY id`,
    uidsAsJson,
  )) {
    const map = messages.get(m.history_uid as string) ?? {};
    map[String(m.language)] = String(m.message);
    messages.set(m.history_uid as string, map);
  }
  for (const s of ctx.db.all(
    `SELECT history_uid, subject, language FROM subject WHERE history_uid IN (${inList}) ORDER BY id`,
    uidsAsJson,
  )) {
    const map = subjects.get(s.history_uid as string) ?? {};
    map[String(s.language)] = String(s.subject);
    subjects.set(s.history_uid as string, map);
  }
  const threads = new Map(
    ctx.db
      .all(
        `SELECT history_uid, thread_id, parent_id FROM thread WHERE history_uid IN (${inList})`,
        uidsAsJson,
      )
      .map((t) => [
        t.history_uid as string,
        { id: String(t.thread_id), parentId: t.parent_id === null ? null : String(t.parent_id) },
      ]),
  );
  return rows.map((r) => {
    const uid = r.uid as string;
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
      extra: fromJsonText(r.extra),
      delivered: r.delivered === null || r.delivered === undefined ? null : Number(r.delivered),
    };
  });
}

/**
 * The two lookups of a receipt, each on its own index: the uid's primary key, and
 * `history_origin_lookup` (profile, origin-id). One statement with `(uid = ? OR origin_id = ?)`
 * let SQLite's planner choose `history_dest_time` (profile, recipient) instead and read every
 * message the profile had sent to that recipient, once per receipt: a cost growing with the
 * conversation. `+dest` keeps that index out of the planner's choice.
 */
export const MARK_DELIVERED_BY_UID =
  'UPDATE history SET delivered = ? WHERE uid = ? AND profile_id = ? AND +dest = ? AND delivered IS NULL';
export const MARK_DELIVERED_BY_ORIGIN_ID =
  'UPDATE history SET delivered = ? WHERE profile_id = ? AND origin_id = ? AND +dest = ? AND delivered IS NULL';

/**
 * Records a delivery receipt (XEP-0184) on the sent message it names: matched by uid or
 * origin-id, sent by the profile to `recipient`, first receipt wins.
 */
export function markDelivered(
  ctx: HandlerContext,
  req: Of<'history.delivered'>,
): { updated: number } {
  const profile = profileId(ctx.db, req.profile);
  const id = requireString(req.id, 'id', 512);
  const recipient = parseJid(req.recipient, 'recipient').bare;
  const timestamp = optionalNumber(req.timestamp, 'timestamp');
  if (timestamp === undefined) throw badArgument('timestamp is required');
  // A row matching both is updated by the first statement; the second then skips it
  // (`delivered IS NULL`), so the sum counts each row once, as one `uid = ? OR origin_id = ?`
  // statement would.
  const byUid = ctx.db.run(MARK_DELIVERED_BY_UID, [timestamp, id, profile, recipient]).changes;
  const byOriginId = ctx.db.run(MARK_DELIVERED_BY_ORIGIN_ID, [timestamp, profile, id, recipient]);
  return { updated: byUid + byOriginId.changes };
}
