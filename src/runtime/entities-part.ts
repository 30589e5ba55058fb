import type { Route } from '../api/control-server.js';
import { HttpError } from '../api/http-errors.js';
import {
  addComponentBody,
  addProfileBody,
  numberParam,
  parseBody,
  sendMessageBody,
} from '../api/request-schemas.js';
import { type ConnectionFactories, EntityManager } from '../entities/entity-manager.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import { loadSecretBox } from '../security/secret-box.js';
import type { MessageType } from '../storage/messages.js';
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
  #manager: EntityManager | undefined;
  #offState: (() => void) | undefined;

  constructor(options: {
    storage: StoragePart;
    plugins: PluginRegistry;
    connections?: (runtime: RuntimeServices) => ConnectionFactories;
    autoconnect?: boolean;
  }) {
    this.#autoconnect = options.autoconnect ?? true;
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
      secrets: loadSecretBox(runtime.dataDir),
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
      },
      settings: {
        reconnectBaseMs: runtime.config.xmpp.reconnectBaseMs,
        reconnectMaxMs: runtime.config.xmpp.reconnectMaxMs,
        mailboxCapacity: runtime.config.xmpp.profileMailboxCapacity,
      },
      log: runtime.log,
      autoconnect: this.#autoconnect,
    });
    // Connections by state, kept incrementally: O(1) per state change even with thousands of
    // entities reconnecting at once. A stopped entity leaves the count.
    const current = new Map<string, { kind: string; state: string }>();
    const counts = (event: RuntimeEvents['connectionState']) => {
      const kind = event.kind === 'profile' ? 'client' : 'component';
      const key = `${kind}:${event.name}`;
      const previous = current.get(key);
      if (previous) runtime.metrics.connections.dec(previous);
      if (event.state === 'stopped') current.delete(key);
      else {
        current.set(key, { kind, state: event.state });
        runtime.metrics.connections.inc({ kind, state: event.state });
      }
    };
    runtime.events.on('connectionState', counts);
    this.#offState = () => runtime.events.off('connectionState', counts);
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

  routes(): readonly Route[] {
    const m = () => this.manager;
    const listOf = (kind: 'client' | 'component') =>
      m()
        .list()
        .filter((s) => s.kind === kind);
    return [
      { method: 'GET', path: '/profiles', handle: () => ({ body: listOf('client') }) },
      {
        method: 'POST',
        path: '/profiles',
        async handle({ body }) {
          const status = await m().addProfile(parseBody(addProfileBody, body));
          return { status: 201, body: status };
        },
      },
      {
        method: 'GET',
        path: '/profiles/:name',
        handle: ({ params }) => ({ body: m().status(params.name ?? '') }),
      },
      {
        method: 'DELETE',
        path: '/profiles/:name',
        async handle({ params }) {
          await m().remove(params.name ?? '');
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/profiles/:name/connect',
        handle({ params }) {
          m().connect(params.name ?? '');
          return { status: 202, body: m().status(params.name ?? '') };
        },
      },
      {
        method: 'POST',
        path: '/profiles/:name/disconnect',
        async handle({ params }) {
          await m().disconnect(params.name ?? '');
          return { body: m().status(params.name ?? '') };
        },
      },
      {
        method: 'POST',
        path: '/profiles/:name/messages',
        async handle({ params, body }) {
          const b = parseBody(sendMessageBody, body);
          const { sendOnly, ...request } = b;
          const result = await m().sendMessage(params.name ?? '', request as never, {
            sendOnly: sendOnly === true,
          });
          return { status: result.outcome === 'sent' ? 201 : 200, body: result };
        },
      },
      {
        method: 'GET',
        path: '/profiles/:name/history',
        async handle({ params, query }) {
          const between = query.get('between');
          const pair = between?.split(',');
          if (between !== null && (pair?.length !== 2 || !pair[0] || !pair[1])) {
            throw new HttpError(400, 'between must be two JIDs separated by a comma');
          }
          const order = query.get('order');
          if (order !== null && order !== 'asc' && order !== 'desc')
            throw new HttpError(400, 'order must be asc or desc');
          const before = numberParam(query, 'before');
          const after = numberParam(query, 'after');
          const limit = numberParam(query, 'limit');
          const types = query.getAll('type');
          const rows = await m().history(params.name ?? '', {
            ...(query.get('with') ? { with: query.get('with') as string } : {}),
            ...(pair ? { between: [pair[0] as string, pair[1] as string] as const } : {}),
            ...(before !== undefined ? { before } : {}),
            ...(after !== undefined ? { after } : {}),
            ...(limit !== undefined ? { limit } : {}),
            ...(query.get('search') ? { search: query.get('search') as string } : {}),
            ...(types.length > 0 ? { types: types as MessageType[] } : {}),
            ...(order ? { order } : {}),
          });
          return { body: rows };
        },
      },
      { method: 'GET', path: '/components', handle: () => ({ body: listOf('component') }) },
      {
        method: 'POST',
        path: '/components',
        async handle({ body }) {
          const status = await m().addComponent(parseBody(addComponentBody, body));
          return { status: 201, body: status };
        },
      },
      {
        method: 'DELETE',
        path: '/components/:name',
        async handle({ params }) {
          await m().remove(params.name ?? '');
          return { status: 204 };
        },
      },
    ];
  }
}
