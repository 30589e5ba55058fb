/**
 * Fencing of every write an entity's owner makes for it (see fence.ts): not only its history
 * rows, but what its plugins and the runtime-wide actors store on its behalf — the archive
 * catch-up checkpoint and settings (`param.set`), delivery receipts (`history.delivered`), MUC
 * bookmarks (`private.set` / `private.delete`), and the pubsub cache rows its notifications
 * and synchronisations write (`pubsub.items.*`, `pubsub.node.*`).
 * Invariants:
 * - such a write names its entity in `profile`; it carries (shard, node, epoch) of the lease
 *   this node holds on that entity's shard, and PostgreSQL refuses it in its own transaction
 *   when that lease no longer holds;
 * - a node that does not hold the shard at all refuses the write itself (`cluster.fenced`),
 *   before it reaches the database; a refusal stops the shard's entities here;
 * - writes that name no entity, or that the control surface makes on any node (adding a
 *   profile, contact settings, cache purges), are not owner writes and pass unfenced.
 */
import { AviaryError, isAviaryError } from '../errors.js';
import type { StorageRequest, StorageResponse } from '../storage/messages.js';
import { isWrite } from '../storage/messages.js';
import type { StorageFence } from './fence.js';

/** The storage surface fenced here (the runtime's storage client fits). */
export interface FencedStorage {
  request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>>;
}

/** Where the leases come from: this node's lease loop. */
export interface LeaseSource {
  readonly node: string;
  shardOf(name: string): number;
  /** The epoch of the lease held on `shard`, or undefined. */
  epochOf(shard: number): number | undefined;
  /** A write of `shard` was refused: stop its entities. */
  fenced(shard: number): void;
  /** Counts a write sent under `shard`'s lease until it settles (the lease outlives it). */
  track(shard: number, write: Promise<unknown>): void;
}

/** The request types the pubsub cache writes for a profile whose notifications it handles. */
export const CACHE_OWNER_WRITES: ReadonlySet<StorageRequest['type']> = new Set([
  'pubsub.items.upsert',
  'pubsub.items.delete',
  'pubsub.node.set',
  'pubsub.node.sync-state',
]);

/** Sends `request` for entity `name` under its shard lease (or refuses it: no lease here). */
export function requestFenced<R extends StorageRequest>(
  storage: FencedStorage,
  leases: LeaseSource,
  name: string,
  request: R,
): Promise<StorageResponse<R>> {
  const shard = leases.shardOf(name);
  const epoch = leases.epochOf(shard);
  if (epoch === undefined) {
    return Promise.reject(
      new AviaryError('cluster.fenced', `${name}: this node does not hold shard ${shard}`),
    );
  }
  const fence: StorageFence = { shard, node: leases.node, epoch };
  const write = storage.request({ ...request, fence }).catch((error: unknown) => {
    if (isAviaryError(error, 'cluster.fenced')) leases.fenced(shard);
    throw error;
  });
  leases.track(shard, write);
  return write;
}

/** Every write of entity `name` fenced (the storage its history writer uses). */
export function entityFencedStorage(
  storage: FencedStorage,
  leases: () => LeaseSource | undefined,
  name: string,
): FencedStorage {
  return {
    request: (request) => {
      const source = leases();
      if (source === undefined || !isWrite(request)) return storage.request(request);
      return requestFenced(storage, source, name, request);
    },
  };
}

/**
 * The storage of code that writes for many entities (plugins, the pubsub cache): a write of a
 * type in `types` (every write when omitted) that names a `profile` is fenced by that
 * profile's shard lease; everything else passes as is.
 */
export function ownerWritesStorage(
  storage: FencedStorage,
  leases: () => LeaseSource | undefined,
  types?: ReadonlySet<StorageRequest['type']>,
): FencedStorage {
  return {
    request: (request) => {
      const source = leases();
      const profile = (request as { readonly profile?: unknown }).profile;
      if (
        source === undefined ||
        typeof profile !== 'string' ||
        !isWrite(request) ||
        (types !== undefined && !types.has(request.type))
      )
        return storage.request(request);
      return requestFenced(storage, source, profile, request);
    },
  };
}
