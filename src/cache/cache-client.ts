/**
 * Typed calls to the PubsubCacheActor for the runtime, the CLI and the control API: one `ask`
 * per operation, or a `tell` for events.
 */
import type { ActorRef } from '../actors/types.js';
import type { PubsubEvent } from '../pubsub/index.js';
import type { ItemSearchHit, PubsubNodeInfo } from '../storage/messages.js';
import type {
  CacheActorMessage,
  CacheItemsRequest,
  CacheItemsResult,
  CachePurgeFilters,
  CacheSearchQuery,
  NodeTarget,
  SyncOutcome,
} from './cache-messages.js';

/**
 * @example
 * const cache = new PubsubCacheClient(ref);
 * const page = await cache.getItems({ profile, service, node }, { maxItems: 20 });
 * page.source; // 'cache' once the node is synchronised
 */
export class PubsubCacheClient {
  readonly #ref: ActorRef<CacheActorMessage>;
  readonly #timeoutMs: number;
  readonly #syncTimeoutMs: number;

  constructor(
    ref: ActorRef<CacheActorMessage>,
    options: { timeoutMs?: number; syncTimeoutMs?: number } = {},
  ) {
    this.#ref = ref;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#syncTimeoutMs = options.syncTimeoutMs ?? 6 * 60 * 60 * 1000;
  }

  get ref(): ActorRef<CacheActorMessage> {
    return this.#ref;
  }

  /** The `getItems` hook: from the cache when the node is synchronised, else from the service. */
  getItems(
    target: NodeTarget,
    request: CacheItemsRequest = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<CacheItemsResult> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.get-items', ...target, request, replyTo }), {
      timeoutMs: this.#timeoutMs,
      ...options,
    });
  }

  /** Hands over a parsed pubsub notification received by `profile` (XEP-0060 §7.1.2). */
  event(profile: string, event: PubsubEvent): void {
    this.#ref.tell({ type: 'cache.event', profile, event });
  }

  /** Synchronises a node (even without a matching analyser); resolves when it ends. */
  synchronise(target: NodeTarget, resync = true): Promise<SyncOutcome> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.synchronise', ...target, resync, replyTo }), {
      timeoutMs: this.#syncTimeoutMs,
    });
  }

  node(target: NodeTarget): Promise<PubsubNodeInfo | null> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.get-node', ...target, replyTo }), {
      timeoutMs: this.#timeoutMs,
    });
  }

  /** Deletes cached items matching the filters (nodes and their sync state stay, as in Libervia). */
  purge(filters: CachePurgeFilters = {}): Promise<{ deleted: number }> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.purge', filters, replyTo }), {
      timeoutMs: this.#timeoutMs,
    });
  }

  /** Drops every cached node (or those of `profiles`) with their items. */
  reset(profiles?: readonly string[]): Promise<{ deleted: number }> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.reset', profiles, replyTo }), {
      timeoutMs: this.#timeoutMs,
    });
  }

  search(query: CacheSearchQuery): Promise<ItemSearchHit[]> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.search', query, replyTo }), {
      timeoutMs: this.#timeoutMs,
    });
  }

  /** Tells the cache `profile` reconnected: its synchronised nodes are re-checked. */
  reconnected(profile: string): void {
    this.#ref.tell({ type: 'cache.reconnected', profile });
  }

  /** Namespaces to advertise with `+notify` (XEP-0115/XEP-0163). */
  notifyNamespaces(): Promise<string[]> {
    return this.#ref.ask((replyTo) => ({ type: 'cache.notify-namespaces', replyTo }), {
      timeoutMs: this.#timeoutMs,
    });
  }
}
