/**
 * Parameters and private values on PostgreSQL, general (no `profile`) or per profile; same
 * results as `settings.ts`. Private values are `jsonb`.
 */
import { optionalList, requireString } from '../handler-context.js';
import type { Json, StorageRequest } from '../messages.js';
import type { PgContext } from './pg-access.js';
import { profileId } from './pg-lookups.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

/** Table and extra condition for general or per-profile scope; `$3` is the profile id. */
async function scope(
  ctx: PgContext,
  profile: string | undefined,
  gen: string,
  ind: string,
): Promise<{ table: string; where: string; params: number[] }> {
  if (profile === undefined) return { table: gen, where: '', params: [] };
  return { table: ind, where: ' AND profile_id = $3', params: [await profileId(ctx.db, profile)] };
}

export async function getParam(ctx: PgContext, req: Of<'param.get'>): Promise<string | null> {
  const s = await scope(ctx, req.profile, 'param_gen', 'param_ind');
  const row = await ctx.db.get(
    `SELECT value FROM ${s.table} WHERE category = $1 AND name = $2${s.where}`,
    [requireString(req.category, 'category'), requireString(req.name, 'name'), ...s.params],
  );
  return row === undefined || row.value === null ? null : String(row.value);
}

export async function setParam(ctx: PgContext, req: Of<'param.set'>): Promise<null> {
  const category = requireString(req.category, 'category');
  const name = requireString(req.name, 'name');
  const value = req.value === null ? null : String(req.value);
  if (req.profile === undefined) {
    await ctx.db.run(
      'INSERT INTO param_gen (category, name, value) VALUES ($1, $2, $3) ON CONFLICT (category, name) DO UPDATE SET value = excluded.value',
      [category, name, value],
    );
  } else {
    await ctx.db.run(
      'INSERT INTO param_ind (category, name, profile_id, value) VALUES ($1, $2, $3, $4) ON CONFLICT (profile_id, category, name) DO UPDATE SET value = excluded.value',
      [category, name, await profileId(ctx.db, req.profile), value],
    );
  }
  return null;
}

export async function deleteParam(
  ctx: PgContext,
  req: Of<'param.delete'>,
): Promise<{ deleted: boolean }> {
  const s = await scope(ctx, req.profile, 'param_gen', 'param_ind');
  const { changes } = await ctx.db.run(
    `DELETE FROM ${s.table} WHERE category = $1 AND name = $2${s.where}`,
    [requireString(req.category, 'category'), requireString(req.name, 'name'), ...s.params],
  );
  return { deleted: changes > 0 };
}

export async function getPrivate(
  ctx: PgContext,
  req: Of<'private.get'>,
): Promise<Record<string, Json>> {
  const namespace = requireString(req.namespace, 'namespace');
  const keys = optionalList(req.keys, 'keys') as string[] | undefined;
  const s = await scope(ctx, req.profile, 'private_gen', 'private_ind');
  // `$2` is the key list (or NULL for all keys); `$3` the profile id when scoped.
  const rows = await ctx.db.all(
    `SELECT key, value FROM ${s.table} WHERE namespace = $1 AND ($2::text[] IS NULL OR key = ANY($2::text[]))${s.where} ORDER BY key COLLATE "C"`,
    [namespace, keys ?? null, ...s.params],
  );
  const result: Record<string, Json> = {};
  for (const row of rows) result[String(row.key)] = row.value as Json;
  return result;
}

export async function setPrivate(ctx: PgContext, req: Of<'private.set'>): Promise<null> {
  const namespace = requireString(req.namespace, 'namespace');
  const key = requireString(req.key, 'key');
  const value = JSON.stringify(req.value ?? null);
  if (req.profile === undefined) {
    await ctx.db.run(
      'INSERT INTO private_gen (namespace, key, value) VALUES ($1, $2, $3::jsonb) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value',
      [namespace, key, value],
    );
  } else {
    await ctx.db.run(
      'INSERT INTO private_ind (namespace, key, profile_id, value) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (profile_id, namespace, key) DO UPDATE SET value = excluded.value',
      [namespace, key, await profileId(ctx.db, req.profile), value],
    );
  }
  return null;
}

/** Deletes one key, or the whole namespace when `key` is omitted. */
export async function deletePrivate(
  ctx: PgContext,
  req: Of<'private.delete'>,
): Promise<{ deleted: number }> {
  const namespace = requireString(req.namespace, 'namespace');
  const key = req.key === undefined ? null : requireString(req.key, 'key');
  const s = await scope(ctx, req.profile, 'private_gen', 'private_ind');
  const { changes } = await ctx.db.run(
    `DELETE FROM ${s.table} WHERE namespace = $1 AND ($2::text IS NULL OR key = $2)${s.where}`,
    [namespace, key, ...s.params],
  );
  return { deleted: changes };
}
