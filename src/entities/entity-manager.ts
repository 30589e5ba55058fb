import xml, { type Element } from '@xmpp/xml';
import type { ActorSystem } from '../actors/actor-system.js';
import type { ActorRef } from '../actors/types.js';
import { AviaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Plugin, PluginHost } from '../plugins/plugin.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import type { SecretBox } from '../security/secret-box.js';
import type { ComponentInfo, ProfileInfo, StorageRequest, TlsPolicy } from '../storage/messages.js';
import { HookRegistry } from '../workflow/hooks.js';
import { parseJid } from '../workflow/jid.js';
import type { SendRequest, SendResult } from '../workflow/send-pipeline.js';
import { type Backoff, createBackoff } from '../xmpp/backoff.js';
import { isLoopbackHost } from '../xmpp/loopback.js';
import type { TokenBucket } from '../xmpp/token-bucket.js';
import {
  type EntityFailure,
  type EntityMessage,
  type EntityStatus,
  makeEntityActor,
} from './entity-actor.js';
import type { EntityConnection } from './entity-connection.js';
import { EntityExtensions } from './entity-extensions.js';
import type {
  EntityPlacement,
  EntitySettings,
  EntitySignals,
  EntityStorage,
} from './entity-ports.js';
import { type HistoryEntry, historyEntry } from './history-record.js';
import { createHistoryWriter, type HistoryWriter } from './history-writer.js';
import { lazyChild } from './lazy-logger.js';
import { readConnectionSettings, writeConnectionSettings } from './profile-settings.js';
import { createWorkflowHost } from './workflow-host.js';

/** The domain of a JID (RFC 7622 §3.2): where a profile connects when no server is given. */
function jidDomain(jid: string): string {
  const bare = jid.split('/')[0] ?? '';
  return bare.slice(bare.indexOf('@') + 1);
}

/** Makes the XMPP connection of one entity (client or component); injected so tests can fake it. */
export interface ConnectionFactories {
  client(args: {
    profile: ProfileInfo;
    password: string;
    caFile?: string;
    verifyTls: boolean;
    /** `false`: no stream management (XEP-0198) for this profile. */
    streamManagement?: boolean;
  }): EntityConnection;
  component(args: {
    profile: ProfileInfo;
    component: ComponentInfo;
    secret: string;
  }): EntityConnection;
}

export interface EntityManagerDeps {
  readonly system: Pick<ActorSystem, 'spawn'>;
  readonly storage: EntityStorage;
  readonly secrets: Pick<SecretBox, 'encrypt' | 'decrypt'>;
  readonly plugins: Pick<PluginRegistry, 'forClient' | 'forComponent'>;
  readonly loginLimiter: TokenBucket;
  readonly connections: ConnectionFactories;
  readonly signals: EntitySignals;
  readonly settings: EntitySettings;
  readonly log: Logger;
  /** Connect autoconnect profiles at start (default true; the offline CLI turns it off). */
  readonly autoconnect?: boolean;
  /** Cluster mode: which entities run here and the lease their writes carry (absent: all, unfenced). */
  readonly placement?: EntityPlacement;
}

export interface AddProfileRequest {
  readonly name: string;
  readonly jid: string;
  readonly password: string;
  readonly serverHost?: string;
  readonly serverPort?: number;
  readonly tls?: TlsPolicy;
  readonly autoconnect?: boolean;
  readonly caFile?: string;
  readonly verifyTls?: boolean;
}

export interface AddComponentRequest {
  readonly name: string;
  /** The component's domain (XEP-0114). */
  readonly jid: string;
  readonly secret: string;
  readonly entryPoint: string;
  readonly serverHost?: string;
  readonly serverPort?: number;
  readonly sendHistory?: boolean;
  readonly receiveHistory?: boolean;
  readonly autoconnect?: boolean;
}

/** What `modifyProfile` changes; fields left out keep their value, `null` clears host or port. */
export interface ModifyProfileRequest {
  readonly name: string;
  readonly password?: string;
  readonly serverHost?: string | null;
  readonly serverPort?: number | null;
  readonly tls?: TlsPolicy;
}

/** One profile as `exportProfiles` gives it; `password` only when secrets were asked for. */
export interface ExportedProfile {
  readonly name: string;
  readonly jid: string;
  readonly serverHost: string | null;
  readonly serverPort: number | null;
  readonly tls: TlsPolicy;
  readonly autoconnect: boolean;
  readonly password?: string;
}

