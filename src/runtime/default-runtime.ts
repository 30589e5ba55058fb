import { operationRoutes } from '../api/operation-routes.js';
import { ClusterPart } from '../cluster/cluster-part.js';
import { clusterSurface } from '../cluster/cluster-surface.js';
import { CACHE_OWNER_WRITES } from '../cluster/owner-writes.js';
import type { AviaryConfigInput } from '../config/config-schema.js';
import type { EntityStatus } from '../entities/entity-actor.js';
import type {
  AddComponentRequest,
  AddProfileRequest,
  ConnectionFactories,
  EntityManager,
  ExportedProfile,
  ModifyProfileRequest,
} from '../entities/entity-manager.js';
import type { HistoryEntry } from '../entities/history-record.js';
import type { Logger } from '../log.js';
import { storageMucStore } from '../muc/muc-store.js';
import { createCarbonsPlugin } from '../plugins/builtin/carbons.js';
import { echoBotPlugin } from '../plugins/builtin/echo-component.js';
import { createExampleE2eePlugin } from '../plugins/builtin/example-e2ee.js';
import { type Archives, createMamPlugin } from '../plugins/builtin/mam.js';
import { MucService } from '../plugins/builtin/muc.js';
import { createPubsubCachePlugin } from '../plugins/builtin/pubsub-cache.js';
import { createReceiptsPlugin } from '../plugins/builtin/receipts.js';
import { createRosterPlugin } from '../plugins/builtin/roster.js';
import type { Plugin } from '../plugins/plugin.js';
import { PluginRegistry } from '../plugins/plugin-registry.js';
import type { StorageRequest } from '../storage/messages.js';
import { createEmitter } from '../util/emitter.js';
import type { SendRequest, SendResult } from '../workflow/send-pipeline.js';
import { CachePart } from './cache-part.js';
import { type ContactsApi, ContactsPart } from './contacts-part.js';
import { EntitiesPart } from './entities-part.js';
import type { RuntimeEvents } from './events.js';
import { Runtime, type RuntimeServices } from './runtime.js';
import { StoragePart } from './storage-part.js';
import { type StorageSnapshotInfo, takeStorageSnapshot } from './storage-snapshot.js';

export type HistoryQuery = Omit<
  Extract<StorageRequest, { type: 'history.query' }>,
  'type' | 'profile'
>;

export interface AviaryOptions {
  readonly config?: AviaryConfigInput;
  readonly log?: Logger;
  /** Serve the control API (default true). */
  readonly api?: boolean;
  /** Extra plugins, registered before start (more can be added with `plugins.register`). */
  readonly plugins?: readonly Plugin[];
  /** Replace the XMPP connections (tests, custom transports). */
  readonly connections?: (runtime: RuntimeServices) => ConnectionFactories;
  /** Connect autoconnect profiles at start (default true). */
  readonly autoconnect?: boolean;
  /**
   * Leave the data folder untouched (sql.js): no journal record, snapshot or key file is
   * written; writes live in memory until `stop`. The CLI's offline read commands use it.
   */
  readonly readOnly?: boolean;
}

/**
 * The runtime as a library: storage, profiles, components, the message workflow, the control API
 * and typed events. `aviary run` starts the same thing.
 *
 * @example
 * import { createRuntime } from '@aviary-xmpp/aviary';
 * const aviary = createRuntime({ config: { dataDir: './data' } });
 * aviary.events.on('messageNew', (m) => console.log(m.profile, m.from, m.message));
 * await aviary.start();
 * await aviary.addProfile({ name: 'alice', jid: 'alice@example.org', password });
 * await aviary.sendMessage('alice', { to: 'bob@example.org', message: { '': 'hi' } });
 * await aviary.stop();
 */
