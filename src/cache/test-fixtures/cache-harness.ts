/**
 * Test harness: a PubsubCacheActor over the in-process storage engine (temp folder), a
 * {@link FakePubsubService}, a registry with test analysers and a fake parser.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem } from '../../actors/actor-system.js';
import type { KernelLogger } from '../../actors/types.js';
import { type AnalyserDefinition, createAnalyserRegistry } from '../../analysers/index.js';
import { deserializeError } from '../../errors.js';
import type { ParseItemResult } from '../../parsers/parser-protocol.js';
import type { StorageRequest, StorageResponse } from '../../storage/messages.js';
import { StorageEngine } from '../../storage/storage-engine.js';
import type { Clock } from '../../util/clock.js';
import { PubsubCacheClient } from '../cache-client.js';
import type { CacheConfig, CacheParse, CacheStorage } from '../cache-deps.js';
import type { CacheEvent, NodeTarget } from '../cache-messages.js';
import { makePubsubCacheActor } from '../pubsub-cache-actor.js';
import { FakePubsubService } from './fake-pubsub.js';

export const SERVICE = 'pubsub.example.org';
export const BLOG = 'urn:xmpp:microblog:0';
export const ATOM = 'http://www.w3.org/2005/Atom';
export const FAKE_PARSER = { module: 'file:///fake/blog.js', export: 'parseBlog' } as const;

/** Analysers: a syncing blog (prefix + namespace), a non-syncing one, one whose match throws. */
export function testAnalysers(): AnalyserDefinition[] {
  return [
    { name: 'blog', type: 'blog', node: BLOG, namespace: ATOM, toSync: true, parser: FAKE_PARSER },
    { name: 'quiet', type: 'misc', node: 'quiet:', toSync: false },
    {
      name: 'broken',
      type: 'misc',
      node: 'broken:',
      toSync: true,
      match: () => {
        throw new Error('match callback broke');
      },
    },
  ];
}

/** Parses `<title>` out of each item; an item containing `BAD` fails. */
export const fakeParse: CacheParse = async (_parser, items) =>
  items.map(
    (xml): ParseItemResult =>
      xml.includes('BAD')
        ? { ok: false, error: { message: 'bad item' } }
        : { ok: true, value: { title: /<title>(.*?)<\/title>/.exec(xml)?.[1] ?? null } },
  );

export interface LogLine {
  readonly level: string;
  readonly fields: object;
  readonly message: string;
}

export async function cacheHarness(
  options: { config?: Partial<CacheConfig>; clock?: Clock; dataDir?: string } = {},
) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'aviary-cache-'));
  const engine = await StorageEngine.open({ dataDir, snapshotOnClose: false });
  const storageCalls: StorageRequest[] = [];
  const storage: CacheStorage = {
    async request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>> {
      storageCalls.push(request);
      const [outcome] = await engine.applyBatch([request]);
      if (outcome === undefined) throw new Error('no outcome');
      if (!outcome.ok) throw deserializeError(outcome.error);
      return outcome.value as StorageResponse<R>;
    },
  };
  if ((await storage.request({ type: 'profile.get', name: 'alice' })) === null) {
    await storage.request({ type: 'profile.create', name: 'alice', jid: 'alice@example.org' });
  }
  const service = new FakePubsubService();
  const analysers = createAnalyserRegistry();
  for (const definition of testAnalysers()) analysers.registerAnalyser(definition);
  const emitted: CacheEvent[] = [];
  const logs: LogLine[] = [];
  const log: KernelLogger = {
    debug: (fields, message) => logs.push({ level: 'debug', fields, message }),
    info: (fields, message) => logs.push({ level: 'info', fields, message }),
    warn: (fields, message) => logs.push({ level: 'warn', fields, message }),
    error: (fields, message) => logs.push({ level: 'error', fields, message }),
  };
  let online = true;
  const system = new ActorSystem();
  const client = service.client();
  const ref = system.spawn(
    'pubsub-cache',
    makePubsubCacheActor({
      storage,
      pubsubFor: () => (online ? { client, jid: 'alice@example.org' } : undefined),
      analysers,
      parse: fakeParse,
      clock: options.clock ?? system.clock,
      log,
      emit: (event) => emitted.push(event),
      config: { pageSize: 50, ...options.config },
    }),
    { supervision: { kind: 'resume' } },
  );
  const cache = new PubsubCacheClient(ref);
  const target = (node: string): NodeTarget => ({ profile: 'alice', service: SERVICE, node });

  return {
    dataDir,
    engine,
    storage,
    storageCalls,
    service,
    analysers,
    cache,
    ref,
    emitted,
    logs,
    target,
    setOnline(value: boolean) {
      online = value;
    },
    /** Cached items of a node, oldest first by creation. */
    async cached(node: string, orderBy: 'creation' | 'modification' = 'creation') {
      const page = await storage.request({ type: 'pubsub.items.get', ...target(node), orderBy });
      return page.items;
    },
    async state(node: string) {
      return (await storage.request({ type: 'pubsub.node.get', ...target(node) }))?.syncState;
    },
    async waitForState(node: string, state: string, ms = 5_000) {
      await waitFor(async () => (await this.state(node)) === state, `${node} ${state}`, ms);
    },
    async close(keepDir = false) {
      await ref.stop();
      await engine.close();
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 5 ms until it holds. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 5_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
