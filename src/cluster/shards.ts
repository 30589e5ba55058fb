/**
 * Where entities live in a cluster. Every profile or component name hashes into one of a fixed
 * number of shards (the unit of ownership); each shard is assigned to one live node by
 * rendezvous (highest random weight) hashing — Thaler & Ravishankar, "A Name-Based Mapping
 * Scheme for Rendezvous", 1996. Invariants:
 * - the shard of a name never changes (FNV-1a over its UTF-8 bytes, modulo the shard count);
 * - the assignment is a pure function of (shard, set of live nodes): every node computes the
 *   same one without talking to the others;
 * - when a node joins or leaves, only the shards it wins or held move (about 1/n of them).
 * The assignment is only a wish: a node serves a shard once PostgreSQL granted it the lease.
 */
import { createHash } from 'node:crypto';

/** Shards per cluster. Fixed: changing it would move every entity. */
export const SHARD_COUNT = 256;

/** FNV-1a, 32 bits (http://www.isthe.com/chongo/tech/comp/fnv/). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard of an entity name, in `0 .. shardCount - 1`. */
export function shardOf(name: string, shardCount = SHARD_COUNT): number {
  return fnv1a(name) % shardCount;
}

/** The weight of `node` for `shard`: the first 6 bytes of SHA-256("shard/node"), as a number. */
function weight(shard: number, node: string): number {
  return createHash('sha256').update(`${shard}/${node}`).digest().readUIntBE(0, 6);
}

/** The node that should own `shard` among `nodes` (undefined when there is none). */
export function rendezvousOwner(shard: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const node of nodes) {
    const w = weight(shard, node);
    // Ties (practically impossible) go to the smaller name, so every node agrees.
    if (w > bestWeight || (w === bestWeight && best !== undefined && node < best)) {
      best = node;
      bestWeight = w;
    }
  }
  return best;
}

/** Shard → wished owner for every shard. */
export function assignShards(
  nodes: readonly string[],
  shardCount = SHARD_COUNT,
): Map<number, string> {
  const assignment = new Map<number, string>();
  if (nodes.length === 0) return assignment;
  for (let shard = 0; shard < shardCount; shard++) {
    const owner = rendezvousOwner(shard, nodes);
    if (owner !== undefined) assignment.set(shard, owner);
  }
  return assignment;
}

/** The shards `node` should own among `nodes`. */
export function shardsOf(
  node: string,
  nodes: readonly string[],
  shardCount = SHARD_COUNT,
): Set<number> {
  const mine = new Set<number>();
  for (const [shard, owner] of assignShards(nodes, shardCount)) if (owner === node) mine.add(shard);
  return mine;
}
