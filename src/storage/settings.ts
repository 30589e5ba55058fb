/**
 * Parameters (string values by category/name) and private values (JSON by namespace/key),
 * general (no `profile`) or per profile, as Libervia's param_gen/param_ind and
 * private_gen/private_ind tables.
 */
import {
  fromJsonText,
  type HandlerContext,
  optionalList,
  placeholders,
  profileId,
  requireString,
} from './handler-context.js';
import type { Json, StorageRequest } from './messages.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

/** `[table, extra WHERE clause, extra params]` for general or per-profile scope. */
function scope(
  ctx: HandlerContext,
  profile: string | undefined,
  gen: string,
  ind: string,
): { table: string; where: string; params: number[] } {
  if (profile === undefined) return { table: gen, where: '', params: [] };
  return { table: ind, where: ' AND profile_id = ?', params: [profileId(ctx.db, profile)] };
}

export function getParam(ctx: HandlerContext, req: Of<'param.get'>): string | null {
  const s = scope(ctx, req.profile, 'param_gen', 'param_ind');
  const row = ctx.db.get(`SELECT value FROM ${s.table} WHERE category = ? AND name = ?${s.where}`, [
    requireString(req.category, 'category'),
    requireString(req.name, 'name'),
    ...s.params,
  ]);
  return row === undefined || row.value === null ? null : String(row.value);
}

export function setParam(ctx: HandlerContext, req: Of<'param.set'>): null {
  const category = requireString(req.category, 'category');
  const name = requireString(req.name, 'name');
  const value = req.value === null ? null : String(req.value);
  if (req.profile === undefined) {
    ctx.db.run(
      'INSERT INTO param_gen (category, name, value) VALUES (?, ?, ?) ON CONFLICT (category, name) DO UPDATE SET value = excluded.value',
      [category, name, value],
    );
  } else {
    ctx.db.run(
      'INSERT INTO param_ind (category, name, profile_id, value) VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, category, name) DO UPDATE SET value = excluded.value',
      [category, name, profileId(ctx.db, req.profile), value],
    );
  }
  return null;
}

export function deleteParam(ctx: HandlerContext, req: Of<'param.delete'>): { deleted: boolean } {
  const s = scope(ctx, req.profile, 'param_gen', 'param_ind');
  const { changes } = ctx.db.run(
    `DELETE FROM ${s.table} WHERE category = ? AND name = ?${s.where}`,
    [requireString(req.category, 'category'), requireString(req.name, 'name'), ...s.params],
  );
  return { deleted: changes > 0 };
}

export function getPrivate(ctx: HandlerContext, req: Of<'private.get'>): Record<string, Json> {
  const s = scope(ctx, req.profile, 'private_gen', 'private_ind');
  const keys = optionalList(req.keys, 'keys') as string[] | undefined;
  const keyFilter = keys === undefined ? '' : ` AND key IN (${placeholders(keys.length)})`;
  const rows = ctx.db.all(
    `SELECT key, value FROM ${s.table} WHERE namespace = ?${s.where}${keyFilter} ORDER BY key`,
    [requireString(req.namespace, 'namespace'), ...s.params, ...(keys ?? [])],
  );
  const result: Record<string, Json> = {};
  for (const row of rows) result[String(row.key)] = fromJsonText(row.value);
  return result;
}

export function setPrivate(ctx: HandlerContext, req: Of<'private.set'>): null {
  const namespace = requireString(req.namespace, 'namespace');
  const key = requireString(req.key, 'key');
  const value = JSON.stringify(req.value ?? null);
  if (req.profile === undefined) {
    ctx.db.run(
      'INSERT INTO private_gen (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value',
      [namespace, key, value],
    );
  } else {
    ctx.db.run(
      'INSERT INTO private_ind (namespace, key, profile_id, value) VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, namespace, key) DO UPDATE SET value = excluded.value',
      [namespace, key, profileId(ctx.db, req.profile), value],
    );
  }
  return null;
}

/** Deletes one key, or the whole namespace when `key` is omitted. */
export function deletePrivate(ctx: HandlerContext, req: Of<'private.delete'>): { deleted: number } {
  const s = scope(ctx, req.profile, 'private_gen', 'private_ind');
  const namespace = requireString(req.namespace, 'namespace');
  const keyFilter = req.key === undefined ? '' : ' AND key = ?';
  const keyParam = req.key === undefined ? [] : [requireString(req.key, 'key')];
  const { changes } = ctx.db.run(
    `DELETE FROM ${s.table} WHERE namespace = ?${s.where}${keyFilter}`,
    [namespace, ...s.params, ...keyParam],
  );
  return { deleted: changes };
}
