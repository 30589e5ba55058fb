/**
 * Pubsub cache nodes (XEP-0060 https://xmpp.org/extensions/xep-0060.html) on PostgreSQL:
 * get/set, sync state, deletion by lists, purge by filters and reset; same results as
 * `pubsub-nodes.ts`. Items cascade with their node.
 */
import { badArgument, optionalList, optionalNumber, requireString } from '../handler-context.js';
import type { Json, PubsubNodeInfo, StorageRequest, SyncState } from '../messages.js';
import { Params, type PgContext } from './pg-access.js';
import { nodeFilterSql, profileId } from './pg-lookups.js';

type Of<T extends StorageRequest['type']> = Extract<StorageRequest, { type: T }>;

const STATES: ReadonlySet<unknown> = new Set([
  'IN_PROGRESS',
  'COMPLETED',
  'ERROR',
  'NO_SYNC',
  null,
]);

async function getNodeRow(
  ctx: PgContext,
  req: { profile: string; service: string; node: string },
): Promise<PubsubNodeInfo | null> {
  const row = await ctx.db.get(
    'SELECT n.*, p.name AS profile FROM pubsub_nodes n JOIN profiles p ON p.id = n.profile_id WHERE n.profile_id = $1 AND n.service = $2 AND n.name = $3',
    [
      await profileId(ctx.db, req.profile),
      requireString(req.service, 'service'),
      requireString(req.node, 'node'),
    ],
  );
  if (row === undefined) return null;
  return {
    profile: String(row.profile),
    service: String(row.service),
    name: String(row.name),
    subscribed: row.subscribed === true,
    analyser: row.analyser === null ? null : String(row.analyser),
    type: row.type === null ? null : String(row.type),
    subtype: row.subtype === null ? null : String(row.subtype),
    syncState: row.sync_state as SyncState | null,
    syncStateUpdated: row.sync_state_updated === null ? null : Number(row.sync_state_updated),
    extra: (row.extra ?? null) as Json,
  };
}

export function getNode(
  ctx: PgContext,
  req: Of<'pubsub.node.get'>,
): Promise<PubsubNodeInfo | null> {
  return getNodeRow(ctx, req);
}

/** Creates or updates a node; fields left undefined keep their stored value. */
export async function setNode(ctx: PgContext, req: Of<'pubsub.node.set'>): Promise<PubsubNodeInfo> {
  const profile = await profileId(ctx.db, req.profile);
  const service = requireString(req.service, 'service');
  const node = requireString(req.node, 'node');
  if (req.syncState !== undefined && !STATES.has(req.syncState)) throw badArgument('bad syncState');
  const existing = await getNodeRow(ctx, req);
  const pick = <T>(value: T | undefined, old: T): T => (value === undefined ? old : value);
  const extra = req.extra === undefined ? (existing?.extra ?? null) : req.extra;
  await ctx.db.run(
    'INSERT INTO pubsub_nodes (profile_id, service, name, subscribed, analyser, type, subtype, sync_state, sync_state_updated, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) ON CONFLICT (profile_id, service, name) DO UPDATE SET subscribed = excluded.subscribed, analyser = excluded.analyser, type = excluded.type, subtype = excluded.subtype, sync_state = excluded.sync_state, sync_state_updated = excluded.sync_state_updated, extra = excluded.extra',
    [
      profile,
      service,
      node,
      pick(req.subscribed, existing?.subscribed ?? false) === true,
      pick(req.analyser, existing?.analyser ?? null),
      pick(req.nodeType, existing?.type ?? null),
      pick(req.subtype, existing?.subtype ?? null),
      pick(req.syncState, existing?.syncState ?? null),
      req.syncState !== undefined ? ctx.now() : (existing?.syncStateUpdated ?? null),
      extra === null && req.extra === undefined ? null : JSON.stringify(extra),
    ],
  );
  return (await getNodeRow(ctx, req)) as PubsubNodeInfo;
}

export async function setSyncState(
  ctx: PgContext,
  req: Of<'pubsub.node.sync-state'>,
): Promise<{ updated: number }> {
  if (!STATES.has(req.state)) throw badArgument('bad sync state');
  const nodes = optionalList(req.nodes, 'nodes') as string[] | undefined;
  if (nodes === undefined || nodes.length === 0)
    throw badArgument('nodes must be a non-empty list');
  const { changes } = await ctx.db.run(
    'UPDATE pubsub_nodes SET sync_state = $1, sync_state_updated = $2 WHERE profile_id = $3 AND service = $4 AND name = ANY($5::text[])',
    [
      req.state,
      ctx.now(),
      await profileId(ctx.db, req.profile),
      requireString(req.service, 'service'),
      nodes,
    ],
  );
  return { updated: changes };
}

async function deleteNodesWhere(ctx: PgContext, where: string[], p: Params): Promise<number> {
  const condition = where.length === 0 ? 'true' : where.join(' AND ');
  const { changes } = await ctx.db.run(
    `DELETE FROM pubsub_nodes WHERE id IN (SELECT n.id FROM pubsub_nodes n JOIN profiles p ON p.id = n.profile_id WHERE ${condition})`,
    p.values,
  );
  return changes;
}

/** Deletes nodes matching all given lists (an omitted list matches everything). */
export async function deleteNodes(
  ctx: PgContext,
  req: Of<'pubsub.nodes.delete'>,
): Promise<{ deleted: number }> {
  const p = new Params();
  const where = nodeFilterSql(
    { profiles: req.profiles, services: req.services, nodes: req.nodes },
    p,
  );
  if (where.length === 0) throw badArgument('give at least one of profiles, services, nodes');
  return { deleted: await deleteNodesWhere(ctx, where, p) };
}

/** Deletes cached items matching the filters; nodes stay. */
export async function purgeItems(
  ctx: PgContext,
  req: Of<'pubsub.purge'>,
): Promise<{ deleted: number }> {
  const p = new Params();
  const where = nodeFilterSql(req, p);
  const createdBefore = optionalNumber(req.createdBefore, 'createdBefore');
  const updatedBefore = optionalNumber(req.updatedBefore, 'updatedBefore');
  if (createdBefore !== undefined) where.push(`i.created < ${p.add(createdBefore)}`);
  if (updatedBefore !== undefined) where.push(`i.updated < ${p.add(updatedBefore)}`);
  const condition = where.join(' AND ') || 'true';
  const { changes } = await ctx.db.run(
    `DELETE FROM pubsub_items WHERE id IN (SELECT i.id FROM pubsub_items i JOIN pubsub_nodes n ON n.id = i.node_id JOIN profiles p ON p.id = n.profile_id WHERE ${condition})`,
    p.values,
  );
  return { deleted: changes };
}

/** Drops the whole cache (or the given profiles' part): nodes, items and subscriptions. */
export async function resetCache(
  ctx: PgContext,
  req: Of<'pubsub.reset'>,
): Promise<{ deleted: number }> {
  const p = new Params();
  return { deleted: await deleteNodesWhere(ctx, nodeFilterSql({ profiles: req.profiles }, p), p) };
}
