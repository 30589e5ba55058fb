/** Profiles and components (XEP-0114) on PostgreSQL; same results and errors as `profiles.ts`. */
import { AviaryError } from '../../errors.js';
import { badArgument, parseJid, requireString } from '../handler-context.js';
import type { ComponentInfo, ProfileInfo, StorageRequest, TlsPolicy } from '../messages.js';
import { profileChanges, profileNotFound } from '../profiles.js';
import type { PgContext, PgRow } from './pg-access.js';
import { profileId } from './pg-lookups.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const PROFILE_COLUMNS =
  'name, jid, password_ciphertext, server_host, server_port, tls_policy, autoconnect, created';

function toProfile(row: PgRow): ProfileInfo {
  return {
    name: String(row.name),
    jid: String(row.jid),
    passwordCiphertext: row.password_ciphertext === null ? null : String(row.password_ciphertext),
    serverHost: row.server_host === null ? null : String(row.server_host),
    serverPort: row.server_port === null ? null : Number(row.server_port),
    tlsPolicy: row.tls_policy as TlsPolicy,
    autoconnect: row.autoconnect === true,
    created: Number(row.created),
  };
}

function toComponent(row: PgRow): ComponentInfo {
  return {
    profile: String(row.name),
    entryPoint: String(row.entry_point),
    secretCiphertext: row.secret_ciphertext === null ? null : String(row.secret_ciphertext),
    sendHistory: row.send_history === true,
    receiveHistory: row.receive_history === true,
  };
}

export async function createProfile(
  ctx: PgContext,
  req: Of<'profile.create'>,
): Promise<ProfileInfo> {
  const name = requireString(req.name, 'name', 256);
  parseJid(req.jid, 'jid');
  const tls = req.tlsPolicy ?? 'required';
  if (!['required', 'optional', 'disabled'].includes(tls)) throw badArgument('bad tlsPolicy');
  const port = req.serverPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw badArgument('serverPort must be an integer in 1..65535');
  }
  const row = await ctx.db.get(
    `INSERT INTO profiles (${PROFILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING RETURNING ${PROFILE_COLUMNS}`,
    [
      name,
      req.jid,
      req.passwordCiphertext ?? null,
      req.serverHost ?? null,
      port ?? null,
      tls,
      req.autoconnect === true,
      ctx.now(),
    ],
  );
  if (row === undefined) {
    throw new AviaryError('storage.profile-exists', `profile ${JSON.stringify(name)} exists`, {
      details: { profile: name },
    });
  }
  return toProfile(row);
}

/** Deletes a profile; history, parameters, private values, nodes and items cascade. */
export async function deleteProfile(
  ctx: PgContext,
  req: Of<'profile.delete'>,
): Promise<{ deleted: boolean }> {
  const name = requireString(req.name, 'name', 256);
  return {
    deleted: (await ctx.db.run('DELETE FROM profiles WHERE name = $1', [name])).changes > 0,
  };
}

export async function getProfile(
  ctx: PgContext,
  req: Of<'profile.get'>,
): Promise<ProfileInfo | null> {
  const row = await ctx.db.get(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE name = $1`, [
    requireString(req.name, 'name', 256),
  ]);
  return row === undefined ? null : toProfile(row);
}

export async function listProfiles(
  ctx: PgContext,
  req: Of<'profile.list'>,
): Promise<ProfileInfo[]> {
  const where = req.autoconnectOnly ? 'WHERE autoconnect' : '';
  const rows = await ctx.db.all(
    `SELECT ${PROFILE_COLUMNS} FROM profiles ${where} ORDER BY name COLLATE "C"`,
  );
  return rows.map(toProfile);
}

const COMPONENT_SELECT =
  'SELECT p.name, c.entry_point, c.secret_ciphertext, c.send_history, c.receive_history FROM components c JOIN profiles p ON p.id = c.profile_id';

export async function createComponent(
  ctx: PgContext,
  req: Of<'component.create'>,
): Promise<ComponentInfo> {
  const id = await profileId(ctx.db, req.profile);
  const entryPoint = requireString(req.entryPoint, 'entryPoint', 256);
  await ctx.db.run(
    'INSERT INTO components (profile_id, entry_point, secret_ciphertext, send_history, receive_history) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (profile_id) DO UPDATE SET entry_point = excluded.entry_point, secret_ciphertext = excluded.secret_ciphertext, send_history = excluded.send_history, receive_history = excluded.receive_history',
    [
      id,
      entryPoint,
      req.secretCiphertext ?? null,
      req.sendHistory === true,
      req.receiveHistory === true,
    ],
  );
  return (await getComponent(ctx, {
    type: 'component.get',
    profile: req.profile,
  })) as ComponentInfo;
}

export async function deleteComponent(
  ctx: PgContext,
  req: Of<'component.delete'>,
): Promise<{ deleted: boolean }> {
  const id = await profileId(ctx.db, req.profile);
  const { changes } = await ctx.db.run('DELETE FROM components WHERE profile_id = $1', [id]);
  return { deleted: changes > 0 };
}

export async function getComponent(
  ctx: PgContext,
  req: Of<'component.get'>,
): Promise<ComponentInfo | null> {
  const row = await ctx.db.get(`${COMPONENT_SELECT} WHERE p.name = $1`, [
    requireString(req.profile, 'profile', 256),
  ]);
  return row === undefined ? null : toComponent(row);
}

export async function listComponents(ctx: PgContext): Promise<ComponentInfo[]> {
  return (await ctx.db.all(`${COMPONENT_SELECT} ORDER BY p.name COLLATE "C"`)).map(toComponent);
}

/** Same as the sql.js `updateProfile`: the fields given change; `null` clears host or port. */
export async function updateProfile(
  ctx: PgContext,
  req: Of<'profile.update'>,
): Promise<ProfileInfo> {
  const name = requireString(req.name, 'name', 256);
  const { sets, params } = profileChanges(req);
  // `column = ?` becomes `column = $n`: the placeholders are numbered in order, the name last.
  const numbered = sets.map((set, i) => set.replace('?', `$${i + 1}`));
  const row =
    sets.length === 0
      ? await ctx.db.get(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE name = $1`, [name])
      : await ctx.db.get(
          `UPDATE profiles SET ${numbered.join(', ')} WHERE name = $${sets.length + 1} RETURNING ${PROFILE_COLUMNS}`,
          [...params, name],
        );
  if (row === undefined) throw profileNotFound(name);
  return toProfile(row);
}
