/**
 * Shared setup for the cache's integration tests and benchmark: stock `@xmpp/client`
 * connections (plain text on loopback, PLAIN), an iq caller that counts requests, the storage
 * engine in process, the real parser pool with the built-in analysers, and the cache actor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ActorSystem } from '../../src/actors/actor-system.js';
import type { KernelLogger } from '../../src/actors/types.js';
import { builtinAnalysers, createAnalyserRegistry } from '../../src/analysers/index.js';
import {
  type CacheConfig,
  type CacheEvent,
  type CacheStorage,
  makePubsubCacheActor,
  PubsubCacheClient,
} from '../../src/cache/index.js';
import { deserializeError } from '../../src/errors.js';
import { ParserPool } from '../../src/parsers/parser-pool.js';
import {
  createPubsubClient,
  type PubsubClient,
  type PubsubEvent,
  parsePubsubEvent,
  type XmlElement,
} from '../../src/pubsub/index.js';
import type { StorageActorArgs, StorageActorMessage } from '../../src/runtime/storage-actor.js';
import { StorageClient } from '../../src/runtime/storage-client.js';
import type { StorageRequest, StorageResponse } from '../../src/storage/messages.js';
import { StorageEngine } from '../../src/storage/storage-engine.js';
import { workerEntry } from '../../src/util/worker-entry.js';
import { waitFor } from '../helpers/wait-for.js';

export interface XmppClient {
  jid: { toString(): string; bare(): { toString(): string } } | null;
  iqCaller: { request(stanza: XmlElement, timeout?: number): Promise<XmlElement> };
  on(event: 'stanza', handler: (stanza: XmlElement) => void): void;
  on(event: 'error', handler: (error: Error) => void): void;
  send(stanza: XmlElement): Promise<void>;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}
type ClientFactory = (options: Record<string, unknown>) => XmppClient;

/** Connects a stock xmpp.js client over plain TCP on loopback with PLAIN. */
export async function connectClient(options: {
  port: number;
  domain: string;
  username: string;
  password: string;
  resource?: string;
}): Promise<XmppClient> {
  // @xmpp/client ships no types: import it through a non-literal specifier.
  const specifier = '@xmpp/client';
  const { client } = (await import(specifier)) as { client: ClientFactory };
  const xmpp = client({
    service: `xmpp://127.0.0.1:${options.port}`,
    domain: options.domain,
    resource: options.resource ?? 'cache-test',
    credentials: (authenticate: (c: object, mechanism: string) => Promise<void>) =>
      authenticate({ username: options.username, password: options.password }, 'PLAIN'),
  });
  xmpp.on('error', () => {});
  await xmpp.start();
  // Available presence: notifications to the bare JID go to available resources (RFC 6121 §8.5.2).
  const { xml } = await import('../../src/pubsub/xml.js');
  await xmpp.send(xml('presence', {}));
  return xmpp;
}

/** A pubsub client over `xmpp` whose iq requests are counted in `counter.iqs`. */
export function countingPubsub(xmpp: XmppClient): {
  client: PubsubClient;
  counter: { iqs: number };
} {
  const counter = { iqs: 0 };
  const client = createPubsubClient({
    iq: (request, ms) => {
      counter.iqs++;
      return xmpp.iqCaller.request(request, ms);
    },
    timeoutMs: 30_000,
  });
  return { client, counter };
}

export const quietLog: KernelLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Storage engine in process, parser pool, built-in analysers and the cache actor. */
export async function startCache(options: {
  pubsub: PubsubClient;
  jid: string;
  profile?: string;
  config?: Partial<CacheConfig>;
  log?: KernelLogger;
  /** `worker`: the real StorageActor in its worker thread (as the runtime runs it). */
  storage?: 'engine' | 'worker';
  /** Told how long each parse call and each item upsert took (the benchmark's per-page times). */
  observe?: (stage: 'parse' | 'store', ms: number, items: number) => void;
}) {
  const profile = options.profile ?? 'alice';
  const dataDir = mkdtempSync(join(tmpdir(), 'aviary-cache-it-'));
  const system = new ActorSystem();
  let engine: StorageEngine | undefined;
  let storage: CacheStorage;
  if (options.storage === 'worker') {
    const args: StorageActorArgs = {
      dataDir,
      snapshotJournalBytes: 64 * 1024 * 1024,
      snapshotIntervalMs: 600_000,
    };
    const ref = system.spawnWorker<StorageActorMessage>('storage', {
      module: workerEntry(import.meta.url, '../../src/runtime/storage-actor.js'),
      export: 'makeStorageActor',
      args,
    });
    storage = new StorageClient(ref);
  } else {
    const opened = await StorageEngine.open({ dataDir, snapshotOnClose: false });
    engine = opened;
    storage = {
      async request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>> {
        const [outcome] = await opened.applyBatch([request]);
        if (outcome === undefined) throw new Error('no outcome');
        if (!outcome.ok) throw deserializeError(outcome.error);
        return outcome.value as StorageResponse<R>;
      },
    };
  }
  const observe = options.observe;
  if (observe !== undefined) storage = timedUpserts(storage, observe);
  await storage.request({ type: 'profile.create', name: profile, jid: options.jid });
  const analysers = createAnalyserRegistry();
  for (const definition of builtinAnalysers()) analysers.registerAnalyser(definition);
  const pool = new ParserPool({ maxThreads: 2, batchSize: 64 });
  const emitted: CacheEvent[] = [];
  const access = { client: options.pubsub, jid: options.jid };
  const ref = system.spawn(
    'pubsub-cache',
    makePubsubCacheActor({
      storage,
      pubsubFor: () => access,
      analysers,
      parse: async (parser, items, o) => {
        const t0 = performance.now();
        const { output, ...rest } = o;
        const results =
          output === 'json'
            ? await pool.parseBatch(parser, items, { ...rest, output })
            : await pool.parseBatch(parser, items, rest);
        observe?.('parse', performance.now() - t0, items.length);
        return results;
      },
      clock: system.clock,
      log: options.log ?? quietLog,
      emit: (event) => emitted.push(event),
      config: options.config,
    }),
    { supervision: { kind: 'resume' }, mailbox: { capacity: 10_000 } },
  );
  const cache = new PubsubCacheClient(ref, { timeoutMs: 60_000 });
  return {
    cache,
    storage,
    emitted,
    profile,
    async cachedNames(service: string, node: string): Promise<string[]> {
      const page = await storage.request({ type: 'pubsub.items.get', profile, service, node });
      return page.items.map((i) => i.name);
    },
    /** Routes `xmpp`'s pubsub notifications to the cache. */
    route(xmpp: XmppClient, seen?: PubsubEvent[]) {
      xmpp.on('stanza', (stanza) => {
        if (stanza.name !== 'message') return;
        const event = parsePubsubEvent(stanza, { withElement: false });
        if (event === undefined) return;
        seen?.push(event);
        cache.event(profile, event);
      });
    },
    async close() {
      await ref.stop();
      await pool.close();
      await engine?.close();
      await system.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Wraps a storage so each `pubsub.items.upsert` reports its time and item count. */
function timedUpserts(
  storage: CacheStorage,
  observe: (stage: 'store', ms: number, items: number) => void,
): CacheStorage {
  return {
    async request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>> {
      if (request.type !== 'pubsub.items.upsert') return storage.request(request);
      const t0 = performance.now();
      const response = await storage.request(request);
      observe('store', performance.now() - t0, request.items.length);
      return response;
    },
  };
}

/** Waits until `check` holds; after `ms` fails naming `what`. */
export function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  return waitFor(check, { what, timeoutMs: ms, intervalMs: 20 });
}
