/**
 * The cache actor's in-memory view of nodes: the storage record (the source of truth, read
 * once and then kept in step, since every pubsub-cache write goes through the actor) plus
 * what only this process knows: an analysis or sync under way, item ids events wrote during
 * a sync, whether the node was re-checked since this process started, and the promise chain
 * that applies its events in order.
 */
import type { ReplyTo } from '../actors/types.js';
import type { PubsubNodeInfo } from '../storage/messages.js';
import type { CacheStorage } from './cache-deps.js';
import { type NodeTarget, nodeKey, type SyncOutcome } from './cache-messages.js';

/** A running synchronisation. */
export interface SyncRun {
  readonly id: number;
  readonly abort: AbortController;
  /** Clock milliseconds. */
  readonly startedAt: number;
  readonly waiters: ReplyTo<SyncOutcome>[];
  /** Item ids written or retracted by events during this run; the sync must not overwrite them. */
  readonly touched: Set<string>;
}

export interface NodeEntry {
  readonly target: NodeTarget;
  info: PubsubNodeInfo | null;
  analysing: boolean;
  /** Sync even without a matching analyser once the analysis ends (explicit synchronise). */
  forceSync: boolean;
  analysisWaiters: ReplyTo<SyncOutcome>[];
  run: SyncRun | undefined;
  /** Compared with the service since this process started (or since the last reconnection). */
  verified: boolean;
  chain: Promise<void>;
}

/** A bounded map of node entries, loaded from storage on a miss. */
export class NodeEntries {
  readonly #entries = new Map<string, NodeEntry>();
  readonly #storage: CacheStorage;
  readonly #capacity: number;

  constructor(storage: CacheStorage, capacity: number) {
    this.#storage = storage;
    this.#capacity = capacity;
  }

  peek(target: NodeTarget): NodeEntry | undefined {
    return this.#entries.get(nodeKey(target));
  }

  /** The entry of `target`, reading its storage record on a miss. */
  async load(target: NodeTarget): Promise<NodeEntry> {
    const known = this.#entries.get(nodeKey(target));
    if (known !== undefined) return known;
    const info = await this.#storage.request({ type: 'pubsub.node.get', ...pick(target) });
    // Another message may have loaded it while we waited (never in one actor turn, but cheap).
    const raced = this.#entries.get(nodeKey(target));
    if (raced !== undefined) return raced;
    const entry: NodeEntry = {
      target: pick(target),
      info,
      analysing: false,
      forceSync: false,
      analysisWaiters: [],
      run: undefined,
      verified: false,
      chain: Promise.resolve(),
    };
    this.#entries.set(nodeKey(target), entry);
    this.#evict();
    return entry;
  }

  delete(target: NodeTarget): void {
    this.#entries.delete(nodeKey(target));
  }

  /** Entries matching a predicate (a snapshot). */
  filter(predicate: (entry: NodeEntry) => boolean): NodeEntry[] {
    return [...this.#entries.values()].filter(predicate);
  }

  /** Forgets entries (all, or those of `profiles`); busy ones must be stopped by the caller. */
  clear(profiles?: readonly string[]): void {
    for (const [key, entry] of this.#entries) {
      if (profiles === undefined || profiles.includes(entry.target.profile)) {
        this.#entries.delete(key);
      }
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    if (this.#entries.size <= this.#capacity) return;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#capacity) return;
      if (!entry.analysing && entry.run === undefined) this.#entries.delete(key);
    }
  }
}

function pick(target: NodeTarget): NodeTarget {
  return { profile: target.profile, service: target.service, node: target.node };
}
