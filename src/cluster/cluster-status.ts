/** What `GET /cluster` and `aviary cluster status` report, read from the database. */
import type { ClusterNodeRow, LeaseStore } from './lease-store.js';
import { assignShards, SHARD_COUNT } from './shards.js';

export interface ClusterStatus {
  /** The node that answered. */
  readonly self: string;
  readonly shardCount: number;
  readonly nodes: readonly ClusterNodeRow[];
  /** Shards not (yet) held by the node rendezvous hashing gives them to. */
  readonly moves: readonly { shard: number; from: string | null; to: string }[];
}

export async function clusterStatus(
  store: Pick<LeaseStore, 'nodes' | 'leases'>,
  self: string,
  leaseMs: number,
): Promise<ClusterStatus> {
  const nodes = await store.nodes(leaseMs);
  const live = nodes.filter((n) => n.live).map((n) => n.name);
  const wished = assignShards(live);
  const leases = new Map((await store.leases()).map((l) => [l.shard, l]));
  const moves: { shard: number; from: string | null; to: string }[] = [];
  for (const [shard, to] of wished) {
    const lease = leases.get(shard);
    const from = lease === undefined || lease.expired ? null : lease.owner;
    if (from !== to) moves.push({ shard, from, to });
  }
  return { self, shardCount: SHARD_COUNT, nodes, moves };
}
