/**
 * Fencing tokens for cluster writes (Kleppmann, "How to do distributed locking", 2016): every
 * write a node makes for an entity carries the lease it believes it holds on the entity's shard
 * — (shard, node, epoch). Inside the write's own transaction, PostgreSQL checks that lease row
 * and takes a share lock on it (`FOR SHARE`), so:
 * - a write whose lease was taken over (another owner, a newer epoch) or has expired is refused
 *   with `cluster.fenced` and changes nothing;
 * - a takeover (an UPDATE of the row) waits for writes already past the check to commit, so no
 *   write of the old owner can land after the new owner got the shard.
 */
import { AviaryError } from '../errors.js';

/** The lease a write is made under. Plain data: it crosses to the storage worker. */
export interface StorageFence {
  readonly shard: number;
  readonly node: string;
  readonly epoch: number;
}

/** The statement runner the check needs (the PostgreSQL batch session fits). */
export interface FenceDb {
  all(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

const CHECK = `SELECT shard, owner, epoch FROM cluster_shards
  WHERE (shard, owner, epoch) IN (SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[]))
    AND expires_at > now()
  FOR SHARE`;

/** The distinct fences of a set of requests (those without one are not fenced). */
export function distinctFences(
  requests: readonly { readonly fence?: StorageFence }[],
): StorageFence[] {
  const seen = new Map<string, StorageFence>();
  for (const { fence } of requests) {
    if (fence === undefined) continue;
    seen.set(`${fence.shard}/${fence.node}/${fence.epoch}`, fence);
  }
  return [...seen.values()];
}

/** Throws `cluster.fenced` unless every lease still holds; must run inside the write's transaction. */
export async function checkFences(db: FenceDb, fences: readonly StorageFence[]): Promise<void> {
  if (fences.length === 0) return;
  const rows = await db.all(CHECK, [
    fences.map((f) => f.shard),
    fences.map((f) => f.node),
    fences.map((f) => f.epoch),
  ]);
  // Several fences may name one shard (a batch mixing an old and a new owner): match all three.
  const key = (shard: unknown, node: unknown, epoch: unknown) =>
    `${Number(shard)}/${String(node)}/${Number(epoch)}`;
  const valid = new Set(rows.map((r) => key(r.shard, r.owner, r.epoch)));
  const stale = fences.find((f) => !valid.has(key(f.shard, f.node, f.epoch)));
  if (stale !== undefined) {
    throw new AviaryError(
      'cluster.fenced',
      `node ${stale.node} no longer holds shard ${stale.shard} (epoch ${stale.epoch}): write refused`,
      { details: { shard: stale.shard, node: stale.node, epoch: stale.epoch } },
    );
  }
}
