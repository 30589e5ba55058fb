/**
 * Pubsub cache nodes (XEP-0060 https://xmpp.org/extensions/xep-0060.html): get/set, sync
 * state, deletion by lists, purge by filters and reset. Items cascade with their node.
 */
import { AviaryError } from '../errors.js';
import {
  badArgument,
  fromJsonText,
  type HandlerContext,
  optionalList,
  optionalNumber,
  placeholders,
  profileId,
  requireString,
  toJsonText,
} from './handler-context.js';
import type { SqlValue } from './journal.js';
import type { NodeFilters, PubsubNodeInfo, StorageRequest, SyncState } from './messages.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const STATES: ReadonlySet<unknown> = new Set([
  'IN_PROGRESS',
  'COMPLETED',
  'ERROR',
  'NO_SYNC',
  null,
]);

/** The id of a node, or a `storage.unknown-node` error. */
export function nodeId(
  ctx: HandlerContext,
  req: { profile: string; service: string; node: string },
): number {
  const row = ctx.db.get(
    'SELECT id FROM pubsub_nodes WHERE profile_id = ? AND service = ? AND name = ?',
    [
      profileId(ctx.db, req.profile),
      requireString(req.service, 'service'),
      requireString(req.node, 'node'),
    ],
  );
  if (row === undefined) {
    throw new AviaryError('storage.unknown-node', `no cached node ${req.service} ${req.node}`, {
      details: { profile: req.profile, service: req.service, node: req.node },
    });
  }
  return Number(row.id);
}

function inFilter(
  column: string,
  values: readonly (string | null)[] | undefined,
  where: string[],
  params: SqlValue[],
) {
  if (values === undefined) return;
  const strings = values.filter((v): v is string => v !== null);
  const parts: string[] = [];
  if (strings.length > 0) {
    parts.push(`${column} IN (${placeholders(strings.length)})`);
    params.push(...strings);
  }
  if (strings.length !== values.length) parts.push(`${column} IS NULL`);
  where.push(parts.length === 0 ? '0' : `(${parts.join(' OR ')})`);
}

/**
 * SQL conditions over `pubsub_nodes` aliased `n` (joined with `profiles` as `p`) for the
 * shared node filters. Values are always bound.
 */
export function nodeFilterSql(filters: NodeFilters): { where: string[]; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  inFilter('p.name', optionalList(filters.profiles, 'profiles'), where, params);
  inFilter('n.service', optionalList(filters.services, 'services'), where, params);
  inFilter('n.name', optionalList(filters.nodes, 'nodes'), where, params);
  inFilter('n.type', optionalList(filters.types, 'types', true), where, params);
  inFilter('n.subtype', optionalList(filters.subtypes, 'subtypes', true), where, params);
  return { where, params };
}

function getNodeRow(
  ctx: HandlerContext,
  req: { profile: string; service: string; node: string },
): PubsubNodeInfo | null {
  const row = ctx.db.get(
    'SELECT n.*, p.name AS profile FROM pubsub_nodes n JOIN profiles p ON p.id = n.profile_id WHERE n.profile_id = ? AND n.service = ? AND n.name = ?',
    [
      profileId(ctx.db, req.profile),
      requireString(req.service, 'service'),
      requireString(req.node, 'node'),
    ],
  );
  if (row === undefined) return null;
  return {
    profile: String(row.profile),
    service: String(row.service),
    name: String(row.name),
    subscribed: row.subscribed === 1,
    analyser: row.analyser === null ? null : String(row.analyser),
    type: row.type === null ? null : String(row.type),
    subtype: row.subtype === null ? null : String(row.subtype),
    syncState: row.sync_state as SyncState | null,
    syncStateUpdated: row.sync_state_updated === null ? null : Number(row.sync_state_updated),
    extra: fromJsonText(row.extra),
  };
}

export function getNode(ctx: HandlerContext, req: Of<'pubsub.node.get'>): PubsubNodeInfo | null {
  return getNodeRow(ctx, req);
}

