/**
 * Cluster mode as a runtime part (started after the entities, stopped before them): checks the
 * shared key, runs this node's lease loop (cluster-node.ts), fans `messageNew` and
 * `connectionState` out to the other nodes through LISTEN/NOTIFY, forwards requests for
 * entities owned elsewhere, and serves `GET /cluster` (what `aviary cluster status` shows).
 */
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { Route } from '../api/control-server.js';
import type { EntityManager } from '../entities/entity-manager.js';
import type { EntityPlacement } from '../entities/entity-ports.js';
import { AviaryError } from '../errors.js';
import type { RuntimeEventName, RuntimeEvents } from '../runtime/events.js';
import type { HealthEntry, RuntimePart, RuntimeServices } from '../runtime/runtime.js';
import { TOKEN_FILE } from '../runtime/runtime-files.js';
import type { StorageClient } from '../runtime/storage-client.js';
import { loadSecretBox, type SecretBox } from '../security/secret-box.js';
import type { StorageRequest } from '../storage/messages.js';
import type { Emitter } from '../util/emitter.js';
import { type ClusterMetrics, createClusterMetrics } from './cluster-metrics.js';
import { ClusterNode } from './cluster-node.js';
import { clusterStatus } from './cluster-status.js';
import type { SurfaceNode } from './cluster-surface.js';
import { forwardRequest } from './forward.js';
import type { LeaseStore } from './lease-store.js';
import {
  entityFencedStorage,
  type FencedStorage,
  type LeaseSource,
  ownerWritesStorage,
} from './owner-writes.js';
import { countForwarded, createSurfaceNode } from './surface-node.js';

/** NOTIFY channels: entity announcements and event fan-out. */
const CONTROL_CHANNEL = 'aviary_cluster';
const EVENTS_CHANNEL = 'aviary_events';
/** NOTIFY payloads must stay under 8000 bytes; larger events are not relayed. */
const MAX_PAYLOAD = 7900;
const RELAYED: readonly RuntimeEventName[] = ['messageNew', 'connectionState'];

export interface ClusterPartDeps {
  readonly entities: () => EntityManager;
  readonly storage: () => StorageClient;
  /** Where events of entities on other nodes are emitted (the SSE stream listens to it). */
  readonly relayed: Emitter<RuntimeEvents>;
  /** This runtime's control API address once it listens. */
  readonly apiUrl: () => string | undefined;
}

export class ClusterPart implements RuntimePart {
  readonly name = 'cluster';
  readonly #deps: ClusterPartDeps;
  #node: ClusterNode | undefined;
  #store: LeaseStore | undefined;
  #listener: pg.Client | undefined;
  #token = '';
  #leaseMs = 0;
  #metrics: ClusterMetrics | undefined;
  #offEvents: (() => void) | undefined;

  constructor(deps: ClusterPartDeps) {
    this.#deps = deps;
  }

  /** True once started in cluster mode. */
  get active(): boolean {
    return this.#node !== undefined;
  }

