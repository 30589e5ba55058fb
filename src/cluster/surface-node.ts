/**
 * This node as the one control surface (cluster-surface.ts) sees it: what runs here, who owns
 * an entity (the lease table), forwarding to the owner's control API with the cluster token,
 * the other live nodes' reports, and the stored entities. Forwarded requests are counted by
 * outcome in the node-labelled metrics.
 */
import type { EntityManager } from '../entities/entity-manager.js';
import { isAviaryError } from '../errors.js';
import type { StorageClient } from '../runtime/storage-client.js';
import type { ClusterMetrics } from './cluster-metrics.js';
import type { ClusterNode } from './cluster-node.js';
import type { PlacedStatus, SurfaceNode } from './cluster-surface.js';
import { forwardHttp } from './forward.js';
import type { LeaseStore } from './lease-store.js';

export interface SurfaceNodeDeps {
  node(): ClusterNode | undefined;
  store(): LeaseStore | undefined;
  /** The cluster API token (derived from the shared key). */
  token(): string;
  leaseMs(): number;
  entities(): EntityManager;
  storage(): StorageClient;
  metrics(): ClusterMetrics | undefined;
}

/** Counts a forwarded request by outcome (`ok(value)` false: the owner answered an error). */
export function countForwarded<T>(
  metrics: ClusterMetrics | undefined,
  forwarded: Promise<T>,
  ok: (value: T) => boolean = () => true,
): Promise<T> {
  return forwarded.then(
    (value) => {
      metrics?.forwarded(ok(value) ? 'ok' : 'error');
      return value;
    },
    (error: unknown) => {
      metrics?.forwarded(isAviaryError(error, 'cluster.forward-failed') ? 'unreachable' : 'error');
      throw error;
    },
  );
}

export function createSurfaceNode(deps: SurfaceNodeDeps): SurfaceNode {
  return {
    active: () => deps.node() !== undefined,
    name: () => deps.node()?.name ?? '',
    local: (name) => deps.entities().find(name),
    localAll: () => deps.entities().list(),
    remoteOwner: async (name) => {
      const node = deps.node();
      const store = deps.store();
      if (node === undefined || store === undefined) return undefined;
      const owner = await store.ownerOf(node.shardOf(name));
      if (owner === undefined || owner.node === node.name || owner.apiUrl === null)
        return undefined;
      return { node: owner.node, apiUrl: owner.apiUrl };
    },
    forward: (target, request) =>
      countForwarded(
        deps.metrics(),
        forwardHttp({ ...target, token: deps.token() }, request),
        (answer) => answer.status < 400,
      ),
    remoteAll: async () => {
      const store = deps.store();
      const here = deps.node()?.name;
      if (store === undefined) return [];
      const others = (await store.nodes(deps.leaseMs())).filter(
        (n) => n.live && n.name !== here && n.apiUrl !== null,
      );
      const reports = await Promise.all(
        others.map(async (n) => {
          try {
            const { status, body } = await forwardHttp(
              { node: n.name, apiUrl: n.apiUrl ?? '', token: deps.token() },
              { method: 'GET', path: '/cluster/entities' },
            );
            return status === 200 ? ((body as { entities: PlacedStatus[] }).entities ?? []) : [];
          } catch {
            // A node that cannot answer now: its entities show as stored, offline.
            return [];
          }
        }),
      );
      return reports.flat();
    },
    stored: async () => {
      const storage = deps.storage();
      const [profiles, components] = await Promise.all([
        storage.request({ type: 'profile.list' }),
        storage.request({ type: 'component.list' }),
      ]);
      const isComponent = new Set(components.map((c) => c.profile));
      return profiles.map((p) => ({
        kind: isComponent.has(p.name) ? ('component' as const) : ('client' as const),
        name: p.name,
        jid: p.jid,
      }));
    },
  };
}
