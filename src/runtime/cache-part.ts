import { createAnalyserRegistry } from '../analysers/analyser-registry.js';
import { builtinAnalysers } from '../analysers/builtin-analysers.js';
import type { AnalyserRegistry } from '../analysers/index.js';
import { PubsubCacheClient } from '../cache/cache-client.js';
import type { CacheStorage } from '../cache/cache-deps.js';
import type { CacheActorMessage } from '../cache/cache-messages.js';
import { CacheSessions } from '../cache/cache-sessions.js';
import { makePubsubCacheActor } from '../cache/pubsub-cache-actor.js';
import { ParserPool } from '../parsers/parser-pool.js';
import type { PubsubCachePort } from '../plugins/builtin/pubsub-cache.js';
import type { HealthEntry, RuntimePart, RuntimeServices } from './runtime.js';
import type { StoragePart } from './storage-part.js';

/**
 * The transparent pubsub cache: analysers, the parser pool (Piscina) and the PubsubCacheActor.
 * Profiles reach it only through the `pubsub-cache` plugin, which is given {@link CachePart.port}:
 * notifications in, `+notify` features out, IQs through each profile's own host.
 */
export class CachePart implements RuntimePart {
  readonly name = 'cache';
  readonly analysers: AnalyserRegistry = createAnalyserRegistry();
  readonly #storage: StoragePart;
  readonly #sessions = new CacheSessions();
  #client: PubsubCacheClient | undefined;
  #pool: ParserPool | undefined;
  #notify: string[] = [];
  #runtime: RuntimeServices | undefined;

  /** Wraps the storage client the cache actor writes through (cluster mode fences it). */
  readonly #wrapStorage: (client: CacheStorage) => CacheStorage;

  constructor(options: {
    storage: StoragePart;
    wrapStorage?: (client: CacheStorage) => CacheStorage;
  }) {
    this.#storage = options.storage;
    this.#wrapStorage = options.wrapStorage ?? ((client) => client);
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
        storage: this.#wrapStorage(this.#storage.client),
        pubsubFor: (profile) => this.#sessions.pubsubFor(profile),
        analysers: this.analysers,
        parse: (parser, items, { output, ...options }) =>
          output === 'json'
            ? pool.parseBatch(parser, items, { ...options, output })
            : pool.parseBatch(parser, items, options),
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
          // A page must fit in one stanza: aim at half the stream's limit.
          pageBytes: Math.floor(runtime.config.xmpp.maxStanzaBytes / 2),
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

  /**
   * What the `pubsub-cache` plugin uses. Before the cache starts (or after it stops) events and
   * re-checks are ignored and no `+notify` namespace is advertised.
   */
  readonly port: PubsubCachePort = {
    attach: (profile, session) => this.#sessions.attach(profile, session),
    event: (profile, event) => this.#client?.event(profile, event),
    reconnected: (profile) => this.#client?.reconnected(profile),
    notifyNamespaces: () => this.#notify,
  };

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