  /** The placement the entity manager uses in cluster mode. */
  readonly placement: EntityPlacement = {
    owns: (name) => this.#node?.owns(name) ?? false,
    announce: (name) => {
      void this.#store
        ?.notify(CONTROL_CHANNEL, JSON.stringify({ entity: name }))
        .catch(() => undefined);
    },
    fenced: (name, storage) => entityFencedStorage(storage, () => this.#leases(), name),
  };

  /**
   * `storage` for code writing on behalf of many entities (plugins, the pubsub cache): in
   * cluster mode, their writes naming a profile (of `types`, or all) carry its shard lease.
   */
  ownerWrites(
    storage: () => FencedStorage,
    types?: ReadonlySet<StorageRequest['type']>,
  ): () => FencedStorage {
    let wrapped: { of: FencedStorage; fenced: FencedStorage } | undefined;
    return () => {
      const current = storage();
      if (wrapped?.of !== current)
        wrapped = { of: current, fenced: ownerWritesStorage(current, () => this.#leases(), types) };
      return wrapped.fenced;
    };
  }

  /** This node's leases, as the write fences need them (undefined when not in a cluster). */
  #leases(): LeaseSource | undefined {
    const node = this.#node;
    if (node === undefined) return undefined;
    return {
      node: node.name,
      shardOf: (name) => node.shardOf(name),
      epochOf: (shard) => node.held.get(shard),
      fenced: (shard) => node.fenced(shard),
      track: (shard, write) => node.writes.track(shard, write),
    };
  }

  async start(runtime: RuntimeServices): Promise<void> {
    const { config } = runtime;
    if (!config.cluster.enabled) return;
    const url = config.storage.url;
    if (url === undefined) {
      throw new AviaryError(
        'cluster.needs-postgres',
        'cluster mode needs a PostgreSQL storage.url (or AVIARY_STORAGE_URL) shared by every node',
      );
    }
    const secrets = loadSecretBox(runtime.dataDir, process.env, {
      keyFile: config.security.keyFile,
    });
    await this.#checkKey(secrets);
    const apiUrl = (): string | undefined => config.cluster.advertiseUrl ?? this.#deps.apiUrl();
    // Every node derives the same API token from the shared key, so nodes can forward to
    // each other; it replaces this data folder's token before the API starts.
    this.#token = secrets.derive('aviary cluster control API token v1');
    writeFileSync(join(runtime.dataDir, TOKEN_FILE), `${this.#token}\n`, { mode: 0o600 });
    const name = config.cluster.nodeName ?? `${hostname()}-${process.pid}`;
    // Loaded only in cluster mode: the PostgreSQL client costs a standalone start-up ~0.1 s.
    const { LeaseStore } = await import('./lease-store.js');
    const store = new LeaseStore(url, { queryTimeoutMs: config.cluster.leaseMs });
    this.#store = store;
    this.#leaseMs = config.cluster.leaseMs;
    const entities = this.#deps.entities;
    const metrics = createClusterMetrics(runtime.metrics.registry, name, {
      shards: () => this.#node?.held.size ?? 0,
      online: () =>
        entities()
          .list()
          .filter((s) => s.state === 'online').length,
    });
    this.#metrics = metrics;
    this.#node = new ClusterNode({
      signals: metrics,
      name,
      store,
      leaseMs: config.cluster.leaseMs,
      heartbeatMs: config.cluster.heartbeatMs,
      clock: runtime.clock,
      log: runtime.log.child({ component: 'cluster', node: name }),
      apiUrl,
      entities: {
        adopt: (names) => entities().adopt(names),
        release: (names, options) => entities().release(names, options),
        running: () =>
          entities()
            .list()
            .map((s) => s.name),
        online: () =>
          entities()
            .list()
            .filter((s) => s.state === 'online').length,
        stored: async () => {
          const profiles = await this.#deps.storage().request({ type: 'profile.list' });
          return profiles.map((p) => p.name);
        },
      },
    });
    await this.#listen(runtime, name);
    await this.#node.start();
    // The others rebalance now rather than at their next heartbeat.
    await store.notify(CONTROL_CHANNEL, JSON.stringify({ rebalance: name })).catch(() => undefined);
    runtime.log.info({ node: name }, 'cluster: node joined');
  }

