import type {
  CacheItemsRequest,
  CacheItemsResult,
  CachePurgeFilters,
  NodeTarget,
  SyncOutcome,
} from '../cache/cache-messages.js';
import type { EntityStatus } from '../entities/entity-actor.js';
import type { AddComponentRequest, AddProfileRequest } from '../entities/entity-manager.js';
import type { HistoryEntry } from '../entities/history-record.js';
import { createLogger } from '../log.js';
import { type Aviary, createRuntime, type HistoryQuery } from '../runtime/default-runtime.js';
import type { ItemSearchHit, StorageRequest } from '../storage/messages.js';
import type { SendRequest, SendResult } from '../workflow/send-pipeline.js';
import { connectToRuntime, type RuntimeClient } from './api-client.js';
import type { GlobalOptions } from './context.js';
import { CliError } from './output.js';

/**
 * Where a CLI command acts: the runtime running on the data folder (through its control API),
 * or, when none runs, the data folder itself (an in-process runtime that connects nothing).
 */
export interface Target {
  readonly live: boolean;
  addProfile(request: AddProfileRequest): Promise<EntityStatus>;
  addComponent(request: AddComponentRequest): Promise<EntityStatus>;
  list(kind: 'client' | 'component'): Promise<EntityStatus[]>;
  remove(name: string): Promise<void>;
  connect(name: string): Promise<EntityStatus>;
  disconnect(name: string): Promise<EntityStatus>;
  sendMessage(profile: string, request: SendRequest): Promise<SendResult>;
  history(profile: string, query: HistoryQuery): Promise<HistoryEntry[]>;
  /** Searches the pubsub cache (storage `pubsub.items.search`; API `POST /cache/search`). */
  searchItems(query: ItemSearchQuery): Promise<ItemSearchHit[]>;
  cacheItems(target: NodeTarget, request: CacheItemsRequest): Promise<CacheItemsResult>;
  /** Synchronises a node; `onProgress` gets item counts while items arrive. */
  cacheSync(
    target: NodeTarget,
    resync: boolean,
    onProgress: (items: number, total?: number) => void,
  ): Promise<SyncOutcome>;
  cachePurge(filters: CachePurgeFilters): Promise<{ deleted: number }>;
  cacheReset(): Promise<{ deleted: number }>;
  close(): Promise<void>;
}

/** A cache search: storage's `pubsub.items.search` without its `type`. */
export type ItemSearchQuery = Omit<
  Extract<StorageRequest, { type: 'pubsub.items.search' }>,
  'type'
>;

export async function openTarget(global: GlobalOptions): Promise<Target> {
  const client = connectToRuntime(global.dataDir);
  if (client) return apiTarget(client);
  const runtime = createRuntime({
    api: false,
    autoconnect: false,
    log: createLogger({ level: 'warn' }),
    config: { dataDir: global.dataDir, log: { level: 'warn' } },
  });
  await runtime.start();
  return localTarget(runtime);
}

function needsRunning(what: string): never {
  throw new CliError(
    `${what} needs a running runtime: start one with "aviary run" on this data folder`,
  );
}

function localTarget(runtime: Aviary): Target {
  const byKind = (kind: 'client' | 'component') =>
    runtime.entities().filter((e) => e.kind === kind);
  return {
    live: false,
    addProfile: (r) => runtime.addProfile(r),
    addComponent: (r) => runtime.addComponent(r),
    list: async (kind) => byKind(kind),
    remove: (name) => runtime.remove(name),
    connect: () => needsRunning('connecting'),
    disconnect: () => needsRunning('disconnecting'),
    sendMessage: () => needsRunning('sending a message'),
    history: (profile, query) => runtime.history(profile, query),
    searchItems: (query) => runtime.storage.request({ type: 'pubsub.items.search', ...query }),
    cacheItems: () => needsRunning('reading pubsub items'),
    cacheSync: () => needsRunning('synchronising a node'),
    cachePurge: (filters) => runtime.cache.purge(filters),
    cacheReset: () => runtime.cache.reset(),
    close: () => runtime.stop(),
  };
}

function apiTarget(client: RuntimeClient): Target {
  const path = (name: string) => encodeURIComponent(name);
  return {
    live: true,
    addProfile: (r) => client.request('POST', '/profiles', r),
    addComponent: (r) => client.request('POST', '/components', r),
    list: (kind) => client.request('GET', kind === 'client' ? '/profiles' : '/components'),
    remove: async (name) => {
      await client.request('DELETE', `/profiles/${path(name)}`);
    },
    connect: (name) => client.request('POST', `/profiles/${path(name)}/connect`, {}),
    disconnect: (name) => client.request('POST', `/profiles/${path(name)}/disconnect`, {}),
    sendMessage: (profile, request) =>
      client.request('POST', `/profiles/${path(profile)}/messages`, request),
    history: (profile, query) => {
      const params = new URLSearchParams();
      if (query.with) params.set('with', query.with);
      if (query.between) params.set('between', query.between.join(','));
      if (query.before !== undefined) params.set('before', String(query.before));
      if (query.after !== undefined) params.set('after', String(query.after));
      if (query.search) params.set('search', query.search);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.order) params.set('order', query.order);
      for (const type of query.types ?? []) params.append('type', type);
      return client.request('GET', `/profiles/${path(profile)}/history?${params}`);
    },
    searchItems: (query) => client.request('POST', '/cache/search', query),
    cacheItems: (target, request) =>
      client.request('POST', '/cache/items', { ...target, ...request }),
    cacheSync: async (target, resync, onProgress) => {
      const stop = client.subscribe((event, data) => {
        const d = data as {
          profile?: string;
          service?: string;
          node?: string;
          items?: number;
          total?: number;
        };
        if (
          event === 'cacheSyncProgress' &&
          d.profile === target.profile &&
          d.service === target.service &&
          d.node === target.node
        ) {
          onProgress(d.items ?? 0, d.total);
        }
      });
      try {
        return await client.request('POST', '/cache/sync', { ...target, resync });
      } finally {
        stop();
      }
    },
    cachePurge: (filters) => client.request('POST', '/cache/purge', filters),
    cacheReset: () => client.request('POST', '/cache/reset', {}),
    close: async () => undefined,
  };
}

/** Runs `fn` against the target and always closes it. */
export async function withTarget<T>(
  global: GlobalOptions,
  fn: (target: Target) => Promise<T>,
): Promise<T> {
  const target = await openTarget(global);
  try {
    return await fn(target);
  } finally {
    await target.close();
  }
}
