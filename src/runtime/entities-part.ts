import { entityFailure } from '../entities/entity-actor.js';
import { type ConnectionFactories, EntityManager } from '../entities/entity-manager.js';
import type { EntityPlacement } from '../entities/entity-ports.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import { loadSecretBox } from '../security/secret-box.js';
import { createSaltedPasswordCache } from '../xmpp/scram.js';
import { createTokenBucket } from '../xmpp/token-bucket.js';
import type { RuntimeEvents } from './events.js';
import type { HealthEntry, RuntimePart, RuntimeServices } from './runtime.js';
import type { StoragePart } from './storage-part.js';
import { xmppConnectionFactories } from './xmpp-connections.js';

/**
 * Profiles and components as actors, with the runtime-wide login limiter and salted-password
 * cache, and their control API endpoints.
 */
export class EntitiesPart implements RuntimePart {
  readonly name = 'entities';
  readonly #storage: StoragePart;
  readonly #plugins: PluginRegistry;
  readonly #connections: ((runtime: RuntimeServices) => ConnectionFactories) | undefined;
  readonly #autoconnect: boolean;
  readonly #readOnly: boolean;
  readonly #placement: ((runtime: RuntimeServices) => EntityPlacement | undefined) | undefined;
  #manager: EntityManager | undefined;
  #offState: (() => void) | undefined;

  constructor(options: {
    storage: StoragePart;
    plugins: PluginRegistry;
    connections?: (runtime: RuntimeServices) => ConnectionFactories;
    autoconnect?: boolean;
    /** Never create the key file (the CLI's offline reads leave the data folder untouched). */
    readOnly?: boolean;
    /** Cluster mode: which entities run on this node (asked at start). */
    placement?: (runtime: RuntimeServices) => EntityPlacement | undefined;
  }) {
    this.#placement = options.placement;
    this.#autoconnect = options.autoconnect ?? true;
    this.#readOnly = options.readOnly === true;
    this.#storage = options.storage;
    this.#plugins = options.plugins;
    this.#connections = options.connections;
  }

  get manager(): EntityManager {
    if (this.#manager === undefined) throw new Error('entities are not started');
    return this.#manager;
  }

  async start(runtime: RuntimeServices): Promise<void> {
    const saltedPasswords = createSaltedPasswordCache();
    const connections =
      this.#connections?.(runtime) ??
      xmppConnectionFactories({
        config: runtime.config,
        clock: runtime.clock,
        saltedPasswords,
        log: runtime.log,
      });
    this.#manager = new EntityManager({
      system: runtime.system,
      storage: this.#storage.client,
      secrets: loadSecretBox(runtime.dataDir, process.env, {
        create: !this.#readOnly,
        keyFile: runtime.config.security.keyFile,
      }),
      plugins: this.#plugins,
      loginLimiter: createTokenBucket({
        ratePerSecond: runtime.config.xmpp.loginRate,
        burst: runtime.config.xmpp.loginBurst,
        clock: runtime.clock,
      }),
      connections,
      signals: {
        connectionState: (event) => runtime.events.emit('connectionState', event),
        messageNew: (event) => runtime.events.emit('messageNew', event),
        runtimeError: (event) => runtime.events.emit('runtimeError', event),
        messageStored: (kind) => runtime.metrics.storedMessages.inc({ kind }),
      },
      settings: {
        reconnectBaseMs: runtime.config.xmpp.reconnectBaseMs,
        reconnectMaxMs: runtime.config.xmpp.reconnectMaxMs,
        mailboxCapacity: runtime.config.xmpp.profileMailboxCapacity,
      },
      log: runtime.log,
      autoconnect: this.#autoconnect,
      ...placementOf(this.#placement?.(runtime)),
    });
    // Connections by state, kept incrementally: O(1) per state change even with thousands of
    // entities reconnecting at once. A stopped entity leaves the count.
    const current = new Map<string, { kind: string; state: string }>();
    const counts = (event: RuntimeEvents['connectionState']) => {
      const kind = event.kind === 'profile' ? 'client' : 'component';
      const key = `${kind}:${event.name}`;
      const previous = current.get(key);
      if (previous) runtime.metrics.connections.dec(previous);
      // Counted on entering a state only: a repeated announcement of the same state is no event.
      if (previous?.state !== event.state) {
        if (event.state === 'online') runtime.metrics.logins.inc({ kind });
        else if (event.state === 'auth-failed') runtime.metrics.authFailures.inc({ kind });
        else if (event.state === 'reconnecting') runtime.metrics.reconnects.inc({ kind });
      }
      if (event.state === 'stopped') current.delete(key);
      else {
        current.set(key, { kind, state: event.state });
        runtime.metrics.connections.inc({ kind, state: event.state });
      }
    };
    runtime.events.on('connectionState', counts);
    // An entity actor that fails (its supervisor restarts it) leaves the failure as the
    // entity's last error, for `profile list`, `status` and the status page.
    const manager = this.#manager;
    const offFailed = runtime.system.inspect((event) => {
      if (event.type !== 'failed') return;
      const entity = /^(?:profile|component):(.+)#\d+$/.exec(event.actorId)?.[1];
      if (entity !== undefined)
        manager.recordFailure(
          entity,
          entityFailure(event.error, 'actor.failed', runtime.clock.now()),
        );
    });
    this.#offState = () => {
      runtime.events.off('connectionState', counts);
      offFailed();
    };
    runtime.events.on('messageNew', (m) => {
      runtime.metrics.messages.inc({
        direction: String(m.direction ?? 'in'),
        outcome: 'stored-or-signalled',
      });
    });
    await this.#manager.start();
  }

  async stop(): Promise<void> {
    await this.#manager?.stop();
    this.#offState?.();
  }

  health(): HealthEntry {
    const list = this.#manager?.list() ?? [];
    const online = list.filter((s) => s.state === 'online').length;
    const failed = list.filter((s) => s.state === 'auth-failed').length;
    return {
      ok: true,
      detail: `${online}/${list.length} online${failed > 0 ? `, ${failed} auth-failed` : ''}`,
    };
  }
}

const placementOf = (placement: EntityPlacement | undefined) =>
  placement === undefined ? {} : { placement };