/** Creates or updates a node; fields left undefined keep their stored value. */
export function setNode(ctx: HandlerContext, req: Of<'pubsub.node.set'>): PubsubNodeInfo {
  const profile = profileId(ctx.db, req.profile);
  const service = requireString(req.service, 'service');
  const node = requireString(req.node, 'node');
  if (req.syncState !== undefined && !STATES.has(req.syncState)) throw badArgument('bad syncState');
  const existing = getNodeRow(ctx, req);
  const pick = <T>(value: T | undefined, old: T): T => (value === undefined ? old : value);
  const syncState = pick(req.syncState, existing?.syncState ?? null);
  const syncUpdated =
    req.syncState !== undefined ? ctx.now() : (existing?.syncStateUpdated ?? null);
  ctx.db.run(
    'INSERT INTO pubsub_nodes (profile_id, service, name, subscribed, analyser, type, subtype, sync_state, sync_state_updated, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id, service, name) DO UPDATE SET subscribed = excluded.subscribed, analyser = excluded.analyser, type = excluded.type, subtype = excluded.subtype, sync_state = excluded.sync_state, sync_state_updated = excluded.sync_state_updated, extra = excluded.extra',
    [
      profile,
      service,
      node,
      pick(req.subscribed, existing?.subscribed ?? false) ? 1 : 0,
      pick(req.analyser, existing?.analyser ?? null),
      pick(req.nodeType, existing?.type ?? null),
      pick(req.subtype, existing?.subtype ?? null),
      syncState,
      syncUpdated,
      req.extra === undefined ? toJsonText(existing?.extra ?? undefined) : toJsonText(req.extra),
    ],
  );
  return getNodeRow(ctx, req) as PubsubNodeInfo;
}

export function setSyncState(
  ctx: HandlerContext,
  req: Of<'pubsub.node.sync-state'>,
): { updated: number } {
  if (!STATES.has(req.state)) throw badArgument('bad sync state');
  const nodes = optionalList(req.nodes, 'nodes') as string[] | undefined;
  if (nodes === undefined || nodes.length === 0)
    throw badArgument('nodes must be a non-empty list');
  const { changes } = ctx.db.run(
    `UPDATE pubsub_nodes SET sync_state = ?, sync_state_updated = ? WHERE profile_id = ? AND service = ? AND name IN (${placeholders(nodes.length)})`,
    [
      req.state,
      ctx.now(),
      profileId(ctx.db, req.profile),
      requireString(req.service, 'service'),
      ...nodes,
    ],
  );
  return { updated: changes };
}

function deleteNodesWhere(ctx: HandlerContext, where: string[], params: SqlValue[]): number {
  const condition = where.length === 0 ? '1' : where.join(' AND ');
  return ctx.db.run(
    `DELETE FROM pubsub_nodes WHERE id IN (SELECT n.id FROM pubsub_nodes n JOIN profiles p ON p.id = n.profile_id WHERE ${condition})`,
    params,
  ).changes;
}

/** Deletes nodes matching all given lists (an omitted list matches everything). */
export function deleteNodes(
  ctx: HandlerContext,
  req: Of<'pubsub.nodes.delete'>,
): { deleted: number } {
  const { where, params } = nodeFilterSql({
    profiles: req.profiles,
    services: req.services,
    nodes: req.nodes,
  });
  if (where.length === 0) throw badArgument('give at least one of profiles, services, nodes');
  return { deleted: deleteNodesWhere(ctx, where, params) };
}

/** Deletes cached items matching the filters; nodes stay. */
export function purgeItems(ctx: HandlerContext, req: Of<'pubsub.purge'>): { deleted: number } {
  const { where, params } = nodeFilterSql(req);
  const createdBefore = optionalNumber(req.createdBefore, 'createdBefore');
  const updatedBefore = optionalNumber(req.updatedBefore, 'updatedBefore');
  const itemWhere: string[] = [];
  if (createdBefore !== undefined) {
    itemWhere.push('i.created < ?');
    params.push(createdBefore);
  }
  if (updatedBefore !== undefined) {
    itemWhere.push('i.updated < ?');
    params.push(updatedBefore);
  }
  const condition = [...where, ...itemWhere].join(' AND ') || '1';
  const { changes } = ctx.db.run(
    `DELETE FROM pubsub_items WHERE id IN (SELECT i.id FROM pubsub_items i JOIN pubsub_nodes n ON n.id = i.node_id JOIN profiles p ON p.id = n.profile_id WHERE ${condition})`,
    params,
  );
  return { deleted: changes };
}

/** Drops the whole cache (or the given profiles' part): nodes, items and subscriptions. */
export function resetCache(ctx: HandlerContext, req: Of<'pubsub.reset'>): { deleted: number } {
  const { where, params } = nodeFilterSql({ profiles: req.profiles });
  return { deleted: deleteNodesWhere(ctx, where, params) };
}