export class Aviary extends Runtime {
  readonly plugins: PluginRegistry;
  /** Multi-User Chat rooms per profile (join, leave, list), served by the `xep-0045` plugin. */
  readonly muc: MucService;
  readonly #storage: StoragePart;
  readonly #entities: EntitiesPart;
  readonly #cache: CachePart;
  readonly #contacts: ContactsPart;
  readonly #archives: Archives;
  readonly #cluster: ClusterPart;

  constructor(options: AviaryOptions = {}) {
    const plugins = new PluginRegistry();
    const storage = new StoragePart({ readOnly: options.readOnly === true });
    // The cache starts before the entities (it needs nothing from them) and stops after them;
    // profiles reach it through the built-in `pubsub-cache` plugin.
    // In cluster mode the cache's writes for a profile carry that profile's shard lease.
    const cache = new CachePart({
      storage,
      wrapStorage: (client) => cluster.ownerWrites(() => client, CACHE_OWNER_WRITES)(),
    });
    // Rosters, presence and carbons: started before the profiles whose plugins attach to it.
    const contacts = new ContactsPart({ storage });
    const relayedEvents = createEmitter<RuntimeEvents>();
    const cluster: ClusterPart = new ClusterPart({
      entities: (): EntityManager => entities.manager,
      storage: () => storage.client,
      relayed: relayedEvents,
      apiUrl: () => this?.apiUrl,
    });
    const entities: EntitiesPart = new EntitiesPart({
      storage,
      plugins,
      placement: (runtime) => (runtime.config.cluster.enabled ? cluster.placement : undefined),
      ...(options.connections ? { connections: options.connections } : {}),
      ...(options.autoconnect !== undefined ? { autoconnect: options.autoconnect } : {}),
      readOnly: options.readOnly === true,
    });
    super({
      ...(options.config ? { config: options.config } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.api !== undefined ? { api: options.api } : {}),
      parts: [storage, cache, contacts, entities],
      relayedEvents,
    });
    this.#cluster = cluster;
    this.#cache = cache;
    this.plugins = plugins;
    this.#storage = storage;
    this.#entities = entities;
    plugins.register(createPubsubCachePlugin(cache.port));
    this.#contacts = contacts;
    plugins.register(createCarbonsPlugin(contacts.carbonsPort));
    plugins.register(createRosterPlugin(contacts.contactsPort));
    // The control operations (profiles, messages, history, cache) are served from one table.
    this.addPart({
      name: 'control-operations',
      start: async () => undefined,
      stop: async () => undefined,
      // In cluster mode they act on entities of any node (forwarded to the owner).
      routes: () => clusterSurface(operationRoutes(this), this.#cluster.surface),
    });
    // Cluster mode (off by default): starts after the entities, hands over before they stop.
    this.addPart(cluster);
    plugins.register(echoBotPlugin);
    // Message archives (XEP-0313): catch-up on each connection, `history --sync`, `mam`.
    // Plugins write for their own entity: in cluster mode under its shard lease (fenced).
    const pluginStorage = cluster.ownerWrites(() => storage.client);
    const mam = createMamPlugin({ storage: pluginStorage });
    plugins.register(mam.plugin);
    this.#archives = mam.archives;
    // Delivery receipts (XEP-0184): asked, answered, `delivered` recorded on history rows.
    plugins.register(createReceiptsPlugin({ storage: pluginStorage }));
    this.muc = new MucService({
      store: storageMucStore(pluginStorage),
      clock: this.system.clock,
    });
    plugins.register(this.muc.plugin());
    // Demonstration plugins run only when the configuration names them (`plugins.enable`).
    if (this.config.plugins.enable.includes('example-e2ee'))
      plugins.register(createExampleE2eePlugin());
    for (const plugin of options.plugins ?? []) plugins.register(plugin);
  }

  /** The server message archives of profiles (XEP-0313): forced catch-up, direct queries. */
  get archives(): Archives {
    return this.#archives;
  }

  /** Typed access to the storage actor. */
  get storage() {
    return this.#storage.client;
  }

  addProfile(request: AddProfileRequest): Promise<EntityStatus> {
    return this.#entities.manager.addProfile(request);
  }

  addComponent(request: AddComponentRequest): Promise<EntityStatus> {
    return this.#entities.manager.addComponent(request);
  }

  remove(name: string): Promise<void> {
    return this.#entities.manager.remove(name);
  }

  connect(name: string): void {
    this.#entities.manager.connect(name);
  }

  disconnect(name: string): Promise<void> {
    return this.#entities.manager.disconnect(name);
  }

  /** Every profile and component with its connection state. */
  entities(): EntityStatus[] {
    return this.#entities.manager.list();
  }

  entity(name: string): EntityStatus {
    return this.#entities.manager.status(name);
  }

  sendMessage(
    profile: string,
    request: SendRequest,
    options: { sendOnly?: boolean } = {},
  ): Promise<SendResult> {
    if (this.#cluster.active && this.#entities.manager.find(profile) === undefined) {
      const body = { ...request, ...(options.sendOnly ? { sendOnly: true } : {}) };
      return this.#cluster.forwardSend(profile, body) as Promise<SendResult>;
    }
    return this.#entities.manager.sendMessage(profile, request, options);
  }

  history(profile: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return this.#entities.manager.history(profile, query);
  }

  /** Changes a profile's password, server, port or TLS policy and restarts it with them. */
  modifyProfile(request: ModifyProfileRequest): Promise<EntityStatus> {
    return this.#entities.manager.modifyProfile(request);
  }

  /** Every profile's settings; passwords (decrypted) only when `withSecrets` is true. */
  exportProfiles(withSecrets = false): Promise<ExportedProfile[]> {
    return this.#entities.manager.exportProfiles(withSecrets);
  }

  /**
   * Writes a storage snapshot now and says which one is current: on sql.js a verified,
   * self-contained image of the whole store (see `aviary backup`); PostgreSQL has none.
   */
  snapshotStorage(): Promise<StorageSnapshotInfo> {
    return takeStorageSnapshot(this.storage, this.dataDir, this.config.storage.url);
  }

  /** The transparent pubsub cache (getItems, synchronise, purge, reset, search). */
  get cache() {
    return this.#cache.client;
  }

  /** Rosters, contacts' presence, subscription requests and contact settings of profiles. */
  get contacts(): ContactsApi {
    return this.#contacts.api;
  }

  /** Registers a pubsub cache analyser (XEP-0060 node type); returns the unregister function. */
  registerAnalyser(...args: Parameters<CachePart['analysers']['registerAnalyser']>) {
    const unregister = this.#cache.analysers.registerAnalyser(...args);
    if (this.state === 'running') void this.#cache.ensurePaths(args[0]);
    return unregister;
  }

  /** Resolves once `name` reaches `state` (or rejects after `timeoutMs`). */
  waitForState(
    name: string,
    state: EntityStatus['state'],
    timeoutMs = 30_000,
  ): Promise<EntityStatus> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const current = this.#entities.manager.status(name);
        if (current.state !== state) return false;
        this.events.off('connectionState', onChange);
        clearTimeout(timer);
        resolve(current);
        return true;
      };
      const onChange = () => void check();
      const timer = setTimeout(() => {
        this.events.off('connectionState', onChange);
        const current = this.#entities.manager.status(name);
        reject(
          new Error(
            `${name} did not reach ${state} within ${timeoutMs} ms (it is ${current.state}${current.reason ? `: ${current.reason}` : ''})`,
          ),
        );
      }, timeoutMs);
      this.events.on('connectionState', onChange);
      check();
    });
  }
}

/** Creates (but does not start) a runtime. */
export function createRuntime(options: AviaryOptions = {}): Aviary {
  return new Aviary(options);
}

/** What `aviary run` starts. */
export function createDefaultRuntime(options: { config: AviaryConfigInput; log?: Logger }): Aviary {
  return createRuntime(options);
}
