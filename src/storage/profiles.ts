/** Profiles (XMPP accounts) and components (XEP-0114, https://xmpp.org/extensions/xep-0114.html). */
import { AviaryError } from '../errors.js';
import {
  badArgument,
  type HandlerContext,
  parseJid,
  profileId,
  requireString,
} from './handler-context.js';
import type { ComponentInfo, ProfileInfo, StorageRequest, TlsPolicy } from './messages.js';
import type { SqlRow } from './sql-database.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const PROFILE_COLUMNS =
  'name, jid, password_ciphertext, server_host, server_port, tls_policy, autoconnect, created';

function toProfile(row: SqlRow): ProfileInfo {
  return {
    name: String(row.name),
    jid: String(row.jid),
    passwordCiphertext: row.password_ciphertext === null ? null : String(row.password_ciphertext),
    serverHost: row.server_host === null ? null : String(row.server_host),
    serverPort: row.server_port === null ? null : Number(row.server_port),
    tlsPolicy: row.tls_policy as TlsPolicy,
    autoconnect: row.autoconnect === 1,
    created: Number(row.created),
  };
}

function toComponent(row: SqlRow): ComponentInfo {
  return {
    profile: String(row.name),
    entryPoint: String(row.entry_point),
    secretCiphertext: row.secret_ciphertext === null ? null : String(row.secret_ciphertext),
    sendHistory: row.send_history === 1,
    receiveHistory: row.receive_history === 1,
  };
}

export function createProfile(ctx: HandlerContext, req: Of<'profile.create'>): ProfileInfo {
  const name = requireString(req.name, 'name', 256);
  parseJid(req.jid, 'jid');
  const tls = req.tlsPolicy ?? 'required';
  if (!['required', 'optional', 'disabled'].includes(tls)) throw badArgument('bad tlsPolicy');
  const port = req.serverPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw badArgument('serverPort must be an integer in 1..65535');
  }
  if (ctx.db.get('SELECT 1 AS x FROM profiles WHERE name = ?', [name]) !== undefined) {
    throw new AviaryError('storage.profile-exists', `profile ${JSON.stringify(name)} exists`, {
      details: { profile: name },
    });
  }
  ctx.db.run(`INSERT INTO profiles (${PROFILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    name,
    req.jid,
    req.passwordCiphertext ?? null,
    req.serverHost ?? null,
    port ?? null,
    tls,
    req.autoconnect ? 1 : 0,
    ctx.now(),
  ]);
  return getProfile(ctx, { type: 'profile.get', name }) as ProfileInfo;
}

/** Deletes a profile; history, parameters, private values, nodes and items cascade. */
export function deleteProfile(
  ctx: HandlerContext,
  req: Of<'profile.delete'>,
): { deleted: boolean } {
  const name = requireString(req.name, 'name', 256);
  return { deleted: ctx.db.run('DELETE FROM profiles WHERE name = ?', [name]).changes > 0 };
}

export function getProfile(ctx: HandlerContext, req: Of<'profile.get'>): ProfileInfo | null {
  const row = ctx.db.get(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE name = ?`, [
    requireString(req.name, 'name', 256),
  ]);
  return row === undefined ? null : toProfile(row);
}

export function listProfiles(ctx: HandlerContext, req: Of<'profile.list'>): ProfileInfo[] {
  const where = req.autoconnectOnly ? 'WHERE autoconnect = 1' : '';
  return ctx.db
    .all(`SELECT ${PROFILE_COLUMNS} FROM profiles ${where} ORDER BY name`)
    .map(toProfile);
}

const COMPONENT_SELECT =
  'SELECT p.name, c.entry_point, c.secret_ciphertext, c.send_history, c.receive_history FROM components c JOIN profiles p ON p.id = c.profile_id';

export function createComponent(ctx: HandlerContext, req: Of<'component.create'>): ComponentInfo {
  const id = profileId(ctx.db, req.profile);
  const entryPoint = requireString(req.entryPoint, 'entryPoint', 256);
  ctx.db.run(
    'INSERT INTO components (profile_id, entry_point, secret_ciphertext, send_history, receive_history) VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile_id) DO UPDATE SET entry_point = excluded.entry_point, secret_ciphertext = excluded.secret_ciphertext, send_history = excluded.send_history, receive_history = excluded.receive_history',
    [
      id,
      entryPoint,
      req.secretCiphertext ?? null,
      req.sendHistory ? 1 : 0,
      req.receiveHistory ? 1 : 0,
    ],
  );
  return getComponent(ctx, { type: 'component.get', profile: req.profile }) as ComponentInfo;
}

export function deleteComponent(
  ctx: HandlerContext,
  req: Of<'component.delete'>,
): { deleted: boolean } {
  const id = profileId(ctx.db, req.profile);
  return { deleted: ctx.db.run('DELETE FROM components WHERE profile_id = ?', [id]).changes > 0 };
}

export function getComponent(ctx: HandlerContext, req: Of<'component.get'>): ComponentInfo | null {
  const row = ctx.db.get(`${COMPONENT_SELECT} WHERE p.name = ?`, [
    requireString(req.profile, 'profile', 256),
  ]);
  return row === undefined ? null : toComponent(row);
}

export function listComponents(ctx: HandlerContext): ComponentInfo[] {
  return ctx.db.all(`${COMPONENT_SELECT} ORDER BY p.name`).map(toComponent);
}

/**
 * Changes a profile's password, server host, port or TLS policy (the fields given; `null`
 * clears host or port). Throws `profile.not-found` when there is no such profile.
 */
export function updateProfile(ctx: HandlerContext, req: Of<'profile.update'>): ProfileInfo {
  const name = requireString(req.name, 'name', 256);
  const { sets, params } = profileChanges(req);
  if (sets.length > 0) {
    ctx.db.run(`UPDATE profiles SET ${sets.join(', ')} WHERE name = ?`, [...params, name]);
  }
  const updated = getProfile(ctx, { type: 'profile.get', name });
  if (updated === null) throw profileNotFound(name);
  return updated;
}

/** The `column = ?` assignments of a profile update and their values, checked (fixed columns only). */
export function profileChanges(req: Of<'profile.update'>): {
  sets: string[];
  params: (string | number | null)[];
} {
  const sets: string[] = [];
  const params: (string | number | null)[] = [];
  if (req.passwordCiphertext !== undefined) {
    sets.push('password_ciphertext = ?');
    params.push(requireString(req.passwordCiphertext, 'passwordCiphertext', 4096));
  }
  if (req.serverHost !== undefined) {
    sets.push('server_host = ?');
    params.push(req.serverHost === null ? null : requireString(req.serverHost, 'serverHost', 253));
  }
  if (req.serverPort !== undefined) {
    const port = req.serverPort;
    if (port !== null && (!Number.isInteger(port) || port < 1 || port > 65535))
      throw badArgument('serverPort must be an integer in 1..65535');
    sets.push('server_port = ?');
    params.push(port);
  }
  if (req.tlsPolicy !== undefined) {
    if (!['required', 'optional', 'disabled'].includes(req.tlsPolicy))
      throw badArgument('bad tlsPolicy');
    sets.push('tls_policy = ?');
    params.push(req.tlsPolicy);
  }
  return { sets, params };
}

export function profileNotFound(name: string): AviaryError {
  return new AviaryError('profile.not-found', `no profile named ${JSON.stringify(name)}`, {
    details: { profile: name },
  });
}
