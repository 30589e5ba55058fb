/**
 * What the PubsubCacheActor needs, as one named object, and its configuration defaults.
 */

import type { KernelLogger } from '../actors/types.js';
import type { AnalyserRegistry } from '../analysers/index.js';
import type {
  ParseItemJsonResult,
  ParseItemResult,
  ParserRef,
} from '../parsers/parser-protocol.js';
import type { PubsubClient } from '../pubsub/index.js';
import type { StorageRequest, StorageResponse } from '../storage/messages.js';
import type { Clock } from '../util/clock.js';
import type { CacheEvent } from './cache-messages.js';

/** The storage surface the cache uses; `StorageClient` fits. */
export interface CacheStorage {
  request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>>;
}

/** A profile's pubsub client and its own bare JID (the subscriber for sync subscriptions). */
export interface CachePubsubAccess {
  readonly client: PubsubClient;
  readonly jid: string;
}

/**
 * Parses item payloads, as `ParserPool.parseBatch` does. Results are in input order. `batchSize`
 * is the most items per parser task (a sync passes its page size: one task per page); with
 * `output: 'json'` a parser may answer JSON text (`{ ok, json }`) instead of values, which the
 * storage keeps as is.
 */
export type CacheParse = (
  parser: ParserRef,
  items: readonly string[],
  options: {
    readonly signal?: AbortSignal;
    readonly batchSize?: number;
    readonly output?: 'value' | 'json';
  },
) => Promise<readonly (ParseItemResult | ParseItemJsonResult)[]>;

export interface CacheConfig {
  /** `false` turns the cache off: every request goes to the service. */
  readonly enabled: boolean;
  /** Most items kept per node (Libervia: 5000). */
  readonly limit: number;
  /** A sync running longer than this is cancelled and started again (default 6 h). */
  readonly syncDeadlineMs: number;
  /** Most items in one RSM page during a sync. */
  readonly pageSize: number;
  /** Bytes one page should stay under; pages are sized from the items seen (half the stanza limit). */
  readonly pageBytes: number;
  /** Items compared with the service when re-checking a node (default 20). */
  readonly checkItems: number;
  /** Node records kept in memory (default 10,000; storage stays the source of truth). */
  readonly nodeMemory: number;
}

export const defaultCacheConfig: CacheConfig = {
  enabled: true,
  limit: 5000,
  syncDeadlineMs: 6 * 60 * 60 * 1000,
  pageSize: 1000,
  pageBytes: 128 * 1024,
  checkItems: 20,
  nodeMemory: 10_000,
};

/** Dependencies of {@link makePubsubCacheActor}. */
export interface PubsubCacheDeps {
  readonly storage: CacheStorage;
  /** The connected profile's pubsub access, or undefined when it is offline. */
  readonly pubsubFor: (profile: string) => CachePubsubAccess | undefined;
  readonly analysers: Pick<AnalyserRegistry, 'analyse' | 'get' | 'list'>;
  /** Item parser; without it items are stored unparsed (`parsed` null). */
  readonly parse?: CacheParse | undefined;
  readonly clock: Clock;
  readonly log: KernelLogger;
  readonly emit: (event: CacheEvent) => void;
  readonly config?: Partial<CacheConfig> | undefined;
}
