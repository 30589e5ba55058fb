/**
 * Messages of the PubsubCacheActor and the values it answers with: readonly plain data tagged
 * by `type`. Node identity is (profile, service, node). The cache mirrors XEP-0060 items
 * (https://xmpp.org/extensions/xep-0060.html#subscriber-retrieve) with XEP-0059 paging
 * (https://xmpp.org/extensions/xep-0059.html).
 */
import type { ReplyTo } from '../actors/types.js';
import type { SerializedError } from '../errors.js';
import type { PubsubEvent, PubsubItem, RsmRequest, RsmResult } from '../pubsub/index.js';
import type {
  ItemSearchHit,
  NodeFilters,
  PubsubNodeInfo,
  StorageRequest,
  SyncState,
} from '../storage/messages.js';

/** A cached node's identity. */
export interface NodeTarget {
  readonly profile: string;
  /** The pubsub service JID (a PEP account's bare JID for PEP nodes). */
  readonly service: string;
  readonly node: string;
}

/** An items request, as the service would get it, plus cache switches. */
export interface CacheItemsRequest {
  /** The N most recent items (XEP-0060 §6.5.7). */
  readonly maxItems?: number | undefined;
  /** Only these item ids (XEP-0060 §6.5.8). */
  readonly itemIds?: readonly string[] | undefined;
  /** A page (XEP-0059): `max` alone is the first page, `before: ''` the last one. */
  readonly rsm?: RsmRequest | undefined;
  /** Order of the result set (XEP-0413 style); answered by the cache only. */
  readonly orderBy?: 'creation' | 'modification' | undefined;
  /** `false` bypasses the cache for this request (Libervia's `use_cache`). */
  readonly useCache?: boolean | undefined;
}

/**
 * An items answer in the service's format. From the cache, RSM `first`/`last` are item ids
 * (opaque keys either way), `firstIndex` is exact and `complete` says whether the page reaches
 * the end of the node in the requested order.
 */
export interface CacheItemsResult {
  readonly node: string;
  readonly items: readonly PubsubItem[];
  readonly rsm?: RsmResult | undefined;
  readonly complete?: boolean | undefined;
  readonly source: 'cache' | 'service';
}

/** What a synchronisation ended with (a value: a failed sync is an expected outcome). */
export interface SyncOutcome {
  readonly state: SyncState | null;
  /** Items stored by the sync (0 when it did not run). */
  readonly items: number;
  readonly reason?: string | undefined;
}

/** Cache purge filters: node filters plus item ages (seconds since the epoch). */
export type CachePurgeFilters = NodeFilters & {
  readonly createdBefore?: number;
  readonly updatedBefore?: number;
};

/** Search request: storage's `pubsub.items.search` without its `type`. */
export type CacheSearchQuery = Omit<
  Extract<StorageRequest, { type: 'pubsub.items.search' }>,
  'type'
>;

/** Signals the cache emits (the runtime maps them onto its `cacheSynced`/`cacheSyncFailed`). */
export type CacheEvent =
  | ({ readonly type: 'cacheSynced'; readonly items: number } & NodeTarget)
  | ({ readonly type: 'cacheSyncFailed'; readonly reason: string } & NodeTarget)
  | ({
      readonly type: 'cacheSyncProgress';
      readonly items: number;
      readonly total?: number | undefined;
    } & NodeTarget);

/** Public messages of the PubsubCacheActor. */
export type CacheMessage =
  | ({
      readonly type: 'cache.get-items';
      readonly request: CacheItemsRequest;
      readonly replyTo: ReplyTo<CacheItemsResult>;
    } & NodeTarget)
  | { readonly type: 'cache.event'; readonly profile: string; readonly event: PubsubEvent }
  | ({
      readonly type: 'cache.synchronise';
      readonly resync: boolean;
      readonly replyTo?: ReplyTo<SyncOutcome> | undefined;
    } & NodeTarget)
  | ({
      readonly type: 'cache.get-node';
      readonly replyTo: ReplyTo<PubsubNodeInfo | null>;
    } & NodeTarget)
  | {
      readonly type: 'cache.purge';
      readonly filters: CachePurgeFilters;
      readonly replyTo?: ReplyTo<{ deleted: number }> | undefined;
    }
  | {
      readonly type: 'cache.reset';
      readonly profiles?: readonly string[] | undefined;
      readonly replyTo?: ReplyTo<{ deleted: number }> | undefined;
    }
  | {
      readonly type: 'cache.search';
      readonly query: CacheSearchQuery;
      readonly replyTo: ReplyTo<ItemSearchHit[]>;
    }
  | { readonly type: 'cache.reconnected'; readonly profile: string }
  | { readonly type: 'cache.notify-namespaces'; readonly replyTo: ReplyTo<string[]> };

/** Messages the actor sends itself from background work, so state changes happen in its turn. */
export type CacheInternalMessage =
  | ({ readonly type: 'cache.analysed'; readonly outcome: AnalysisOutcome } & NodeTarget)
  | ({
      readonly type: 'cache.sync-finished';
      readonly runId: number;
      readonly outcome:
        | { readonly ok: true; readonly items: number }
        | { readonly ok: false; readonly error: SerializedError };
    } & NodeTarget)
  | ({ readonly type: 'cache.check-failed'; readonly reason: string } & NodeTarget)
  | ({ readonly type: 'cache.subscribed' } & NodeTarget);

/** Everything the actor's mailbox accepts. */
export type CacheActorMessage = CacheMessage | CacheInternalMessage;

/** What analysing an unknown node found (see node-analysis.ts). */
export type AnalysisOutcome =
  | {
      readonly kind: 'matched';
      readonly analyser: string;
      readonly nodeType: string;
      readonly subtype: string | null;
      readonly toSync: boolean;
      readonly rootNamespace: string | null;
      readonly maxItems: number | null;
    }
  | { readonly kind: 'unmatched'; readonly rootNamespace: string | null }
  | { readonly kind: 'failed'; readonly reason: string }
  /** The node does not exist (item-not-found): nothing is recorded, the next request re-analyses. */
  | { readonly kind: 'absent' };

/** The map key of a node. */
export function nodeKey(target: NodeTarget): string {
  return JSON.stringify([target.profile, target.service, target.node]);
}
