/**
 * One control surface over the cluster: the control operations' routes, wrapped once for every
 * operation (not one copy per operation) so that the API and CLI of any node act on any entity.
 * - An operation that needs an entity's live connection (it connects, sends, asks its server,
 *   or changes what runs) and names an entity not running here is forwarded, as the same HTTP
 *   request, to the node holding the entity's shard lease; the owner answers it locally.
 * - `profile.get` is answered by the owner (live state), or from the database with `node: null`
 *   when no node runs the entity right now (its shard is moving).
 * - Lists and counts merge what every live node runs (each with its `node`) with the stored
 *   entities no node runs (`offline`, `node: null`).
 * - Everything else (history, cache reads and purges, adding profiles) is answered here, from
 *   the database.
 * Invariant: a forwarded request is answered by the node the database names as the owner, and
 * that node never forwards it again (it is the owner), so a request crosses at most one hop.
 */
import type { Route } from '../api/control-server.js';
import type { AnyOperation, ControlFacade } from '../api/operation.js';
import { runParsed } from '../api/operation.js';
import { decodeRequest } from '../api/operation-codec.js';
import { OPERATIONS } from '../api/operations.js';
import type { EntityStatus } from '../entities/entity-actor.js';
import { AviaryError, isAviaryError } from '../errors.js';

/** An entity's status as the cluster reports it: with the node running it (null: none). */
export type PlacedStatus = EntityStatus & { readonly node: string | null };

/** What the surface needs from this node (ClusterPart provides it). */
export interface SurfaceNode {
  /** False outside cluster mode: every route answers as on a single runtime. */
  active(): boolean;
  /** This node's name. */
  name(): string;
  /** The status of `name` when it runs on this node. */
  local(name: string): EntityStatus | undefined;
  /** The entities running here. */
  localAll(): EntityStatus[];
  /** The live owner of `name`'s shard other than this node, if any. */
  remoteOwner(name: string): Promise<{ node: string; apiUrl: string } | undefined>;
  /** Sends an HTTP request to another node's control API; its status and JSON body. */
  forward(
    target: { node: string; apiUrl: string },
    request: { method: string; path: string; body?: unknown },
  ): Promise<{ status: number; body: unknown }>;
  /** What every other live node runs (from `GET /cluster/entities`). */
  remoteAll(): Promise<PlacedStatus[]>;
  /** Every stored entity (profiles and components) with its kind and JID. */
  stored(): Promise<{ kind: EntityStatus['kind']; name: string; jid: string }[]>;
}

/** Operations that need the live connection although they may run without a runtime. */
const OWNER_ONLY = new Set<string>([
  'roster.list',
  'contacts.settings',
  'profile.modify',
  'profile.remove',
  'component.remove',
]);
/** Operations answered from the whole cluster's entities. */
const MERGED = new Set<string>(['profile.list', 'component.list', 'profile.counts']);

/** The input field naming the entity an operation acts on, if it names one. */
function entityOf(params: Readonly<Record<string, string>>, body: unknown): string | undefined {
  const fromBody = (body as { profile?: unknown } | null | undefined)?.profile;
  return params.profile ?? params.name ?? (typeof fromBody === 'string' ? fromBody : undefined);
}

/** Whether an operation needs the node running the entity it names. */
export function needsOwner(name: string, op: AnyOperation): boolean {
  return (op.needsRuntime && name !== 'runtime.health') || OWNER_ONLY.has(name);
}

/** The request path of `template` with its `:field` segments filled from `params`. */
export function requestPath(
  template: string,
  params: Readonly<Record<string, string>>,
  query: URLSearchParams,
): string {
  const path = template.replace(/:(\w+)/g, (_, field: string) =>
    encodeURIComponent(params[field] ?? ''),
  );
  const search = query.toString();
  return search.length > 0 ? `${path}?${search}` : path;
}

/** Wraps the operation routes for cluster mode (they are returned as they are otherwise). */
export function clusterSurface(routes: readonly Route[], node: SurfaceNode): Route[] {
  const byRoute = new Map<string, [string, AnyOperation]>();
  for (const [name, op] of Object.entries(OPERATIONS) as [string, AnyOperation][])
    byRoute.set(`${op.method} ${op.path}`, [name, op]);
  return routes.map((route) => {
    const found = byRoute.get(`${route.method} ${route.path}`);
    if (found === undefined) return route;
    const [name, op] = found;
    return {
      ...route,
      handle: async (request) => {
        if (!node.active()) return route.handle(request);
        const { params, query, body } = request;
        if (MERGED.has(name)) {
          const all = await everyEntity(node);
          const facade = { entities: () => all } as unknown as ControlFacade;
          return { body: await runParsed(op, facade, decodeRequest(op, params, query, body)) };
        }
        const entity = entityOf(params, body);
        if (entity === undefined) return route.handle(request);
        const here = node.local(entity);
        if (name === 'profile.get') {
          if (here !== undefined) return { body: { ...here, node: node.name() } };
          return { body: await remoteStatus(node, entity, requestPath(route.path, params, query)) };
        }
        if (here !== undefined || !needsOwner(name, op)) return route.handle(request);
        const owner = await node.remoteOwner(entity);
        // No live owner elsewhere: answered here (a clear not-found or not-running error).
        if (owner === undefined) return route.handle(request);
        return node.forward(owner, {
          method: route.method,
          path: requestPath(route.path, params, query),
          ...(body === undefined ? {} : { body }),
        });
      },
    };
  });
}

/** Every entity of the cluster: the live nodes' reports, then the stored ones nobody runs. */
async function everyEntity(node: SurfaceNode): Promise<PlacedStatus[]> {
  const stored = await node.stored();
  const byName = new Map<string, PlacedStatus>();
  for (const status of node.localAll()) byName.set(status.name, { ...status, node: node.name() });
  for (const status of await node.remoteAll())
    if (!byName.has(status.name)) byName.set(status.name, status);
  for (const { kind, name, jid } of stored) {
    if (byName.has(name)) continue;
    byName.set(name, { kind, name, jid, state: 'offline', reconnectAttempts: 0, node: null });
  }
  // A node may still report an entity removed meanwhile: the database decides what exists.
  const exists = new Set(stored.map((s) => s.name));
  return [...byName.values()]
    .filter((s) => exists.has(s.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `name`'s status from its owner, else from the database (not running anywhere). */
async function remoteStatus(node: SurfaceNode, name: string, path: string): Promise<unknown> {
  const owner = await node.remoteOwner(name);
  if (owner !== undefined) {
    try {
      const answer = await node.forward(owner, { method: 'GET', path });
      if (answer.status === 200) return answer.body;
    } catch (error) {
      if (!isAviaryError(error, 'cluster.forward-failed')) throw error;
    }
  }
  const stored = (await node.stored()).find((s) => s.name === name);
  // The same error as on a single runtime.
  if (stored === undefined)
    throw new AviaryError('profile.not-found', `no profile or component named ${name}`);
  return { ...stored, state: 'offline', reconnectAttempts: 0, node: null };
}
