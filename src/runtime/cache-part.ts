import type { Element } from '@xmpp/xml';
import { createAnalyserRegistry } from '../analysers/analyser-registry.js';
import { builtinAnalysers } from '../analysers/builtin-analysers.js';
import type { AnalyserRegistry } from '../analysers/index.js';
import { PubsubCacheClient } from '../cache/cache-client.js';
import type { CacheActorMessage } from '../cache/cache-messages.js';
import { makePubsubCacheActor } from '../cache/pubsub-cache-actor.js';
import { answerDiscoInfo, capsPresence, clientFeatures } from '../entities/disco-caps.js';
import type { EntityConnection } from '../entities/entity-connection.js';
import type { EntityManager } from '../entities/entity-manager.js';
import { ParserPool } from '../parsers/parser-pool.js';
import { parsePubsubEvent } from '../pubsub/event.js';
import { createPubsubClient } from '../pubsub/pubsub-client.js';
import type { XmlElement } from '../pubsub/xml.js';
import { bareJid } from '../workflow/jid.js';
import type { HealthEntry, RuntimePart, RuntimeServices } from './runtime.js';
import type { StoragePart } from './storage-part.js';

/**
 * The transparent pubsub cache: analysers, the parser pool (Piscina), the PubsubCacheActor, and
 * the glue to entities — pubsub notifications in, `+notify` caps out (XEP-0115/XEP-0163), IQs
 * through the profile's connection, re-checks after reconnection.
 */
export class CachePart implements RuntimePart {
  readonly name = 'cache';
  readonly analysers: AnalyserRegistry = createAnalyserRegistry();
  readonly #storage: StoragePart;
  readonly #entities: () => EntityManager;
  #client: PubsubCacheClient | undefined;
  #pool: ParserPool | undefined;
  #notify: string[] = [];
  #runtime: RuntimeServices | undefined;

  constructor(options: { storage: StoragePart; entities: () => EntityManager }) {
    this.#storage = options.storage;
    this.#entities = options.entities;
    for (const analyser of builtinAnalysers()) this.analysers.registerAnalyser(analyser);
  }

  get client(): PubsubCacheClient {
    if (this.#client === undefined) throw new Error('cache is not started');
    return this.#client;
  }

  async start(runtime: RuntimeServices): Promise<void> {
    this.#runtime = runtime;
    const config = runtime.config.cache;
    const pool = new ParserPool({
      ...(config.parserThreads !== undefined ? { maxThreads: config.parserThreads } : {}),
      timeoutMs: config.parserTimeoutMs,
    });
    this.#pool = pool;
    const log = runtime.log.child({ component: 'cache' });
    const ref = runtime.system.spawn<CacheActorMessage>(
      'pubsub-cache',
      makePubsubCacheActor({
        storage: this.#storage.client,
        pubsubFor: (profile) => {
          const manager = this.#entities();
          const status = manager.find(profile);
          if (status === undefined || status.state !== 'online' || status.jid === undefined)
            return undefined;
          return {
            client: createPubsubClient({
              iq: (request, timeoutMs) =>
                manager.iq(
                  profile,
                  request as unknown as Element,
                  timeoutMs,
                ) as unknown as Promise<XmlElement>,
            }),
            jid: bareJid(status.jid),
          };
        },
        analysers: this.analysers,
        parse: (parser, items, options) => pool.parseBatch(parser, items, options),
        clock: runtime.clock,
        log: {
          debug: (f, m) => log.debug(f, m),
          info: (f, m) => log.info(f, m),
          warn: (f, m) => log.warn(f, m),
          error: (f, m) => log.error(f, m),
        },
        emit: (event) => {
          if (event.type === 'cacheSynced') {
            runtime.events.emit('cacheSynced', event);
            void this.#refreshNotify();
          } else if (event.type === 'cacheSyncProgress') {
            runtime.events.emit('cacheSyncProgress', event);
          } else {
            runtime.events.emit('cacheSyncFailed', event);
            runtime.events.emit('runtimeError', {
              source: `cache ${event.node}`,
              message: event.reason,
            });
          }
        },
        config: {
          enabled: config.enabled,
          limit: config.limit,
          syncDeadlineMs: config.syncDeadlineMs,
          pageSize: config.pageSize,
        },
      }),
      // A failed message must not lose the cache's in-memory view of running syncs.
      { mailbox: { capacity: 10_000 }, supervision: { kind: 'resume' } },
    );
    this.#client = new PubsubCacheClient(ref);
    for (const analyser of this.analysers.list()) await this.ensurePaths(analyser);
    await this.#refreshNotify();
  }

  /**
   * Creates the storage indexes an analyser asks for (expression indexes on its indexed paths, the
   * side table for its list paths), so parsed-data searches on them do not scan every item.
   */
  async ensurePaths(analyser: {
    readonly name: string;
    readonly indexedPaths?: readonly (readonly (string | number)[])[];
    readonly listPaths?: readonly (readonly (string | number)[])[];
  }): Promise<void> {
    const indexedPaths = analyser.indexedPaths ?? [];
    const listPaths = analyser.listPaths ?? [];
    if (indexedPaths.length === 0 && listPaths.length === 0) return;
    try {
      await this.#storage.client.request({ type: 'pubsub.paths.ensure', indexedPaths, listPaths });
    } catch (error) {
      this.#runtime?.log.warn(
        { err: error, analyser: analyser.name },
        'cannot index the analyser paths',
      );
    }
  }

  async #refreshNotify(): Promise<void> {
    try {
      this.#notify = (await this.#client?.notifyNamespaces()) ?? this.#notify;
    } catch (error) {
      this.#runtime?.log.warn({ err: error }, 'cannot read +notify namespaces');
    }
  }

  /** Entities call this for every incoming stanza: pubsub notifications go to the cache. */
  onStanza(profile: string, stanza: Element): void {
    if (stanza.name !== 'message' || this.#client === undefined) return;
    const event = parsePubsubEvent(stanza as unknown as XmlElement, { withElement: false });
    if (event) this.#client.event(profile, event);
  }

  /** Once a client is online: advertise caps with `+notify`, and re-check its synchronised nodes. */
  async onOnline(
    profile: string,
    kind: 'client' | 'component',
    connection: EntityConnection,
  ): Promise<void> {
    if (kind !== 'client') return;
    await connection.send(capsPresence(clientFeatures(this.#notify)));
    this.#client?.reconnected(profile);
  }

  /** disco#info answers, with the `+notify` features of the caps we advertised. */
  answerIq(_profile: string, kind: 'client' | 'component', iq: Element): Element | undefined {
    if (kind !== 'client') return undefined;
    return answerDiscoInfo(iq, clientFeatures(this.#notify));
  }

  health(): HealthEntry {
    const stats = this.#pool?.stats();
    if (stats === undefined) return { ok: false, detail: 'not started' };
    return {
      ok: true,
      detail: `parser pool ${stats.threads} threads, ${stats.tasksCompleted} tasks, ${stats.crashes} crashes, ${stats.timeouts} timeouts`,
    };
  }

  async stop(): Promise<void> {
    await this.#client?.ref.stop({ mode: 'drain' });
    await this.#pool?.close();
  }
}