interface Entity {
  readonly kind: 'client' | 'component';
  readonly ref: ActorRef<EntityMessage>;
  readonly teardown: (() => void)[];
  status: EntityStatus;
}

/**
 * Profiles and components: persisted through the storage actor (passwords and secrets encrypted
 * at rest), each running as an entity actor with its own hooks and plugins.
 */
export class EntityManager {
  readonly #deps: EntityManagerDeps;
  readonly #entities = new Map<string, Entity>();
  /** The last pending life-cycle operation of each name (see `#serial`). */
  readonly #queues = new Map<string, Promise<void>>();
  /** `#allowedAmong`'s tests, by plugin list (names joined by newlines). */
  readonly #allowedByList = new Map<string, (plugin: string) => boolean>();
  /** `#backoff`'s last one, with its bounds. */
  #sharedBackoff: { baseMs: number; capMs: number; backoff: Backoff } | undefined;
  #stopping = false;

  constructor(deps: EntityManagerDeps) {
    this.#deps = deps;
  }

  /** Spawns an actor for every stored profile and component placed here (autoconnect ones connect). */
  async start(): Promise<void> {
    if (this.#deps.placement !== undefined) return; // the cluster adopts entities shard by shard
    const [profiles, components] = await Promise.all([
      this.#deps.storage.request({ type: 'profile.list' }),
      this.#deps.storage.request({ type: 'component.list' }),
    ]);
    const byProfile = new Map(components.map((c) => [c.profile, c]));
    for (const profile of profiles) {
      try {
        await this.#spawn(profile, byProfile.get(profile.name));
      } catch (error) {
        this.#deps.log.error({ err: error, profile: profile.name }, 'cannot start profile');
      }
    }
  }

  /**
   * Stops every entity. Life-cycle operations still running finish first (new ones are
   * refused with `runtime.stopping`), so no actor or connection is left behind.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#queues.values()]);
    await Promise.all([...this.#entities.values()].map((e) => e.ref.stop({ mode: 'drain' })));
    for (const entity of this.#entities.values()) for (const off of entity.teardown) off();
    this.#entities.clear();
  }

  /**
   * Records a failure that did not come through the entity's own life cycle (its actor failed
   * and is being restarted by its supervisor) as the entity's last error.
   */
  recordFailure(name: string, failure: EntityFailure): void {
    const entity = this.#entities.get(name);
    if (entity !== undefined) entity.status = { ...entity.status, lastError: failure };
  }

  list(): EntityStatus[] {
    return [...this.#entities.values()]
      .map((e) => e.status)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The entity's status, or undefined when there is none by that name. */
  find(name: string): EntityStatus | undefined {
    return this.#entities.get(name)?.status;
  }

  status(name: string): EntityStatus {
    return this.#get(name).status;
  }

  addProfile(request: AddProfileRequest): Promise<EntityStatus> {
    return this.#serial(request.name, () => this.#addProfile(request));
  }

  async #addProfile(request: AddProfileRequest): Promise<EntityStatus> {
    const jid = parseJid(request.jid);
    if (jid.local === undefined || jid.local === '') {
      throw new AviaryError(
        'profile.invalid',
        `a profile JID needs a user part (user@domain), got ${request.jid}`,
      );
    }
    if (typeof request.password !== 'string' || request.password.length === 0) {
      throw new AviaryError('profile.invalid', 'a profile needs a non-empty password');
    }
    const profile = await this.#deps.storage.request({
      type: 'profile.create',
      name: request.name,
      jid: request.jid,
      passwordCiphertext: this.#deps.secrets.encrypt(request.password, `profile:${request.name}`),
      ...(request.serverHost !== undefined ? { serverHost: request.serverHost } : {}),
      ...(request.serverPort !== undefined ? { serverPort: request.serverPort } : {}),
      tlsPolicy: request.tls ?? 'required',
      autoconnect: request.autoconnect ?? true,
    });
    await writeConnectionSettings(this.#deps.storage, profile.name, {
      caFile: request.caFile,
      verifyTls: request.verifyTls,
    });
    if (this.#placedElsewhere(profile.name)) return this.#remoteStatus(profile, 'client');
    await this.#spawn(profile, undefined);
    return this.status(profile.name);
  }

  addComponent(request: AddComponentRequest): Promise<EntityStatus> {
    return this.#serial(request.name, () => this.#addComponent(request));
  }

