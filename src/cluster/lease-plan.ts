/**
 * One step of a node's lease loop, as a pure decision over what the database said: which held
 * leases to renew, which to hand over, which free or expired shards to try to take. The SQL
 * that carries the plan out (lease-store.ts) re-checks every condition inside PostgreSQL, so a
 * plan made from a stale view can only fail, never grant a shard twice.
 */

/** A lease row as read from `cluster_shards`. */
export interface LeaseRow {
  readonly shard: number;
  readonly owner: string | null;
  readonly epoch: number;
  /** True when `expires_at` is past by the database clock. */
  readonly expired: boolean;
}

/** What this node holds: shard → epoch granted. */
export type HeldLeases = ReadonlyMap<number, number>;

export interface LeasePlan {
  /** Held and still wished: extend. */
  readonly renew: readonly number[];
  /** Held but wished elsewhere while that node is live: stop the entities, then release. */
  readonly release: readonly number[];
  /** Wished here and free (no owner, or expired): try to take. */
  readonly acquire: readonly number[];
  /** Held by this node in memory but no longer by it in the database: stop at once. */
  readonly lost: readonly number[];
}

/**
 * @param self this node's name
 * @param wished the shards rendezvous hashing gives this node among the live nodes
 * @param held the leases this node believes it holds
 * @param rows the lease table as read now (missing rows are free shards)
 * @param draining true while the node hands everything over (SIGTERM)
 */
export function planLeases(input: {
  readonly self: string;
  readonly wished: ReadonlySet<number>;
  readonly held: HeldLeases;
  readonly rows: readonly LeaseRow[];
  readonly draining: boolean;
}): LeasePlan {
  const { self, wished, held, draining } = input;
  const rows = new Map(input.rows.map((r) => [r.shard, r]));
  const renew: number[] = [];
  const release: number[] = [];
  const lost: number[] = [];
  for (const [shard, epoch] of held) {
    const row = rows.get(shard);
    if (row === undefined || row.owner !== self || row.epoch !== epoch) {
      lost.push(shard);
      continue;
    }
    if (draining || !wished.has(shard)) release.push(shard);
    else renew.push(shard);
  }
  const acquire: number[] = [];
  if (!draining) {
    for (const shard of wished) {
      if (held.has(shard)) continue;
      const row = rows.get(shard);
      // Its own row without a grant in memory: a restart under the same name.
      if (row === undefined || row.owner === null || row.expired || row.owner === self)
        acquire.push(shard);
    }
  }
  const byNumber = (a: number, b: number) => a - b;
  return {
    renew: renew.sort(byNumber),
    release: release.sort(byNumber),
    acquire: acquire.sort(byNumber),
    lost: lost.sort(byNumber),
  };
}