  /** Refuses to start when this key cannot open a stored secret (nodes must share one key). */
  async #checkKey(secrets: SecretBox): Promise<void> {
    const storage = this.#deps.storage();
    const profiles = await storage.request({ type: 'profile.list' });
    const sample = profiles.find((p) => typeof p.passwordCiphertext === 'string');
    const ciphertext = sample?.passwordCiphertext;
    if (sample === undefined || typeof ciphertext !== 'string') return;
    try {
      secrets.decrypt(ciphertext, `profile:${sample.name}`);
    } catch (cause) {
      throw new AviaryError(
        'cluster.wrong-key',
        `this node's secret key cannot decrypt the stored password of ${sample.name}: every node of a cluster needs the same key (AVIARY_SECRET_KEY or security.keyFile)`,
        { cause },
      );
    }
  }

  /**
   * LISTEN on a dedicated connection: announcements nudge the loop, events are relayed. A lost
   * connection (PostgreSQL restarted) is opened again after a heartbeat; what was sent
   * meanwhile is missed (the periodic reconciliation covers announcements).
   */
  async #listen(runtime: RuntimeServices, name: string): Promise<void> {
    await this.#subscribe(runtime, name);
    this.#offEvents = this.#publishEvents(runtime, name);
  }

  async #subscribe(runtime: RuntimeServices, name: string): Promise<void> {
    const store = this.#store;
    if (store === undefined) return;
    const listener = await store.listener();
    this.#listener = listener;
    listener.on('end', () => {
      if (this.#listener !== listener || this.#node === undefined) return;
      const retry = () => {
        if (this.#node === undefined) return;
        this.#subscribe(runtime, name).catch(() =>
          setTimeout(retry, runtime.config.cluster.heartbeatMs).unref(),
        );
      };
      setTimeout(retry, runtime.config.cluster.heartbeatMs).unref();
    });
    listener.on('notification', (note) => {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(note.payload ?? '') as Record<string, unknown>;
      } catch {
        return;
      }
      if (note.channel === EVENTS_CHANNEL) {
        if (data.node === name || typeof data.type !== 'string') return;
        this.#deps.relayed.emit(data.type as RuntimeEventName, data.payload as never);
        return;
      }
      const node = this.#node;
      if (typeof data.entity === 'string' && node?.owns(data.entity))
        void this.#deps.entities().adopt([data.entity]);
      else if (typeof data.rebalance === 'string' && data.rebalance !== name) void node?.nudge();
    });
    await listener.query(`LISTEN ${CONTROL_CHANNEL}; LISTEN ${EVENTS_CHANNEL}`);
  }

  /** Publishes this node's relayed events; returns the unsubscribe function. */
  #publishEvents(runtime: RuntimeServices, name: string): () => void {
    const store = this.#store;
    if (store === undefined) return () => undefined;
    // Events are batched: one NOTIFY statement per turn of the event loop, whatever the rate.
    let pending: string[] = [];
    const flush = () => {
      const batch = pending;
      pending = [];
      void store.notify(EVENTS_CHANNEL, ...batch).catch(() => undefined);
    };
    const publish = (type: RuntimeEventName, payload: unknown) => {
      if (!RELAYED.includes(type)) return;
      const text = JSON.stringify({ node: name, type, payload });
      if (Buffer.byteLength(text) > MAX_PAYLOAD) return;
      if (pending.push(text) === 1) setImmediate(flush);
    };
    runtime.events.on('*', publish);
    return () => runtime.events.off('*', publish);
  }

  /** Sends a message from `profile` through the node that owns it. */
  async forwardSend(profile: string, body: Record<string, unknown>): Promise<unknown> {
    const node = this.#node;
    const store = this.#store;
    if (node === undefined || store === undefined)
      throw new AviaryError('profile.not-found', `no profile or component named ${profile}`);
    const owner = await store.ownerOf(node.shardOf(profile));
    if (owner === undefined || owner.node === node.name || owner.apiUrl === null) {
      throw new AviaryError(
        'cluster.not-owned',
        `${profile} has no live owner right now (its shard is moving); try again`,
      );
    }
    return countForwarded(
      this.#metrics,
      forwardRequest(
        { node: owner.node, apiUrl: owner.apiUrl, token: this.#token },
        { method: 'POST', path: `/profiles/${encodeURIComponent(profile)}/messages`, body },
      ),
    );
  }

  /** This node as the one control surface sees it (see cluster-surface.ts). */
  readonly surface: SurfaceNode = createSurfaceNode({
    node: () => this.#node,
    store: () => this.#store,
    token: () => this.#token,
    leaseMs: () => this.#leaseMs,
    entities: () => this.#deps.entities(),
    storage: () => this.#deps.storage(),
    metrics: () => this.#metrics,
  });

  routes(): readonly Route[] {
    if (this.#store === undefined) return [];
    return [
      {
        method: 'GET',
        path: '/cluster/entities',
        summary: 'the profiles and components running on this cluster node, with their state',
        handle: () => ({
          body: {
            node: this.#node?.name ?? '',
            entities: this.#deps
              .entities()
              .list()
              .map((status) => ({ ...status, node: this.#node?.name ?? '' })),
          },
        }),
      },
      {
        method: 'GET',
        path: '/cluster',
        summary: 'cluster nodes, shard counts and shard moves in progress',
        handle: async () => {
          const store = this.#store;
          if (store === undefined) throw new AviaryError('cluster.not-owned', 'not in a cluster');
          return { body: await clusterStatus(store, this.#node?.name ?? '', this.#leaseMs) };
        },
      },
    ];
  }

  health(): HealthEntry {
    const node = this.#node;
    if (node === undefined) return { ok: true, detail: 'off' };
    return { ok: true, detail: `node ${node.name}, ${node.held.size} shards held` };
  }

  async stop(): Promise<void> {
    this.#offEvents?.();
    await this.#node?.stop();
    await this.#store
      ?.notify(CONTROL_CHANNEL, JSON.stringify({ rebalance: this.#node?.name ?? '' }))
      .catch(() => undefined);
    this.#node = undefined;
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.#store?.close().catch(() => undefined);
  }
}