  async #addComponent(request: AddComponentRequest): Promise<EntityStatus> {
    if (typeof request.secret !== 'string' || request.secret.length === 0) {
      throw new AviaryError('component.invalid', 'a component needs a non-empty secret');
    }
    const jid = parseJid(request.jid);
    if (jid.local !== undefined && jid.local !== '') {
      throw new AviaryError('component.invalid', `a component JID is a domain, got ${request.jid}`);
    }
    // Fails early (clear error) when the entry point or its required dependencies cannot run.
    this.#deps.plugins.forComponent(request.entryPoint);
    const profile = await this.#deps.storage.request({
      type: 'profile.create',
      name: request.name,
      jid: request.jid,
      ...(request.serverHost !== undefined ? { serverHost: request.serverHost } : {}),
      ...(request.serverPort !== undefined ? { serverPort: request.serverPort } : {}),
      tlsPolicy: 'disabled',
      autoconnect: request.autoconnect ?? true,
    });
    const component = await this.#deps.storage.request({
      type: 'component.create',
      profile: profile.name,
      entryPoint: request.entryPoint,
      secretCiphertext: this.#deps.secrets.encrypt(request.secret, `component:${profile.name}`),
      sendHistory: request.sendHistory ?? false,
      receiveHistory: request.receiveHistory ?? false,
    });
    if (this.#placedElsewhere(profile.name)) return this.#remoteStatus(profile, 'component');
    await this.#spawn(profile, component);
    return this.status(profile.name);
  }

  /**
   * Changes a profile's password, server, port or TLS policy, then restarts its actor with the
   * new settings (reconnecting when it was connected or trying to). Plain text stays refused
   * unless the server it would connect to is loopback, as for a new profile.
   */
  modifyProfile(request: ModifyProfileRequest): Promise<EntityStatus> {
    return this.#serial(request.name, () => this.#modifyProfile(request));
  }

  async #modifyProfile(request: ModifyProfileRequest): Promise<EntityStatus> {
    const { name } = request;
    const current = await this.#deps.storage.request({ type: 'profile.get', name });
    const entity = this.#entities.get(name);
    if (current === null || entity?.kind === 'component')
      throw new AviaryError('profile.not-found', `no profile named ${name}`);
    if (request.password !== undefined && request.password.length === 0)
      throw new AviaryError('profile.invalid', 'a profile needs a non-empty password');
    const tls = request.tls ?? current.tlsPolicy;
    const host =
      request.serverHost !== undefined
        ? (request.serverHost ?? jidDomain(current.jid))
        : (current.serverHost ?? jidDomain(current.jid));
    if (tls === 'disabled' && !isLoopbackHost(host))
      throw new AviaryError(
        'profile.invalid',
        `TLS can be turned off only for a loopback server (127.0.0.1, ::1, localhost), not ${host}`,
      );
    const updated = await this.#deps.storage.request({
      type: 'profile.update',
      name,
      ...(request.password !== undefined
        ? { passwordCiphertext: this.#deps.secrets.encrypt(request.password, `profile:${name}`) }
        : {}),
      ...(request.serverHost !== undefined ? { serverHost: request.serverHost } : {}),
      ...(request.serverPort !== undefined ? { serverPort: request.serverPort } : {}),
      ...(request.tls !== undefined ? { tlsPolicy: request.tls } : {}),
    });
    const wasActive =
      entity !== undefined && !['offline', 'stopped', 'auth-failed'].includes(entity.status.state);
    if (entity) {
      await entity.ref.stop({ mode: 'drain' });
      for (const off of entity.teardown) off();
      this.#entities.delete(name);
    }
    await this.#spawn(updated, undefined);
    if (wasActive) this.#get(name).ref.tell({ type: 'connect' });
    return this.status(name);
  }

  /** Every stored profile (not components), passwords decrypted only when `withSecrets`. */
  async exportProfiles(withSecrets: boolean): Promise<ExportedProfile[]> {
    const [profiles, components] = await Promise.all([
      this.#deps.storage.request({ type: 'profile.list' }),
      this.#deps.storage.request({ type: 'component.list' }),
    ]);
    const componentNames = new Set(components.map((c) => c.profile));
    return profiles
      .filter((p) => !componentNames.has(p.name))
      .map((p) => ({
        name: p.name,
        jid: p.jid,
        serverHost: p.serverHost,
        serverPort: p.serverPort,
        tls: p.tlsPolicy,
        autoconnect: p.autoconnect,
        ...(withSecrets
          ? {
              password: this.#deps.secrets.decrypt(p.passwordCiphertext ?? '', `profile:${p.name}`),
            }
          : {}),
      }));
  }

  /** In cluster mode, true (and the owner told) when `name` runs on another node. */
  #placedElsewhere(name: string): boolean {
    const placement = this.#deps.placement;
    if (placement === undefined || placement.owns(name)) return false;
    placement.announce(name);
    return true;
  }

  #remoteStatus(profile: ProfileInfo, kind: 'client' | 'component'): EntityStatus {
    return {
      kind,
      name: profile.name,
      jid: profile.jid,
      state: 'offline',
      reason: 'runs on the node owning its shard',
      reconnectAttempts: 0,
    };
  }

  /** Cluster mode: starts the stored entities among `names` that are not running here yet. */
  async adopt(names: readonly string[]): Promise<void> {
    await Promise.all(
      names
        .filter((name) => !this.#entities.has(name))
        .map((name) =>
          this.#serial(name, async () => {
            if (this.#entities.has(name) || this.#deps.placement?.owns(name) === false) return;
            const [profile, component] = await Promise.all([
              this.#deps.storage.request({ type: 'profile.get', name }),
              this.#deps.storage.request({ type: 'component.get', profile: name }),
            ]);
            // Cluster mode: the shard may have moved while its rows were read, or while the
            // entity was set up (a release meanwhile did not see it yet): never leave it running.
            if (profile === null || this.#deps.placement?.owns(name) === false) return;
            await this.#spawn(profile, component ?? undefined);
            if (this.#deps.placement?.owns(name) === false) await this.#stopNow(name);
          }).catch((error: unknown) =>
            this.#deps.log.error({ err: error, name }, 'cannot start entity'),
          ),
        ),
    );
  }

  /**
   * Cluster mode: stops the running entities among `names` (their shard moves away). With
   * `quiesceMs` (a planned hand-over), each online entity first announces itself unavailable
   * (RFC 6121 §4.5), so the server keeps new messages for the next owner's login, and goes on
   * handling what was already in flight for that long before it stops.
   */
  async release(names: readonly string[], options: { quiesceMs?: number } = {}): Promise<void> {
    const running = names.filter((name) => this.#entities.has(name));
    const quiesceMs = options.quiesceMs ?? 0;
    if (quiesceMs > 0) {
      const online = running.filter((name) => this.#entities.get(name)?.status.state === 'online');
      await Promise.all(
        online.map((name) =>
          this.send(name, xml('presence', { type: 'unavailable' })).catch(() => undefined),
        ),
      );
      if (online.length > 0) await new Promise((resolve) => setTimeout(resolve, quiesceMs));
    }
    await Promise.all(
      running.map((name) =>
        this.#serial(name, () => this.#stopNow(name)).catch((error: unknown) =>
          this.#deps.log.error({ err: error, name }, 'cannot stop entity'),
        ),
      ),
    );
  }

  /** Stops a running entity and forgets it (inside its serial queue). */
  async #stopNow(name: string): Promise<void> {
    const entity = this.#entities.get(name);
    if (entity === undefined) return;
    await entity.ref.stop({ mode: 'drain' });
    for (const off of entity.teardown) off();
    this.#entities.delete(name);
  }

  /** Stops the entity and deletes it with everything it owns (history, cache, parameters). */
  remove(name: string): Promise<void> {
    return this.#serial(name, () => this.#remove(name));
  }

  async #remove(name: string): Promise<void> {
    const entity = this.#entities.get(name);
    if (entity) {
      await entity.ref.stop({ mode: 'drain' });
      for (const off of entity.teardown) off();
      this.#entities.delete(name);
    }
    const { deleted } = await this.#deps.storage.request({ type: 'profile.delete', name });
    if (!deleted && !entity)
      throw new AviaryError('profile.not-found', `no profile or component named ${name}`);
  }

  /**
   * Asks the entity to connect. Throws `profile.not-found` at once when nothing by that name
   * exists or is being added; behind a running add/remove/disconnect of that name it waits its
   * turn (and a failure then is logged).
   */
  connect(name: string): void {
    if (!this.#queues.has(name)) {
      this.#get(name).ref.tell({ type: 'connect' });
      return;
    }
    this.#serial(name, async () => this.#get(name).ref.tell({ type: 'connect' })).catch(
      (error: unknown) => this.#deps.log.warn({ err: error, name }, 'connect not applied'),
    );
  }

  disconnect(name: string): Promise<void> {
    return this.#serial(name, async () => {
      await this.#get(name).ref.ask<null>((replyTo) => ({ type: 'disconnect', replyTo }), {
        timeoutMs: 30_000,
      });
    });
  }

  /**
   * Runs the life-cycle operations of one name one after the other (add, remove, connect,
   * disconnect), so no interleaving leaves an actor or a connection without its entity.
   */
  #serial<T>(name: string, operation: () => Promise<T>): Promise<T> {
    if (this.#stopping)
      return Promise.reject(new AviaryError('runtime.stopping', 'the runtime is stopping'));
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const result = previous.then(operation);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(name, settled);
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name);
    });
    return result;
  }

  sendMessage(
    name: string,
    request: SendRequest,
    options: { sendOnly?: boolean } = {},
  ): Promise<SendResult> {
    return this.#get(name).ref.ask<SendResult>(
      (replyTo) => ({
        type: 'send-message',
        request,
        ...(options.sendOnly ? { sendOnly: true } : {}),
        replyTo,
      }),
      { timeoutMs: 60_000 },
    );
  }

  /** An IQ request through the entity's connection (pubsub, disco...). */
  iq(name: string, element: Element, timeoutMs = 30_000): Promise<Element> {
    return this.#get(name).ref.ask<Element>(
      (replyTo) => ({ type: 'iq', element, timeoutMs, replyTo }),
      {
        timeoutMs: timeoutMs + 1000,
      },
    );
  }

  /** Sends one stanza as is through the entity's connection (no workflow). */
  async send(name: string, element: Element): Promise<void> {
    await this.#get(name).ref.ask<null>((replyTo) => ({ type: 'send-stanza', element, replyTo }), {
      timeoutMs: 30_000,
    });
  }

  async history(
    name: string,
    query: Omit<Extract<StorageRequest, { type: 'history.query' }>, 'type' | 'profile'> = {},
  ): Promise<HistoryEntry[]> {
    const toSeconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    const rows = await this.#deps.storage.request({
      type: 'history.query',
      profile: name,
      ...query,
      ...(query.before !== undefined ? { before: toSeconds(query.before) } : {}),
      ...(query.after !== undefined ? { after: toSeconds(query.after) } : {}),
    });
    return rows.map(historyEntry);
  }

  #get(name: string): Entity {
    const entity = this.#entities.get(name);
    if (entity === undefined)
      throw new AviaryError('profile.not-found', `no profile or component named ${name}`);
    return entity;
  }

  /** The reconnect backoff for these bounds: stateless, so one is shared by every entity. */
  #backoff(baseMs: number, capMs: number): Backoff {
    if (this.#sharedBackoff?.baseMs !== baseMs || this.#sharedBackoff.capMs !== capMs)
      this.#sharedBackoff = {
        baseMs,
        capMs,
        backoff: createBackoff({ baseMs, capMs, random: Math.random }),
      };
    return this.#sharedBackoff.backoff;
  }

  /**
   * Whether a plugin is among `plugins`, one test shared by every entity with the same plugin
   * list (every client has the same: one set for thousands of profiles, not one each).
   */
  #allowedAmong(plugins: readonly Plugin[]): (plugin: string) => boolean {
    const key = plugins.map((p) => p.name).join('\n');
    let allowed = this.#allowedByList.get(key);
    if (allowed === undefined) {
      const names = new Set(plugins.map((p) => p.name));
      allowed = (plugin) => names.has(plugin);
      this.#allowedByList.set(key, allowed);
    }
    return allowed;
  }

  async #spawn(profile: ProfileInfo, component: ComponentInfo | undefined): Promise<void> {
    const { settings, log: rootLog, connections } = this.#deps;
    const kind = component ? 'component' : 'client';
    // Made on first use: most idle entities never log (see lazy-logger.ts).
    const log = lazyChild(rootLog, {
      [kind === 'client' ? 'profile' : 'component']: profile.name,
    });
    const plugins: Plugin[] = component
      ? this.#deps.plugins.forComponent(component.entryPoint)
      : this.#deps.plugins.forClient();
    const hooks = new HookRegistry({ allowPlugin: this.#allowedAmong(plugins) });
    let createConnection: () => EntityConnection;
    if (component) {
      const secret = this.#deps.secrets.decrypt(
        component.secretCiphertext ?? '',
        `component:${profile.name}`,
      );
      createConnection = () => connections.component({ profile, component, secret });
    } else {
      const password = this.#deps.secrets.decrypt(
        profile.passwordCiphertext ?? '',
        `profile:${profile.name}`,
      );
      const settings = await readConnectionSettings(this.#deps.storage, profile.name);
      createConnection = () => connections.client({ profile, password, ...settings });
    }
    const extensions = new EntityExtensions({ log });
    const host: PluginHost = {
      kind,
      name: profile.name,
      jid: () => this.#entities.get(profile.name)?.status.jid ?? profile.jid,
      online: () => this.#entities.get(profile.name)?.status.state === 'online',
      sendMessage: (request) => this.sendMessage(profile.name, request as SendRequest),
      send: (element) => this.send(profile.name, element),
      iq: (element, timeoutMs) => this.iq(profile.name, element, timeoutMs),
      useStanza: (middleware, order) => extensions.useStanza(middleware, order),
      handleIq: (route, handler, order) => extensions.handleIq(route, handler, order),
      onOnline: (hook, order) => extensions.onOnline(hook, order),
    };
    const teardown: (() => void)[] = [];
    for (const plugin of plugins) {
      const off = await plugin.setup({ host, hooks, log: lazyChild(log, { plugin: plugin.name }) });
      if (typeof off === 'function') teardown.push(off);
    }
    let latest: EntityStatus | undefined;
    const ref = this.#deps.system.spawn<EntityMessage>(
      kind === 'client' ? `profile:${profile.name}` : `component:${profile.name}`,
      () =>
        makeEntityActor({
          kind,
          name: profile.name,
          jid: profile.jid,
          createConnection,
          extensions,
          workflow: createWorkflowHost({
            kind,
            name: profile.name,
            hooks,
            history: countingStored(
              createHistoryWriter({
                profile: profile.name,
                store:
                  this.#deps.placement?.fenced(profile.name, this.#deps.storage) ??
                  this.#deps.storage,
              }),
              () => this.#deps.signals.messageStored?.(kind),
            ),
            sendHistory: component ? component.sendHistory : true,
            receiveHistory: component ? component.receiveHistory : true,
            onMessageNew: (event) => this.#deps.signals.messageNew(event),
            log,
          }),
          loginLimiter: this.#deps.loginLimiter,
          backoff: this.#backoff(settings.reconnectBaseMs, settings.reconnectMaxMs),
          mailboxCapacity: settings.mailboxCapacity,
          onState: (announced) => {
            // The last failure outlives a restart of the actor and a later recovery.
            const previous = this.#entities.get(profile.name)?.status ?? latest;
            const status = withLastError(announced, previous?.lastError);
            if (
              announced.lastError !== undefined &&
              !sameFailure(announced.lastError, previous?.lastError)
            )
              this.#deps.signals.runtimeError?.({
                source: `${kind === 'client' ? 'profile' : 'component'} ${profile.name}`,
                code: announced.lastError.code,
                message: announced.lastError.message,
              });
            // The actor may announce a state before the entity is registered below.
            latest = status;
            const entity = this.#entities.get(profile.name);
            if (entity) entity.status = status;
            this.#deps.signals.connectionState({
              kind: status.kind === 'client' ? 'profile' : 'component',
              name: status.name,
              state: status.state,
              ...(status.reason !== undefined ? { reason: status.reason } : {}),
            });
          },
          log,
          autoconnect: profile.autoconnect && this.#deps.autoconnect !== false,
        }),
      {
        mailbox: { capacity: settings.mailboxCapacity, overflow: 'reject' },
        // An unexpected failure restarts the entity (fresh connection) with backoff, within a budget.
        supervision: {
          kind: 'restart',
          maxRestarts: 10,
          withinMs: 60_000,
          backoffBaseMs: 500,
          backoffMaxMs: 30_000,
        },
      },
    );
    this.#entities.set(profile.name, {
      kind,
      ref,
      teardown,
      status: latest ?? {
        kind,
        name: profile.name,
        jid: profile.jid,
        state: 'offline',
        reconnectAttempts: 0,
      },
    });
  }
}

/** `status` with `previous` as its last error when it has none of its own. */
function withLastError(status: EntityStatus, previous: EntityFailure | undefined): EntityStatus {
  return status.lastError === undefined && previous !== undefined
    ? { ...status, lastError: previous }
    : status;
}

function sameFailure(a: EntityFailure, b: EntityFailure | undefined): boolean {
  return b !== undefined && a.code === b.code && a.message === b.message;
}

/** `writer`, telling `onStored` once each write is durable (a failed write is not counted). */
function countingStored(writer: HistoryWriter, onStored: () => void): HistoryWriter {
  return {
    async write(message) {
      const written = await writer.write(message);
      written.durable.then(onStored, () => undefined);
      return written;
    },
  };
}
